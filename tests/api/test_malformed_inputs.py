"""Malformed files, documents, templates and syslog frames: a 4xx that names the field (and
the line), never a 500; the syslog server keeps running, counts the frame and stores what
it can. Everything goes through the real endpoints and the real listener sockets."""

from __future__ import annotations

import io
import socket
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from netweave.core.runtime import Runtime
from netweave.syslog import SyslogServer

DEVICE_HEADER = ["name", "host", "platform"]


def _workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _import(client: TestClient, name: str, content: bytes, **params: str) -> Any:
    return client.post(
        "/api/v1/inventory/import",
        params=params,
        files={"file": (name, content, "application/octet-stream")},
    )


def _refused(response: Any, field: str, *words: str) -> str:
    """A 4xx whose body names the field and says what is wrong; returns the detail."""
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    detail = str(body["detail"])
    assert body.get("field") == field or detail.startswith(f"{field}:"), body
    for word in words:
        assert word in detail, f"{word!r} not in {detail!r}"
    return detail


def _no_devices(client: TestClient) -> None:
    assert client.get("/api/v1/devices").json()["total"] == 0


# -- Excel ------------------------------------------------------------------------------------


def test_excel_files_that_are_not_inventories_are_refused(operator: TestClient) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    _refused(_import(operator, "devices.xlsx", png), "file", "not a readable .xlsx workbook")
    # a zip that is no workbook, and a workbook cut in half
    notes = io.BytesIO()
    with zipfile.ZipFile(notes, "w") as archive:
        archive.writestr("notes.txt", "hello")
    _refused(_import(operator, "devices.xlsx", notes.getvalue()), "file", ".xlsx")
    whole = _workbook({"devices": [DEVICE_HEADER, ["r1", "10.0.0.1", "cisco_ios"]]})
    _refused(_import(operator, "devices.xlsx", whole[: len(whole) // 2]), "file", ".xlsx")

    # zip bomb-ish: a small upload that unzips to 300 MiB is refused before it is read
    bomb = io.BytesIO(whole)
    with (
        zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(300):
            member.write(bytes(2**20))
    assert len(bomb.getvalue()) < 2 * 2**20
    _refused(_import(operator, "devices.xlsx", bomb.getvalue()), "file", "unzips to", "MiB")

    # an empty workbook (only Excel's default sheet), an empty "devices" sheet
    default = _workbook({"Sheet": []})
    _refused(_import(operator, "inv.xlsx", default), "file", "unknown sheet 'Sheet'")
    headless = _import(operator, "inv.xlsx", _workbook({"devices": []}))
    _refused(headless, "file", "sheet devices has no header row")

    # wrong headers: the unknown column and the sheet are named
    wrong = _workbook({"devices": [["name", "hostname", "platform"], ["r1", "x", "cisco_ios"]]})
    detail = _refused(_import(operator, "inv.xlsx", wrong), "file", "hostname")
    assert "devices" in detail
    _no_devices(operator)


def test_csv_in_another_encoding_is_refused_naming_the_byte(operator: TestClient) -> None:
    utf16 = "name,host,platform\nr1,10.0.0.1,cisco_ios\n".encode("utf-16")
    _refused(_import(operator, "devices.csv", utf16), "file", "UTF-8", "offset 0")
    latin1 = "name,host,platform\nrouteur-café,10.0.0.1,cisco_ios\n".encode("latin-1")
    offset = latin1.index(b"\xe9")
    _refused(_import(operator, "devices.csv", latin1), "file", f"offset {offset}")
    _no_devices(operator)


# -- YAML -------------------------------------------------------------------------------------

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def test_inventory_yaml_syntax_type_and_alias_bomb(operator: TestClient) -> None:
    broken = b"devices:\n  - name: r1\n    host: [10.0.0.1\n    platform: cisco_ios\n"
    _refused(_import(operator, "inv.yaml", broken), "file", "not valid YAML", "line 3")
    listed = b"- name: r1\n  host: 10.0.0.1\n"
    _refused(_import(operator, "inv.yaml", listed), "file", "mapping", "got list")
    scalar = b"just a string\n"
    _refused(_import(operator, "inv.yaml", scalar), "file", "got str")
    started = time.monotonic()
    bomb = _import(operator, "inv.yaml", BILLION_LAUGHS.encode())
    _refused(bomb, "file", "aliases expand")
    recursive = b"devices: &d\n  - *d\n"
    _refused(_import(operator, "inv.yaml", recursive), "file", "refer to themselves")
    for tagged in (b'!!bool ""', b'!!int "x"', b'!!float "x"', b'!!timestamp "x"'):
        bad_tag = b"devices:\n  - name: r1\n    port: " + tagged + b"\n"
        _refused(_import(operator, "inv.yaml", bad_tag), "file", "tagged value does not parse")
    _no_devices(operator)
    assert time.monotonic() - started < 60, "the alias bomb was expanded"


def test_automation_yaml_syntax_type_and_alias_bomb(operator: TestClient) -> None:
    def post(text: str) -> Any:
        return operator.post(
            "/api/v1/automations/import",
            content=text,
            headers={"Content-Type": "application/yaml"},
        )

    broken = "netweave: 1\nautomations:\n  - name: x\n   type: data_validation\n"
    _refused(post(broken), "body", "not valid YAML", "line 4")
    _refused(post("- name: x\n"), "body", "'automations' list")
    _refused(post("automations: [1, 2]\n"), "automations[0]", "mapping")
    _refused(post(BILLION_LAUGHS), "body", "aliases expand")
    _refused(post('automations:\n  - name: !!int "x"\n'), "body", "tagged value does not parse")
    assert operator.get("/api/v1/services").json()["total"] == 0


# -- Jinja2 templates -------------------------------------------------------------------------


def _render(client: TestClient, template: str, **context: Any) -> Any:
    return client.post("/template/render", json={"template": template, "context": context})


def test_template_render_errors_name_the_line(operator: TestClient) -> None:
    ok = _render(operator, "hostname {{ name }}\n", name="r1")
    assert ok.status_code == 200 and ok.json() == "hostname r1"
    _refused(_render(operator, "a\nb {{ x }\n"), "template", "syntax error", "line 2")
    _refused(_render(operator, "a\n\n{{ nope }}"), "template", "line 3", "'nope' is undefined")
    for escape in (
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
    ):
        _refused(_render(operator, escape), "template", "not allowed", "unsafe")
    # what a template's own operations raise is the template's error too
    _refused(_render(operator, "x\n{{ 1 / 0 }}"), "template", "line 2", "division by zero")
    _refused(_render(operator, "{{ 'x' * 10**9 }}"), "template", "not allowed", "repetition")
    _refused(_render(operator, "{{ 7 ** 100000000 }}"), "template", "not allowed", "power")
    _refused(_render(operator, "{% for i in range(10**9) %}{% endfor %}"), "template", "range")


def test_device_job_rendering_refuses_a_sandbox_escape(operator: TestClient) -> None:
    body = {
        "driver": "netmiko",
        "connection_args": {"host": "127.0.0.1", "port": 9, "device_type": "cisco_ios"},
        "config": "ignored",
        "rendering": {"template": "{{ ''.__class__.__mro__[1].__subclasses__() }}"},
    }
    _refused(operator.post("/device/exec", json=body), "rendering.template", "not allowed")
    assert operator.get("/jobs").json() == []


def test_service_config_templates(operator: TestClient) -> None:
    def service(name: str, config: str, **inputs: Any) -> dict[str, Any]:
        return {
            "name": name,
            "type": "netmiko_config",
            "inputs": {"config": config, "dry_run": True, **inputs},
        }

    # a syntax error is refused when the service is saved, naming the input and the line
    bad = service("Bad", "interface {{ vars.port }}\n description {{ device.name }\n")
    _refused(operator.post("/api/v1/services", json=bad), "inputs.config", "line 2")
    commands = {"name": "Show", "type": "netmiko_commands", "inputs": {"commands": ["{% if %}"]}}
    _refused(operator.post("/api/v1/services", json=commands), "inputs.commands.0", "line 1")

    # an undefined variable or an escape shows when it renders: the run's result says where
    device = {"name": "r1", "host": "127.0.0.1", "port": 9, "platform": "cisco_ios"}
    assert operator.post("/api/v1/devices", json=device).status_code == 201
    for name, config, words in (
        ("Undefined", "hostname r1\nntp server {{ vars.ntp }}\n", ("line 2", "'ntp'")),
        ("Escape", "{{ device.__class__.__mro__ }}", ("not allowed", "__class__")),
    ):
        created = operator.post("/api/v1/services", json=service(name, config))
        assert created.status_code == 201, created.text
        run = operator.post(
            f"/api/v1/run/{name}", json={"targets": {"devices": ["r1"]}, "wait": 30}
        )
        assert run.status_code == 201 and run.json()["status"] == "failure", run.text
        results = operator.get(f"/api/v1/runs/{run.json()['id']}/results").json()
        assert len(results) == 1 and results[0]["success"] is False
        error = results[0]["result"]["error"]
        assert error.startswith("inputs:"), error
        for word in words:
            assert word in error, error


# -- syslog -----------------------------------------------------------------------------------


@pytest.fixture
def syslog(runtime: Runtime) -> Iterator[SyslogServer]:
    server = SyslogServer(runtime.events, "127.0.0.1", 0).start()
    runtime.syslog_stats = server.stats
    yield server
    server.stop()


def _until(check: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _tcp(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(payload)


def test_malformed_syslog_frames_are_counted_and_kept(
    syslog: SyslogServer, viewer: TestClient
) -> None:
    assert syslog.udp_port and syslog.tcp_port
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    frames = [
        bytes(range(256)) * 4,  # binary garbage (NULs included) → stored as text, malformed
        b"<34>1 2026-11-23T16:30:00Z core-1 sshd",  # RFC 5424 cut after APP-NAME
        b"<34>1 2026-11-23T16:30:00Z core-1 su 42 ID47 [bad sd x",  # broken SD
        b"<13>Nov 23 16:30:00 core-1 app: udp still fine",
    ]
    for frame in frames:
        udp.sendto(frame, ("127.0.0.1", syslog.udp_port))
    udp.close()

    oversized = b"<13>Nov 23 16:30:00 core-1 big: " + b"x" * (300 * 1024) + b"\n"
    _tcp(
        syslog.tcp_port,
        oversized + b"<13>Nov 23 16:30:00 core-1 app: after the oversized line\n",
    )
    # a bad octet count: not digits then a space, then one larger than any frame
    _tcp(syslog.tcp_port, b"12abc <13>bad count\n42 <13>Nov 23 16:30:00 core-1 app: counted ok")
    _tcp(syslog.tcp_port, b"99999999 <13>huge count\n")
    # an octet-counted frame that the sender cuts short
    _tcp(syslog.tcp_port, b"200 <34>1 2026-11-23T16:30:00Z core-1 cut")
    # the server still takes well-formed messages on a new connection
    _tcp(syslog.tcp_port, b"36 <13>Nov 23 16:30:00 core-1 app: done")

    def stored() -> list[dict[str, Any]]:
        page = viewer.get("/api/v1/syslog", params={"limit": 100}).json()
        return page["items"] if page["total"] >= 11 else []

    items = _until(stored, "every frame stored")
    texts = [item["message"] for item in items]
    for expected in ("udp still fine", "after the oversized line", "counted ok", "done"):
        assert any(expected in text for text in texts), (expected, texts)
    assert any("ABCDEFGHIJKLMNOPQRSTUVWXYZ" in t for t in texts), "binary frame not kept"
    truncated = [i for i in items if i["hostname"] == "core-1" and i["program"] == "sshd"]
    assert truncated, "the truncated RFC 5424 header was not kept"
    assert any(t.startswith("x" * 100) for t in texts), "the oversized line was not kept"
    assert any("bad count" in t for t in texts) and any("huge count" in t for t in texts)
    assert any(i["hostname"] == "core-1" and "cut" in (i["program"] + i["message"]) for i in items)

    stats = viewer.get("/api/v1/syslog/stats").json()
    # garbage, cut 5424, broken SD; "12abc", "99999999", the frame cut short
    assert stats["malformed"] == 6, stats
    assert stats["oversized"] == 1 and stats["dropped"] == 0, stats
    assert stats["received"] == stats["stored"] == len(items), stats


def test_numbers_beyond_what_the_database_holds_are_422(operator: TestClient) -> None:
    huge = 10**20
    _refused(operator.get(f"/api/v1/devices/{huge}"), "device_id", "less than or equal")
    _refused(operator.get("/api/v1/links", params={"offset": huge}), "offset")
    _refused(operator.get("/jobs", params={"offset": 2**63}), "offset")
    # a route without bounds of its own still answers 422 (the error handlers' net)
    unbounded = operator.get(f"/api/v1/credentials/{huge}")
    assert unbounded.status_code == 422, unbounded.text
