"""The composition root shared by every entry point: settings, engine, sessions, secrets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.access.users import BootstrapResult, ensure_first_admin
from netweave.core.jobs.service import JobService
from netweave.db.engine import make_engine, make_session_factory
from netweave.db.migrate import current_revision, head_revision, upgrade
from netweave.executor import Executor, LocalExecutor, RqExecutor, RqWorkerPool, strategies
from netweave.foundation.errors import ConfigurationError
from netweave.foundation.secrets import SecretBox
from netweave.foundation.settings import Settings
from netweave.sessions import PoolSettings, SessionPool


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    box: SecretBox
    bootstrap: BootstrapResult | None = field(default=None)
    _jobs: JobService | None = field(default=None, repr=False)
    recover_jobs: bool = True  # False for CLI tools that share a server's database

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True, bootstrap: bool = True) -> Runtime:
        """Connect, bring the schema to head and make sure an admin exists."""
        box = SecretBox(
            settings.resolve_secret_key(),
            [key.get_secret_value() for key in settings.previous_secret_keys],
        )
        settings.check_admin_password()
        if settings.executor == "rq":
            strategies.get(settings.placement, field="placement")  # a typo fails at start
        if settings.database_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.effective_database_url)
        runtime = cls(settings, engine, make_session_factory(engine), box)
        if migrate:
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
        if self._jobs is None:
            self._jobs = JobService(self.sessions, self.box, self._executor(), self._pool())
            self._jobs.start(recover=self.recover_jobs)
        return self._jobs

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
            return RqExecutor(
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
        executor = RqWorkerPool(
            settings.redis_url,
            settings.queue_name,
            threads,
            node,
            settings.node_heartbeat_ttl,
            capacity,
        )
        self._jobs = JobService(self.sessions, self.box, executor, self._pool())
        pool = self._jobs.pool
        executor.session_count = lambda: int(pool.stats()["sessions"])  # in its heartbeat
        self._jobs.start(recover=False)
        return self._jobs

    def close(self) -> None:
        if self._jobs is not None:
            self._jobs.stop()
            self._jobs = None
        self.engine.dispose()
