"""The Executor port and its backends: ``local`` (threads in the server) and ``rq``
(Redis + ``netweave worker`` nodes, with device placement)."""

from typing import TYPE_CHECKING, Any

from netweave.executor.base import Executor, QueuedJob, WorkerInfo
from netweave.executor.local import LocalExecutor
from netweave.executor.nodes import NodeChanges, NodeInfo
from netweave.executor.placement import PlacementStrategy, strategies

if TYPE_CHECKING:
    from netweave.executor.redis_queue import RedisQueueExecutor, RedisWorkerNode


def __getattr__(name: str) -> Any:
    """The rq backend (and the redis client) load when first asked for: a process on the
    local executor never imports them."""
    if name in ("RedisQueueExecutor", "RedisWorkerNode"):
        from netweave.executor import redis_queue

        return getattr(redis_queue, name)
    raise AttributeError(name)


__all__ = [
    "Executor",
    "LocalExecutor",
    "NodeChanges",
    "NodeInfo",
    "PlacementStrategy",
    "QueuedJob",
    "RedisQueueExecutor",
    "RedisWorkerNode",
    "WorkerInfo",
    "strategies",
]
