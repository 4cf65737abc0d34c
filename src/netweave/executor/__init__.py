"""The Executor port and its backends: ``local`` (threads in the server) and ``rq``
(Redis + ``netweave worker`` nodes, with device placement)."""

from netweave.executor.base import Executor, QueuedJob, WorkerInfo
from netweave.executor.local import LocalExecutor
from netweave.executor.nodes import NodeChanges, NodeInfo
from netweave.executor.placement import PlacementStrategy, strategies
from netweave.executor.rq_backend import RqExecutor, RqWorkerPool

__all__ = [
    "Executor",
    "LocalExecutor",
    "NodeChanges",
    "NodeInfo",
    "PlacementStrategy",
    "QueuedJob",
    "RqExecutor",
    "RqWorkerPool",
    "WorkerInfo",
    "strategies",
]
