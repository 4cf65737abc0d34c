"""The syslog server over real sockets, with ``logger`` as the client: a rule runs a
workflow on the device a message is about; dedup, search, floods."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.lab import LabThread
from netweave.syslog import SyslogServer
from netweave.syslog.listener import SyslogListener
from tests.core.automation.conftest import add_inventory

DOWN = "%LINK-3-UPDOWN: Interface {interface}, changed state to down"


@pytest.fixture
def syslog_server(runtime: Runtime) -> Iterator[SyslogServer]:
    server = SyslogServer(runtime.events, "127.0.0.1", 0).start()
    runtime.syslog_stats = server.stats
    yield server
    server.stop()


def logger(port: int, tag: str, text: str, *extra: str) -> None:
    subprocess.run(
        [
            "logger",
            "--server",
            "127.0.0.1",
            "--port",
            str(port),
            "-p",
            "local7.err",
            "-t",
            tag,
            *extra,
            text,
        ],
        check=True,
        timeout=10,
    )


def _until(check, what: str, timeout: float = 20):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_interface_down_runs_a_workflow_on_that_device(
    runtime: Runtime, admin: TestClient, lab: LabThread, syslog_server: SyslogServer
) -> None:
    add_inventory(admin, lab)
    device = next(d for d in lab.devices if d.spec.platform == "cisco_ios")
    show = {
        "name": "Show interface",
        "type": "netmiko_commands",
        "inputs": {"commands": ["show running-config | include ^interface {{ vars.interface }}"]},
        "options": {"validation": [{"kind": "text", "match": "{{ vars.interface }}"}]},
    }
    assert admin.post("/api/v1/services", json=show).status_code == 201
    graph = {
        "nodes": [{"id": "show", "ref": "Show interface"}],
        "edges": [{"source": "start", "target": "show"}, {"source": "show", "target": "end"}],
    }
    assert (
        admin.post("/api/v1/workflows", json={"name": "Interface down", "graph": graph}).status_code
        == 201
    )
    rule = {
        "name": "link down",
        "automation": "Interface down",
        "match": {
            "max_severity": 3,
            "regex": r"%LINK-3-UPDOWN: Interface (?P<interface>\S+), changed state to down",
        },
        "dedup_window": 300,
    }
    created = admin.post("/api/v1/event-rules", json=rule)
    assert created.status_code == 201, created.text
    bad = admin.post("/api/v1/event-rules", json={**rule, "name": "x", "match": {"regex": "("}})
    assert bad.status_code == 422 and "regular expression" in bad.json()["detail"]

    # a real client: util-linux logger, RFC 3164 over UDP; the tag carries the device name
    # (what Cisco's "logging origin-id hostname" does)
    sent = time.monotonic()
    logger(
        syslog_server.udp_port,
        device.name,
        DOWN.format(interface="GigabitEthernet0/1"),
        "--udp",
        "--rfc3164",
    )
    firing = _until(
        lambda: admin.get("/api/v1/event-rules/link down/firings").json(), "the rule fired"
    )[0]
    assert firing["status"] == "fired" and firing["device"] == device.name
    assert firing["groups"] == {"interface": "GigabitEthernet0/1"}
    run_id = _until(
        lambda: admin.get("/api/v1/event-rules/link down/firings").json()[0]["run_id"], "a run"
    )
    print(f"message → run started: {time.monotonic() - sent:.3f} s")
    run = runtime.runs.wait(run_id, 60)
    assert run.status == "success", run.summary
    assert run.trigger == "syslog" and run.targets == [device.name]
    assert run.variables["interface"] == "GigabitEthernet0/1"

    # the same event again (TCP, RFC 5424, octet counting) is stored but deduplicated
    logger(
        syslog_server.tcp_port,
        device.name,
        DOWN.format(interface="GigabitEthernet0/1"),
        "--tcp",
        "--octet-count",
    )
    _until(
        lambda: len(admin.get("/api/v1/event-rules/link down/firings").json()) == 2, "second match"
    )
    statuses = [f["status"] for f in admin.get("/api/v1/event-rules/link down/firings").json()]
    assert statuses == ["deduplicated", "fired"]
    # another interface is another event
    logger(
        syslog_server.udp_port, device.name, DOWN.format(interface="GigabitEthernet0/2"), "--udp"
    )
    _until(lambda: admin.get("/api/v1/event-rules/link down").json()["fired"] == 2, "fired twice")

    found = admin.get("/api/v1/syslog", params={"device": device.name, "q": "LINK-3"}).json()
    assert found["total"] == 3
    first = found["items"][-1]
    assert (first["facility"], first["severity"], first["program"]) == (23, 3, device.name)
    assert {m["extra"]["rfc"] for m in found["items"]} == {"3164", "5424"}
    quiet = admin.get("/api/v1/syslog", params={"max_severity": 2}).json()
    assert quiet["total"] == 0
    stats = admin.get("/api/v1/syslog/stats").json()
    assert stats["received"] == 3 and stats["stored"] == 3 and stats["dropped"] == 0
    assert stats["rules_fired"] == 2 and stats["tcp_connections"] == 1


def test_floods_are_counted_not_blocking_and_bad_frames_are_survived() -> None:
    listener = SyslogListener("127.0.0.1", 0, 0, capacity=100)  # nobody drains its queue
    listener.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for number in range(1000):
                udp.sendto(f"<13>flood {number}".encode(), ("127.0.0.1", listener.udp_port))
        _until(lambda: listener.counters.received >= 900, "datagrams received")
        assert listener.queue.qsize() == 100
        assert listener.counters.dropped == listener.counters.received - 100
        with socket.create_connection(("127.0.0.1", listener.tcp_port)) as tcp:
            # framing nonsense: the line is kept as a message, the connection goes on
            tcp.sendall(b"999999999 <13>absurd frame length\n<13>same connection\n")
            _until(lambda: listener.counters.by_transport["tcp"] >= 2, "tcp messages")
        with socket.create_connection(("127.0.0.1", listener.tcp_port)) as tcp:
            tcp.sendall(b"<13>one line\n<13>and another\n16 <13>octet framed")
        _until(lambda: listener.counters.by_transport["tcp"] >= 5, "tcp messages")
    finally:
        listener.stop()
