"""``POST /api/v1/migrate/enms``: admins only; the dry-run report with its notes; the
import; a bad row is a 422 naming the eNMS row, nothing written."""

from __future__ import annotations

from fastapi.testclient import TestClient

from netweave.lab import LabThread
from tests.core.migration.test_enms_workbook import LINKS, enms_devices, xls

XLS = "application/vnd.ms-excel"


def test_migrate_enms_over_the_api(admin: TestClient, operator: TestClient, lab: LabThread) -> None:
    content = xls(enms_devices(lab), LINKS)
    files = {"file": ("usa.xls", content, XLS)}
    refused = operator.post("/api/v1/migrate/enms", files=files)
    assert refused.status_code == 403, refused.text
    preview = admin.post("/api/v1/migrate/enms", params={"dry_run": True}, files=files)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["dry_run"] and body["created"]["devices"] == 9
    assert any("platform taken from vendor" in note for note in body["notes"])
    assert admin.get("/api/v1/devices").json()["total"] == 0
    done = admin.post("/api/v1/migrate/enms", files=files)
    assert done.status_code == 200 and done.json()["created"]["links"] == 2
    assert admin.get("/api/v1/devices").json()["total"] == 9

    rows = enms_devices(lab)
    rows[1]["port"] = 70000
    bad = admin.post("/api/v1/migrate/enms", files={"file": ("bad.xls", xls(rows, LINKS), XLS)})
    assert bad.status_code == 422, bad.text
    error = bad.json()["errors"][0]
    assert (error["sheet"], error["row"], error["field"]) == ("devices", 3, "port")
    not_excel = admin.post("/api/v1/migrate/enms", files={"file": ("x.xls", b"hello", XLS)})
    assert not_excel.status_code == 422 and "not an Excel workbook" in not_excel.text
