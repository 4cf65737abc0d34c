"""What the core needs from a job executor. Backends share these semantics: the queue
transports job ids only (SQL holds the job), and a job is run by the ``JobRunner``:
``runner(job_id)``."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from netweave.executor.nodes import NodeChanges, NodeInfo

JobRunner = Callable[[str], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueuedJob:
    """What travels to a worker: the job id, and for a pinned job the device (``host:port``)
    whose owning node must run it (it holds the device's session)."""

    id: str
    device: str | None = None

    @classmethod
    def from_queue(cls, job_id: str, queue: str) -> QueuedJob:
        """From a job row's ``queue`` column: ``pinned:<host>:<port>`` or ``fifo``."""
        return cls(job_id, queue.removeprefix("pinned:") if queue.startswith("pinned:") else None)


@dataclass
class WorkerInfo:
    name: str
    hostname: str
    pid: int
    queues: list[str]
    state: str  # idle | busy
    current_job: str | None
    birth: datetime
    last_heartbeat: datetime
    successful_jobs: int = 0
    failed_jobs: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class WorkerThread:
    """One worker thread's state: the job it runs and its counts (what ``/workers`` lists)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.current: str | None = None
        self.ok = 0
        self.failed = 0
        self.birth = datetime.now(UTC)
        self.heartbeat = self.birth

    def run(self, runner: JobRunner, job_id: str) -> None:
        """Run one job; an exception escaping the runner (which records a job's own
        failures) is logged and counted, never the end of the thread."""
        self.current = job_id
        self.heartbeat = datetime.now(UTC)
        try:
            runner(job_id)
            self.ok += 1
        except Exception:
            log.exception("job %s crashed its runner", job_id)
            self.failed += 1
        finally:
            self.current = None
            self.heartbeat = datetime.now(UTC)

    def info(self, hostname: str, pid: int, queues: list[str]) -> WorkerInfo:
        return WorkerInfo(
            name=self.name,
            hostname=hostname,
            pid=pid,
            queues=queues,
            state="busy" if self.current else "idle",
            current_job=self.current,
            birth=self.birth,
            last_heartbeat=self.heartbeat,
            successful_jobs=self.ok,
            failed_jobs=self.failed,
        )


class Executor(ABC):
    name: str

    @abstractmethod
    def start(self, runner: JobRunner) -> None: ...

    @abstractmethod
    def submit(self, jobs: Sequence[QueuedJob]) -> None: ...

    @abstractmethod
    def queue_depth(self) -> int: ...

    @abstractmethod
    def workers(self) -> list[WorkerInfo]: ...

    @abstractmethod
    def stop(self, timeout: float = 10.0) -> None: ...

    def queue_was_lost(self) -> bool:
        """True once after the queue backend lost its data (e.g. Redis restarted empty)."""
        return False

    def stop_node(self, name: str) -> bool:
        """Ask a worker node to drain and exit; False when there is no such live node."""
        return False

    def alive_nodes(self) -> set[str] | None:
        """Worker nodes currently heart-beating; None when jobs run in this process."""
        return None

    def device_owners(self) -> dict[str, str] | None:
        """Device (``host:port``) → the node holding its sessions; None when jobs run in
        this process."""
        return None

    def nodes(self) -> list[NodeInfo] | None:
        """Live worker nodes with capacity and load; None when jobs run in this process."""
        return None

    def maintain(self) -> NodeChanges | None:
        """Controller housekeeping: notice joined and dead nodes (a dead node's devices are
        released). None when nothing is to do, or another controller holds the duty."""
        return None

    def queued_ids(self) -> set[str] | None:
        """Ids of the jobs waiting in the queue backend; None when unknown."""
        return None

    def rebalance(self, busy: set[str]) -> int:
        """Move device ownership to even out nodes (``busy`` devices stay); how many moved."""
        return 0

    def announce(self, job_ids: set[str]) -> None:
        """Tell other processes these jobs changed (their results were committed)."""
        return None

    def subscribe(self, callback: Callable[[set[str]], None]) -> None:
        """Call ``callback`` with job ids other processes announce."""
        return None
