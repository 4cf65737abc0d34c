"""What a run and its results read as (the API's shapes)."""

from __future__ import annotations

from typing import Any

from netweave.core.automation.schemas import ResultRead, RunRead, RunStep
from netweave.db.models import Result, Run
from netweave.engine import START


def run_read(run: Run) -> RunRead:
    return RunRead(
        id=run.id,
        name=run.name,
        kind=run.kind,
        status=run.status,
        mode=run.mode,
        targets=[t["name"] for t in run.targets],
        variables=run.variables,
        trigger=run.trigger,
        creator=run.creator,
        parent_id=run.parent_id,
        start_at=run.start_at,
        summary=run.summary,
        error=run.error,
        created_at=run.created_at,
        started_at=run.started_at,
        ended_at=run.ended_at,
        steps=run_steps(run.definition or {}),
    )


def run_steps(definition: dict[str, Any]) -> list[RunStep]:
    """The run's steps by name, in walk order: from the start along success edges first,
    then failure edges; steps nothing leads to come last."""
    graph = definition.get("graph") or {}
    nodes = {str(n["id"]): n for n in graph.get("nodes") or []}
    edges = sorted(graph.get("edges") or [], key=lambda e: e.get("kind", "success") != "success")
    order: list[str] = []
    frontier = [START]
    while frontier:
        following: list[str] = []
        for source in frontier:
            for edge in edges:
                target = str(edge["target"])
                if edge["source"] == source and target in nodes and target not in order:
                    order.append(target)
                    following.append(target)
        frontier = following
    order += [node for node in nodes if node not in order]
    return [
        RunStep(id=node, name=str(nodes[node].get("label") or nodes[node].get("ref") or node))
        for node in order
    ]


def result_read(row: Result) -> ResultRead:
    return ResultRead(
        id=row.id,
        run_id=row.run_id,
        step=row.step,
        service=row.service,
        device=row.device_name,
        success=row.success,
        result=row.result,
        variables=row.variables,
        logs=row.logs,
        attempts=row.attempts,
        copied=row.copied,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )
