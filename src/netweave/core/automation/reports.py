"""Run reports: a service or workflow declares a Jinja2 template over its results (its
``report`` option); it is rendered in the sandbox when the run ends and kept in the run's
summary under ``"report"`` (shown on the run page, sent with the run's notification).

The template sees ``run`` (id, name, kind, status, mode, trigger, creator, times, counts,
targets, variables), ``results`` (every result of the run, oldest first: step, service,
device, success, result) and ``devices`` (each target's outcome and path). A template that
fails (an undefined name, a refused attribute, a limit) gives a report saying what failed:
a run never fails to end because of its report."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from netweave.core import templates
from netweave.db.models import Automation, Result, Run
from netweave.foundation.errors import NetWeaveError

log = logging.getLogger(__name__)
MAX_RESULTS = 20_000  # rows a report reads (the oldest first)
MAX_REPORT_CHARS = 200_000  # longer reports are cut, saying so
ZERO_COUNTS = {"success": 0, "failure": 0}  # run.counts.failure works when none failed


def declared(session: Session, run: Run) -> str:
    """The report template of the run's service or workflow ("" when none)."""
    if run.automation_id is None:
        return ""
    automation = session.get(Automation, run.automation_id)
    report = ((automation.options if automation else None) or {}).get("report")
    return report if isinstance(report, str) else ""


def result_rows(session: Session, run_id: str) -> list[dict[str, Any]]:
    """The run's results so far, oldest first, as templates (and notifications) see them."""
    rows = session.scalars(
        select(Result).where(Result.run_id == run_id).order_by(Result.id).limit(MAX_RESULTS)
    )
    return [
        {
            "step": row.step,
            "service": row.service,
            "device": row.device_name,
            "success": row.success,
            "result": row.result,
        }
        for row in rows
    ]


def context(
    run: Run,
    status: str,
    summary: dict[str, Any],
    results: list[dict[str, Any]],
    ended_at: datetime | None = None,
) -> dict[str, Any]:
    """What a report template sees (plain JSON-like data)."""
    devices = summary.get("devices") or {}
    ended_at = ended_at or run.ended_at
    return {
        "run": {
            "id": run.id,
            "name": run.name,
            "kind": run.kind,
            "status": status,
            "mode": run.mode,
            "trigger": run.trigger,
            "creator": run.creator,
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "ended_at": ended_at.isoformat() if ended_at else None,
            "counts": {**ZERO_COUNTS, **(summary.get("counts") or {})},
            "targets": [t.get("name") for t in run.targets or []],
            "variables": dict(run.variables or {}),
        },
        "results": results,
        "devices": [
            {
                "name": name,
                "outcome": info.get("outcome"),
                "at": info.get("at"),
                "path": list(info.get("path") or []),
            }
            for name, info in sorted(devices.items())
        ],
    }


def render(template: str, values: dict[str, Any]) -> str:
    """The report's text; a report naming the error when the template fails."""
    try:
        text = templates.render(template, values, "options.report")
    except NetWeaveError as exc:
        return f"The report could not be rendered: {exc.to_detail()}"
    except Exception as exc:  # never let a report stop a run from ending
        log.exception("report rendering")
        return f"The report could not be rendered: {type(exc).__name__}: {exc}"
    if len(text) > MAX_REPORT_CHARS:
        text = text[:MAX_REPORT_CHARS] + f"\n[report cut at {MAX_REPORT_CHARS:,} characters]"
    return text


def for_run(
    session: Session,
    run: Run,
    status: str,
    summary: dict[str, Any],
    ended_at: datetime | None = None,
) -> str | None:
    """The run's report now (``status`` and ``summary`` as they are or will be stored);
    None when its service or workflow declares none."""
    template = declared(session, run)
    if not template.strip():
        return None
    rows = result_rows(session, run.id)
    return render(template, context(run, status, summary, rows, ended_at))


def with_report(
    sessions: sessionmaker[Session], run_id: str, status: str, summary: dict[str, Any]
) -> dict[str, Any]:
    """The summary a run ends with: ``summary`` (or the one stored, when empty) plus its
    rendered ``report`` when one is declared. Rendered before the run's row is written
    (no transaction held while a template renders). Never raises: a report that cannot
    be made says why."""
    try:
        with sessions() as session:
            run = session.get(Run, run_id)
            if run is None:
                return summary
            base = summary or dict(run.summary or {})
            report = for_run(session, run, status, base, datetime.now(UTC))
    except Exception as exc:  # the database or anything else: the run still ends
        log.warning("run %s: no report: %s", run_id, exc)
        return summary
    if report is None:
        return summary
    return {**base, "report": report}
