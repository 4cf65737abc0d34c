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
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from netweave.core.automation.run_admission import admit
from netweave.core.automation.step_controls import Decision, StepControls
from netweave.db import errors as db_errors
from netweave.db.models import Job, Result, Run
from netweave.engine import Graph, Move, Walk

if TYPE_CHECKING:
    from netweave.core.automation.runs import RunService

log = logging.getLogger(__name__)
T = TypeVar("T")
TERMINAL = ("finished", "failed", "canceled", "stopped")
ALL = "*"
BEAT_EVERY = 1.0  # seconds between lease renewals (with the live summary)
ACK_GRACE = timedelta(seconds=10)  # how long a stopped step's worker has to store its result


@dataclass
class Group:
    """The jobs of one move: one, or one per device when all devices move together."""

    move: Move
    pending: set[str] = field(default_factory=set)
    joined: list[Move] = field(default_factory=list)  # more devices' moves of a gathered step
    outcomes: list[bool] = field(default_factory=list)
    states: set[str] = field(default_factory=set)  # done | stopped | canceled


class LeaseLost(Exception):
    """Another process took the run over (this one stalled past the lease)."""


class RunController(threading.Thread):
    """Drives one run while its process holds the run's lease (the run row's ``process``
    and ``heartbeat_at``, renewed every second; see ``takeover``). ``resume``: the run was
    taken over from a process that died; the steps it had queued or finished are adopted
    from SQL, not queued again."""

    def __init__(self, owner: RunService, run_id: str, *, resume: bool = False) -> None:
        super().__init__(name=f"run-{run_id[:8]}", daemon=True)
        self.owner = owner
        self.run_id = run_id
        self.resume = resume
        self.wake = threading.Event()
        self.stop_requested = threading.Event()
        self.released = threading.Event()  # the process leaves: hand the run over
        self.job_ids: set[str] = set()
        self.stopped_at: dict[str, str] = {}  # token → the step a stop interrupted

    # -- called from other threads -------------------------------------------------------
    def jobs_changed(self, job_ids: set[str]) -> None:
        if job_ids & self.job_ids:
            self.wake.set()

    def request_stop(self) -> None:
        self.stop_requested.set()
        self.wake.set()

    def release(self) -> None:
        """Stop driving without ending the run: another process (or this one restarted)
        takes it over."""
        self.released.set()
        self.wake.set()

    # -- the walk -------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._walk()
        except LeaseLost:
            log.warning("run %s: another process took it over; this one lets go", self.run_id)
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
            creator, automation_id = run.creator, run.automation_id
        max_runs = int(definition.get("max_runs") or 0)
        self.graph = Graph.from_dict(definition["graph"])
        self.steps: dict[str, dict[str, Any]] = definition["steps"]
        self.devices = {str(t["id"]): t for t in targets}
        self.devices_named = dict(self.devices)  # and iteration devices, for naming results
        self.variables = variables
        self.mode = mode
        tokens = list(self.devices) if mode == "per_device" and self.devices else [ALL]
        self.per_token = tokens != [ALL]
        self.controls = StepControls(
            sessions, self.run_id, self.devices, variables, acting_user=creator
        )
        if max_runs and not self._admitted(automation_id, max_runs):
            return
        walk = Walk(self.graph, tokens)
        moves: deque[Move] = deque(walk.begin(start_at))
        not_before: dict[Move, float] = {}  # waiting times: a move is not sent before
        # a once-for-all step in a per-device walk: the moves arrived so far (and the
        # iteration devices each chose, if any)
        gathering: dict[str, list[tuple[Move, list[dict[str, Any]] | None]]] = {}
        waited: set[Move] = set()  # moves whose wait_before has been counted
        adoptable = self._earlier_jobs() if self.resume else {}
        groups: dict[str, Group] = {}  # job id → its group
        running: Counter[str] = Counter()  # jobs in flight per step
        last_beat = 0.0
        stopping = False
        unsent: list[dict[str, Any]] = []  # job rows the database did not take yet
        while True:
            if self.released.is_set():
                self._patiently(self.owner.release, self.run_id)
                return
            if not stopping and (self.stop_requested.is_set() or self._stop_in_db()):
                stopping = True
                kept = deque(m for m in moves if (m.node, m.token) in adoptable)
                for move in moves:  # steps already sent (a takeover) are followed to the end
                    if move not in kept:
                        walk.stop(move.token)
                moves = kept
                for gathered in gathering.values():
                    for move, _ in gathered:
                        walk.stop(move.token)
                gathering.clear()
                self._patiently(self.owner.jobs.cancel_run, self.run_id)
            blocked: deque[Move] = deque()
            rows: list[dict[str, Any]] = []
            adopted = False
            now = time.monotonic()
            moves = deque(sorted(moves, key=lambda m: -self.graph.nodes[m.node].priority))
            while moves:
                move = moves.popleft()
                node = self.graph.nodes[move.node]
                earlier = adoptable.pop((move.node, move.token), None)
                if earlier:  # queued or done before the takeover: followed, not sent again
                    adopted = True
                    shared = next((groups[j] for j in earlier if j in groups), None)
                    if shared is not None:  # a gathered step's job: one group for them all
                        shared.joined.append(move)
                        continue
                    group = Group(move, pending=set(earlier))
                else:
                    if node.wait_before and move not in waited:
                        waited.add(move)
                        due = now + node.wait_before
                        not_before[move] = max(not_before.get(move, 0), due)
                    if not_before.get(move, 0) > now:
                        blocked.append(move)
                        continue
                    limit = int(self.steps[move.node]["options"].get("max_parallel", 50))
                    if running[move.node] >= limit:
                        blocked.append(move)
                        continue
                    not_before.pop(move, None)
                    decision = self.controls.decide(node, move.token) if node.controlled else None
                    if decision is not None and decision.skipped is not None:
                        self._patiently(
                            self.controls.record, node, self.steps[move.node], move.token, decision
                        )
                        following = walk.complete(move.token, move.node, decision.success)
                        self._hold(following, node.wait_after, not_before)
                        moves.extend(following)
                        continue
                    chosen = decision.targets if decision is not None else None
                    if self.per_token and not self.steps[move.node]["per_device"]:
                        gathering.setdefault(move.node, []).append((move, chosen))
                        continue  # runs once for all the devices that come to it
                    group = Group(move)
                    for row in self._rows(move, chosen):
                        rows.append(row)
                        group.pending.add(row["id"])
                    if not group.pending:  # no iteration devices: nothing to run
                        empty = Decision(skipped="iteration devices: none", success=True)
                        self._patiently(
                            self.controls.record, node, self.steps[move.node], move.token, empty
                        )
                        following = walk.complete(move.token, move.node, True)
                        self._hold(following, node.wait_after, not_before)
                        moves.extend(following)
                        continue
                for job_id in group.pending:
                    groups[job_id] = group
                    self.job_ids.add(job_id)
                running[move.node] += 1
            for node_id, gathered in list(gathering.items()):
                tokens = [m.token for m, _ in gathered]
                if any(walk.may_reach(t, node_id) for t in walk.tracks if t not in tokens):
                    continue  # more devices may still arrive
                del gathering[node_id]
                group = Group(gathered[0][0], joined=[m for m, _ in gathered[1:]])
                union = self._gathered_targets(gathered)
                for row in self._rows(gathered[0][0], union, gathered=tokens):
                    rows.append(row)
                    group.pending.add(row["id"])
                if not group.pending:  # no iteration devices for any of them
                    empty = Decision(skipped="iteration devices: none", success=True)
                    node = self.graph.nodes[node_id]
                    for move, _ in gathered:
                        self._patiently(
                            self.controls.record, node, self.steps[node_id], move.token, empty
                        )
                        following = walk.complete(move.token, node_id, True)
                        self._hold(following, node.wait_after, not_before)
                        moves.extend(following)
                    continue
                for job_id in group.pending:
                    groups[job_id] = group
                    self.job_ids.add(job_id)
                running[node_id] += 1
            moves = blocked
            unsent += rows
            if unsent and self._patiently(self.owner.jobs.submit_rows, unsent)[0]:
                unsent = []
            if not groups and not moves and not gathering:
                break
            if not adopted:
                soonest = min(not_before.values(), default=now + 0.5) - time.monotonic()
                self.wake.wait(min(0.5, max(soonest, 0.01)))
            self.wake.clear()
            for job_id, success, state in self._patiently(self._finished, set(groups))[1] or []:
                group = groups.pop(job_id)
                self.job_ids.discard(job_id)
                group.pending.discard(job_id)
                group.outcomes.append(success)
                group.states.add(state)
                if group.pending:
                    continue
                running[group.move.node] -= 1
                for move in (group.move, *group.joined):
                    if walk.outcome(move.token) is not None:
                        continue  # another branch of this device was stopped
                    if stopping and group.states & {"stopped", "canceled", "lost"}:
                        self.stopped_at[move.token] = move.node  # interrupted here
                        walk.stop(move.token)
                        continue
                    following = walk.complete(move.token, move.node, all(group.outcomes))
                    if stopping:
                        walk.stop(move.token)
                        continue
                    self._hold(following, self.graph.nodes[move.node].wait_after, not_before)
                    moves.extend(following)
            if time.monotonic() - last_beat > BEAT_EVERY:
                last_beat = time.monotonic()
                summary = self._summary(walk, partial=True)
                held = self._patiently(self.owner.beat, self.run_id, summary)
                if held[0] and not held[1]:
                    raise LeaseLost(self.run_id)
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

    @staticmethod
    def _hold(following: list[Move], seconds: float, not_before: dict[Move, float]) -> None:
        """A step's waiting time after it: its next steps are not sent before."""
        if seconds:
            due = time.monotonic() + seconds
            for move in following:
                not_before[move] = max(not_before.get(move, 0), due)

    def _gathered_targets(
        self, gathered: list[tuple[Move, list[dict[str, Any]] | None]]
    ) -> list[dict[str, Any]] | None:
        """The devices a gathered step runs on: each arrived device's iteration devices, or
        the device itself (None: no iteration devices, the arrived devices)."""
        if all(chosen is None for _, chosen in gathered):
            return None
        union: dict[int, dict[str, Any]] = {}
        for move, chosen in gathered:
            for device in chosen if chosen is not None else [self.devices[move.token]]:
                union.setdefault(int(device["id"]), device)
        return list(union.values())

    def _admitted(self, automation_id: int | None, limit: int) -> bool:
        """Wait queued until fewer than ``limit`` runs of the same automation are going
        (oldest queued first). False: the run was stopped (ended here) or handed over."""
        while True:
            if self.released.is_set():
                self._patiently(self.owner.release, self.run_id)
                return False
            if self.stop_requested.is_set() or self._stop_in_db():
                self._patiently(self.owner.finish, self.run_id, "stopped", {}, "stopped queued")
                return False
            ok, started = self._patiently(
                admit, self.owner.sessions, self.run_id, automation_id, limit
            )
            if ok and started:
                return True
            if time.monotonic() - getattr(self, "_queued_beat", 0.0) > BEAT_EVERY:
                self._queued_beat = time.monotonic()
                held = self._patiently(self.owner.beat, self.run_id, {"queued": True})
                if held[0] and not held[1]:
                    raise LeaseLost(self.run_id)
            self.wake.wait(0.5)
            self.wake.clear()

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
        """Whether another process asked for a stop. Patient as a whole: a connection cut
        by a restarting database fails the query or, as often, the rollback on close."""
        return self._patiently(self._status)[1] == "stopping"

    def _status(self) -> str | None:
        with self.owner.sessions() as session:
            return session.scalar(select(Run.status).where(Run.id == self.run_id))

    def _token(self, request: dict[str, Any]) -> str:
        if "token" in request:
            return str(request["token"])
        devices = request.get("devices") or []
        return str(devices[0]) if self.per_token and devices else ALL

    def _earlier_jobs(self) -> dict[tuple[str, str], list[str]]:
        """The run's jobs by (step, token): what a resumed walk adopts instead of queuing
        the step again (a graph has no cycles: one move per step and token)."""
        found: dict[tuple[str, str], list[str]] = {}
        with self.owner.sessions() as session:
            rows = session.execute(
                select(Job.id, Job.request).where(Job.run_id == self.run_id)
            ).all()
        for job_id, request in rows:
            for token in request.get("tokens") or [self._token(request)]:
                key = (str(request.get("step", "")), str(token))
                found.setdefault(key, []).append(job_id)
        return found

    def _rows(
        self,
        move: Move,
        targets: list[dict[str, Any]] | None = None,
        gathered: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """The step's jobs for a move: on the token's devices, or on ``targets`` (iteration
        devices), one job per device or one for all; ``gathered``: the devices that came to
        a once-for-all step in a per-device walk (one job for them all)."""
        step = self.steps[move.node]
        devices = [self.devices[move.token]] if move.token != ALL else list(self.devices.values())
        if gathered is not None:
            devices = [self.devices[token] for token in gathered]
        if targets is not None:
            if not targets:
                return []
            devices = targets
            self.devices_named.update({str(d["id"]): d for d in targets})
        per_device = (bool(step["per_device"]) or move.token != ALL) and gathered is None
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
                        "token": move.token,
                        "tokens": gathered or [move.token],
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

    def _finished(self, job_ids: set[str]) -> list[tuple[str, bool, str]]:
        """Terminal jobs among ``job_ids``: (job, the step's success, its state: ``done``,
        ``stopped`` — canceled while it ran — or ``canceled`` — never started). A job that
        ended with no step result (canceled, lost worker, expired) gets a failed result
        written here; a step canceled while it ran is given ``ACK_GRACE`` for its worker to
        store its own (its attempts, its log) first."""
        if not job_ids:
            return []
        now = datetime.now(UTC)
        done: list[tuple[str, bool, str]] = []
        missing: list[tuple[str, str, dict[str, Any], dict[str, Any], int | None]] = []
        with self.owner.sessions() as session:
            rows = session.execute(
                select(
                    Job.id,
                    Job.status,
                    Job.result,
                    Job.error,
                    Job.request,
                    Job.device_id,
                    Job.started_at,
                    Job.ended_at,
                    Job.worker,
                ).where(Job.id.in_(job_ids), Job.status.in_(TERMINAL))
            ).all()
        for job_id, status, result, error, request, device_id, started, ended, worker in rows:
            retval = (result or {}).get("retval")
            ran = started is not None
            if isinstance(retval, dict) and retval.get("step_result"):
                state = "stopped" if status == "canceled" else "done"
                done.append((job_id, bool(retval.get("success")), state))
                continue
            if status == "canceled" and ran and worker is not None:
                if _aware(ended or now) + ACK_GRACE > now:
                    continue  # its worker is storing what it did
                if not self._take_from_worker(job_id, worker):
                    continue  # acknowledged just now: read again next round
            state = ("stopped" if ran else "canceled") if status == "canceled" else "done"
            if (error or {}).get("type") == "worker_lost":
                state = "lost"  # it ran in a process that died
            message = (error or {}).get("message") or "the step did not run"
            missing.append(
                (job_id, state, {"error": message, "job_status": status}, request, device_id)
            )
            done.append((job_id, False, state))
        if missing:
            self._record(missing)
        return done

    def _take_from_worker(self, job_id: str, worker: str) -> bool:
        """After the grace, the controller writes the stopped step's result itself: the
        job is taken from its worker first, so a late acknowledgment stores nothing."""
        with self.owner.sessions() as session, session.begin():
            taken = session.execute(
                update(Job).where(Job.id == job_id, Job.worker == worker).values(worker=None)
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                return False
            result = session.scalar(select(Job.result).where(Job.id == job_id)) or {}
        retval = result.get("retval")
        return not (isinstance(retval, dict) and retval.get("step_result"))

    def _record(
        self, missing: list[tuple[str, str, dict[str, Any], dict[str, Any], int | None]]
    ) -> None:
        with self.owner.sessions() as session, session.begin():
            stored = set(
                session.scalars(
                    select(Result.job_id).where(Result.job_id.in_([m[0] for m in missing]))
                )
            )
            for job_id, state, body, request, device_id in missing:
                if job_id in stored:
                    continue  # written before a takeover
                device = self.devices_named.get(str(device_id)) if device_id else None
                message = str(body["error"])
                if state == "canceled":
                    message = f"not started: {message}"
                session.add(
                    Result(
                        run_id=self.run_id,
                        step=request.get("step", ""),
                        service=request.get("service", ""),
                        device_id=device_id,
                        device_name=device["name"] if device else "",
                        success=False,
                        result={**body, "state": state},
                        logs=message,
                        attempts=0 if state == "canceled" else 1,
                        job_id=job_id,
                    )
                )

    def _summary(self, walk: Walk, *, partial: bool) -> dict[str, Any]:
        devices: dict[str, Any] = {}
        counts: Counter[str] = Counter()
        steps: dict[str, Counter[str]] = {}
        for token, track in walk.tracks.items():
            name = self.devices[token]["name"] if token != ALL else "all targets"
            outcome = track.outcome or "running"
            counts[outcome] += 1
            stopped_at = self.stopped_at.get(token)
            devices[name] = {
                "outcome": outcome,
                "at": track.at or stopped_at,
                "path": [{"step": node, "success": ok} for node, ok in track.path],
            }
            for node, ok in track.path:
                steps.setdefault(node, Counter())["success" if ok else "failure"] += 1
            if stopped_at is not None:
                steps.setdefault(stopped_at, Counter())["stopped"] += 1
        return {
            "counts": dict(counts),
            "devices": devices,
            "steps": {node: dict(c) for node, c in steps.items()},
            "partial": partial,
        }


def mark(sessions: Any, run_id: str, *, holder: str | None = None, **values: Any) -> bool:
    """Update the run's row (only while ``holder`` holds its lease, when given); whether
    it applied."""
    with sessions() as session, session.begin():
        query = update(Run).where(Run.id == run_id)
        if holder is not None:
            query = query.where(Run.process == holder)
        changed = session.execute(query.values(**values))
        return bool(changed.rowcount)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
