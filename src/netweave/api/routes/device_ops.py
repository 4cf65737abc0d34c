"""The NetPulse v0.4-compatible device-operations API (``netpulse-sdk`` works unchanged)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from netweave.api.deps import Admin, Operator, RuntimeDep, Viewer
from netweave.api.file_transfer import EXEC_BODY, absolute_downloads, read_exec_body
from netweave.api.params import Offset
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND, errors
from netweave.core import templates
from netweave.core.jobs import workers
from netweave.core.jobs.schemas import (
    BulkRequest,
    BulkResponse,
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


@router.post(
    "/device/exec",
    response_model=JobRead,
    status_code=201,
    responses={**NOT_FOUND, **errors(413)},
    openapi_extra=EXEC_BODY,
)
async def execute(request: Request, principal: Operator, runtime: RuntimeDep) -> JobRead:
    """Queue commands or configuration for one device, or a file transfer
    (``file_transfer``): an upload is NetPulse's multipart form, a ``request`` part (this
    JSON) and a ``file`` part, staged then put on the device over SCP."""
    body, upload = await read_exec_body(request)
    try:
        return await run_in_threadpool(
            runtime.files.submit_exec,
            body,
            principal,
            upload.file if upload else None,
            (upload.filename or "") if upload else "",
        )
    finally:
        if upload is not None:
            await upload.close()


@router.post("/device/bulk", response_model=BulkResponse, status_code=201, responses=NOT_FOUND)
def bulk(body: BulkRequest, principal: Operator, runtime: RuntimeDep) -> BulkResponse:
    """Queue one job per device; never refused for capacity."""
    succeeded, failed = runtime.files.submit_bulk(body, principal)
    return BulkResponse(succeeded=succeeded, failed=failed)


QueueFilter = Annotated[str | None, Query(description="Only this queue")]
NodeFilter = Annotated[str | None, Query(description="Only this worker node (or worker) name")]
HostFilter = Annotated[str | None, Query(description="Only this device address")]


@router.get("/jobs", response_model=list[JobRead])
def list_jobs(
    _: Viewer,
    runtime: RuntimeDep,
    request: Request,
    status: str | None = None,
    queue: QueueFilter = None,
    node: NodeFilter = None,
    host: HostFilter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[JobRead]:
    jobs = runtime.jobs.list_jobs(
        status=status, queue=queue, node=node, host=host, limit=limit, offset=offset
    )
    return [absolute_downloads(job, request) for job in jobs]


@router.delete("/jobs", response_model=list[str])
def cancel_jobs(
    _: Operator, runtime: RuntimeDep, queue: QueueFilter = None, host: HostFilter = None
) -> list[str]:
    """Cancel every queued job (of one queue, of one device address); the ids canceled."""
    return runtime.jobs.cancel_many(queue=queue, host=host)


@router.get("/jobs/{job_id}", response_model=JobRead, responses=NOT_FOUND)
async def get_job(
    job_id: str,
    _: Viewer,
    runtime: RuntimeDep,
    request: Request,
    wait: Annotated[
        float, Query(ge=0, le=60, description="Long poll: answer once done or after this many s")
    ] = 0,
) -> JobRead:
    """A long poll waits on the event loop, holding no thread: woken when this job changes."""
    job = await runtime.jobs.wait_async(job_id, wait)
    return absolute_downloads(job, request)


@router.delete("/jobs/{job_id}", response_model=JobRead, responses=LOOKUP_CONFLICT)
def cancel_job(job_id: str, _: Operator, runtime: RuntimeDep) -> JobRead:
    """Cancel a queued or running job: a running one's device session is aborted within
    about a second, wherever it runs. It ends ``canceled`` (error type ``canceled``)."""
    return runtime.jobs.cancel(job_id)


@router.get("/workers", response_model=list[WorkerRead])
def list_workers(
    _: Viewer,
    runtime: RuntimeDep,
    queue: Annotated[str | None, Query(description="Workers listening on this queue")] = None,
    node: NodeFilter = None,
    host: Annotated[str | None, Query(description="Workers serving this device")] = None,
) -> list[WorkerRead]:
    """The workers (all filters given must match)."""
    return runtime.jobs.workers(queue=queue, node=node, host=host)


@router.delete("/workers/{name}", responses=LOOKUP_CONFLICT)
def delete_worker(name: str, _: Admin, runtime: RuntimeDep) -> dict[str, str]:
    """Ask a worker node to finish its running jobs, close its sessions and exit (admins:
    it stops part of the platform for everyone)."""
    stopping = runtime.jobs.stop_worker(name)
    return {"name": stopping, "stopping": stopping}


@router.delete("/workers", response_model=list[str], responses=LOOKUP_CONFLICT)
def delete_workers(
    _: Admin,
    runtime: RuntimeDep,
    queue: Annotated[str | None, Query(description="Nodes with a worker on this queue")] = None,
    node: Annotated[str | None, Query(description="A node (or worker) name")] = None,
    host: Annotated[str | None, Query(description="The node holding this device")] = None,
) -> list[str]:
    """Ask every worker node matching all the filters (none: every node) to drain and
    exit, as NetPulse's ``DELETE /workers``; the nodes asked."""
    return workers.stop_workers(runtime.jobs.executor, queue=queue, node=node, host=host)


@router.get("/system/stats")
def system_stats(_: Viewer, runtime: RuntimeDep) -> dict[str, Any]:
    return runtime.jobs.stats()


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="jinja2", max_length=100)
    template: str = Field(max_length=200_000)
    context: dict[str, Any] | None = Field(default_factory=dict)


class ParseRequest(ParsingSpec):
    name: str = Field(default="ntc_templates", max_length=100)  # type: ignore[assignment]
    context: str = Field(max_length=5_000_000, description="The text to parse")
    command: str | None = None


@router.post("/template/render", response_model=str, responses=NOT_FOUND)
@router.post("/template/render/{name}", response_model=str, responses=NOT_FOUND)
def render_template(body: RenderRequest, _: Operator, name: str | None = None) -> str:
    """Render in the sandbox; the answer is the rendered text, as NetPulse's."""
    return templates.render_named(name or body.name, body.template, body.context or {})


@router.post("/template/parse", responses=NOT_FOUND)
@router.post("/template/parse/{name}", responses=NOT_FOUND)
def parse_template(body: ParseRequest, _: Viewer, name: str | None = None) -> Any:
    """Parse text; the answer is the parsed data, as NetPulse's (TextFSM, ntc-templates by
    platform and command or ``use_ntc_template``, TTP without code)."""
    spec = {**body.model_dump(exclude={"context", "command"}), "name": name or body.name}
    return templates.parse_named(body.context, spec, command=body.command)
