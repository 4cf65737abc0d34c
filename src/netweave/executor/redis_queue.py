"""The ``rq`` executor: job ids travel through Redis lists; ``netweave worker`` nodes run
them in threads (no fork: a fork would kill the SSH sessions), each node holding many
persistent device sessions.

SQL is the job store and the source of truth, so the queue carries ids only and nothing
else: a job is claimed in SQL (queued → started) before it runs, so a duplicate delivery
never runs twice, and a queue Redis lost is rebuilt from SQL. The worker loop is RQ's
(block on the node's queue, then the shared one; run; repeat) without RQ's job hashes,
registries and per-job status writes, which duplicated what SQL holds: a warm job costs
one ``RPUSH`` and one ``BLPOP``.

Keys, for queue ``Q``:

- ``netweave:queue:Q``             the shared FIFO queue (job ids), every node reads it
- ``netweave:queue:Q.node.N``      the pinned jobs of the devices node ``N`` owns
- ``netweave:workers:Q:N``         node ``N``'s worker threads (JSON), refreshed with its
  heartbeat and gone with it
- ``netweave:epoch:Q:lists``       present while Redis holds the queues; when missing, every
  job queued in SQL is enqueued again (Redis restarted empty, or the queues were RQ's)

Nodes, heartbeats and device ownership: ``nodes.py``."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from netweave.executor.base import Executor, JobRunner, QueuedJob, WorkerInfo, WorkerThread
from netweave.executor.nodes import NodeChanges, NodeDirectory, NodeInfo, text
from netweave.executor.placement import NodeLoad, strategies
from netweave.foundation.errors import ConfigurationError

log = logging.getLogger(__name__)
POLL_S = 1  # a blocked read wakes this often: a stop is seen within a second


class RedisQueueExecutor(Executor):
    """Producer side (API servers): place and enqueue ids; the controller's housekeeping
    (failover, rebalancing); lists workers, nodes and queue depths.

    Queues: ``Q`` is shared by every node (FIFO jobs); ``Q.node.N`` holds the pinned jobs of
    the devices node ``N`` owns (it holds their sessions)."""

    name = "rq"

    def __init__(
        self,
        redis_url: str,
        queue_name: str = "netweave",
        heartbeat_ttl: float = 10.0,
        placement: str = "bounded_hash",
    ) -> None:
        self.redis_url = redis_url
        self.heartbeat_ttl = heartbeat_ttl
        self.redis = Redis.from_url(redis_url)
        self.queue_name = queue_name
        self.directory = NodeDirectory(self.redis, queue_name)
        self.strategy = strategies.get(placement, field="placement")()
        self.placement = placement
        self._identity = uuid.uuid4().hex
        self._listening = threading.Event()
        self._callbacks: list[Callable[[set[str]], None]] = []

    def start(self, runner: JobRunner) -> None:
        return None  # producers run nothing

    # -- names --------------------------------------------------------------------------
    def node_queue(self, node: str) -> str:
        return f"{self.queue_name}.node.{node}"

    @staticmethod
    def list_key(queue: str) -> str:
        return f"netweave:queue:{queue}"

    def _workers_key(self, node: str) -> str:
        return f"netweave:workers:{self.queue_name}:{node}"

    def _node_key(self, node: str) -> str:
        return self.directory.prefix + node  # the node's heartbeat

    # -- producing ----------------------------------------------------------------------
    def submit(self, jobs: Sequence[QueuedJob]) -> None:
        """Pinned jobs go to their device's owner (placed and claimed now when it has
        none); FIFO jobs, and pinned ones while no node is alive, to the shared queue. One
        ``RPUSH`` per queue, in one round trip."""
        if not jobs:
            return
        owners = self.directory.place((j.device for j in jobs if j.device), self.strategy)
        by_queue: dict[str, list[str]] = defaultdict(list)
        for job in jobs:
            owner = owners.get(job.device) if job.device else None
            by_queue[self.node_queue(owner) if owner else self.queue_name].append(job.id)
        with self.redis.pipeline(transaction=False) as pipe:
            for name, ids in by_queue.items():
                pipe.rpush(self.list_key(name), *ids)
            pipe.execute()

    def _queue_keys(self) -> list[str]:
        """The shared queue's key and every node queue's that Redis holds (a dead node's
        too, until the controller drops it)."""
        shared = self.list_key(self.queue_name)
        nodes = self.list_key(self.node_queue("*"))
        return [shared, *(text(k) for k in self.redis.scan_iter(nodes, count=1000))]

    def queue_depth(self) -> int:
        with self.redis.pipeline(transaction=False) as pipe:
            for key in self._queue_keys():
                pipe.llen(key)
            return sum(int(n) for n in pipe.execute())

    def queued_ids(self) -> set[str]:
        with self.redis.pipeline(transaction=False) as pipe:
            for key in self._queue_keys():
                pipe.lrange(key, 0, -1)
            return {text(raw) for ids in pipe.execute() for raw in ids}

    def queue_was_lost(self) -> bool:
        """A marker key lives in Redis; when it is gone, so is everything queued before."""
        return bool(self.redis.set(f"netweave:epoch:{self.queue_name}:lists", "1", nx=True))

    # -- nodes --------------------------------------------------------------------------
    def nodes(self) -> list[NodeInfo]:
        alive = self.directory.alive()
        names = sorted(alive)
        with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(self.list_key(self.node_queue(name)))
            for name, depth in zip(names, pipe.execute(), strict=True):
                alive[name].queued = int(depth)
        return [alive[name] for name in names]

    def maintain(self) -> NodeChanges | None:
        """One controller at a time (a Redis lease) sees joins and deaths; a dead node's
        devices are released and its queue dropped (the caller re-enqueues from SQL)."""
        lease = f"netweave:controller:{self.queue_name}"
        ttl = int(max(self.heartbeat_ttl, 5) * 1000)
        holder = self.redis.get(lease)
        if holder is not None and text(holder) != self._identity:
            return None
        self.redis.set(lease, self._identity, px=ttl)
        changes = self.directory.changes()
        for node in changes.dead:
            self.redis.delete(self.list_key(self.node_queue(node)), self._workers_key(node))
        return changes

    def rebalance(self, busy: set[str]) -> int:
        nodes = self.directory.alive()
        if len(nodes) < 2:
            return 0
        owners = {d: n for d, n in self.directory.owners().items() if n in nodes}
        loads = {name: NodeLoad(n.capacity, n.owned) for name, n in nodes.items()}
        moves = self.strategy.rebalance(owners, loads, busy)
        return self.directory.move({d: (owners[d], new) for d, new in moves.items()})

    def stop_node(self, name: str) -> bool:
        node = name if name in self.alive_nodes() else name.rsplit(".", 1)[0]
        if node not in self.alive_nodes():
            return False
        self.redis.set(self._node_key(node) + ":stop", "1", ex=300)
        return True

    def alive_nodes(self) -> set[str]:
        return set(self.directory.alive())

    def device_owners(self) -> dict[str, str]:
        return self.directory.owners()

    def workers(self) -> list[WorkerInfo]:
        """Every live node's threads, as of its last heartbeat."""
        names = sorted(self.directory.alive())
        if not names:
            return []
        found: list[WorkerInfo] = []
        for raw in self.redis.mget([self._workers_key(name) for name in names]):
            with contextlib.suppress(ValueError, TypeError, KeyError):
                found.extend(_worker_info(item) for item in json.loads(raw or b"[]"))
        return found

    # -- job notices --------------------------------------------------------------------
    def announce(self, job_ids: set[str]) -> None:
        with contextlib.suppress(Exception):  # a lost notice only delays a waiter's poll
            self.redis.publish(f"netweave:done:{self.queue_name}", json.dumps(sorted(job_ids)))

    def subscribe(self, callback: Callable[[set[str]], None]) -> None:
        self._callbacks.append(callback)
        if self._listening.is_set():
            return
        self._listening.set()
        threading.Thread(target=self._listen, name="rq-job-notices", daemon=True).start()

    def _listen(self) -> None:
        """Survives Redis restarts: resubscribes every second until ``stop``."""
        while self._listening.is_set():
            try:
                pubsub = Redis.from_url(self.redis_url).pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(f"netweave:done:{self.queue_name}")
                while self._listening.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        for callback in list(self._callbacks):
                            callback(set(json.loads(message["data"])))
                pubsub.close()
            except Exception:
                time.sleep(1.0)

    def stop(self, timeout: float = 10.0) -> None:
        self._listening.clear()
        with contextlib.suppress(Exception):  # hand the controller duty over at once
            lease = f"netweave:controller:{self.queue_name}"
            if text(self.redis.get(lease) or b"") == self._identity:
                self.redis.delete(lease)
        self.redis.close()


