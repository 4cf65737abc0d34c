"""Node registry and device ownership in a real Redis."""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping

import pytest
from redis import Redis

from netweave.executor.nodes import NodeDirectory, NodeInfo
from netweave.executor.placement import BoundedHash, LeastLoad, NodeLoad, PlacementStrategy

REDIS_URL = os.environ.get("NETWEAVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def directory() -> Iterator[NodeDirectory]:
    redis = Redis.from_url(REDIS_URL)
    queue = f"nodes-{uuid.uuid4().hex[:8]}"
    yield NodeDirectory(redis, queue)
    for key in redis.scan_iter(f"netweave:*{queue}*"):
        redis.delete(key)


def node(name: str, capacity: int = 100) -> NodeInfo:
    return NodeInfo(name=name, capacity=capacity, threads=4, pid=1, host="h")


def test_a_device_is_claimed_by_exactly_one_node_under_contention(
    directory: NodeDirectory,
) -> None:
    for name in ("a", "b", "c"):
        directory.beat(node(name), ttl=30)
    results: list[dict[str, str]] = []
    barrier = threading.Barrier(12)

    def claim(seed: int) -> None:
        strategy = LeastLoad() if seed % 2 else BoundedHash()
        barrier.wait()
        results.append(directory.place([f"10.9.9.{n}:22" for n in range(50)], strategy))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 12
    assert all(r == results[0] for r in results)  # every caller got the same owner
    owned = Counter(results[0].values())
    assert directory.loads() == dict(owned)  # load counters match the owner map
    assert sum(owned.values()) == 50


def test_a_dead_nodes_devices_are_released_and_claimed_by_survivors(
    directory: NodeDirectory,
) -> None:
    directory.beat(node("a"), ttl=30)
    directory.beat(node("b"), ttl=30)
    assert directory.changes().joined == ["a", "b"]
    devices = [f"10.8.8.{n}:22" for n in range(40)]
    before = directory.place(devices, LeastLoad())
    assert set(before.values()) == {"a", "b"}
    directory.leave("b")  # b's heartbeat is gone
    changes = directory.changes()
    assert changes.dead == ["b"] and changes.joined == []
    assert changes.released == sum(1 for owner in before.values() if owner == "b")
    after = directory.place(devices, LeastLoad())
    assert set(after.values()) == {"a"}
    assert all(after[d] == "a" for d, owner in before.items() if owner == "a")  # kept
    assert directory.loads() == {"a": 40}
    assert set(directory.alive()) == {"a"}
    assert directory.alive()["a"].owned == 40 and directory.alive()["a"].capacity == 100


def test_a_claim_replaces_an_owner_whose_heartbeat_expired(directory: NodeDirectory) -> None:
    directory.beat(node("gone"), ttl=30)
    assert directory.place(["10.7.7.7:22"], LeastLoad()) == {"10.7.7.7:22": "gone"}
    directory.leave("gone")
    directory.beat(node("new"), ttl=30)  # no controller ran: the stale entry is still there
    assert directory.owners() == {"10.7.7.7:22": "gone"}
    assert directory.place(["10.7.7.7:22"], LeastLoad()) == {"10.7.7.7:22": "new"}
    assert directory.loads() == {"gone": 0, "new": 1}


def test_move_is_compare_and_set(directory: NodeDirectory) -> None:
    directory.beat(node("a"), ttl=30)
    directory.beat(node("b"), ttl=30)
    directory.place(["d1", "d2"], LeastLoad())
    owners = directory.owners()
    moved = directory.move(
        {"d1": (owners["d1"], "b" if owners["d1"] == "a" else "a"), "d2": ("nobody", "a")}
    )
    assert moved == 1  # d2's expected owner was wrong: left alone
    assert directory.owners()["d2"] == owners["d2"]
    assert sum(directory.loads().values()) == 2
    assert not directory.place([], LeastLoad())


class PreferSmall(PlacementStrategy):
    name = "prefer_small"

    def choose(self, device: str, nodes: Mapping[str, NodeLoad]) -> str:
        return "small" if "small" in nodes else min(nodes)


def test_a_full_node_gets_no_new_device_while_another_has_room(directory: NodeDirectory) -> None:
    directory.beat(node("small", capacity=2), ttl=30)
    directory.beat(node("big", capacity=100), ttl=30)
    owners = directory.place([f"10.6.6.{n}:22" for n in range(30)], PreferSmall())
    assert Counter(owners.values()) == {"small": 2, "big": 28}  # capacity is respected
    directory.leave("big")
    more = directory.place(["10.6.7.1:22"], PreferSmall())
    assert more == {"10.6.7.1:22": "small"}  # all full: over capacity rather than refused


def test_devices_with_a_live_owner_are_placed_without_listing_the_nodes(
    directory: NodeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every job after a device's first: one round trip, no SCAN over Redis's keyspace.
    A mixed batch lists the nodes once, for the devices without a live owner only."""
    directory.beat(node("a"), ttl=30)
    directory.beat(node("b"), ttl=30)
    first = directory.place([f"10.7.7.{n}:22" for n in range(10)], LeastLoad())
    listings: list[int] = []
    real_alive = directory.alive

    def counted() -> dict[str, NodeInfo]:
        listings.append(1)
        return real_alive()

    monkeypatch.setattr(directory, "alive", counted)
    assert directory.place(list(first), LeastLoad()) == first
    assert listings == []
    mixed = directory.place([*first, "10.7.7.99:22"], LeastLoad())
    assert listings == [1]
    assert {d: mixed[d] for d in first} == first and mixed["10.7.7.99:22"] in {"a", "b"}
    directory.leave("a")  # a's devices have no live owner now: placed again, on b
    again = directory.place(list(first), LeastLoad())
    assert set(again.values()) == {"b"} and listings == [1, 1]
    assert {d for d, owner in first.items() if owner == "b"} <= set(again)
