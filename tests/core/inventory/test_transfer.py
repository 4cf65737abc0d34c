import io

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import func, select

from netweave.core.inventory import transfer
from netweave.core.runtime import Runtime
from netweave.db.models import Credential, Device, Link, Pool
from netweave.foundation.errors import ImportRejected, InvalidInput


def _yaml(data: dict) -> transfer.Document:  # type: ignore[type-arg]
    return transfer.load(yaml.safe_dump(data).encode(), "yaml")


def _count(runtime: Runtime, model: type) -> int:  # type: ignore[type-arg]
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


GOOD = {
    "credentials": [
        {
            "name": "lab",
            "username": "netops",
            "password": "s3cret-pass",
            "scope": {"networks": ["10.0.0.0/24"]},  # credential scopes: where r1..r9 live
        }
    ],
    "devices": [
        {
            "name": f"r{i}",
            "host": f"10.0.0.{i}",
            "platform": "cisco_ios",
            "credential": "lab",
            "tags": ["core"],
        }
        for i in range(1, 10)
    ],
    "links": [{"source": "r1", "destination": "r2", "source_interface": "Gi0/0"}],
    "pools": [{"name": "core", "devices": ["r1"], "device_filter": {"tags": ["core"]}}],
}


def test_import_creates_everything_with_cross_references(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        summary = transfer.import_document(session, runtime.box, _yaml(GOOD))
    assert summary.created == {"credentials": 1, "devices": 9, "links": 1, "pools": 1}
    with runtime.transaction() as session:
        device = session.scalar(select(Device).where(Device.name == "r3"))
        assert device is not None and device.tags == ["core"] and device.credential is not None
        assert device.credential.name == "lab"
        credential = session.scalar(select(Credential))
        assert (
            credential is not None
            and runtime.box.decrypt(credential.password_enc or "") == "s3cret-pass"
        )


def test_one_bad_row_rejects_the_file_and_writes_nothing(runtime: Runtime) -> None:
    bad = {
        **GOOD,
        "devices": [
            *GOOD["devices"],
            {"name": "r10", "host": "not a host!", "platform": "cisco_ios"},
        ],
    }
    with pytest.raises(ImportRejected) as rejected, runtime.transaction() as session:
        transfer.import_document(session, runtime.box, _yaml(bad))
    assert rejected.value.errors == [
        {
            "sheet": "devices",
            "row": 10,
            "field": "host",
            "message": rejected.value.errors[0]["message"],
        }
    ]
    assert "host name" in rejected.value.errors[0]["message"]
    for model in (Credential, Device, Link, Pool):
        assert _count(runtime, model) == 0


def test_row_errors_name_sheet_row_and_field(runtime: Runtime) -> None:
    data = {
        "devices": [
            {"name": "a", "host": "10.0.0.1", "platform": "cisco_ios", "credential": "ghost"},
            {"name": "a", "host": "10.0.0.2", "platform": "cisco_ios"},
            {"name": "b", "host": "10.0.0.3", "platform": "cisco_ios", "port": 70000},
        ],
        "links": [{"source": "a", "destination": "zz"}],
        "pools": [{"name": "p", "devices": ["a", "nope"]}],
        "credentials": [{"name": "c", "username": "u"}],
    }
    with pytest.raises(ImportRejected) as rejected, runtime.transaction() as session:
        transfer.import_document(session, runtime.box, _yaml(data))
    found = {(e["sheet"], e["row"], e["field"]) for e in rejected.value.errors}
    assert found == {
        ("credentials", 1, "password"),  # password or ssh_key: named, not the whole row
        ("devices", 1, "credential"),
        ("devices", 2, "name"),
        ("devices", 3, "port"),
        ("links", 1, "destination"),
        ("pools", 1, "devices[1]"),
    }


def test_export_then_import_round_trips_unchanged(runtime: Runtime) -> None:
    data = {
        **GOOD,
        "devices": [
            {**GOOD["devices"][0], "custom_fields": {"rack": "A1", "u": 4}, "latitude": 48.8}
        ],
    }
    data["links"] = []
    with runtime.transaction() as session:
        transfer.import_document(session, runtime.box, _yaml(data))
    for fmt in ("xlsx", "yaml"):
        with runtime.transaction() as session:
            before = transfer.export_document(session)
            content = transfer.dump(before, fmt)
        with runtime.transaction() as session:
            summary = transfer.import_document(session, runtime.box, transfer.load(content, fmt))
        assert summary.created == {"credentials": 0, "devices": 0, "links": 0, "pools": 0}
        with runtime.transaction() as session:
            assert transfer.export_document(session) == before
            credential = session.scalar(select(Credential))
            assert credential is not None  # secrets kept although the export had none
            assert runtime.box.decrypt(credential.password_enc or "") == "s3cret-pass"
    assert "s3cret-pass" not in content.decode(errors="ignore")


def test_xlsx_sheets_and_malformed_files() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "devices"
    sheet.append(["name", "host", "platform", "tags", "cf_rack"])
    sheet.append(["sw1", "10.1.1.1", "arista_eos", "edge, dc1", "R12"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    document = transfer.load(buffer.getvalue(), "xlsx")
    row = document.rows["devices"][0]
    assert row.number == 2
    assert row.data == {
        "name": "sw1",
        "host": "10.1.1.1",
        "platform": "arista_eos",
        "tags": ["edge", "dc1"],
    }
    assert row.custom == {"rack": "R12"}
    with pytest.raises(InvalidInput, match=r"not a readable \.xlsx"):
        transfer.load(b"PK-not-really", "xlsx")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        transfer.load(b"devices: [unclosed", "yaml")
    with pytest.raises(InvalidInput, match="mapping"):
        transfer.load(b"- just a list", "yaml")
    with pytest.raises(InvalidInput, match="unknown column 'colour'"):
        transfer.load(b"name,host,platform,colour\nr1,10.0.0.1,cisco_ios,red\n", "csv")
    with pytest.raises(InvalidInput, match="unknown top-level key"):
        transfer.load(b"gadgets: []", "yaml")
