"""What the core needs from a job executor. Backends share these semantics: the queue
transports job ids only (SQL holds the job), and a job is run by ``run_job(job_id)``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JobRunner = Callable[[str], None]


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


class Executor(ABC):
    name: str

    @abstractmethod
    def start(self, runner: JobRunner) -> None: ...

    @abstractmethod
    def submit(self, job_ids: list[str], queue: str) -> None: ...

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
