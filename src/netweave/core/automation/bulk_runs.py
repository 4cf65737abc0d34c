"""Run the services or workflows selected in a table, each once on its default targets: all
or nothing, each through the same checks as a single run (pool fences on its targets,
privileged types, no targets).

A run that would change device configuration is refused: the UI confirms such a run with
a dry-run diff of each device first (one automation at a time, from its own page), which a
batch of runs started at once would skip."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from netweave.core import bulk
from netweave.core.automation import definitions
from netweave.core.automation.catalog import ServiceCatalog, preview_inputs
from netweave.core.automation.runs import RunService
from netweave.core.automation.schemas import RunRead, RunRequest
from netweave.foundation.errors import Conflict

CHANGES = "open it to run: it changes configuration"


def changing_steps(
    session: Session, catalog: ServiceCatalog, definition: dict[str, Any]
) -> list[str]:
    """The services of a run's definition that push configuration: their type has a
    dry-run mode (``preview_inputs``) and their inputs are not set to it."""
    found: list[str] = []
    for step in definition.get("steps", {}).values():
        preview = preview_inputs(catalog.get(session, step["type"]))
        inputs = step.get("inputs") or {}
        if preview and any(inputs.get(k) != v for k, v in preview.items()):
            found.append(str(step["service"]))
    return sorted(set(found))


def launch_many(
    runs: RunService,
    kind: str,
    ids: list[int],
    actor: str,
    *,
    trigger: str,
) -> list[RunRead]:
    """``actor``'s runs of the listed services or workflows (``kind``), in one transaction:
    the first refusal (409 for a configuration change) names the automation; no run starts."""

    def refuse_changes(session: Session, definition: dict[str, Any]) -> None:
        steps = changing_steps(session, runs.catalog, definition)
        if steps:
            raise Conflict(f"{CHANGES} ({', '.join(steps)})")

    run_ids: list[str] = []

    def prepare(session: Session, ident: int) -> None:
        name = definitions.by_id(session, ident, kind).name
        request = RunRequest()
        run_ids.append(
            runs.prepare(
                session,
                name,
                request,
                actor,
                trigger=trigger,
                acting_user=actor,
                check=refuse_changes,
            )
        )

    with runs.sessions() as session, session.begin():
        bulk.each(
            ids,
            noun=kind,
            name_of=lambda i: definitions.by_id(session, i, kind).name,
            act=lambda i: prepare(session, i),
            field="ids",
        )
    for run_id in run_ids:
        runs.start(run_id)
    return [runs.get(run_id) for run_id in run_ids]
