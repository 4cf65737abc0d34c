"""``POST /api/v1/migrate/enms``: admins only; the dry-run report with its notes; the
import; a bad row is a 422 naming the eNMS row, nothing written; a zipped migration folder
the same way, with the per-type report."""

from __future__ import annotations

from fastapi.testclient import TestClient

from netweave.lab import LabThread
from tests.core.migration.enms_folder import enms_files, tarred, zipped
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


def test_migrate_an_enms_folder_zipped_over_the_api(
    admin: TestClient, operator: TestClient, lab: LabThread
) -> None:
    files = {"file": ("enms.zip", zipped(enms_files(lab)), "application/zip")}
    assert operator.post("/api/v1/migrate/enms", files=files).status_code == 403
    preview = admin.post("/api/v1/migrate/enms", params={"dry_run": True}, files=files)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["dry_run"] and body["created"]["workflows"] == 1
    assert "Check" in body["report"]["workflows"]["created"]
    assert {"name": "Broken flow", "reason": "its step 'Snippet' was skipped"} in body["report"][
        "workflows"
    ]["skipped"]
    assert admin.get("/api/v1/workflows").json()["total"] == 0
    done = admin.post("/api/v1/migrate/enms", files=files)
    assert done.status_code == 200 and done.json()["created"]["services"] == 6
    assert admin.get("/api/v1/workflows").json()["total"] == 1
    again = admin.post("/api/v1/migrate/enms", files=files).json()
    assert again["changes_nothing"] and again["unchanged"]["tasks"] == 2

    tar = {"file": ("enms.tar.gz", tarred({"../../etc/device.yaml": "[]"}), "application/gzip")}
    refused = admin.post("/api/v1/migrate/enms", files=tar)
    assert refused.status_code == 422 and "a path outside the folder" in refused.text
