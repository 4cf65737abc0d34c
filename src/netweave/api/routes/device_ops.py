"""The NetPulse v0.4-compatible device-operations API (``netpulse-sdk`` works unchanged)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from netweave.api.deps import Admin, Operator, RuntimeDep, Viewer
from netweave.api.params import Offset
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.core import templates
from netweave.core.jobs.schemas import (
    BulkRequest,
    BulkResponse,
    ExecRequest,
    JobRead,
    ParsingSpec,
    TestRequest,
    TestResponse,
    WorkerRead,
)

router = APIRouter(tags=["device operations (NetPulse v0.4)"])


@router.post("/device/test", response_model=TestResponse, responses=NOT_FOUND)
def test_connection(body: TestRequest, principal: Operator, runtime: RuntimeDep) -> TestResponse:
    """Open and close one session synchronously; report latency or the error."""
    return runtime.jobs.test_connection(body, principal)


@router.post("/device/exec", response_model=JobRead, status_code=201, responses=NOT_FOUND)
def execute(body: ExecRequest, principal: Operator, runtime: RuntimeDep) -> JobRead:
    """Queue commands or configuration for one device."""
    return runtime.jobs.submit_exec(body, principal)


@router.post("/device/bulk", response_model=BulkResponse, status_code=201, responses=NOT_FOUND)
def bulk(body: BulkRequest, principal: Operator, runtime: RuntimeDep) -> BulkResponse:
    """Queue one job per device; never refused for capacity."""
    succeeded, failed = runtime.jobs.submit_bulk(body, principal)
    return BulkResponse(succeeded=succeeded, failed=failed)


@router.get("/jobs", response_model=list[JobRead])
def list_jobs(
    _: Viewer,
    runtime: RuntimeDep,
    status: str | None = None,
    queue: str | None = None,
    host: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[JobRead]:
    return runtime.jobs.list_jobs(status=status, queue=queue, host=host, limit=limit, offset=offset)


@router.delete("/jobs", response_model=list[str])
def cancel_jobs(_: Operator, runtime: RuntimeDep, host: str | None = None) -> list[str]:
    """Cancel every queued job (of one host)."""
    return runtime.jobs.cancel_many(host=host)


@router.get("/jobs/{job_id}", response_model=JobRead, responses=NOT_FOUND)
def get_job(
    job_id: str,
    _: Viewer,
    runtime: RuntimeDep,
    wait: Annotated[
        float, Query(ge=0, le=60, description="Long poll: answer once done or after this many s")
    ] = 0,
) -> JobRead:
    if wait:
        return runtime.jobs.wait(job_id, wait)
    return runtime.jobs.get(job_id)


@router.delete("/jobs/{job_id}", response_model=JobRead, responses=LOOKUP_CONFLICT)
def cancel_job(job_id: str, _: Operator, runtime: RuntimeDep) -> JobRead:
    """Cancel a queued or running job: a running one's device session is aborted within
    about a second, wherever it runs. It ends ``canceled`` (error type ``canceled``)."""
    return runtime.jobs.cancel(job_id)


@router.get("/workers", response_model=list[WorkerRead])
def list_workers(_: Viewer, runtime: RuntimeDep) -> list[WorkerRead]:
    return runtime.jobs.workers()


@router.delete("/workers/{name}", responses=LOOKUP_CONFLICT)
def delete_worker(name: str, _: Admin, runtime: RuntimeDep) -> dict[str, str]:
    """Ask a worker node to finish its running jobs, close its sessions and exit (admins:
    it stops part of the platform for everyone)."""
    return {"stopping": runtime.jobs.stop_worker(name)}


@router.get("/system/stats")
def system_stats(_: Viewer, runtime: RuntimeDep) -> dict[str, Any]:
    return runtime.jobs.stats()


class RenderRequest(BaseModel):
    name: str = "jinja2"
    template: str = Field(max_length=200_000)
    context: dict[str, Any] = Field(default_factory=dict)


class ParseRequest(ParsingSpec):
    context: str = Field(max_length=5_000_000, description="The text to parse")
    command: str | None = None


@router.post("/template/render")
def render_template(body: RenderRequest, _: Operator) -> dict[str, str]:
    return {"result": templates.render(body.template, body.context)}


@router.post("/template/parse")
def parse_template(body: ParseRequest, _: Viewer) -> dict[str, Any]:
    parsed = templates.parse(
        body.context,
        name=body.name,
        template=body.template,
        platform=body.platform,
        command=body.command,
    )
    return {"result": parsed}
