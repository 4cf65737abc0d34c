"""What the syslog viewer and the rule editor ask of the API: the search with every filter,
counts per severity, one message with the rules it matched and the run each started, and a
rule's criteria tried on a message before saving it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from netweave.core.events.messages import SyslogMessage
from netweave.core.runtime import Runtime

NOOP = {
    "name": "Noop",
    "type": "data_validation",
    "inputs": {"step": "x", "checks": [{"kind": "text", "match": "x"}]},
}
LINK = r"%LINK-3-UPDOWN: Interface (?P<interface>\S+), changed state to down"


def _message(
    text: str, host: str, *, severity: int = 5, program: str = "", age: float = 0
) -> SyslogMessage:
    return SyslogMessage(
        23,
        severity,
        text,
        hostname=host,
        program=program,
        source="198.51.100.9",
        received_at=datetime.now(UTC) - timedelta(seconds=age),
    )


def _inventory(admin: TestClient) -> None:
    for number in (1, 2, 3):
        device = {"name": f"r{number}", "host": f"192.0.2.{number}", "platform": "cisco_ios"}
        assert admin.post("/api/v1/devices", json=device).status_code == 201
    assert admin.post("/api/v1/services", json=NOOP).status_code == 201


def test_search_filters_counts_and_a_message_with_its_rules(
    runtime: Runtime, admin: TestClient, viewer: TestClient
) -> None:
    _inventory(admin)
    rule = {"name": "link down", "automation": "Noop", "match": {"regex": LINK, "max_severity": 3}}
    assert admin.post("/api/v1/event-rules", json=rule).status_code == 201
    missing = admin.post("/api/v1/event-rules", json={**rule, "name": "x", "automation": "Nope"})
    assert missing.status_code == 404 and missing.json()["field"] == "automation"
    down = "%LINK-3-UPDOWN: Interface Gi0/1, changed state to down"
    batch = [
        _message("old news", "r1", severity=6, program="SYS", age=7200),
        _message(down, "r1", severity=3, program="LINK"),
        _message("CPU at 100% for 5 min", "r2", severity=4, program="SYS"),
        _message("Configured from console", "R2", severity=5, program="SYS"),
        _message("debugging noise", "unknown-host", severity=7, program="DBG"),
        _message("disk failure", "r3", severity=2, program="HW"),
    ]
    assert runtime.events.ingest(batch) == len(batch)

    def search(**params: object) -> list[str]:
        answer = viewer.get("/api/v1/syslog", params=params)
        assert answer.status_code == 200, answer.text
        return [m["message"] for m in answer.json()["items"]]

    assert search()[0] == "disk failure"  # newest first
    assert search(device="r2") == ["Configured from console", "CPU at 100% for 5 min"]
    assert search(max_severity=3) == ["disk failure", down]  # error or worse
    assert search(program="SYS", max_severity=5) == [
        "Configured from console",
        "CPU at 100% for 5 min",
    ]
    assert search(q="CONFIGURED") == ["Configured from console"]  # any case
    assert search(q="100%") == ["CPU at 100% for 5 min"]  # % is a character, not a wildcard
    assert search(q="0% f") == ["CPU at 100% for 5 min"]
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert search(until=hour_ago) == ["old news"]
    assert len(search(since=hour_ago)) == 5
    unknown = viewer.get("/api/v1/syslog", params={"q": "noise"}).json()["items"][0]
    assert (unknown["device"], unknown["hostname"]) == ("", "unknown-host")

    counts = viewer.get("/api/v1/syslog/severities", params={"since": hour_ago}).json()
    assert [(c["name"], c["count"]) for c in counts] == [
        ("emergency", 0),
        ("alert", 0),
        ("critical", 1),
        ("error", 1),
        ("warning", 1),
        ("notice", 1),
        ("info", 0),  # the old one is out of range
        ("debug", 1),
    ]
    by_device = viewer.get("/api/v1/syslog/severities", params={"device": "r1"}).json()
    assert sum(c["count"] for c in by_device) == 2
    # counts are per severity: a severity filter is not one of their filters, and says so
    refused = viewer.get("/api/v1/syslog/severities", params={"device": "r1", "max_severity": 0})
    assert refused.status_code == 422 and refused.json()["field"] == "max_severity"

    fired = viewer.get("/api/v1/syslog", params={"q": "LINK-3"}).json()["items"][0]
    deadline = time.monotonic() + 30
    while True:
        detail = viewer.get(f"/api/v1/syslog/{fired['id']}")
        assert detail.status_code == 200
        matches = detail.json()["matches"]
        if matches and matches[0]["run_status"] in ("success", "failure"):
            break
        assert time.monotonic() < deadline, matches
        time.sleep(0.1)
    assert detail.json()["message"] == down and detail.json()["device"] == "r1"
    (match,) = matches
    assert (match["rule"], match["status"], match["device"]) == ("link down", "fired", "r1")
    assert match["groups"] == {"interface": "Gi0/1"} and match["run_id"]
    quiet = viewer.get("/api/v1/syslog", params={"q": "disk"}).json()["items"][0]
    assert viewer.get(f"/api/v1/syslog/{quiet['id']}").json()["matches"] == []
    assert viewer.get("/api/v1/syslog/999999").status_code == 404


def test_try_a_rule_on_a_message_before_saving_it(admin: TestClient, viewer: TestClient) -> None:
    _inventory(admin)
    assert admin.post("/api/v1/pools", json={"name": "core", "devices": ["r1"]}).status_code == 201
    match = {
        "max_severity": 3,
        "facilities": [23],
        "program": "LINK*",
        "regex": LINK,
        "devices": ["r*"],
        "pool": "core",
    }
    message = {
        "message": "%LINK-3-UPDOWN: Interface Gi0/2, changed state to down",
        "severity": 3,
        "facility": 23,
        "program": "LINK",
        "device": "192.0.2.1",  # by address, as the server maps a sender
    }
    hit = viewer.post("/api/v1/event-rules/test", json={"match": match, "message": message})
    assert hit.status_code == 200, hit.text
    body = hit.json()
    assert (body["matched"], body["device"], body["target"]) == (True, "r1", "r1")
    assert [c["criterion"] for c in body["checks"]] == [
        "severity",
        "facilities",
        "program",
        "regex",
        "devices",
        "pool",
    ]
    assert all(c["ok"] for c in body["checks"])
    assert body["groups"] == {"interface": "Gi0/2"}
    assert body["variables"]["interface"] == "Gi0/2" and body["variables"]["device"] == "r1"

    miss = viewer.post(
        "/api/v1/event-rules/test",
        json={"match": match, "message": {**message, "severity": 6, "device": "r2"}},
    ).json()
    assert miss["matched"] is False and miss["variables"] == {}
    failed = {c["criterion"]: c["detail"] for c in miss["checks"] if not c["ok"]}
    assert failed == {
        "severity": "info (6) is below error (3)",
        "pool": "r2 is not in pool core",
    }

    # a group named "device" picks the target, as on the server
    named = {"regex": r"neighbor (?P<device>\S+) down"}
    moved = viewer.post(
        "/api/v1/event-rules/test",
        json={"match": named, "message": {"message": "BGP neighbor R3 down", "device": "r1"}},
    ).json()
    assert (moved["matched"], moved["device"], moved["target"]) == (True, "r1", "r3")
    anything = viewer.post(
        "/api/v1/event-rules/test", json={"message": {"message": "hello"}}
    ).json()
    assert (anything["matched"], anything["checks"], anything["device"]) == (True, [], "")

    bad = viewer.post(
        "/api/v1/event-rules/test", json={"match": {"regex": "(?P<x"}, "message": message}
    )
    assert bad.status_code == 422
    (error,) = bad.json()["errors"]
    assert error["field"] == "match.regex" and "regular expression" in error["message"]


def test_stats_without_a_syslog_server_in_this_process_say_so(viewer: TestClient) -> None:
    """An answer, not a 404 the page has to expect: ``running`` false, counters zero."""
    stats = viewer.get("/api/v1/syslog/stats")
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert body["running"] is False
    assert (body["received"], body["listening"]) == (0, {"udp": None, "tcp": None})
