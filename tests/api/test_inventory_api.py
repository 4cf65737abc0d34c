from fastapi.testclient import TestClient
from sqlalchemy import text

from netweave.core.runtime import Runtime

DEVICE = {"name": "r1", "host": "10.0.0.1", "platform": "cisco_ios"}


def _device(client: TestClient, **fields: object) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/v1/devices", json={**DEVICE, **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_credential_secrets_never_returned_and_encrypted_at_rest(
    admin: TestClient, operator: TestClient, runtime: Runtime
) -> None:
    body = {
        "name": "core",
        "username": "netops",
        "password": "P@ssw0rd-unique-1",
        "enable_secret": "En@ble-unique-2",
    }
    created = admin.post("/api/v1/credentials", json=body)  # admin-only
    assert created.status_code == 201
    for response in (
        created,
        operator.get("/api/v1/credentials"),
        operator.get(f"/api/v1/credentials/{created.json()['id']}"),
    ):
        assert "P@ssw0rd-unique-1" not in response.text
        assert "En@ble-unique-2" not in response.text
    read = created.json()
    assert read["has_password"] and read["has_enable_secret"] and not read["has_ssh_key"]
    with runtime.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM credentials")).mappings().one()
    assert "P@ssw0rd-unique-1" not in str(dict(row))
    assert runtime.box.decrypt(row["password_enc"]) == "P@ssw0rd-unique-1"
    missing = admin.post("/api/v1/credentials", json={"name": "x", "username": "u"})
    assert missing.status_code == 422 and "password or ssh_key" in missing.json()["detail"]


def test_device_crud_and_field_errors(admin: TestClient, operator: TestClient) -> None:
    lab = {"name": "lab", "username": "u", "password": "p", "scope": {"networks": ["10.0.0.1"]}}
    assert admin.post("/api/v1/credentials", json=lab).status_code == 201
    device = _device(
        operator,
        port=2222,
        tags=["core", "paris"],
        custom_fields={"rack": "A1", "u": 12},
        credential="lab",
        latitude=48.85,
        longitude=2.35,
    )
    assert device["credential"] == "lab" and device["tags"] == ["core", "paris"]
    assert device["created_at"].endswith("Z") or "+00:00" in device["created_at"]
    dup = operator.post("/api/v1/devices", json=DEVICE)
    assert dup.status_code == 409 and dup.json()["field"] == "name"
    bad = operator.post(
        "/api/v1/devices",
        json={"name": "r2", "host": "not a host", "platform": "Cisco IOS", "port": 0},
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"host", "platform", "port"}
    unknown_cred = operator.post(
        "/api/v1/devices", json={**DEVICE, "name": "r3", "credential": "nope"}
    )
    assert unknown_cred.status_code == 404 and unknown_cred.json()["field"] == "credential"
    extra = operator.post("/api/v1/devices", json={**DEVICE, "name": "r4", "colour": "red"})
    assert extra.status_code == 422 and "colour" in extra.json()["detail"]

    patched = operator.patch(
        f"/api/v1/devices/{device['id']}", json={"site": "PAR1", "tags": ["edge"]}
    )
    assert patched.json()["site"] == "PAR1" and patched.json()["tags"] == ["edge"]
    assert operator.get("/api/v1/devices/999999").status_code == 404
    in_use = admin.delete("/api/v1/credentials/1")
    assert in_use.status_code == 409 and "used by 1 device" in in_use.json()["detail"]
    assert operator.delete(f"/api/v1/devices/{device['id']}").status_code == 204
    assert operator.get(f"/api/v1/devices/{device['id']}").status_code == 404


