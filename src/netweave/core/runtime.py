"""The composition root shared by every entry point: settings, engine, sessions, secrets."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from netweave.core import audit
from netweave.core.access import users
from netweave.core.access.users import BootstrapResult, ensure_first_admin
from netweave.core.jobs.detached import DetachedLimits
from netweave.core.jobs.service import JobService
from netweave.core.jobs.staging import Staging
from netweave.db.engine import make_engine, make_session_factory
from netweave.db.migrate import current_revision, head_revision, upgrade
from netweave.executor import Executor, LocalExecutor, strategies
from netweave.foundation import guarded
from netweave.foundation.errors import ConfigurationError
from netweave.foundation.private import private_dir
from netweave.foundation.secrets import SecretBox
from netweave.foundation.settings import Settings
from netweave.foundation.vault import VaultClient, VaultConfig
from netweave.sessions import PoolSettings, SessionPool

if TYPE_CHECKING:  # loaded when first used: a process that only runs device jobs
    # (``netweave run``, a worker node) never imports the run engine or the scheduler
    from netweave.core.automation.backups import BackupSchedule
    from netweave.core.automation.catalog import ServiceCatalog
    from netweave.core.automation.configs import StoreOptions
    from netweave.core.automation.runs import RunService
    from netweave.core.automation.steps import StepRunner
    from netweave.core.events.schemas import SyslogStats
    from netweave.core.events.syslog import EventService
    from netweave.core.jobs.file_transfer import FileJobs
    from netweave.core.schedules.firing import TaskFirer

log = logging.getLogger(__name__)

# what the guard processes import before they take work (their start is not the work's time)
GUARD_PRELOAD = (
    "netweave.core.templates",
    "netweave.services.builtin.parsing",
    "ttp",
    "textfsm",
    "ntc_templates.parse",
)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    box: SecretBox
    bootstrap: BootstrapResult | None = field(default=None)
    _jobs: JobService | None = field(default=None, repr=False)
    _runs: RunService | None = field(default=None, repr=False)
    _catalog: ServiceCatalog | None = field(default=None, repr=False)
    _backups: BackupSchedule | None = field(default=None, repr=False)
    _firer: TaskFirer | None = field(default=None, repr=False)
    _events: EventService | None = field(default=None, repr=False)
    _files: FileJobs | None = field(default=None, repr=False)
    _config_store: StoreOptions | None = field(default=None, repr=False)
    # set by the process that receives syslog (serve/syslog): its live counters
    syslog_stats: Callable[[], SyslogStats] | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    # the engines are made on first use, by whichever request or thread comes first: once
    _making: threading.RLock = field(default_factory=threading.RLock, repr=False)
    recover_jobs: bool = True  # False for CLI tools that share a server's database

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True, bootstrap: bool = True) -> Runtime:
        """Connect, bring the schema to head and make sure an admin exists."""
        vault = VaultConfig.from_settings(settings)
        box = SecretBox(
            settings.resolve_secret_key(),
            [key.get_secret_value() for key in settings.previous_secret_keys],
            vault=VaultClient(vault) if vault is not None else None,  # contacted lazily
        )
        settings.check_admin_password()
        users.configure_hashing(settings.password_hash_memory_kib, settings.password_hash_time_cost)
        guarded.configure(  # user templates and parsers: time and memory limits
            settings.template_timeout,
            settings.template_memory_mb,
            settings.template_workers,
            preload=GUARD_PRELOAD,
        )
        if settings.executor == "rq":
            strategies.get(settings.placement, field="placement")  # a typo fails at start
        if settings.database_url is None or settings.data_dir.exists():
            private_dir(settings.data_dir)  # 0700, tightened if looser
        engine = make_engine(settings.effective_database_url)
        factory = make_session_factory(engine)
        audit.install(factory)  # the changelog follows every flush
        runtime = cls(settings, engine, factory, box)
        if migrate:
            if current_revision(engine) != head_revision(engine):  # Alembic only when due
                upgrade(engine)
        else:
            runtime.check_schema()
        if bootstrap:
            with runtime.transaction() as session:
                password = settings.admin_password
                runtime.bootstrap = ensure_first_admin(
                    session,
                    settings.admin_username,
                    password.get_secret_value() if password else None,
                )
        return runtime

    def check_schema(self) -> None:
        current, head = current_revision(self.engine), head_revision(self.engine)
        if current != head:
            self.engine.dispose()
            raise ConfigurationError(
                f"the database schema is at {current or 'nothing'}, this version needs {head}: "
                "start the server (it migrates) or run `netweave db upgrade` first",
                field="database_url",
            )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    @property
    def jobs(self) -> JobService:
        """The job engine (executor, session pool, writer), started on first use."""
        with self._making:
            if self._jobs is None:
                jobs = JobService(self.sessions, self.box, self._executor(), self._pool())
                self._wire_services(jobs)
                self._jobs = jobs
                jobs.start(recover=self.recover_jobs)
        return self._jobs

    @property
    def catalog(self) -> ServiceCatalog:
        """Service types. Custom services are imported only where services run: in this
        process with the local executor, on the workers with rq."""
        from netweave.core.automation.catalog import ServiceCatalog

        with self._making:
            if self._catalog is None:
                self._catalog = ServiceCatalog(
                    self.sessions,
                    self.settings.effective_services_dir,
                    runs_services=self.settings.executor == "local",
                    box=self.box,
                    playbooks_dir=self.settings.effective_playbooks_dir,
                    file_transfer_dir=self.settings.effective_file_transfer_dir,
                )
        return self._catalog

    @property
    def runs(self) -> RunService:
        """Services and workflows running on targets (controllers live in this process)."""
        from netweave.core.automation.notify import Notifier
        from netweave.core.automation.runs import RunService

        with self._making:
            if self._runs is None:
                settings = self.settings
                notifier = Notifier(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
                runs = RunService(
                    self.sessions,
                    self.jobs,
                    self.catalog,
                    notifier,
                    lease=timedelta(seconds=settings.run_lease_seconds),
                )
                self.catalog.ensure_synced()
                if self.recover_jobs:
                    runs.recover()
                self._runs = runs
        return self._runs

    def start_background(self) -> None:
        """What a server runs besides the API: the job engine, run recovery, the custom
        services folder watch (local executor) and scheduled configuration backups."""
        runs = self.runs
        runs.watch()  # take over the runs of servers that died (see automation.takeover)
        if self.catalog.runs_services:
            self.catalog.watch(self.settings.services_rescan, self._stopping)
        if self.settings.config_backup_interval > 0 and self._backups is None:
            from netweave.core.automation.backups import BackupSchedule

            self._backups = BackupSchedule(
                self.sessions, runs, self.settings.config_backup_interval
            )
            self._backups.start()

    @property
    def events(self) -> EventService:
        """Syslog storage and event rules (fed by a syslog server in this process)."""
        from netweave.core.events.syslog import EventService

        with self._making:
            if self._events is None:
                self._events = EventService(
                    self.sessions,
                    self.runs,
                    self.settings.syslog_retention_days,
                    max_messages=self.settings.syslog_max_messages,
                )
        return self._events

    @property
    def firer(self) -> TaskFirer:
        """Fires tasks (the scheduler loop ticks it; the API's "run now" uses it)."""
        from netweave.core.schedules.firing import TaskFirer

        with self._making:
            if self._firer is None:
                self._firer = TaskFirer(self.sessions, self.runs, f"api:{self.runs.process}")
        return self._firer

    @property
    def config_store(self) -> StoreOptions:
        """Configurations and operational data: the git repository (None when
        ``config_git`` is off), the show commands per platform, their volatile parts."""
        from netweave.core.automation.configs import StoreOptions

        with self._making:
            if self._config_store is None:
                self._config_store = StoreOptions.from_settings(self.settings, self.sessions)
        return self._config_store

    def _wire_services(self, jobs: JobService) -> None:
        """Steps of runs reach the job runner through the service runner, built (and the
        run engine imported) at the first step this process runs."""
        settings = self.settings
        steps: list[StepRunner] = []
        building = threading.Lock()

        def run_step(job: Any) -> Any:
            with building:
                if not steps:
                    steps.append(self._step_runner(jobs))
            return steps[0](job)

        jobs.runner.services = run_step
        jobs.runner.detached = DetachedLimits(
            settings.detached_max_tasks, settings.detached_max_log_chars
        )
        jobs.runner.staging = Staging(self.settings)  # file transfers (NetPulse file_transfer)

    def _step_runner(self, jobs: JobService) -> StepRunner:
        from netweave.core.automation.notify import MailRelay
        from netweave.core.automation.steps import StepRunner

        settings = self.settings
        mail = MailRelay(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
        return StepRunner(
            self.sessions, self.box, jobs.pool, self.catalog, mail, store=self.config_store
        )

    @property
    def files(self) -> FileJobs:
        """Device jobs as the NetPulse API submits them, file transfers included."""
        from netweave.core.jobs.file_transfer import FileJobs

        with self._making:
            if self._files is None:
                self._files = FileJobs(self.jobs, Staging(self.settings))
        return self._files

    def _pool(self) -> SessionPool:
        settings = self.settings
        return SessionPool(
            PoolSettings(
                idle_ttl=settings.session_idle_ttl,
                max_age=settings.session_max_age,
                keepalive_interval=settings.session_keepalive,
            )
        )

    def _executor(self) -> Executor:
        settings = self.settings
        if settings.executor == "rq":
            if not settings.redis_url:
                raise ConfigurationError("the rq executor needs a redis_url", field="redis_url")
            from netweave.executor import RedisQueueExecutor

            return RedisQueueExecutor(
                settings.redis_url,
                settings.queue_name,
                settings.node_heartbeat_ttl,
                settings.placement,
            )
        return LocalExecutor(settings.worker_threads)

    def start_worker(
        self, threads: int, node: str | None = None, capacity: int | None = None
    ) -> JobService:
        """A ``netweave worker`` process: consume the Redis queues with ``threads`` threads,
        owning up to ``capacity`` pinned devices (default: 8 per thread)."""
        settings = self.settings
        if not settings.redis_url:
            raise ConfigurationError("a worker needs NETWEAVE_REDIS_URL", field="redis_url")
        from netweave.executor import RedisWorkerNode

        executor = RedisWorkerNode(
            settings.redis_url,
            settings.queue_name,
            threads,
            node,
            settings.node_heartbeat_ttl,
            capacity,
        )
        from netweave.core.automation.catalog import ServiceCatalog

        self._jobs = JobService(self.sessions, self.box, executor, self._pool())
        self._catalog = ServiceCatalog(
            self.sessions,
            settings.effective_services_dir,
            runs_services=True,
            box=self.box,
            playbooks_dir=settings.effective_playbooks_dir,
            file_transfer_dir=settings.effective_file_transfer_dir,
        )
        self._wire_services(self._jobs)
        pool = self._jobs.pool
        executor.session_count = lambda: int(pool.stats()["sessions"])  # in its heartbeat
        self._jobs.start(recover=False)
        self._catalog.sync()  # a step arriving first syncs on demand
        self._catalog.watch(settings.services_rescan, self._stopping)
        return self._jobs

    def close(self, grace: float | None = None) -> None:
        """Stop in order: syslog rule launches, backups, run controllers, then the job
        engine (the executor lets in-flight jobs finish, then the pool closes the device
        sessions), then the database connections.

        ``grace`` (a process shutting down): the whole close is bounded; a step still
        blocked when it is spent (a device job that does not end) is logged and left to
        the process's exit, which closes its sockets."""
        self._stopping.set()
        deadline = None if grace is None else time.monotonic() + grace
        steps: list[tuple[str, Callable[[], None]]] = []
        if self._events is not None:
            steps.append(("syslog rule launches", self._events.close))
        if self._backups is not None:
            steps.append(("configuration backups", self._backups.stop))
        if self._runs is not None:
            steps.append(("run controllers", self._runs.close))
        if self._jobs is not None:
            jobs = self._jobs
            # in-flight jobs get what is left of the grace, then are canceled (sessions cut)
            left = (
                (lambda: max(deadline - time.monotonic() - MIN_STEP_S, 0.0))
                if deadline
                else (lambda: 10.0)
            )
            steps.append(("job engine and device sessions", lambda: jobs.stop(grace=left())))
        self._events, self._backups, self._runs, self._jobs = None, None, None, None
        for name, step in steps:
            if deadline is None:
                step()
            else:
                _bounded(name, step, max(deadline - time.monotonic(), 0.0) + MIN_STEP_S)
        self.engine.dispose()


MIN_STEP_S = 2.0  # a shutdown step's time beyond the grace (the writer's flush, closing)


def _bounded(name: str, step: Callable[[], None], timeout: float) -> None:
    """Run ``step`` for at most ``timeout`` s (in a daemon thread: what it still waits on
    when the time is up ends with the process)."""
    thread = threading.Thread(target=step, name=f"close {name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        log.warning("shutdown: %s still busy after %.1f s; leaving it to the exit", name, timeout)
