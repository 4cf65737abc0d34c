"""RFC 5424, RFC 3164 and the Cisco variants, parsed leniently."""

from __future__ import annotations

from datetime import UTC, datetime

from netweave.syslog.parsers import parse

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def test_rfc5424_with_structured_data() -> None:
    raw = (
        b"<165>1 2026-11-23T16:30:00.123Z edge-1 bgpd 4242 ADJCHANGE "
        b'[origin ip="10.0.0.1" x="a\\"b"][meta seq="7"] \xef\xbb\xbfneighbor 10.0.0.2 Down'
    )
    message = parse(raw, NOW)
    assert (message.facility, message.severity) == (20, 5)
    assert (message.hostname, message.program, message.pid, message.msgid) == (
        "edge-1",
        "bgpd",
        "4242",
        "ADJCHANGE",
    )
    assert message.structured == {"origin": {"ip": "10.0.0.1", "x": 'a"b'}, "meta": {"seq": "7"}}
    assert message.message == "neighbor 10.0.0.2 Down"
    assert message.timestamp == datetime(2026, 11, 23, 16, 30, 0, 123000, tzinfo=UTC)
    assert message.rfc == "5424"
    nil = parse(b"<13>1 - - - - - - just text", NOW)
    assert (nil.hostname, nil.program, nil.message, nil.timestamp) == ("", "", "just text", None)


def test_rfc3164_and_cisco_variants() -> None:
    bsd = parse(b"<13>Nov 23 16:30:00 myhost sshd[311]: Accepted password", NOW)
    assert (bsd.hostname, bsd.program, bsd.pid, bsd.message) == (
        "myhost",
        "sshd",
        "311",
        "Accepted password",
    )
    assert bsd.timestamp == datetime(2026, 11, 23, 16, 30, tzinfo=UTC) and bsd.rfc == "3164"
    cisco = parse(
        b"<187>45: *Nov 23 16:30:00.123: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down",
        NOW,
    )
    assert (cisco.facility, cisco.severity) == (23, 3)
    assert cisco.program == "LINK-3-UPDOWN" and cisco.hostname == ""
    assert cisco.message.startswith("%LINK-3-UPDOWN: Interface Gi0/1")
    origin = parse(b"<187>Nov 23 16:30:00 sw-1: %SYS-5-CONFIG_I: Configured", NOW)
    assert origin.program == "sw-1" and "%SYS-5-CONFIG_I" in origin.message


def test_garbage_is_kept_not_dropped() -> None:
    for raw in (b"no priority at all", b"<999>bad pri", b"<13>", b"\xff\xfe\x00binary"):
        message = parse(raw, NOW)
        assert isinstance(message.message, str)
    assert parse(b"plain words", NOW).message == "plain words"
    assert parse(b"<13>", NOW).message == ""
