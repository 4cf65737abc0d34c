"""``netpulse-sdk`` 0.4.x file transfers, unchanged, against NetWeave and a lab device:
``upload`` (multipart to /device/exec, SCP to the device, md5 verified there), ``download``,
``fetch_staged_file`` and ``download_file`` (the staged copy at /storage/fetch/{id})."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import httpx
import pytest
from netpulse_sdk import NetPulseClient
from netpulse_sdk.error import AuthError, NetPulseError, NetworkError

from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate, UserCreate
from netweave.db.models import Role
from netweave.lab import LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.lab import first

pytestmark = ONE_BACKEND  # wire options and transfers: no SQL in the subject

LOGIN = {"username": "netweave", "password": "netweave", "secret": "netweave"}
# bytes that are not text: NUL, CR/LF, invalid UTF-8, and enough of them for several chunks
CONTENT = b"\x00\r\n\xff\xfe" + os.urandom(300_000) + b"\nend\r\n"


def _client(api: LiveApi, port: int, key: str | None = None) -> NetPulseClient:
    return NetPulseClient(
        base_url=api.url,
        api_key=key or api.key,
        driver="netmiko",
        default_connection_args={**LOGIN, "device_type": "cisco_ios", "port": port},
        max_retries=0,
    )


def _key(api: LiveApi, role: Role) -> str:
    with api.runtime.transaction() as session:
        user = users.create_user(
            session,
            UserCreate(username=f"sdk-{role.value}", password="a-long-enough-password", role=role),
        )
        principal = tokens.Principal(user.id, user.username, role, "test")
        _, key = tokens.create_api_key(session, principal, ApiKeyCreate(name="sdk"))
    return key


def test_upload_and_download_round_trip_byte_exact(
    live_api: LiveApi, lab: LabThread, tmp_path: Path
) -> None:
    device = first(lab, "cisco_ios")
    client = _client(live_api, device.port)
    local = tmp_path / "image.bin"
    local.write_bytes(CONTENT)

    uploaded = client.upload(device.host, str(local), "bootflash:/sdk-image.bin", ttl=60)
    assert uploaded.ok, uploaded.error
    assert device.files.read_bytes("bootflash:/sdk-image.bin") == CONTENT
    transfer = uploaded.metadata["file_transfer"]
    assert transfer["md5"] == hashlib.md5(CONTENT).hexdigest()
    assert transfer["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert transfer["remote_md5"] == transfer["md5"] and transfer["verified"] is True
    assert transfer["size"] == len(CONTENT) and transfer["protocol"] == "scp"

    # a directory-style remote path: the SDK appends the local file's name
    client.upload(device.host, str(local), "bootflash:/", ttl=60)
    assert device.files.read_bytes("bootflash:/image.bin") == CONTENT

    target = tmp_path / "back" / "image.bin"
    downloaded = client.download(device.host, "bootflash:/sdk-image.bin", str(target), ttl=60)
    assert target.read_bytes() == CONTENT
    url = downloaded.download_url or ""
    assert url.startswith(f"{live_api.url}/storage/fetch/")
    assert downloaded.metadata["file_transfer"]["verified"] is True

    file_id = downloaded.metadata["file_transfer"]["staged_file_id"]
    assert url.endswith(file_id)
    again = tmp_path / "by-id.bin"
    client.fetch_staged_file(file_id, str(again))
    assert again.read_bytes() == CONTENT
    by_url = tmp_path / "by-url.bin"
    client.download_file(url, str(by_url))
    assert by_url.read_bytes() == CONTENT
    staged = live_api.runtime.settings.data_dir / "staging" / f"{file_id}.data"
    assert staged.read_bytes() == CONTENT  # staged under the data dir


def test_download_failures_and_staged_file_expiry(
    live_api: LiveApi, lab: LabThread, tmp_path: Path
) -> None:
    device = first(lab, "cisco_ios")
    client = _client(live_api, device.port)
    with pytest.raises(NetPulseError, match="No such file"):
        client.download(device.host, "bootflash:/missing.bin", str(tmp_path / "x"), ttl=60)

    device.files.write("bootflash:/big.bin", b"x" * 5000)
    live_api.runtime.settings.file_download_max_bytes = 4096
    with pytest.raises(NetPulseError, match="more than the 4096 bytes allowed"):
        client.download(device.host, "bootflash:/big.bin", str(tmp_path / "y"), ttl=60)
    live_api.runtime.settings.file_download_max_bytes = 100 * 2**20

    live_api.runtime.settings.staged_file_ttl = 0.001  # expired as soon as it is staged
    job = client.run(
        device.host, file_transfer={"operation": "download", "remote_path": "bootflash:/big.bin"}
    ).wait(timeout=60)
    result = job.results()[0]
    assert result.ok, result.error
    file_id = result.metadata["file_transfer"]["staged_file_id"]
    response = httpx.get(
        f"{live_api.url}/storage/fetch/{file_id}", headers={"X-API-KEY": live_api.key}
    )
    assert response.status_code == 404 and "expired" in response.json()["detail"]
    assert not (live_api.runtime.settings.data_dir / "staging" / f"{file_id}.data").exists()


def test_too_large_upload_is_refused_naming_file(
    live_api: LiveApi, lab: LabThread, tmp_path: Path
) -> None:
    device = first(lab, "cisco_ios")
    live_api.runtime.settings.file_upload_max_bytes = 1000
    local = tmp_path / "big.bin"
    local.write_bytes(b"y" * 1001)
    client = _client(live_api, device.port)
    with pytest.raises(NetworkError, match="file: the file is larger than 1000 bytes"):
        client.upload(device.host, str(local), "bootflash:/too-big.bin")
    assert device.files.read_bytes("bootflash:/too-big.bin") is None
    assert not list((live_api.runtime.settings.data_dir / "staging").glob("*.data"))

    request = {
        "driver": "netmiko",
        "connection_args": {**LOGIN, "host": device.host, "port": device.port},
        "file_transfer": {"operation": "upload", "remote_path": "bootflash:/too-big.bin"},
    }
    response = httpx.post(
        f"{live_api.url}/device/exec",
        data={"request": json.dumps(request)},
        files={"file": ("big.bin", b"z" * 1001)},
        headers={"X-API-KEY": live_api.key},
    )
    assert response.status_code == 413 and response.json()["field"] == "file"


def test_hostile_ids_paths_and_requests_are_refused(live_api: LiveApi, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    headers = {"X-API-KEY": live_api.key}
    secret = live_api.runtime.settings.data_dir / "secret.key"
    for file_id in (
        "..%2Fsecret.key",
        "%2e%2e%2f%2e%2e%2fsecret.key",
        "..",
        "secret.key",
        "0" * 32,
        "0" * 31 + "G",
        ("a" * 32) + ".json",
    ):
        response = httpx.get(f"{live_api.url}/storage/fetch/{file_id}", headers=headers)
        assert response.status_code == 404, file_id
        assert response.content != secret.read_bytes()
    unknown = httpx.get(f"{live_api.url}/storage/fetch/{'0' * 32}", headers=headers)
    assert "no staged file" in unknown.json()["detail"]

    base = {
        "driver": "netmiko",
        "connection_args": {**LOGIN, "host": device.host, "port": device.port},
    }
    cases = [
        ({"file_transfer": {"operation": "upload", "remote_path": "x"}}, "file"),
        (
            {
                "file_transfer": {"operation": "upload", "remote_path": "x"},
                "staged_file_id": "../../secret.key",
            },
            "staged_file_id",
        ),
        (
            {
                "file_transfer": {
                    "operation": "upload",
                    "remote_path": "x",
                    "local_path": "/etc/passwd",
                }
            },
            "file_transfer",
        ),
        (
            {"file_transfer": {"operation": "download", "remote_path": "a\nreload"}},
            "file_transfer.remote_path",
        ),
        (
            {
                "file_transfer": {"operation": "download", "remote_path": "x"},
                "command": "show clock",
            },
            "file_transfer",
        ),
        ({**base, "driver": "pyeapi"}, "driver"),
    ]
    for extra, field in cases:
        body = {**base, "file_transfer": {"operation": "download", "remote_path": "x"}, **extra}
        response = httpx.post(f"{live_api.url}/device/exec", json=body, headers=headers)
        assert response.status_code in (404, 422), (extra, response.text)
        assert field in response.text, (field, response.text)
    # a multipart form without its JSON part
    response = httpx.post(
        f"{live_api.url}/device/exec", files={"file": ("f", b"1")}, headers=headers
    )
    assert response.status_code == 422 and response.json()["field"] == "request"


def test_a_viewer_cannot_upload_nor_fetch_others_files(
    live_api: LiveApi, lab: LabThread, tmp_path: Path
) -> None:
    device = first(lab, "cisco_ios")
    local = tmp_path / "viewer.txt"
    local.write_bytes(b"from a viewer\n")
    viewer_key = _key(live_api, Role.viewer)
    with pytest.raises(AuthError):
        _client(live_api, device.port, viewer_key).upload(
            device.host, str(local), "bootflash:/viewer.txt"
        )
    assert device.files.read_bytes("bootflash:/viewer.txt") is None

    device.files.write("bootflash:/admin-only.txt", b"staged for the admin\n")
    admin = _client(live_api, device.port)
    result = admin.download(
        device.host, "bootflash:/admin-only.txt", str(tmp_path / "a.txt"), ttl=60
    )
    url = result.download_url or ""
    assert httpx.get(url, headers={"X-API-KEY": viewer_key}).status_code == 403
    operator_key = _key(live_api, Role.operator)  # an operator, no pool fences
    fetched = httpx.get(url, headers={"X-API-KEY": operator_key})
    assert fetched.status_code == 200 and fetched.content == b"staged for the admin\n"
    assert httpx.get(url).status_code == 401
