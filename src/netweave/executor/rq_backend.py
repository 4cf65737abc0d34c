"""The ``rq`` executor: job ids travel through Redis (RQ, JSON serializer, never pickle);
``netweave worker`` processes run them in threads (no fork: a fork would kill the SSH
sessions), each process holding many persistent device sessions.

SQL stays the source of truth: the queue carries ids only, and a job is claimed in SQL
(queued → started) before it runs, so a duplicate delivery never runs twice."""

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
from datetime import UTC, datetime

from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.queue import EnqueueData
from rq.serializers import JSONSerializer
from rq.timeouts import BaseDeathPenalty

from netweave.executor.base import Executor, JobRunner, QueuedJob, WorkerInfo
from netweave.executor.nodes import NodeChanges, NodeDirectory, NodeInfo, text
from netweave.executor.placement import NodeLoad, strategies
from netweave.foundation.errors import ConfigurationError

log = logging.getLogger(__name__)
TASK = "netweave.worker.tasks.run_job"
_runner: JobRunner | None = None


def current_runner() -> JobRunner:
    if _runner is None:
        raise RuntimeError("no job runner in this process: start it with `netweave worker`")
    return _runner


class _NoDeathPenalty(BaseDeathPenalty):
    """RQ's SIGALRM timeouts only work in the main thread; the job runner enforces its own
    execution timeouts instead."""

    def setup_death_penalty(self) -> None:
        return None

    def cancel_death_penalty(self) -> None:
        return None


class _ThreadWorker(SimpleWorker):
    death_penalty_class = _NoDeathPenalty

    def _install_signal_handlers(self) -> None:  # the process's main thread handles signals
        return None

    def subscribe(self) -> None:
        """No per-thread command channel (RQ's pub/sub thread and connection for each of
        a node's N workers): a node is stopped through its own key (DELETE /workers)."""
        return None

    @property
    def dequeue_timeout(self) -> int:
        """Wake every second: a stop request is seen at once, not after RQ's default 7 min."""
        return 1

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        """RQ's dequeue loops until a job comes; this one also returns (None) once a stop
        is requested, so a draining node takes no new job and its threads end within ~1 s."""
        while not self._stop_requested:
            result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time=1)
            if result is not None:
                return result
        return None