class RedisWorkerNode(RedisQueueExecutor):
    """Consumer side (``netweave worker``): ``threads`` worker threads in one process, each
    blocking on the node's own queue, then the shared one."""

    def __init__(
        self,
        redis_url: str,
        queue_name: str = "netweave",
        threads: int = 32,
        node: str | None = None,
        heartbeat_ttl: float = 10.0,
        capacity: int | None = None,
    ) -> None:
        super().__init__(redis_url, queue_name, heartbeat_ttl)
        self._beating = threading.Event()
        self._draining = threading.Event()
        self.stop_requested = threading.Event()  # set by DELETE /workers/{name}
        self.threads = threads
        self.node = node or f"{socket.gethostname()}-{os.getpid()}"
        self.info = NodeInfo(
            name=self.node,
            capacity=capacity or threads * 8,
            threads=threads,
            pid=os.getpid(),
            host=socket.gethostname(),
        )
        self.queues = [self.node_queue(self.node), self.queue_name]
        self._workers: list[WorkerThread] = []
        self._handles: list[threading.Thread] = []
        self.session_count: Callable[[], int] = lambda: 0  # set by the job service

    def start(self, runner: JobRunner) -> None:
        self._take_over_name()
        self._workers = [WorkerThread(f"{self.node}.{n}") for n in range(self.threads)]
        self._beat()  # listed with its threads before it takes a job
        threading.Thread(target=self._heartbeat, name="node-heartbeat", daemon=True).start()
        for state in self._workers:
            handle = threading.Thread(
                target=self._work, args=(state, runner), name=state.name, daemon=True
            )
            self._handles.append(handle)
            handle.start()

    def _work(self, state: WorkerThread, runner: JobRunner) -> None:
        """Take the next id (own devices first), run it; through Redis outages, retry the
        read every second."""
        keys = [self.list_key(name) for name in self.queues]
        while not self._draining.is_set():
            try:
                popped = self.redis.blpop(keys, timeout=POLL_S)
            except RedisError as exc:
                log.warning("worker %s: %s; retrying in 1 s", state.name, type(exc).__name__)
                self._draining.wait(1.0)
                continue
            if popped is not None:
                state.run(runner, text(popped[1]))

    def _beat(self) -> None:
        """The node's liveness key and its threads' states, both expiring with it."""
        ttl = int(self.heartbeat_ttl * 1000)
        self.info.sessions = self.session_count()
        self.directory.beat(self.info, self.heartbeat_ttl)
        states = [
            _worker_json(w.info(self.info.host, self.info.pid, self.queues)) for w in self._workers
        ]
        self.redis.set(self._workers_key(self.node), json.dumps(states), px=ttl)

    def _heartbeat(self) -> None:
        """Every third of the TTL: gone ``heartbeat_ttl`` s after the process dies."""
        key = self._node_key(self.node)
        while not self._beating.wait(self.heartbeat_ttl / 3):
            with contextlib.suppress(Exception):
                self._beat()
                if self.redis.get(key + ":stop"):
                    self.redis.delete(key + ":stop")
                    self.stop_requested.set()
        with contextlib.suppress(Exception):
            self.redis.delete(key, self._workers_key(self.node))

    def _take_over_name(self) -> None:
        """A node restarted after a crash reuses its name: wait for the old heartbeat to
        expire; refuse when another live process holds the name."""
        deadline = time.monotonic() + self.heartbeat_ttl + 1
        while (other := self.directory.alive().get(self.node)) is not None:
            if time.monotonic() > deadline:
                raise ConfigurationError(
                    f"worker node name {self.node!r} is in use by pid {other.pid} on "
                    f"{other.host or '?'}; give this node another --node name",
                    field="node",
                )
            time.sleep(0.2)

    def in_flight(self) -> int:
        return sum(1 for w in self._workers if w.current is not None)

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful: take no new job, let running ones finish (up to ``timeout``); idle
        threads leave within one blocked read (1 s)."""
        self._draining.set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.in_flight():
            time.sleep(0.05)
        # one bound for all threads, not one each: a job still running past the deadline
        # is left to the process's exit
        joined_by = max(deadline, time.monotonic() + POLL_S + 0.5)
        for handle in self._handles:
            handle.join(timeout=max(joined_by - time.monotonic(), 0.0))
        self._beating.set()
        with contextlib.suppress(Exception):
            self.redis.delete(self._node_key(self.node), self._workers_key(self.node))
        super().stop(timeout)


def _worker_json(info: WorkerInfo) -> dict[str, Any]:
    """A thread's state as its node publishes it (``last_heartbeat``: this beat)."""
    return {
        **asdict(info),
        "birth": info.birth.isoformat(),
        "last_heartbeat": datetime.now(UTC).isoformat(),
    }


def _worker_info(item: dict[str, Any]) -> WorkerInfo:
    return WorkerInfo(
        **{
            **item,
            "birth": datetime.fromisoformat(item["birth"]),
            "last_heartbeat": datetime.fromisoformat(item["last_heartbeat"]),
        }
    )
