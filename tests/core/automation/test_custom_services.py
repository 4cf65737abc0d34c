"""A custom Python service dropped into the folder: discovered, its form schema generated
from its typed inputs, disabled until an admin enables it, then it runs on a device."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.lab import LabThread
from tests.core.automation.conftest import add_inventory
from tests.fixtures.api import ClientFactory

CUSTOM = '''
from typing import Literal

from pydantic import Field

from netweave.services import Service, ServiceInputs, ServiceOutcome


class UptimeInputs(ServiceInputs):
    command: str = Field(default="show version", description="Where the uptime is printed")
    unit: Literal["seconds", "text"] = "text"
    minimum_days: int = Field(default=0, ge=0)


class UptimeCheck(Service[UptimeInputs]):
    """Reports the uptime line of a device."""

    title = "Uptime check"
    Inputs = UptimeInputs
    driver = "netmiko"

    def run(self, ctx, inputs):
        output = ctx.commands([inputs.command])[0].stdout
        line = next((l for l in output.splitlines() if "uptime is" in l), "")
        ctx.log(f"uptime line: {line}")
        return ServiceOutcome(bool(line), {"uptime": line, "device": ctx.device.name})
'''

BROKEN = "import does_not_exist\n"


def test_dropped_in_service_shows_its_form_and_runs_once_enabled(
    runtime: Runtime, admin: TestClient, client_as: ClientFactory, ios_lab: LabThread
) -> None:
    folder: Path = runtime.settings.effective_services_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "uptime.py").write_text(CUSTOM)
    (folder / "broken.py").write_text(BROKEN)
    names = add_inventory(admin, ios_lab)
    operator = client_as(Role.operator)

    assert operator.post("/api/v1/service-types/discover").status_code == 403
    types = {t["name"]: t for t in admin.post("/api/v1/service-types/discover").json()}
    custom = types["uptime_check"]
    assert custom["source"] == "folder" and custom["enabled"] is False
    assert custom["title"] == "Uptime check"
    schema = custom["input_schema"]
    assert schema["properties"]["unit"]["enum"] == ["seconds", "text"]
    assert schema["properties"]["minimum_days"]["minimum"] == 0
    assert schema["properties"]["command"]["default"] == "show version"
    assert types["broken"]["error"].startswith("ModuleNotFoundError")
    assert types["netmiko_commands"]["enabled"] is True  # built-ins need no approval

    service = {"name": "Uptime", "type": "uptime_check", "inputs": {"unit": "text"}}
    privileged = operator.post("/api/v1/services", json=service)  # custom code: admins only
    assert privileged.status_code == 403 and "privileged" in privileged.json()["detail"]
    refused = admin.post("/api/v1/services", json=service)
    assert refused.status_code == 409
    assert "disabled until an admin enables it" in refused.json()["detail"]
    assert (
        operator.patch("/api/v1/service-types/uptime_check", json={"enabled": True}).status_code
        == 403
    )
    enabled = admin.patch("/api/v1/service-types/uptime_check", json={"enabled": True})
    assert enabled.json()["enabled"] is True
    assert admin.patch("/api/v1/service-types/broken", json={"enabled": True}).status_code == 409

    bad = admin.post("/api/v1/services", json={**service, "inputs": {"unit": "hours"}})
    assert bad.status_code == 422 and "inputs.unit" in bad.json()["detail"]
    assert operator.post("/api/v1/services", json=service).status_code == 403
    assert admin.post("/api/v1/services", json=service).status_code == 201

    run = operator.post(
        "/api/v1/run/Uptime", json={"targets": {"devices": names[:2]}, "wait": 60}
    ).json()
    assert run["status"] == "success", run
    results = operator.get(f"/api/v1/runs/{run['id']}/results").json()
    assert {r["device"] for r in results} == set(names[:2])
    assert all("uptime is" in r["result"]["uptime"] for r in results)
    assert all("uptime line:" in r["logs"] for r in results)

    # a changed file is new code: disabled again until an admin looks at it
    (folder / "uptime.py").write_text(CUSTOM.replace("uptime line", "uptime is at"))
    types = {t["name"]: t for t in admin.post("/api/v1/service-types/discover").json()}
    assert types["uptime_check"]["enabled"] is False
    again = operator.post("/api/v1/run/Uptime", json={"targets": {"devices": names[:1]}})
    assert again.status_code == 409


def test_processes_starting_together_sync_the_catalog_without_conflict(runtime: Runtime) -> None:
    import threading

    from sqlalchemy import delete, func, select

    from netweave.core.automation.catalog import ServiceCatalog
    from netweave.db.models import ServiceType
    from netweave.services import registry

    with runtime.transaction() as session:
        session.execute(delete(ServiceType))
    catalogs = [
        ServiceCatalog(
            runtime.sessions, runtime.settings.effective_services_dir, runs_services=True
        )
        for _ in range(4)
    ]
    barrier = threading.Barrier(len(catalogs))
    errors: list[BaseException] = []

    def sync(catalog: ServiceCatalog) -> None:
        barrier.wait()
        try:
            catalog.sync()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sync, args=(c,)) for c in catalogs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ServiceType)) == len(
            registry.names()
        )