class RqExecutor(Executor):
    """Producer side (API servers): place and enqueue ids; the controller's housekeeping
    (failover, rebalancing); lists workers, nodes and queue depths.

    Queues: ``{queue}`` is shared by every node (FIFO jobs); ``{queue}.node.{node}`` holds
    the pinned jobs of the devices that node owns (it holds their sessions)."""

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
        self.queue = Queue(queue_name, connection=self.redis, serializer=JSONSerializer)
        self.directory = NodeDirectory(self.redis, queue_name)
        self.strategy = strategies.get(placement, field="placement")()
        self.placement = placement
        self._identity = uuid.uuid4().hex
        self._listening = threading.Event()
        self._callbacks: list[Callable[[set[str]], None]] = []

    def start(self, runner: JobRunner) -> None:
        return None  # producers run nothing

    def node_queue(self, node: str) -> str:
        return f"{self.queue_name}.node.{node}"

    def submit(self, jobs: Sequence[QueuedJob]) -> None:
        """Pinned jobs go to their device's owner (placed and claimed now when it has
        none); FIFO jobs, and pinned ones while no node is alive, to the shared queue."""
        if not jobs:
            return
        owners = self.directory.place((j.device for j in jobs if j.device), self.strategy)
        by_queue: dict[str, list[str]] = defaultdict(list)
        for job in jobs:
            owner = owners.get(job.device) if job.device else None
            by_queue[self.node_queue(owner) if owner else self.queue_name].append(job.id)
        with self.redis.pipeline() as pipe:
            for name, ids in by_queue.items():
                queue = Queue(name, connection=self.redis, serializer=JSONSerializer)
                queue.enqueue_many([self._prepared(i) for i in ids], pipeline=pipe)
            pipe.execute()

    @staticmethod
    def _prepared(job_id: str) -> EnqueueData:
        return Queue.prepare_data(
            TASK,
            args=(job_id,),
            job_id=f"nw-{job_id}-{uuid.uuid4().hex[:6]}",
            result_ttl=0,
            failure_ttl=3600,
            timeout=-1,
        )

    def _queues(self) -> list[Queue]:
        names = [self.queue_name] + [self.node_queue(n) for n in self.directory.alive()]
        return [Queue(n, connection=self.redis, serializer=JSONSerializer) for n in names]

    def queue_depth(self) -> int:
        return sum(int(q.count) for q in self._queues())

    def queued_ids(self) -> set[str]:
        """Job ids in the shared and every node queue (an RQ id is ``nw-<job id>-<salt>``)."""
        found: set[str] = set()
        for key in self.redis.scan_iter(f"rq:queue:{self.queue_name}*", count=1000):
            for raw in self.redis.lrange(key, 0, -1):
                found.add(text(raw)[3:-7])
        return found

    def nodes(self) -> list[NodeInfo]:
        alive = self.directory.alive()
        for node in alive.values():
            node.queued = int(Queue(self.node_queue(node.name), connection=self.redis).count)
        return sorted(alive.values(), key=lambda n: n.name)

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
            self.redis.delete(f"rq:queue:{self.node_queue(node)}")
        if changes.dead:  # its RQ worker records would be listed for minutes (their TTL)
            for worker in SimpleWorker.all(queue=self.queue, serializer=JSONSerializer):
                if worker.name.rsplit(".", 1)[0] in changes.dead:
                    worker.register_death()
        return changes

    def rebalance(self, busy: set[str]) -> int:
        nodes = self.directory.alive()
        if len(nodes) < 2:
            return 0
        owners = {d: n for d, n in self.directory.owners().items() if n in nodes}
        loads = {name: NodeLoad(n.capacity, n.owned) for name, n in nodes.items()}
        moves = self.strategy.rebalance(owners, loads, busy)
        return self.directory.move({d: (owners[d], new) for d, new in moves.items()})

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

    def _node_key(self, node: str = "*") -> str:
        return f"netweave:nodes:{self.queue_name}:{node}"

    def queue_was_lost(self) -> bool:
        """A marker key lives in Redis; when it is gone, so is everything queued before."""
        marker = f"netweave:epoch:{self.queue_name}"
        return bool(self.redis.set(marker, "1", nx=True))

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
        found = []
        for worker in SimpleWorker.all(queue=self.queue, serializer=JSONSerializer):
            job_id = worker.get_current_job_id()
            found.append(
                WorkerInfo(
                    name=worker.name,
                    hostname=str(worker.hostname or ""),
                    pid=int(worker.pid or 0),
                    queues=[q.name for q in worker.queues],
                    state=str(worker.get_state()),
                    current_job=job_id,
                    birth=worker.birth_date or datetime.now(UTC),
                    last_heartbeat=worker.last_heartbeat or datetime.now(UTC),
                    successful_jobs=int(worker.successful_job_count or 0),
                    failed_jobs=int(worker.failed_job_count or 0),
                )
            )
        return found

    def stop(self, timeout: float = 10.0) -> None:
        self._listening.clear()
        with contextlib.suppress(Exception):  # hand the controller duty over at once
            lease = f"netweave:controller:{self.queue_name}"
            if text(self.redis.get(lease) or b"") == self._identity:
                self.redis.delete(lease)
        self.redis.close()


