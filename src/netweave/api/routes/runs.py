"""Runs: start a service or workflow, follow it live (SSE), stop it, restart it from a
step, and read or compare its results."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from netweave.api.deps import Operator, RuntimeDep, Viewer
from netweave.api.params import MAX_ID, Id, IdQuery, Limit, Offset
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.core.automation.schemas import (
    RestartRequest,
    ResultDiff,
    ResultRead,
    RunRead,
    RunRequest,
)
from netweave.core.inventory.schemas import Page
from netweave.core.text_filter import EXACT_HELP

router = APIRouter(prefix="/api/v1", tags=["runs"])
FINAL = ("success", "failure", "stopped", "error", "interrupted")


@router.post("/run/{name}", response_model=RunRead, status_code=201, responses=LOOKUP_CONFLICT)
def run_automation(
    name: str, body: RunRequest, principal: Operator, runtime: RuntimeDep
) -> RunRead:
    """Start a service or workflow by name. ``wait`` > 0 answers when it ends (or the wait
    is over: check ``status``); 0 answers at once. The run's ``trigger`` says where it came
    from: ``ui`` (a signed-in browser), ``api`` (an API key), ``cli`` (``netweave``)."""
    return runtime.runs.launch(
        name,
        body,
        principal.username,
        trigger="ui" if principal.via == "session" else "api",
        acting_user=principal.username,
    )


@router.get("/runs", response_model=Page[RunRead], responses=NOT_FOUND)
def list_runs(
    principal: Viewer,
    runtime: RuntimeDep,
    name: Annotated[
        str | None, Query(max_length=255, description=f"Service or workflow name. {EXACT_HELP}")
    ] = None,
    device: Annotated[str | None, Query(description="Runs that touched this device")] = None,
    status: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[RunRead]:
    """Runs of the services and workflows the caller may read, and ad-hoc runs."""
    items, total = runtime.runs.list_runs(
        name=name,
        device=device,
        status=status,
        limit=limit,
        offset=offset,
        actor=principal.username,
    )
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/runs/{run_id}", response_model=RunRead, responses=NOT_FOUND)
def get_run(run_id: str, principal: Viewer, runtime: RuntimeDep) -> RunRead:
    return runtime.runs.get(run_id, principal.username)


@router.post("/runs/{run_id}/stop", response_model=RunRead, responses=LOOKUP_CONFLICT)
def stop_run(run_id: str, principal: Operator, runtime: RuntimeDep) -> RunRead:
    """Queued steps are canceled, running ones interrupted (their device sessions are
    aborted, never retried), no device takes another step; the run ends ``stopped``."""
    return runtime.runs.stop(run_id, principal.username)


@router.post(
    "/runs/{run_id}/restart", response_model=RunRead, status_code=201, responses=LOOKUP_CONFLICT
)
def restart_run(
    run_id: str, body: RestartRequest, principal: Operator, runtime: RuntimeDep
) -> RunRead:
    return runtime.runs.restart(run_id, body, principal.username, acting_user=principal.username)


@router.get("/runs/{run_id}/results", response_model=list[ResultRead], responses=NOT_FOUND)
def run_results(
    run_id: str,
    principal: Viewer,
    runtime: RuntimeDep,
    step: str | None = None,
    device: str | None = None,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Only results with a larger id")] = 0,
) -> list[ResultRead]:
    return runtime.runs.results(
        run_id, step=step, device=device, after=after, actor=principal.username
    )


@router.get("/runs/{run_id}/events", responses=NOT_FOUND)
async def run_events(
    run_id: str, principal: Viewer, runtime: RuntimeDep, request: Request
) -> StreamingResponse:
    """Server-sent events: ``result`` for each stored step result, ``status`` when the run
    changes, then ``end``. Works across processes (it reads SQL, not memory)."""
    runs = runtime.runs
    await run_in_threadpool(runs.get, run_id, principal.username)  # 404 before streaming

    async def stream() -> AsyncIterator[str]:
        after, last = 0, None
        while not await request.is_disconnected():
            results = await run_in_threadpool(runs.results, run_id, after=after)
            for result in results:
                after = result.id
                yield f"event: result\ndata: {result.model_dump_json()}\n\n"
            run = await run_in_threadpool(runs.get, run_id)
            state = (run.status, json.dumps(run.summary.get("counts", {}), sort_keys=True))
            if state != last:
                last = state
                yield f"event: status\ndata: {run.model_dump_json()}\n\n"
            if run.status in FINAL:
                yield f"event: end\ndata: {json.dumps({'status': run.status})}\n\n"
                return
            await asyncio.sleep(0.3)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


@router.get("/results/compare", response_model=ResultDiff, responses=NOT_FOUND)
def compare_results(
    principal: Viewer,
    runtime: RuntimeDep,
    first: IdQuery,
    second: IdQuery,
) -> ResultDiff:
    return runtime.runs.compare(first, second, principal.username)


@router.get("/results/{result_id}", response_model=ResultRead, responses=NOT_FOUND)
def get_result(result_id: Id, principal: Viewer, runtime: RuntimeDep) -> ResultRead:
    return runtime.runs.result(result_id, principal.username)
