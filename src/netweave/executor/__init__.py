"""The Executor port and its backends (``local`` now; ``rq`` on Redis next)."""

from netweave.executor.base import Executor, WorkerInfo
from netweave.executor.local import LocalExecutor

__all__ = ["Executor", "LocalExecutor", "WorkerInfo"]
