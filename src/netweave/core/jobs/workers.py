"""Stopping worker nodes as NetPulse's ``DELETE /workers`` does, by queue, node or host."""

from __future__ import annotations

from netweave.executor import Executor
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
