"""Placement strategies: which worker node owns a device whose jobs are pinned (they reuse
that node's SSH session). Strategies are plugins (entry point group
``netweave.placement``); they are pure: given the live nodes and their loads, choose one.

- ``least_load``: the node with the lowest owned/capacity ratio (NetPulse offers it).
- ``load_weighted_random``: random, weighted by free capacity (NetPulse offers it).
- ``bounded_hash``: consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam
  2018). As balanced as ``least_load``, but a device lands on the same node again after the
  owner map is lost (Redis restart) or a node comes back, and a joining node takes only its
  fair share: sessions stay warm. The default.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from netweave.foundation.plugins import PluginRegistry


@dataclass
class NodeLoad:
    """A live node as placement sees it: how many devices it may own and owns now."""

    capacity: int
    owned: int = 0

    @property
    def ratio(self) -> float:
        return self.owned / max(self.capacity, 1)


class PlacementStrategy(ABC):
    name: ClassVar[str]

    @abstractmethod
    def choose(self, device: str, nodes: Mapping[str, NodeLoad]) -> str:
        """The node for a device that has no live owner (``nodes`` is never empty)."""

    def rebalance(
        self, owners: Mapping[str, str], nodes: Mapping[str, NodeLoad], busy: set[str]
    ) -> dict[str, str]:
        """Moves (device -> new node) that bring every node to its fair share, after a node
        joined. Devices in ``busy`` (jobs queued or running) stay where they are. The default
        moves the excess of the most loaded nodes, choosing targets with ``choose``."""
        loads = {name: NodeLoad(n.capacity, 0) for name, n in nodes.items()}
        for node in owners.values():
            if node in loads:
                loads[node].owned += 1
        total_capacity = sum(n.capacity for n in loads.values()) or 1
        fair = {
            name: math.ceil(len(owners) * n.capacity / total_capacity) for name, n in loads.items()
        }
        moves: dict[str, str] = {}
        for device in sorted(owners):
            node = owners[device]
            if device in busy or node not in loads or loads[node].owned <= fair[node]:
                continue
            room = {name: n for name, n in loads.items() if n.owned < fair[name]}
            if not room:
                break
            target = self.choose(device, room)
            loads[node].owned -= 1
            loads[target].owned += 1
            moves[device] = target
        return moves


class LeastLoad(PlacementStrategy):
    name = "least_load"

    def choose(self, device: str, nodes: Mapping[str, NodeLoad]) -> str:
        return min(nodes, key=lambda name: (nodes[name].ratio, nodes[name].owned, name))


class LoadWeightedRandom(PlacementStrategy):
    name = "load_weighted_random"

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)

    def choose(self, device: str, nodes: Mapping[str, NodeLoad]) -> str:
        names = sorted(nodes)
        weights = [max(nodes[n].capacity - nodes[n].owned, 0) for n in names]
        if not any(weights):  # all full: fall back to even odds
            weights = [1] * len(names)
        return self._random.choices(names, weights)[0]


def _point(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class BoundedHash(PlacementStrategy):
    """A hash ring (virtual nodes in proportion to capacity); a device goes to the first
    node clockwise from its hash whose load is under ``(1 + epsilon)`` times its fair
    share, so no node is ever more than ~25 % above average."""

    name = "bounded_hash"
    epsilon = 0.25
    replicas_per_slot = 4  # virtual nodes per 16 units of capacity, at least 40 per node

    def __init__(self) -> None:
        self._ring_for: tuple[tuple[str, int], ...] = ()
        self._points: list[int] = []
        self._owners: list[str] = []

    def _ring(self, nodes: Mapping[str, NodeLoad]) -> tuple[list[int], list[str]]:
        key = tuple(sorted((name, n.capacity) for name, n in nodes.items()))
        if key != self._ring_for:
            ring = sorted(
                (_point(f"{name}#{replica}"), name)
                for name, capacity in key
                for replica in range(max(40, self.replicas_per_slot * capacity // 16))
            )
            self._points = [point for point, _ in ring]
            self._owners = [name for _, name in ring]
            self._ring_for = key
        return self._points, self._owners

    def _bound(self, name: str, nodes: Mapping[str, NodeLoad]) -> float:
        total = sum(n.owned for n in nodes.values()) + 1
        capacity = sum(n.capacity for n in nodes.values()) or 1
        return math.ceil((1 + self.epsilon) * total * nodes[name].capacity / capacity)

    def choose(self, device: str, nodes: Mapping[str, NodeLoad]) -> str:
        points, owners = self._ring(nodes)
        start = bisect.bisect(points, _point(device))
        for step in range(len(points)):
            name = owners[(start + step) % len(points)]
            if nodes[name].owned < self._bound(name, nodes):
                return name
        return owners[start % len(points)]

    def rebalance(
        self, owners: Mapping[str, str], nodes: Mapping[str, NodeLoad], busy: set[str]
    ) -> dict[str, str]:
        """Place every device afresh on the ring (deterministic order) and move those whose
        place changed: with consistent hashing that is mostly the newcomer's share."""
        fresh = {name: NodeLoad(n.capacity, 0) for name, n in nodes.items()}
        for device in sorted(busy & set(owners)):  # busy devices stay: count them first
            if owners[device] in fresh:
                fresh[owners[device]].owned += 1
        moves: dict[str, str] = {}
        for device in sorted(set(owners) - busy, key=_point):
            target = self.choose(device, fresh)
            fresh[target].owned += 1
            if target != owners[device]:
                moves[device] = target
        return moves


strategies: PluginRegistry[PlacementStrategy] = PluginRegistry(
    "netweave.placement",
    PlacementStrategy,  # type: ignore[type-abstract]
    noun="placement strategy",
)
strategies.register(LeastLoad.name, LeastLoad)
strategies.register(LoadWeightedRandom.name, LoadWeightedRandom)
strategies.register(BoundedHash.name, BoundedHash)
