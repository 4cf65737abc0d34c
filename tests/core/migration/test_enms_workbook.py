"""eNMS spreadsheets (.xls as eNMS writes them, and .xlsx) come in whole: devices with
their platforms, sites, coordinates and eNMS-only fields, the per-device logins as
deduplicated scoped credentials, links; a dry run first, all or nothing, idempotent; and an
imported device runs a job on the lab with the credential the import made."""

from __future__ import annotations

import io
import ipaddress
from typing import Any

import pytest
import xlwt
from openpyxl import Workbook
from sqlalchemy import select

from netweave.core.jobs.schemas import BulkRequest
from netweave.core.migration.enms import inventory as enms_inventory
from netweave.core.migration.enms import migrate_workbook
from netweave.core.runtime import Runtime
from netweave.db.models import Credential, Device, Link, Pool
from netweave.foundation.errors import ImportRejected, InvalidInput
from netweave.lab import LabThread
from tests.fixtures.workers import ADMIN

DEVICE_COLUMNS = [
    "name",
    "longitude",
    "latitude",
    "ip_address",
    "port",
    "operating_system",
    "vendor",
    "model",
    "os_version",
    "description",
    "icon",
    "username",
    "password",
    "enable_password",
    "location",
    "netmiko_driver",
    "napalm_driver",
    "scrapli_driver",
]
LINK_COLUMNS = [
    "name",
    "source_name",
    "destination_name",
    "description",
    "vendor",
    "subtype",
    "model",
    "color",
]


def enms_devices(lab: LabThread) -> list[dict[str, Any]]:
    """The lab's devices the way an eNMS user described them: the platform given by the
    Netmiko driver, or only by the operating system, or only by the vendor."""
    rows = []
    for index, device in enumerate(lab.devices):
        platform = device.spec.platform
        row: dict[str, Any] = {
            "name": f"enms-{device.name}",
            "ip_address": device.host,
            "port": device.port,
            "longitude": str(2.35 + index),  # eNMS files carry coordinates as text too
            "latitude": 48.85,
            "vendor": {
                "cisco_ios": "Cisco",
                "arista_eos": "Arista",
                "juniper_junos": "Juniper",
            }.get(platform, ""),
            "model": "lab",
            "description": f"eNMS device {index}",
            "icon": "router",
            "username": "netweave",
            "password": "netweave",
            "location": "paris",
            "napalm_driver": "ios" if platform == "cisco_ios" else "",
        }
        if platform == "cisco_ios":
            row["netmiko_driver"] = "cisco_ios"
        elif platform == "arista_eos":
            row["operating_system"] = "EOS"
        elif platform == "linux":
            row["netmiko_driver"] = "linux"
        # juniper_junos: the vendor alone
        rows.append(row)
    rows.append(
        {"name": "mystery", "ip_address": "10.9.9.9", "username": "ops", "password": "other"}
    )
    return rows


LINKS = [
    {
        "name": "l1",
        "source_name": "enms-lab-ios-001",
        "destination_name": "enms-lab-eos-002",
        "color": "#ff0000",
    },
    {
        "name": "l2",
        "source_name": "enms-lab-eos-002",
        "destination_name": "mystery",
        "description": "uplink",
    },
]


