"""Where ``netweave run`` sends its jobs: the embedded engine on the local database, or a
remote NetWeave server through its REST API. Both answer in the same shapes (``JobRead``,
``BulkFailure``), so the progress bar, the table and the exit code do not depend on the
mode."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from pydantic import ValidationError
from sqlalchemy import select

from netweave.cli.remote_client import RemoteClient, RemoteError
from netweave.core.access.tokens import Principal
from netweave.core.inventory import pools
from netweave.core.jobs.schemas import BulkFailure, BulkRequest, BulkResponse, JobRead
from netweave.core.runtime import Runtime
from netweave.db.models import Device, Role

Model = TypeVar("Model", BulkResponse, JobRead)
CLI_PRINCIPAL = Principal(user_id=0, username="cli", role=Role.admin, via="cli")


class JobSource(Protocol):
    def unknown_devices(self, names: list[str]) -> list[str]: ...

    def pool_members(self, pool: str) -> list[str]: ...

    def submit(self, request: dict[str, Any]) -> tuple[list[JobRead], list[BulkFailure]]: ...

    def wait(self, job_id: str, seconds: float) -> JobRead:
        """The job once it is done, or as it is after ``seconds`` (0: at once)."""
        ...

    def close(self) -> None: ...


class LocalJobs:
    """The embedded engine (persistent sessions in this process), as an admin."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def unknown_devices(self, names: list[str]) -> list[str]:
        with self.runtime.transaction() as session:
            known = set(session.scalars(select(Device.name).where(Device.name.in_(names))))
        return [name for name in names if name not in known]

    def pool_members(self, pool: str) -> list[str]:
        with self.runtime.transaction() as session:
            found = pools.pool_by_name(session, pool, field="--pool")
            members, _ = pools.pool_devices(session, found, limit=1000, offset=0)
            return [device.name for device in members]

    def submit(self, request: dict[str, Any]) -> tuple[list[JobRead], list[BulkFailure]]:
        return self.runtime.jobs.submit_bulk(BulkRequest.model_validate(request), CLI_PRINCIPAL)

    def wait(self, job_id: str, seconds: float) -> JobRead:
        return self.runtime.jobs.wait(job_id, seconds)

    def close(self) -> None:
        self.runtime.close()


class RemoteJobs:
    """A NetWeave server, as the user whose API key is given."""

    def __init__(self, client: RemoteClient) -> None:
        self.client = client

    def unknown_devices(self, names: list[str]) -> list[str]:
        return self.client.unknown_devices(names)

    def pool_members(self, pool: str) -> list[str]:
        return self.client.pool_members(pool)

    def submit(self, request: dict[str, Any]) -> tuple[list[JobRead], list[BulkFailure]]:
        answer = _read(BulkResponse, self.client.submit_bulk(request), self.client.server)
        return answer.succeeded, answer.failed

    def wait(self, job_id: str, seconds: float) -> JobRead:
        return _read(JobRead, self.client.job(job_id, seconds), self.client.server)

    def close(self) -> None:
        self.client.close()


def _read(model: type[Model], body: Any, server: str) -> Model:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise RemoteError(
            f"{server} answered in an unexpected shape (another NetWeave version?): "
            f"{exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
        ) from exc
