"""The Executor port and its backends: ``local`` (threads in the server) and ``rq``
(Redis + ``netweave worker`` nodes, with device placement)."""

from typing import TYPE_CHECKING, Any

from netweave.executor.base import Executor, QueuedJob, WorkerInfo
from netweave.executor.local import LocalExecutor
from netweave.executor.nodes import NodeChanges, NodeInfo
from netweave.executor.placement import PlacementStrategy, strategies

if TYPE_CHECKING:
    from netweave.executor.rq_backend import RqExecutor, RqWorkerPool


def __getattr__(name: str) -> Any:
    """The rq backend (and the redis client) load when first asked for: a process on the
    local executor never imports them."""
    if name in ("RqExecutor", "RqWorkerPool"):
        from netweave.executor import rq_backend

        return getattr(rq_backend, name)
    raise AttributeError(name)


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
