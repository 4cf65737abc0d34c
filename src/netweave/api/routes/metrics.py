"""Prometheus exposition of the engine's state (``GET /metrics``; viewer role; send the API
key as ``X-API-KEY`` or as a bearer token)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from netweave.api.deps import RuntimeDep, Viewer

router = APIRouter(tags=["metrics"])


def _line(name: str, value: float, **labels: str) -> str:
    rendered = ",".join(f'{key}="{val}"' for key, val in sorted(labels.items()))
    return f"{name}{{{rendered}}} {value}" if rendered else f"{name} {value}"


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(_: Viewer, runtime: RuntimeDep) -> str:
    jobs = runtime.jobs
    stats = jobs.stats()
    lines = [
        "# HELP netweave_jobs Jobs in SQL by status.",
        "# TYPE netweave_jobs gauge",
        *(
            _line("netweave_jobs", count, status=status)
            for status, count in sorted(stats["jobs"].items())
        ),
        "# HELP netweave_queue_depth Job ids waiting in the executor's queue.",
        "# TYPE netweave_queue_depth gauge",
        _line("netweave_queue_depth", stats["queue_depth"], executor=stats["executor"]),
        "# HELP netweave_workers Worker threads by state.",
        "# TYPE netweave_workers gauge",
        _line("netweave_workers", stats["workers"]["busy"], state="busy"),
        _line(
            "netweave_workers", stats["workers"]["total"] - stats["workers"]["busy"], state="idle"
        ),
        "# HELP netweave_device_sessions Open persistent device sessions in this process.",
        "# TYPE netweave_device_sessions gauge",
        _line("netweave_device_sessions", stats["sessions"]["sessions"]),
        "# HELP netweave_session_events_total Session pool events since start.",
        "# TYPE netweave_session_events_total counter",
        *(
            _line("netweave_session_events_total", stats["sessions"][event], event=event)
            for event in (
                "opened",
                "reused",
                "reconnected",
                "reaped_idle",
                "reaped_age",
                "breaker_rejections",
                "keepalive_failures",
            )
        ),
        "# HELP netweave_self_healing_total Housekeeping events since start (reaped, "
        "retried, expired, requeued jobs; nodes joined/lost; devices released/moved).",
        "# TYPE netweave_self_healing_total counter",
        *(
            _line("netweave_self_healing_total", count, event=event)
            for event, count in stats["self_healing"].items()
        ),
        "# HELP netweave_webhooks_total Webhook deliveries by outcome.",
        "# TYPE netweave_webhooks_total counter",
        _line("netweave_webhooks_total", stats["webhooks"]["delivered"], outcome="delivered"),
        _line("netweave_webhooks_total", stats["webhooks"]["failed"], outcome="failed"),
    ]
    nodes = stats["nodes"]
    if nodes is not None:
        lines += [
            "# HELP netweave_worker_nodes Worker nodes heart-beating in Redis.",
            "# TYPE netweave_worker_nodes gauge",
            _line("netweave_worker_nodes", len(nodes)),
            "# HELP netweave_node_devices Per node: devices owned, capacity, pinned jobs "
            "queued, open sessions.",
            "# TYPE netweave_node_devices gauge",
        ]
        lines += [
            _line("netweave_node_devices", node[what], node=node["name"], kind=what)
            for node in nodes
            for what in ("owned", "capacity", "queued", "sessions")
        ]
    return "\n".join(lines) + "\n"
