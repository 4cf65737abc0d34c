"""``netweave run``'s local mode: the embedded engine on the local database, as an admin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from netweave.core.access.principal import Principal
from netweave.core.jobs.schemas import BulkFailure, BulkRequest, JobRead
from netweave.core.runtime import Runtime
from netweave.db.models import Device, Role

CLI_PRINCIPAL = Principal(user_id=0, username="cli", role=Role.admin, via="cli")


class LocalJobs:
    """The embedded engine (persistent sessions in this process), as an admin."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def unknown_devices(self, names: list[str]) -> list[str]:
        with self.runtime.transaction() as session:
            known = set(session.scalars(select(Device.name).where(Device.name.in_(names))))
        return [name for name in names if name not in known]

    def pool_members(self, pool: str) -> list[str]:
        from netweave.core.inventory import pools

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
