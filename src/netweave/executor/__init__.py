"""The Executor port and its backends (``local`` now; ``rq`` on Redis next)."""

from netweave.executor.base import Executor, WorkerInfo
from netweave.executor.local import LocalExecutor
from netweave.executor.rq_backend import RqExecutor, RqWorkerPool

__all__ = ["Executor", "LocalExecutor", "RqExecutor", "RqWorkerPool", "WorkerInfo"]
