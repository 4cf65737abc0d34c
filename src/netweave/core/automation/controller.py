"""One run's controller: walks the graph (``engine.Walk``), turns moves into queued jobs,
and feeds finished jobs back as step outcomes. State lives in SQL (run, jobs, results): the
queue only transports, so the run survives a worker loss like any job does."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from netweave.db import errors as db_errors
from netweave.db.models import Job, Result, Run
from netweave.engine import Graph, Move, Walk

if TYPE_CHECKING:
    from netweave.core.automation.runs import RunService

log = logging.getLogger(__name__)
T = TypeVar("T")
TERMINAL = ("finished", "failed", "canceled", "stopped")
ALL = "*"


@dataclass
class Group:
    """The jobs of one move: one, or one per device when all devices move together."""

    move: Move
    pending: set[str] = field(default_factory=set)
    outcomes: list[bool] = field(default_factory=list)


class RunController(threading.Thread):
    def __init__(self, owner: RunService, run_id: str) -> None:
        super().__init__(name=f"run-{run_id[:8]}", daemon=True)
        self.owner = owner
        self.run_id = run_id
        self.wake = threading.Event()
        self.stop_requested = threading.Event()
        self.job_ids: set[str] = set()

    # -- called from other threads -------------------------------------------------------
    def jobs_changed(self, job_ids: set[str]) -> None:
        if job_ids & self.job_ids:
            self.wake.set()

    def request_stop(self) -> None:
        self.stop_requested.set()
        self.wake.set()

    # -- the walk -------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._walk()
        except Exception as exc:  # a controller bug ends the run visibly, never silently
            log.exception("run %s", self.run_id)
            self.owner.finish(self.run_id, "error", {}, f"{type(exc).__name__}: {exc}")
        finally:
            self.owner.forget(self.run_id)

    def _walk(self) -> None:
        sessions = self.owner.sessions
        with sessions() as session:
            run = session.get(Run, self.run_id)
            assert run is not None
            definition, targets, mode = run.definition, run.targets, run.mode
            variables, start_at = run.variables, run.start_at
        self.graph = Graph.from_dict(definition["graph"])
        self.steps: dict[str, dict[str, Any]] = definition["steps"]
        self.devices = {str(t["id"]): t for t in targets}
        self.variables = variables
        self.mode = mode
        tokens = list(self.devices) if mode == "per_device" and self.devices else [ALL]
        walk = Walk(self.graph, tokens)
        moves: deque[Move] = deque(walk.begin(start_at))
        groups: dict[str, Group] = {}  # job id → its group
        running: Counter[str] = Counter()  # jobs in flight per step
        last_beat = 0.0
        stopping = False
        unsent: list[dict[str, Any]] = []  # job rows the database did not take yet
        while True:
            if not stopping and (self.stop_requested.is_set() or self._stop_in_db()):
                stopping = True
                for move in moves:
                    walk.stop(move.token)
                moves.clear()
                self.owner.jobs.cancel_run(self.run_id)
            blocked: deque[Move] = deque()
            rows: list[dict[str, Any]] = []
            while moves:
                move = moves.popleft()
                limit = int(self.steps[move.node]["options"].get("max_parallel", 50))
                if running[move.node] >= limit:
                    blocked.append(move)
                    continue
                group = Group(move)
                for row in self._rows(move):
                    rows.append(row)
                    group.pending.add(row["id"])
                    groups[row["id"]] = group
                    self.job_ids.add(row["id"])
                running[move.node] += 1
            moves = blocked
            unsent += rows
            if unsent and self._patiently(self.owner.jobs.submit_rows, unsent)[0]:
                unsent = []
            if not groups and not moves:
                break
            self.wake.wait(0.5)
            self.wake.clear()
            for job_id, success in self._patiently(self._finished, set(groups))[1] or []:
                group = groups.pop(job_id)
                self.job_ids.discard(job_id)
                group.pending.discard(job_id)
                group.outcomes.append(success)
                if group.pending:
                    continue
                move = group.move
                running[move.node] -= 1
                if stopping:
                    walk.complete(move.token, move.node, all(group.outcomes))
                    walk.stop(move.token)
                    continue
                following = walk.complete(move.token, move.node, all(group.outcomes))
                if following is not None:
                    moves.append(following)
            if time.monotonic() - last_beat > 1.0:
                last_beat = time.monotonic()
                self._patiently(self.owner.beat, self.run_id, self._summary(walk, partial=True))
        summary = self._summary(walk, partial=False)
        counts = summary["counts"]
        if counts.get("stopped"):
            status = "stopped"
        elif counts.get("failure"):
            status = "failure"
        else:
            status = "success"
        delay = 0.5
        while not self._patiently(self.owner.finish, self.run_id, status, summary, None)[0]:
            time.sleep(delay)  # the run's end must be stored: wait for the database
            delay = min(delay * 2, 5.0)

    def _patiently(self, action: Callable[..., T], *args: Any) -> tuple[bool, T | None]:
        """``(True, action(*args))``, or ``(False, None)`` while the database is away
        (restarting, disk full): the walk keeps its state in memory and tries again."""
        try:
            return True, action(*args)
        except DBAPIError as exc:
            if not db_errors.transient(exc):
                raise
            log.warning("run %s waits for the database: %s", self.run_id, db_errors.describe(exc))
            return False, None

    def _stop_in_db(self) -> bool:
        with self.owner.sessions() as session:
            try:
                status = session.scalar(select(Run.status).where(Run.id == self.run_id))
            except DBAPIError as exc:
                if not db_errors.transient(exc):
                    raise
                return False
            return status == "stopping"

    def _rows(self, move: Move) -> list[dict[str, Any]]:
        step = self.steps[move.node]
        devices = [self.devices[move.token]] if move.token != ALL else list(self.devices.values())
        per_device = bool(step["per_device"]) or move.token != ALL
        options = step["options"]
        now = datetime.now(UTC)
        batches = [[d] for d in devices] if per_device else [devices]
        if per_device and not devices:
            batches = []
        if not batches:
            batches = [[]]
        rows = []
        for batch in batches:
            device: dict[str, Any] | None = batch[0] if per_device and batch else None
            pinned = device is not None and step.get("driver")
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "status": "queued",
                    "queue": f"pinned:{device['host']}:{device['port']}"
                    if device and pinned
                    else "fifo",
                    "driver": step.get("driver") or "service",
                    "operation": "service",
                    "device_host": device["host"] if device else "",
                    "device_port": device["port"] if device else 0,
                    "device_user": "",
                    "device_id": device["id"] if device else None,
                    "credential_id": step.get("credential_id")
                    or (device.get("credential_id") if device else None),
                    "run_id": self.run_id,
                    "request": {
                        "run_id": self.run_id,
                        "step": move.node,
                        "service": step["service"],
                        "type": step["type"],
                        "inputs": step["inputs"],
                        "options": options,
                        "per_device": device is not None,
                        "devices": [d["id"] for d in batch],
                        "variables": self.variables,
                    },
                    "secret_enc": None,
                    "webhook": None,
                    "owner_id": None,
                    "ttl": 86_400,
                    "retries": 0,
                    "execution_timeout": int(options.get("timeout", 300)),
                    "result_ttl": 86_400,
                    "created_at": now,
                    "enqueued_at": now,
                }
            )
        return rows

    def _finished(self, job_ids: set[str]) -> list[tuple[str, bool]]:
        """Terminal jobs among ``job_ids`` with the step's success; a job that ended with no
        result (canceled, lost worker, expired) gets a failed result written here."""
        if not job_ids:
            return []
        done: list[tuple[str, bool]] = []
        with self.owner.sessions() as session, session.begin():
            rows = session.execute(
                select(Job.id, Job.status, Job.result, Job.error, Job.request, Job.device_id).where(
                    Job.id.in_(job_ids), Job.status.in_(TERMINAL)
                )
            ).all()
            for job_id, _status, result, error, request, device_id in rows:
                retval = (result or {}).get("retval")
                if isinstance(retval, dict) and retval.get("step_result"):
                    done.append((job_id, bool(retval.get("success"))))
                    continue
                message = (error or {}).get("message") or "the step did not run"
                device = self.devices.get(str(device_id)) if device_id else None
                session.add(
                    Result(
                        run_id=self.run_id,
                        step=request.get("step", ""),
                        service=request.get("service", ""),
                        device_id=device_id,
                        device_name=device["name"] if device else "",
                        success=False,
                        result={"error": message, "job_status": _status},
                        logs=message,
                        attempts=0,
                        job_id=job_id,
                    )
                )
                done.append((job_id, False))
        return done

    def _summary(self, walk: Walk, *, partial: bool) -> dict[str, Any]:
        devices: dict[str, Any] = {}
        counts: Counter[str] = Counter()
        steps: dict[str, Counter[str]] = {}
        for token, track in walk.tracks.items():
            name = self.devices[token]["name"] if token != ALL else "all targets"
            outcome = track.outcome or "running"
            counts[outcome] += 1
            devices[name] = {
                "outcome": outcome,
                "at": track.at,
                "path": [{"step": node, "success": ok} for node, ok in track.path],
            }
            for node, ok in track.path:
                steps.setdefault(node, Counter())["success" if ok else "failure"] += 1
        return {
            "counts": dict(counts),
            "devices": devices,
            "steps": {node: dict(c) for node, c in steps.items()},
            "partial": partial,
        }


def mark(sessions: Any, run_id: str, **values: Any) -> None:
    with sessions() as session, session.begin():
        session.execute(update(Run).where(Run.id == run_id).values(**values))