class RqWorkerPool(RqExecutor):
    """Consumer side (``netweave worker``): N RQ workers as threads of one process."""

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
        self._workers: list[_ThreadWorker] = []
        self._handles: list[threading.Thread] = []
        self._in_flight = 0
        self._flight_lock = threading.Lock()
        self.session_count: Callable[[], int] = lambda: 0  # set by the job service

    def _heartbeat(self) -> None:
        """The node's liveness key: gone ``heartbeat_ttl`` s after the process dies."""
        key = self._node_key(self.node)
        while not self._beating.wait(self.heartbeat_ttl / 3):
            with contextlib.suppress(Exception):
                self.info.sessions = self.session_count()
                self.directory.beat(self.info, self.heartbeat_ttl)
                if self.redis.get(key + ":stop"):
                    self.redis.delete(key + ":stop")
                    self.stop_requested.set()
        with contextlib.suppress(Exception):
            self.redis.delete(key)

    def start(self, runner: JobRunner) -> None:
        global _runner
        _runner = self._counted(runner)
        self._take_over_name()
        self.directory.beat(self.info, self.heartbeat_ttl)
        threading.Thread(target=self._heartbeat, name="node-heartbeat", daemon=True).start()
        for number in range(self.threads):
            connection = Redis.from_url(self.redis_url)
            queues = [  # its own devices' pinned jobs first, then the shared FIFO queue
                Queue(name, connection=connection, serializer=JSONSerializer)
                for name in (self.node_queue(self.node), self.queue_name)
            ]
            worker = _ThreadWorker(
                queues,
                connection=connection,
                serializer=JSONSerializer,
                name=f"{self.node}.{number}",
            )
            handle = threading.Thread(
                target=self._work, args=(worker,), name=worker.name, daemon=True
            )
            self._workers.append(worker)
            self._handles.append(handle)
            handle.start()

    def _counted(self, runner: JobRunner) -> JobRunner:
        """The runner, counting the jobs in flight here (what a graceful stop waits for)."""

        def run(job_id: str) -> None:
            with self._flight_lock:
                self._in_flight += 1
            try:
                runner(job_id)
            finally:
                with self._flight_lock:
                    self._in_flight -= 1

        return run

    def _take_over_name(self) -> None:
        """A node restarted after a crash reuses its name: wait for the old heartbeat to
        expire (refuse when another live process holds the name), then drop the stale RQ
        worker registrations RQ would otherwise refuse to register again."""
        deadline = time.monotonic() + self.heartbeat_ttl + 1
        while (other := self.directory.alive().get(self.node)) is not None:
            if time.monotonic() > deadline:
                raise ConfigurationError(
                    f"worker node name {self.node!r} is in use by pid {other.pid} on "
                    f"{other.host or '?'}; give this node another --node name",
                    field="node",
                )
            time.sleep(0.2)
        names = [f"{self.node}.{number}" for number in range(max(self.threads, 1024))]
        with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.exists(f"rq:worker:{name}")
            stale = [n for n, found in zip(names, pipe.execute(), strict=True) if found]
        if stale:
            sets = ["rq:workers", f"rq:workers:{self.queue_name}"]
            sets.append(f"rq:workers:{self.node_queue(self.node)}")
            with self.redis.pipeline(transaction=False) as pipe:
                for name in stale:
                    pipe.delete(f"rq:worker:{name}")
                    for members in sets:
                        pipe.srem(members, f"rq:worker:{name}")
                pipe.execute()

    @staticmethod
    def _work(worker: _ThreadWorker) -> None:
        """Keep working through Redis outages: a lost connection is retried every second."""
        while not worker._stop_requested:
            try:
                worker.work(logging_level="WARNING")
            except Exception as exc:
                if worker._stop_requested:
                    break
                log.warning("rq worker %s: %s; retrying in 1 s", worker.name, type(exc).__name__)
                time.sleep(1.0)
        with contextlib.suppress(Exception):
            worker.register_death()

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful: take no new job, let running ones finish (up to ``timeout``), then cut
        the idle workers' blocking reads and leave."""
        for worker in self._workers:
            worker._stop_requested = True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._in_flight:
            time.sleep(0.05)
        # idle ones leave within one dequeue timeout (1 s); one bound for all of them, not
        # one each: a job still running past the deadline is left to the process's exit
        joined_by = max(deadline, time.monotonic() + 1.5)
        for handle in self._handles:
            handle.join(timeout=max(joined_by - time.monotonic(), 0.0))
        self._beating.set()
        with contextlib.suppress(Exception):
            self.redis.delete(self._node_key(self.node))
        super().stop(timeout)
