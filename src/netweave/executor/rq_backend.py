"""The ``rq`` executor: job ids travel through Redis (RQ, JSON serializer, never pickle);
``netweave worker`` processes run them in threads (no fork: a fork would kill the SSH
sessions), each process holding many persistent device sessions.

SQL stays the source of truth: the queue carries ids only, and a job is claimed in SQL
(queued → started) before it runs, so a duplicate delivery never runs twice."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime

from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from rq.timeouts import BaseDeathPenalty

from netweave.executor.base import Executor, JobRunner, WorkerInfo

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

    @property
    def dequeue_timeout(self) -> int:
        """Wake every second: a stop request is seen at once, not after RQ's default 7 min."""
        return 1


class RqExecutor(Executor):
    """Producer side (API servers): enqueue ids; also lists workers and queue depth."""

    name = "rq"

    def __init__(
        self, redis_url: str, queue_name: str = "netweave", heartbeat_ttl: float = 10.0
    ) -> None:
        self.redis_url = redis_url
        self.heartbeat_ttl = heartbeat_ttl
        self.redis = Redis.from_url(redis_url)
        self.queue_name = queue_name
        self.queue = Queue(queue_name, connection=self.redis, serializer=JSONSerializer)

    def start(self, runner: JobRunner) -> None:
        return None  # producers run nothing

    def submit(self, job_ids: list[str], queue: str) -> None:
        if not job_ids:
            return
        prepared = [
            Queue.prepare_data(
                TASK,
                args=(job_id,),
                job_id=f"nw-{job_id}-{uuid.uuid4().hex[:6]}",
                result_ttl=0,
                failure_ttl=3600,
                timeout=-1,
            )
            for job_id in job_ids
        ]
        with self.redis.pipeline() as pipe:
            self.queue.enqueue_many(prepared, pipeline=pipe)
            pipe.execute()

    def queue_depth(self) -> int:
        return int(self.queue.count)

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
        prefix = len(self._node_key(""))
        keys = (key.decode()[prefix:] for key in self.redis.scan_iter(self._node_key("*")))
        return {key for key in keys if not key.endswith(":stop")}

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
    ) -> None:
        super().__init__(redis_url, queue_name, heartbeat_ttl)
        self._beating = threading.Event()
        self.stop_requested = threading.Event()  # set by DELETE /workers/{name}
        self.threads = threads
        self.node = node or f"{socket.gethostname()}-{os.getpid()}"
        self._workers: list[_ThreadWorker] = []
        self._handles: list[threading.Thread] = []

    def _heartbeat(self) -> None:
        """The node's liveness key: gone ``heartbeat_ttl`` s after the process dies."""
        key = self._node_key(self.node)
        value = f'{{"threads": {self.threads}, "pid": {os.getpid()}}}'
        while not self._beating.wait(self.heartbeat_ttl / 3):
            with contextlib.suppress(Exception):
                self.redis.set(key, value, px=int(self.heartbeat_ttl * 1000))
                if self.redis.get(key + ":stop"):
                    self.redis.delete(key + ":stop")
                    self.stop_requested.set()
        with contextlib.suppress(Exception):
            self.redis.delete(key)

    def start(self, runner: JobRunner) -> None:
        global _runner
        _runner = runner
        self.redis.set(
            self._node_key(self.node), str(self.threads), px=int(self.heartbeat_ttl * 1000)
        )
        threading.Thread(target=self._heartbeat, name="node-heartbeat", daemon=True).start()
        for number in range(self.threads):
            connection = Redis.from_url(self.redis_url)
            queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
            worker = _ThreadWorker(
                [queue],
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

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful: take no new job, let running ones finish (up to ``timeout``), then cut
        the idle workers' blocking reads and leave."""
        for worker in self._workers:
            worker._stop_requested = True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(w.get_current_job_id() for w in self._workers):
            time.sleep(0.05)
        logging.getLogger("rq").setLevel(logging.CRITICAL)  # the cut reads are expected
        for worker in self._workers:
            worker.log.setLevel(logging.CRITICAL)
            with contextlib.suppress(Exception):
                worker.unsubscribe()  # RQ's command listener thread
            worker.connection.connection_pool.disconnect()  # unblocks the idle BLPOP
        for handle in self._handles:
            handle.join(timeout=max(deadline - time.monotonic(), 1.0))
        self._beating.set()
        with contextlib.suppress(Exception):
            self.redis.delete(self._node_key(self.node))
        super().stop(timeout)
