"""``netweave run --server``: the same operations through a live server's REST API, and
device lists from CSV/XLSX files, against the lab's real SSH devices."""

from __future__ import annotations

import csv
import ipaddress
import json
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner, Result

from netweave.api.app import create_app
from netweave.cli.main import app
from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate, UserCreate
from netweave.core.inventory import devices
from netweave.core.inventory.schemas import DeviceCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Job, Role
from netweave.lab import LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.lab import add_lab_credential

runner = CliRunner()
FILE_COLUMNS = ["name", "host", "port", "platform", "vendor", "username", "password", "secret"]


@pytest.fixture
def cli_env(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The local mode opens the test's database; no remote server comes from outside."""
    monkeypatch.setenv("NETWEAVE_DATABASE_URL", runtime.settings.effective_database_url)
    monkeypatch.setenv("NETWEAVE_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("NETWEAVE_MODE", "dev")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("NETWEAVE_SERVER", raising=False)
    monkeypatch.delenv("NETWEAVE_API_KEY", raising=False)


@pytest.fixture
def inventory(runtime: Runtime, lab: LabThread) -> None:
    add_lab_credential(runtime)
    with runtime.transaction() as session:
        for device in lab.devices:
            devices.create_device(
                session,
                DeviceCreate(
                    name=device.name,
                    host=device.host,
                    port=device.port,
                    platform=device.spec.platform,
                    vendor=device.spec.vendor,
                    credential="lab",
                ),
            )


def remote(live_api: LiveApi, *args: str, key: str | None = None) -> Result:
    return runner.invoke(
        app, ["run", "--server", live_api.url, "--api-key", key or live_api.key, *args]
    )


def table(output: str) -> dict[str, tuple[str, str]]:
    """The results table: device → (status, summary); not the seconds or reuse columns."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) == 7 and cells[1] and cells[1] != "device":
            rows[cells[1]] = (cells[2], cells[5])
    return rows


def lab_rows(lab: LabThread) -> list[list[object]]:
    return [
        [
            d.name,
            d.host,
            d.port,
            d.spec.platform,
            d.spec.vendor,
            d.spec.username,
            d.spec.password,
            d.spec.enable_secret,
        ]
        for d in lab.devices
    ]


def write_csv(path: Path, header: list[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def jobs_hit(runtime: Runtime) -> set[tuple[str, int]]:
    with runtime.transaction() as session:
        return {(job.device_host, job.device_port) for job in session.scalars(select(Job))}


@pytest.mark.usefixtures("cli_env", "inventory")
def test_a_command_through_the_server_gives_the_local_result(
    live_api: LiveApi, lab: LabThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--devices", "lab-ios-001,lab-eos-002", "--parse", "show version"]
    local = runner.invoke(app, ["run", *args])
    through = remote(live_api, *args)
    assert local.exit_code == 0, local.output
    assert through.exit_code == 0, through.output
    assert table(through.output) == table(local.output)
    assert set(table(through.output)) == {"lab-ios-001", "lab-eos-002"}
    parsed = re.compile(r'"(hostname|serial_number)": "([\w-]+)"')  # not the uptimes
    assert parsed.findall(through.output) == parsed.findall(local.output)
    assert ("hostname", "lab-ios-001") in parsed.findall(through.output)
    assert ("serial_number", "JPE00000002") in parsed.findall(through.output)
    assert live_api.key not in through.output

    # a command the device rejects: finished, but exit code 1 in both modes
    rejected = remote(live_api, "--devices", "lab-ios-001", "show nonsense")
    assert rejected.exit_code == 1, rejected.output
    assert runner.invoke(app, ["run", "--devices", "lab-ios-001", "show nonsense"]).exit_code == 1

    # an unknown name is refused before anything runs, as locally
    ghost = remote(live_api, "--devices", "lab-ios-001,ghost", "show clock")
    assert ghost.exit_code == 2 and "not in the inventory: ghost" in ghost.output

    # the environment names the server and the key
    monkeypatch.setenv("NETWEAVE_SERVER", live_api.url)
    monkeypatch.setenv("NETWEAVE_API_KEY", live_api.key)
    from_env = runner.invoke(app, ["run", "--devices", "lab-junos-003", "show version"])
    assert from_env.exit_code == 0, from_env.output
    assert table(from_env.output)["lab-junos-003"][0] == "finished"
    assert f"server: {live_api.url}" in from_env.output


@pytest.mark.usefixtures("cli_env", "inventory")
def test_a_wrong_key_or_server_is_a_clear_error(live_api: LiveApi, runtime: Runtime) -> None:
    wrong = "nwk_not-a-real-key-0123456789"
    refused = remote(live_api, "--devices", "lab-ios-001", "show clock", key=wrong)
    assert refused.exit_code == 2
    assert "refused the API key (401" in refused.output
    assert wrong not in refused.output

    with runtime.transaction() as session:  # a viewer may read, not run
        viewer = users.create_user(
            session,
            UserCreate(username="watcher", password="a-long-enough-password", role=Role.viewer),
        )
        principal = tokens.Principal(viewer.id, viewer.username, Role.viewer, "test")
        _, viewer_key = tokens.create_api_key(session, principal, ApiKeyCreate(name="ro"))
    forbidden = remote(live_api, "--devices", "lab-ios-001", "show clock", key=viewer_key)
    assert forbidden.exit_code == 2 and "(403" in forbidden.output
    assert viewer_key not in forbidden.output
    assert jobs_hit(runtime) == set()

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    unreachable = runner.invoke(
        app, ["run", "--server", closed, "--api-key", live_api.key, "-d", "x", "show clock"]
    )
    assert unreachable.exit_code == 2
    assert f"cannot reach the server at {closed}" in unreachable.output
    assert live_api.key not in unreachable.output

    keyless = runner.invoke(app, ["run", "--server", live_api.url, "-d", "x", "show clock"])
    assert keyless.exit_code == 2 and "--server needs an API key" in keyless.output
    both = remote(live_api, "--insecure", "--ca-cert", "ca.pem", "-d", "x", "show clock")
    assert both.exit_code == 2 and "--insecure and --ca-cert" in both.output


@pytest.mark.usefixtures("cli_env")
def test_a_csv_list_with_a_vendor_filter_hits_exactly_those_devices(
    live_api: LiveApi, lab: LabThread, runtime: Runtime, tmp_path: Path
) -> None:
    listed = write_csv(tmp_path / "devices.csv", FILE_COLUMNS, lab_rows(lab))
    result = remote(live_api, "--devices-file", str(listed), "--vendor", "cis*", "show version")
    assert result.exit_code == 0, result.output
    cisco = [d for d in lab.devices if d.spec.vendor == "Cisco"]
    assert len(cisco) == 2
    assert set(table(result.output)) == {d.name for d in cisco}
    assert all(status == "finished" for status, _ in table(result.output).values())
    assert jobs_hit(runtime) == {(d.host, d.port) for d in cisco}
    stored = _stored_requests(runtime)  # each row's password sealed with its own job
    assert all("password" not in json.dumps(request) for request, _ in stored)
    assert all(sealed for _, sealed in stored)


@pytest.mark.usefixtures("cli_env")
def test_an_xlsx_list_with_a_vendor_filter_hits_exactly_those_devices(
    live_api: LiveApi, lab: LabThread, runtime: Runtime, tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Name", "Address", "Port", "Device Type", "Vendor", "User", "Password"])
    for row in lab_rows(lab):
        sheet.append(row[:7])
    sheet.append([])  # an empty row is skipped
    path = tmp_path / "devices.xlsx"
    workbook.save(path)
    result = remote(live_api, "-f", str(path), "--vendor", "ARISTA", "show version")
    assert result.exit_code == 0, result.output
    arista = [d for d in lab.devices if d.spec.vendor == "Arista"]
    assert len(arista) == 2
    assert set(table(result.output)) == {d.name for d in arista}
    assert jobs_hit(runtime) == {(d.host, d.port) for d in arista}


@pytest.mark.usefixtures("cli_env", "inventory")
def test_a_list_of_inventory_names_runs_locally_too(
    lab: LabThread, runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [[d.name, d.spec.platform] for d in lab.devices]
    listed = write_csv(tmp_path / "names.csv", ["name", "platform"], rows)
    monkeypatch.setenv("NETWEAVE_API_KEY", "kept-for-other-tools")  # no server: still local
    result = runner.invoke(
        app, ["run", "-f", str(listed), "--platform", "juniper_*", "show version"]
    )
    assert result.exit_code == 0, result.output
    junos = {d.name for d in lab.devices if d.spec.platform == "juniper_junos"}
    assert set(table(result.output)) == junos
    assert "server:" not in result.output and "data:" in result.output


@pytest.mark.usefixtures("cli_env")
def test_a_bad_list_names_the_row_and_column(live_api: LiveApi, tmp_path: Path) -> None:
    no_user = write_csv(
        tmp_path / "no-user.csv",
        ["host", "port", "platform", "password"],
        [["127.0.0.1", 22, "cisco_ios", "secret-pw"]],
    )
    missing = remote(live_api, "-f", str(no_user), "show clock")
    assert missing.exit_code == 2
    assert "no-user.csv, row 2: column 'username' is missing" in missing.output
    assert "secret-pw" not in missing.output

    bad_port = write_csv(
        tmp_path / "bad-port.csv",
        ["host", "port", "platform", "username"],
        [["127.0.0.1", 22, "cisco_ios", "u"], ["127.0.0.2", "ssh", "cisco_ios", "u"]],
    )
    port = runner.invoke(app, ["run", "-f", str(bad_port), "show clock"])
    assert port.exit_code == 2
    assert "bad-port.csv, row 3, column 'port': 'ssh' is not a port" in port.output

    vendorless = write_csv(
        tmp_path / "vendorless.csv",
        ["host", "port", "platform", "username"],
        [["127.0.0.1", 22, "cisco_ios", "u"]],
    )
    no_vendor = runner.invoke(app, ["run", "-f", str(vendorless), "--vendor", "x*", "show clock"])
    assert no_vendor.exit_code == 2 and "column 'vendor'" in no_vendor.output

    nameless = write_csv(tmp_path / "nameless.csv", ["ip", "platform"], [["10.0.0.1", "x"]])
    neither = runner.invoke(app, ["run", "-f", str(nameless), "show clock"])
    assert neither.exit_code == 2 and "no column 'host' or 'name'" in neither.output


def _stored_requests(runtime: Runtime) -> list[tuple[object, str | None]]:
    with runtime.transaction() as session:
        return [(job.request, job.secret_enc) for job in session.scalars(select(Job))]


@dataclass
class TlsServer:
    url: str
    ca_pem: Path


@pytest.fixture
def tls_api(runtime: Runtime, tmp_path: Path) -> Iterator[TlsServer]:
    """The real app over HTTPS with a certificate of a private CA (made here)."""
    ca_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    now = datetime.now(UTC)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "NetWeave test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = (tmp_path / name for name in ("ca.pem", "cert.pem", "key.pem"))
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(runtime),
        log_level="warning",
        ssl_certfile=str(cert_pem),
        ssl_keyfile=str(key_pem),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a bound to wait on a loaded machine, not a timing
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the TLS API server did not start"
    yield TlsServer(f"https://127.0.0.1:{port}", ca_pem)
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()


@pytest.mark.usefixtures("cli_env", "inventory")
def test_tls_is_verified_unless_told_otherwise(tls_api: TlsServer, live_api: LiveApi) -> None:
    args = ["--server", tls_api.url, "--api-key", live_api.key, "-d", "lab-ios-001"]
    untrusted = runner.invoke(app, ["run", *args, "show clock"])
    assert untrusted.exit_code == 2
    assert "is not trusted" in untrusted.output and "--ca-cert" in untrusted.output
    trusted = runner.invoke(app, ["run", *args, "--ca-cert", str(tls_api.ca_pem), "show clock"])
    assert trusted.exit_code == 0, trusted.output
    assert table(trusted.output)["lab-ios-001"][0] == "finished"
    unchecked = runner.invoke(app, ["run", *args, "--insecure", "show clock"])
    assert unchecked.exit_code == 0, unchecked.output
    assert "plain HTTP" not in trusted.output + unchecked.output
