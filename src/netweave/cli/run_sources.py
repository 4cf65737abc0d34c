"""Where ``netweave run`` sends its jobs: the embedded engine on the local database, or a
remote NetWeave server through its REST API. Both answer in the same shapes (``JobRead``,
``BulkFailure``), so the progress bar, the table and the exit code do not depend on the
mode. The embedded engine's side is in :mod:`run_local` (imported only when used: it
loads the whole engine)."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from netweave.cli.remote_client import RemoteClient, RemoteError
from netweave.core.jobs.schemas import BulkFailure, BulkResponse, JobRead

Model = TypeVar("Model", BulkResponse, JobRead)


class JobSource(Protocol):
    def unknown_devices(self, names: list[str]) -> list[str]: ...

    def pool_members(self, pool: str) -> list[str]: ...

    def submit(self, request: dict[str, Any]) -> tuple[list[JobRead], list[BulkFailure]]: ...

    def wait(self, job_id: str, seconds: float) -> JobRead:
        """The job once it is done, or as it is after ``seconds`` (0: at once)."""
        ...

    def close(self) -> None: ...


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
