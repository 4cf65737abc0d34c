"""Worker nodes and device ownership, kept in Redis.

- ``netweave:nodes:{queue}:{node}``  a node's heartbeat (JSON: capacity, threads, pid,
  host); it expires ``heartbeat_ttl`` seconds after the node stops beating.
- ``netweave:nodeset:{queue}``       the nodes the controller knows (to see joins and deaths)
- ``netweave:owners:{queue}``        device (``host:port``) -> owning node
- ``netweave:load:{queue}``          node -> number of devices it owns

A device is claimed atomically (a Lua script): the first claim wins, and a claim only
replaces an owner whose heartbeat is gone. Placement of unowned devices is a strategy
plugin (see ``placement.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netweave.executor.placement import NodeLoad, PlacementStrategy

if TYPE_CHECKING:  # the redis client loads with the rq backend only
    from redis import Redis

# KEYS: owners, load. ARGV: device, candidate, heartbeat key prefix.
_CLAIM = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  if redis.call('EXISTS', ARGV[3] .. current) == 1 then return current end
  redis.call('HINCRBY', KEYS[2], current, -1)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
return ARGV[2]
"""
# KEYS: owners, load. ARGV: device, expected owner, new owner ('' = release).
_MOVE = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
end
return 1
"""
# KEYS: owners. ARGV: the node key prefix, then devices. Each device's owner if that node
# is alive (its heartbeat key exists), else false (nil in the reply).
_OWNED = """
local found = {}
for i = 2, #ARGV do
  local owner = redis.call('HGET', KEYS[1], ARGV[i])
  if owner and redis.call('EXISTS', ARGV[1] .. owner) == 1 then
    found[i - 1] = owner
  else
    found[i - 1] = false
  end
end
return found
"""


@dataclass
class NodeInfo:
    name: str
    capacity: int
    threads: int
    pid: int
    host: str
    owned: int = 0
    queued: int = 0
    sessions: int = 0  # open device sessions, as of the last heartbeat


@dataclass
class NodeChanges:
    joined: list[str]
    dead: list[str]
    released: int  # devices the dead nodes owned, now free for the survivors


class NodeDirectory:
    def __init__(self, redis: Redis, queue_name: str) -> None:
        self.redis = redis
        self.queue_name = queue_name
        self.prefix = f"netweave:nodes:{queue_name}:"
        self.nodeset = f"netweave:nodeset:{queue_name}"
        self.owners_key = f"netweave:owners:{queue_name}"
        self.load_key = f"netweave:load:{queue_name}"
        self._claim = redis.register_script(_CLAIM)
        self._move = redis.register_script(_MOVE)
        self._owned = redis.register_script(_OWNED)

    # -- heartbeats ---------------------------------------------------------------------
    def beat(self, info: NodeInfo, ttl: float) -> None:
        value = {
            "capacity": info.capacity,
            "threads": info.threads,
            "pid": info.pid,
            "host": info.host,
            "sessions": info.sessions,
        }
        self.redis.set(self.prefix + info.name, json.dumps(value), px=int(ttl * 1000))

    def leave(self, node: str) -> None:
        self.redis.delete(self.prefix + node)

    def alive(self) -> dict[str, NodeInfo]:
        keys = [text(k) for k in self.redis.scan_iter(self.prefix + "*", count=1000)]
        keys = [k for k in keys if not k.endswith(":stop")]
        if not keys:
            return {}
        loads = self.loads()
        found = {}
        for key, raw in zip(keys, self.redis.mget(keys), strict=True):
            if raw is None:
                continue
            name = key[len(self.prefix) :]
            found[name] = _parse(name, raw, loads.get(name, 0))
        return found

    def loads(self) -> dict[str, int]:
        return {text(k): int(v) for k, v in self.redis.hgetall(self.load_key).items()}

    def owners(self) -> dict[str, str]:
        return {text(k): text(v) for k, v in self.redis.hgetall(self.owners_key).items()}

    # -- placement ----------------------------------------------------------------------
    def place(self, devices: Iterable[str], strategy: PlacementStrategy) -> dict[str, str]:
        """Owner of each device: its live owner, or a node chosen by ``strategy`` and
        claimed atomically. Empty when no node is alive.

        Devices that have a live owner (every job after a device's first) cost one round
        trip; the node list (a SCAN over Redis's keys) is read only for the others."""
        wanted = list(dict.fromkeys(devices))
        if not wanted:
            return {}
        owned = self._owned(keys=[self.owners_key], args=[self.prefix, *wanted])
        placed = {device: text(owner) for device, owner in zip(wanted, owned, strict=True) if owner}
        wanted = [device for device in wanted if device not in placed]
        if not wanted:
            return placed
        nodes = self.alive()
        if not nodes:
            return placed
        loads = {name: NodeLoad(n.capacity, n.owned) for name, n in nodes.items()}
        candidates: dict[str, str] = {}
        for device in wanted:
            room = {n: load for n, load in loads.items() if load.owned < load.capacity}
            chosen = strategy.choose(device, room or loads)  # over capacity only when all full
            loads[chosen].owned += 1
            candidates[device] = chosen
        with self.redis.pipeline(transaction=False) as pipe:
            for device, node in candidates.items():  # an owner alive by now is kept (_CLAIM)
                self._claim(
                    keys=[self.owners_key, self.load_key],
                    args=[device, node, self.prefix],
                    client=pipe,
                )
            results = pipe.execute()
        for device, owner in zip(candidates, results, strict=True):
            placed[device] = text(owner)
        return placed

    def move(self, moves: Mapping[str, tuple[str, str]]) -> int:
        """Compare-and-set ``device: (old, new)`` (``new`` '' releases); returns how many
        moved (a device claimed meanwhile by someone else is left alone)."""
        if not moves:
            return 0
        with self.redis.pipeline(transaction=False) as pipe:
            for device, (old, new) in moves.items():
                self._move(
                    keys=[self.owners_key, self.load_key], args=[device, old, new], client=pipe
                )
            return sum(int(r) for r in pipe.execute())

    # -- membership (the controller's view) --------------------------------------------
    def changes(self) -> NodeChanges:
        """Nodes that joined or died since the last call; a dead node's devices are
        released so the survivors claim them."""
        alive = set(self.alive())
        known = {text(m) for m in self.redis.smembers(self.nodeset)}
        joined, dead = sorted(alive - known), sorted(known - alive)
        if joined:
            self.redis.sadd(self.nodeset, *joined)
        released = 0
        for node in dead:
            owned = {d: (node, "") for d, owner in self.owners().items() if owner == node}
            released += self.move(owned)
            self.redis.hdel(self.load_key, node)
            self.redis.srem(self.nodeset, node)
        return NodeChanges(joined, dead, released)


def text(value: bytes | str) -> str:
    """redis-py answers bytes (or str with decode_responses)."""
    return value.decode() if isinstance(value, bytes) else value


def _parse(name: str, raw: bytes | str, owned: int) -> NodeInfo:
    try:
        data: dict[str, Any] = json.loads(raw)
    except ValueError:
        data = {}
    threads = int(data.get("threads", 1))
    return NodeInfo(
        name=name,
        capacity=int(data.get("capacity", threads)),
        threads=threads,
        pid=int(data.get("pid", 0)),
        host=str(data.get("host", "")),
        owned=owned,
        sessions=int(data.get("sessions", 0)),
    )
