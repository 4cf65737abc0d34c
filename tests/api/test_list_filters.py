"""Issue 15 item 4: list filters (exact, or a case-insensitive glob with ``*``/``?``; "contains"
parameters take globs too; ``%``/``_`` are literal) and the devices' bulk edit and delete
(operator+, all or nothing, pool fences)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from netweave.core.access import scopes
from netweave.core.runtime import Runtime
from netweave.db.models import Role

ClientFactory = Callable[[Role], TestClient]
DEVICES = [
    ("lab-ios-01", "cisco_ios", "paris"),
    ("lab-ios-02", "cisco_ios", "paris"),
    ("LAB-IOS-10", "cisco_ios", "lyon"),
    ("lab-junos-01", "juniper_junos", "lyon"),
    ("edge_1", "juniper_junos", "nice"),
    ("edgex1", "arista_eos", "nice"),
    ("pct1", "linux", "50%_off"),
]


def _seed(client: TestClient) -> dict[str, int]:
    ids = {}
    for index, (name, platform, site) in enumerate(DEVICES):
        body = {"name": name, "host": f"10.0.0.{index + 1}", "platform": platform, "site": site}
        made = client.post("/api/v1/devices", json=body)
        assert made.status_code == 201, made.text
        ids[name] = made.json()["id"]
    return ids


def _names(client: TestClient, url: str, **params: str) -> list[str]:
    answer = client.get(url, params={**params, "limit": "1000"})
    assert answer.status_code == 200, answer.text
    return sorted(row["name"] for row in answer.json()["items"])


def test_device_filters_exact_or_case_insensitive_glob(admin: TestClient) -> None:
    _seed(admin)
    url = "/api/v1/devices"
    assert _names(admin, url, platform="juniper") == []  # exact without a glob (API clients)
    assert _names(admin, url, platform="juniper_junos") == ["edge_1", "lab-junos-01"]
    assert _names(admin, url, platform="*JUNIPER*") == ["edge_1", "lab-junos-01"]
    assert _names(admin, url, name="*lab-ios*") == ["LAB-IOS-10", "lab-ios-01", "lab-ios-02"]
    assert _names(admin, url, name="*-ios-0?") == ["lab-ios-01", "lab-ios-02"]
    assert _names(admin, url, name="lab-ios") == []  # anchored: a glob is the whole value
    assert _names(admin, url, name="lab-*", site="LYON") == []  # site exact, case matters
    assert _names(admin, url, name="lab-*", site="L*") == ["LAB-IOS-10", "lab-junos-01"]
    # % and _ are literal characters, never SQL wildcards
    assert _names(admin, url, name="edge_*") == ["edge_1"]
    assert _names(admin, url, site="*%*") == ["pct1"]
    assert _names(admin, url, site="%") == []
    assert _names(admin, url, site="5_%_off") == []
    assert _names(admin, url, q="e_") == ["edge_1"]
    assert _names(admin, url, q="LAB-IOS") == ["LAB-IOS-10", "lab-ios-01", "lab-ios-02"]


def test_other_lists_take_globs_and_escape(admin: TestClient) -> None:
    ids = _seed(admin)
    for name in ("core-ios", "core_junos", "edge"):
        made = admin.post("/api/v1/pools", json={"name": name, "devices": ["edge_1"]})
        assert made.status_code == 201, made.text
    assert _names(admin, "/api/v1/pools", name="*CORE*") == ["core-ios", "core_junos"]
    assert _names(admin, "/api/v1/pools", name="core") == []
    assert _names(admin, "/api/v1/pools", name="core_*") == ["core_junos"]
    link = {"source": "lab-ios-01", "destination": "lab-junos-01", "name": "Uplink-1"}
    assert admin.post("/api/v1/links", json=link).status_code == 201
    assert _names(admin, "/api/v1/links", name="*uplink*") == ["Uplink-1"]
    assert _names(admin, "/api/v1/links", device="*JUNOS*") == ["Uplink-1"]
    # changelog: actor exact or glob, object name contains (and globs; % literal)
    log = "/api/v1/changelog"
    assert set(_names_of(admin, log, "object_name", name="ios")) == {
        "lab-ios-01",
        "lab-ios-02",
        "LAB-IOS-10",
        "core-ios",
    }
    assert _names_of(admin, log, "object_name", name="*ios-0?") == ["lab-ios-01", "lab-ios-02"]
    assert _names_of(admin, log, "object_name", name="_") == ["core_junos", "edge_1"]
    assert _names_of(admin, log, "object_name", name="pct1", actor="ADMIN") == []
    assert _names_of(admin, log, "object_name", name="pct1", actor="*ADM*") == ["pct1"]
    assert ids


def _names_of(client: TestClient, url: str, key: str, **params: str) -> list[str]:
    answer = client.get(url, params={**params, "limit": "1000"})
    assert answer.status_code == 200, answer.text
    return sorted({row[key] for row in answer.json()["items"]})


def test_contains_lists_take_globs(admin: TestClient) -> None:
    for name in ("Backup configs", "backup_now", "Push VLAN"):
        body = {"name": name, "type": "reachability", "inputs": {"kind": "tcp", "port": 9}}
        made = admin.post("/api/v1/services", json=body)
        assert made.status_code == 201, made.text
    url = "/api/v1/services"
    assert _names(admin, url, name="BACKUP") == ["Backup configs", "backup_now"]
    assert _names(admin, url, name="*backup*") == ["Backup configs", "backup_now"]
    assert _names(admin, url, name="backup*") == ["Backup configs", "backup_now"]
    assert _names(admin, url, name="*_*") == ["backup_now"]  # _ is literal
    assert _names(admin, url, name="p?sh*") == ["Push VLAN"]


def test_filter_parameters_are_documented(admin: TestClient) -> None:
    spec = admin.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/devices"]["get"]["parameters"]}
    assert "glob" in params["platform"]["description"]
    params = {p["name"]: p for p in spec["paths"]["/api/v1/services"]["get"]["parameters"]}
    assert "glob" in params["name"]["description"]


def test_bulk_edit_and_delete_devices(
    admin: TestClient, client_as: ClientFactory, runtime: Runtime
) -> None:
    ids = _seed(admin)
    operator, viewer = client_as(Role.operator), client_as(Role.viewer)
    pick = [ids["lab-ios-01"], ids["lab-ios-02"]]
    body = {"ids": pick, "changes": {"platform": "arista_eos", "site": "berlin"}}
    assert viewer.patch("/api/v1/devices/bulk", json=body).status_code == 403
    done = operator.patch("/api/v1/devices/bulk", json=body)
    assert done.status_code == 200, done.text
    assert done.json() == {"count": 2, "names": ["lab-ios-01", "lab-ios-02"]}
    assert _names(admin, "/api/v1/devices", platform="arista_eos", site="berlin") == [
        "lab-ios-01",
        "lab-ios-02",
    ]
    tagged = {"ids": pick[:1], "changes": {"tags": ["core", "paris"]}}
    assert operator.patch("/api/v1/devices/bulk", json=tagged).status_code == 200
    assert _names(admin, "/api/v1/devices", tags="*COR*") == ["lab-ios-01"]
    assert _names(admin, "/api/v1/devices", tags="cor") == []
    # bad input: 422 naming the field; nothing is changed when one device is refused
    bad = operator.patch("/api/v1/devices/bulk", json={"ids": pick, "changes": {"name": "x"}})
    assert bad.status_code == 422 and "changes.name" in bad.text
    empty = operator.patch("/api/v1/devices/bulk", json={"ids": pick, "changes": {}})
    assert empty.status_code == 422 and empty.json()["field"] == "changes"
    twice = operator.patch(
        "/api/v1/devices/bulk", json={"ids": [pick[0], pick[0]], "changes": {"site": "x"}}
    )
    assert twice.status_code == 422 and "ids" in twice.text
    missing = operator.patch(
        "/api/v1/devices/bulk", json={"ids": [pick[0], 999999], "changes": {"site": "x"}}
    )
    assert missing.status_code == 404 and missing.json()["field"] == "ids"
    unknown = operator.patch(
        "/api/v1/devices/bulk", json={"ids": pick, "changes": {"credential": "nope"}}
    )
    assert unknown.status_code == 404 and unknown.json()["field"] == "credential"
    assert _names(admin, "/api/v1/devices", site="berlin") == ["lab-ios-01", "lab-ios-02"]

    # a pool-fenced operator: all or nothing
    made = admin.post("/api/v1/pools", json={"name": "paris", "devices": ["lab-ios-01"]})
    assert made.status_code == 201
    fenced = client_as(Role.operator)
    with runtime.transaction() as session:
        from netweave.db.models import User

        user = session.query(User).filter(User.role == Role.operator).order_by(User.id.desc())[0]
        scopes.set_pools(session, user.id, ["paris"])
    refused = fenced.post("/api/v1/devices/bulk-delete", json={"ids": pick})
    assert refused.status_code == 403, refused.text
    assert "lab-ios-02" in refused.text
    assert _names(admin, "/api/v1/devices", name="lab-ios-0?") == ["lab-ios-01", "lab-ios-02"]

    delete = {"ids": [ids["lab-ios-01"], ids["edge_1"]]}
    assert viewer.post("/api/v1/devices/bulk-delete", json=delete).status_code == 403
    gone = operator.post("/api/v1/devices/bulk-delete", json=delete)
    assert gone.status_code == 200 and gone.json()["count"] == 2
    assert "lab-ios-01" not in _names(admin, "/api/v1/devices")
    assert "edge_1" not in _names(admin, "/api/v1/devices")
    log = admin.get("/api/v1/changelog", params={"action": "delete", "object_type": "device"})
    assert {r["object_name"] for r in log.json()["items"]} == {"lab-ios-01", "edge_1"}
