"""Stopping worker nodes as NetPulse's ``DELETE /workers`` does, by queue, node or host."""

from __future__ import annotations

from netweave.executor import Executor, WorkerInfo
from netweave.foundation.errors import Conflict

LOCAL = "the local executor's workers live in the server; stop the server instead"


def _node_of(name: str, alive: set[str]) -> str:
    """A node's name from a node or worker name (workers are ``<node>.<n>``)."""
    return name if name in alive else name.rsplit(".", 1)[0]


def stop_workers(
    executor: Executor,
    *,
    queue: str | None = None,
    node: str | None = None,
    host: str | None = None,
) -> list[str]:
    """Ask every live worker node matching all the filters given to drain and exit (no
    filter: every node); the nodes asked, sorted. ``node``: a node or worker name;
    ``queue``: a queue one of its workers listens on; ``host``: a device address whose
    sessions the node holds (pinned jobs)."""
    alive = executor.alive_nodes()
    if alive is None:
        raise Conflict(LOCAL, field="node")
    chosen = set(alive)
    if node is not None:
        chosen &= {_node_of(node, alive)}
    if queue is not None:
        chosen &= {_node_of(w.name, alive) for w in executor.workers() if queue in w.queues}
    if host is not None:
        owners = executor.device_owners() or {}
        chosen &= {n for device, n in owners.items() if device.rsplit(":", 1)[0] == host}
    return sorted(name for name in chosen if executor.stop_node(name))


def find_workers(
    executor: Executor,
    *,
    queue: str | None = None,
    node: str | None = None,
    host: str | None = None,
) -> list[WorkerInfo]:
    """The workers matching every filter given, as NetPulse's ``GET /workers`` filters them.
    ``node``: a node name (a worker node's threads are ``<node>.<n>``; the local
    executor's node is the server's host name) or a worker name; ``queue``: a queue the
    worker listens on; ``host``: a device address — on worker nodes, the workers of the
    node holding its sessions; in the server's own process every worker serves every
    device."""
    found = executor.workers()
    alive = executor.alive_nodes()
    if node is not None:
        found = [
            w
            for w in found
            if node in (w.name, w.hostname if alive is None else _node_of(w.name, alive))
        ]
    if queue is not None:
        found = [w for w in found if queue in w.queues]
    if host is not None:
        owners = executor.device_owners()
        if owners is not None:
            holding = {n for device, n in owners.items() if device.rsplit(":", 1)[0] == host}
            found = [w for w in found if _node_of(w.name, alive or set()) in holding]
    return found