def xls(devices: list[dict[str, Any]], links: list[dict[str, Any]]) -> bytes:
    book = xlwt.Workbook()
    for title, columns, rows in (
        ("device", DEVICE_COLUMNS, devices),
        ("link", LINK_COLUMNS, links),
    ):
        sheet = book.add_sheet(title)
        for col, name in enumerate(columns):
            sheet.write(0, col, name)
        for number, row in enumerate(rows, start=1):
            for col, name in enumerate(columns):
                if row.get(name) not in (None, ""):
                    sheet.write(number, col, row[name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx(devices: list[dict[str, Any]], links: list[dict[str, Any]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, columns, rows in (
        ("device", DEVICE_COLUMNS, devices),
        ("link", LINK_COLUMNS, links),
    ):
        sheet = book.create_sheet(title)
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(name) for name in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def migrate(runtime: Runtime, content: bytes, *, dry_run: bool = False) -> Any:
    with runtime.transaction() as session:
        return migrate_workbook(session, runtime.box, content, dry_run=dry_run)


def test_an_enms_xls_comes_in_whole_and_its_devices_run_jobs(
    runtime: Runtime, lab: LabThread
) -> None:
    content = xls(enms_devices(lab), LINKS)
    preview = migrate(runtime, content, dry_run=True)
    assert preview.summary.dry_run
    assert preview.summary.created == {"credentials": 2, "devices": 9, "links": 2, "pools": 0}
    with runtime.transaction() as session:
        assert session.scalar(select(Device).where(Device.name == "mystery")) is None  # a dry run

    report = migrate(runtime, content)
    assert report.summary.created == preview.summary.created
    notes = "\n".join(report.notes)
    assert "platform taken from netmiko_driver" in notes
    assert "platform taken from operating_system" in notes
    assert "platform taken from vendor" in notes
    assert "got platform 'generic': mystery" in notes
    assert "link.color left out" in notes
    with runtime.transaction() as session:
        devices = {d.name: d for d in session.scalars(select(Device))}
        platforms = {name: d.platform for name, d in devices.items()}
        for device in lab.devices:
            assert platforms[f"enms-{device.name}"] == device.spec.platform
        ios = devices["enms-lab-ios-001"]
        assert (ios.site, ios.latitude, ios.longitude) == ("paris", 48.85, 2.35)
        assert ios.custom_fields == {
            "description": "eNMS device 0",
            "icon": "router",
            "napalm_driver": "ios",
        }
        assert platforms["mystery"] == "generic"
        credentials = {c.name: c for c in session.scalars(select(Credential))}
        assert set(credentials) == {"enms-netweave", "enms-ops"}
        lab_networks = ipaddress.collapse_addresses(
            ipaddress.ip_network(d.host) for d in lab.devices
        )
        assert credentials["enms-netweave"].scope == {
            "networks": [str(n) for n in lab_networks],
            "hosts": [],
            "pools": [],
        }
        assert credentials["enms-ops"].scope == {
            "networks": ["10.9.9.9/32"],
            "hosts": [],
            "pools": [],
        }
        assert {d.credential.name for d in devices.values() if d.credential} == set(credentials)
        links = {
            link.name: (link.source.name, link.destination.name)
            for link in session.scalars(select(Link))
        }
        assert links == {
            "l1": ("enms-lab-ios-001", "enms-lab-eos-002"),
            "l2": ("enms-lab-eos-002", "mystery"),
        }

    again = migrate(runtime, content)  # idempotent
    assert again.summary.created == {"credentials": 0, "devices": 0, "links": 0, "pools": 0}
    assert again.summary.unchanged["devices"] == 9 and again.summary.unchanged["links"] == 2

    request = BulkRequest.model_validate(
        {
            "connection_args": {},
            "devices": [{"host": "enms-lab-ios-001"}],
            "command": ["show version"],
        }
    )
    jobs, failed = runtime.jobs.submit_bulk(request, ADMIN)
    assert not failed
    done = runtime.jobs.wait(jobs[0].id, 60)
    assert done.status == "finished", done
    assert "uptime is" in str(done.result.retval if done.result else "")


def test_an_enms_xlsx_reads_the_same(runtime: Runtime, lab: LabThread) -> None:
    report = migrate(runtime, xlsx(enms_devices(lab), LINKS), dry_run=True)
    assert report.summary.created == {"credentials": 2, "devices": 9, "links": 2, "pools": 0}


def test_a_bad_row_rejects_the_whole_file_naming_the_eNMS_row(
    runtime: Runtime, lab: LabThread
) -> None:
    devices = enms_devices(lab)
    devices[3]["latitude"] = "north"
    with pytest.raises(ImportRejected) as rejected:
        migrate(runtime, xls(devices, LINKS))
    assert rejected.value.errors[0]["row"] == 5  # header on row 1: the fourth device is row 5
    assert rejected.value.errors[0]["field"] == "latitude"
    with runtime.transaction() as session:
        assert session.scalars(select(Device)).first() is None  # nothing was written


def test_files_that_are_not_enms_workbooks_are_refused(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput, match="not an Excel workbook"):
        migrate(runtime, b"name,host\nr1,10.0.0.1\n")
    book = xlwt.Workbook()
    book.add_sheet("routers").write(0, 0, "name")
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(InvalidInput, match="no 'device' or 'link' sheet"):
        migrate(runtime, out.getvalue())


def test_past_the_scope_list_limit_a_pool_of_the_devices_scopes_the_credential(
    runtime: Runtime, lab: LabThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 20,000-device eNMS file has more addresses per login than a scope lists: the
    credential is then scoped to a pool of exactly its devices, made by the same import."""
    monkeypatch.setattr(enms_inventory, "MAX_SCOPE_ENTRIES", 0)  # every list is too long
    report = migrate(runtime, xls(enms_devices(lab), LINKS))
    assert report.summary.created["pools"] == 2
    with runtime.transaction() as session:
        credential = session.scalar(select(Credential).where(Credential.name == "enms-netweave"))
        assert credential is not None and credential.scope is not None
        assert credential.scope["networks"] == [] and len(credential.scope["pools"]) == 1
        pool = session.get(Pool, credential.scope["pools"][0])
        assert pool is not None and pool.name == "enms-netweave-devices"
        assert sorted(m.device.name for m in pool.member_rows) == sorted(
            f"enms-{d.name}" for d in lab.devices
        )
    request = BulkRequest.model_validate(
        {
            "connection_args": {},
            "devices": [{"host": "enms-lab-eos-002"}],
            "command": ["show version"],
        }
    )
    jobs, failed = runtime.jobs.submit_bulk(request, ADMIN)
    assert not failed
    assert runtime.jobs.wait(jobs[0].id, 60).status == "finished"