def test_list_filters_sorts_and_pages(operator: TestClient) -> None:
    for index in range(30):
        _device(
            operator,
            name=f"sw-{index:02d}",
            host=f"10.0.{index}.1",
            platform="arista_eos" if index % 3 == 0 else "cisco_ios",
            site="PAR" if index < 10 else "LON",
            tags=["core"] if index % 5 == 0 else [],
        )
    page = operator.get("/api/v1/devices", params={"limit": 7, "offset": 7, "sort": "name"}).json()
    assert page["total"] == 30 and [d["name"] for d in page["items"]] == [
        f"sw-{i:02d}" for i in range(7, 14)
    ]
    eos = operator.get("/api/v1/devices", params={"platform": "arista_eos", "limit": 100}).json()
    assert eos["total"] == 10
    glob = operator.get("/api/v1/devices", params={"name": "SW-0*"}).json()
    assert glob["total"] == 10  # case-insensitive glob
    tagged = operator.get("/api/v1/devices", params={"tags": "core", "site": "LON"}).json()
    assert sorted(d["name"] for d in tagged["items"]) == ["sw-10", "sw-15", "sw-20", "sw-25"]
    desc = operator.get("/api/v1/devices", params={"sort": "-site,-name", "limit": 1}).json()
    assert desc["items"][0]["name"] == "sw-09"
    search = operator.get("/api/v1/devices", params={"q": "10.0.2"}).json()
    assert {d["name"] for d in search["items"]} >= {"sw-02", "sw-20", "sw-29"}
    bad_sort = operator.get("/api/v1/devices", params={"sort": "password"})
    assert bad_sort.status_code == 422 and bad_sort.json()["field"] == "sort"
    too_big = operator.get("/api/v1/devices", params={"limit": 5000})
    assert too_big.status_code == 422 and "limit" in too_big.json()["detail"]
    unknown_filter = operator.get("/api/v1/devices", params={"name": "sw-%"}).json()
    assert unknown_filter["total"] == 0  # SQL wildcards are literal, only * and ? glob


def test_links_between_devices(operator: TestClient) -> None:
    _device(operator, name="a")
    _device(operator, name="b", host="10.0.0.2")
    link = operator.post(
        "/api/v1/links",
        json={
            "source": "a",
            "destination": "b",
            "source_interface": "Gi0/1",
            "destination_interface": "Gi0/2",
        },
    )
    assert link.status_code == 201
    assert link.json()["name"] == "a:Gi0/1--b:Gi0/2"
    assert (
        operator.post("/api/v1/links", json={"source": "a", "destination": "a"}).status_code == 422
    )
    missing = operator.post("/api/v1/links", json={"source": "a", "destination": "zz"})
    assert missing.status_code == 404 and missing.json()["field"] == "destination"
    assert operator.get("/api/v1/links", params={"device": "b"}).json()["total"] == 1
    b_id = operator.get("/api/v1/devices", params={"name": "b"}).json()["items"][0]["id"]
    operator.delete(f"/api/v1/devices/{b_id}")
    assert operator.get("/api/v1/links").json()["total"] == 0  # cascades with the device


def test_pool_filter_resolves_live(operator: TestClient) -> None:
    _device(operator, name="ios-1", platform="cisco_ios")
    _device(operator, name="eos-1", host="10.0.0.2", platform="arista_eos")
    pool = operator.post(
        "/api/v1/pools",
        json={"name": "ios", "devices": ["eos-1"], "device_filter": {"platform": "cisco_*"}},
    )
    assert pool.status_code == 201, pool.text
    assert pool.json()["device_count"] == 2
    _device(operator, name="ios-2", host="10.0.0.3", platform="cisco_ios")
    members = operator.get(f"/api/v1/pools/{pool.json()['id']}/devices").json()
    assert sorted(d["name"] for d in members["items"]) == ["eos-1", "ios-1", "ios-2"]
    cleared = operator.patch(f"/api/v1/pools/{pool.json()['id']}", json={"clear_filter": True})
    assert cleared.json()["device_count"] == 1
    bad = operator.post("/api/v1/pools", json={"name": "p2", "devices": ["ghost"]})
    assert bad.status_code == 404 and bad.json()["field"] == "devices[0]"
    bad_filter = operator.post(
        "/api/v1/pools", json={"name": "p3", "device_filter": {"colour": "x"}}
    )
    assert bad_filter.status_code == 422 and "colour" in bad_filter.json()["detail"]
