from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime

CSV = b'name,host,platform,tags,credential\nr1,10.0.0.1,cisco_ios,core,\nr2,10.0.0.2,arista_eos,"edge, dc",\n'


def test_csv_import_then_xlsx_export_and_reimport(operator: TestClient) -> None:
    imported = operator.post(
        "/api/v1/inventory/import", files={"file": ("devices.csv", CSV, "text/csv")}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"]["devices"] == 2
    listed = operator.get("/api/v1/devices", params={"sort": "name"}).json()["items"]
    assert [d["tags"] for d in listed] == [["core"], ["dc", "edge"]]

    export = operator.get("/api/v1/inventory/export", params={"format": "xlsx"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "netweave-inventory.xlsx" in export.headers["content-disposition"]
    again = operator.post(
        "/api/v1/inventory/import",
        files={"file": ("inv.xlsx", export.content, "application/octet-stream")},
    )
    assert again.json() == {
        "created": {"credentials": 0, "devices": 0, "links": 0, "pools": 0},
        "updated": {"credentials": 0, "devices": 0, "links": 0, "pools": 0},
        "unchanged": {"credentials": 0, "devices": 2, "links": 0, "pools": 0},
        "dry_run": False,
    }
    csv_export = operator.get(
        "/api/v1/inventory/export", params={"format": "csv", "kind": "devices"}
    )
    assert csv_export.text.splitlines()[0].startswith("name,host,port,platform")


def test_bad_rows_get_a_row_report_and_nothing_is_written(operator: TestClient) -> None:
    bad = CSV + b"r3,bad host,cisco_ios,,missing-cred\n"
    response = operator.post("/api/v1/inventory/import", files={"file": ("d.csv", bad, "text/csv")})
    assert response.status_code == 422
    body = response.json()
    assert "nothing was imported" in body["detail"]
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(4, "host"), (4, "credential")}
    assert operator.get("/api/v1/devices").json()["total"] == 0


def test_dry_run_validates_without_writing(operator: TestClient) -> None:
    response = operator.post(
        "/api/v1/inventory/import",
        params={"dry_run": "true"},
        files={"file": ("d.csv", CSV, "text/csv")},
    )
    assert response.json()["created"]["devices"] == 2 and response.json()["dry_run"] is True
    assert operator.get("/api/v1/devices").json()["total"] == 0


def test_malformed_uploads_are_4xx_naming_the_problem(
    operator: TestClient, viewer: TestClient, runtime: Runtime
) -> None:
    unknown = operator.post(
        "/api/v1/inventory/import", files={"file": ("x.txt", b"hello", "text/plain")}
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "format"
    broken = operator.post(
        "/api/v1/inventory/import", files={"file": ("x.xlsx", b"garbage", "application/zip")}
    )
    assert broken.status_code == 422 and "xlsx" in broken.json()["detail"]
    runtime.settings.max_import_bytes = 20 * 2**20  # the route checks the file itself too
    huge = operator.post(
        "/api/v1/inventory/import",
        files={"file": ("x.yaml", b"#" * (20 * 2**20 + 10), "application/yaml")},
    )
    assert huge.status_code == 413
    bad_format = operator.get("/api/v1/inventory/export", params={"format": "pdf"})
    assert bad_format.status_code == 422 and "format" in bad_format.json()["detail"]
    denied = viewer.post("/api/v1/inventory/import", files={"file": ("d.csv", CSV, "text/csv")})
    assert denied.status_code == 403
    assert viewer.get("/api/v1/inventory/export", params={"format": "yaml"}).status_code == 200
