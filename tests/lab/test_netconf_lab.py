"""The lab's NETCONF server (RFC 6241/6242) from real clients: ncclient for the operations,
raw SSH channels for the framings and broken input. Both platforms (Junos, IOS XE) share
the device's configuration with its CLI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import paramiko
import pytest
from ncclient import manager
from ncclient.operations import RaiseMode

from netweave.lab import LabDevice, LabThread, build_specs

HELLO_10 = (
    b'<?xml version="1.0" encoding="UTF-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:'
    b'base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability>'
    b"</capabilities></hello>]]>]]>"
)
HELLO_11 = HELLO_10.replace(b"base:1.0</capability>", b"base:1.1</capability>")
GET_CONFIG = (
    b'<rpc message-id="{id}" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config>'
    b"<source><running/></source></get-config></rpc>"
)
JUNOS_EDIT = """<config><configuration><interfaces><interface><name>ge-0/0/2</name>
<description>to core</description><mtu>9000</mtu></interface></interfaces>
<system><host-name>{host}</host-name></system></configuration></config>"""
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
NATIVE_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-native"


@pytest.fixture(scope="module")
def nc_lab() -> Iterator[LabThread]:
    """One IOS and one Junos device, private to the module (configurations change)."""
    specs = build_specs(2, platforms=("cisco_ios", "juniper_junos"), prefix="ncl")
    with LabThread(specs) as running:
        yield running


def _device(lab: LabThread, platform: str) -> LabDevice:
    return next(d for d in lab.devices if d.spec.platform == platform)


def _connect(device: LabDevice) -> Any:
    return manager.connect(
        host=device.host,
        port=device.port,
        username="netweave",
        password="netweave",
        hostkey_verify=False,
        allow_agent=False,
        look_for_keys=False,
        timeout=10,
        errors_params={"raise_mode": RaiseMode.NONE},
    )


def _error(reply: Any) -> Any:
    assert not reply.ok, reply.xml
    return reply.errors[0]


class RawChannel:
    """The ``netconf`` subsystem over a bare paramiko channel: bytes as they cross."""

    def __init__(self, device: LabDevice) -> None:
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(
            device.host,
            port=device.port,
            username="netweave",
            password="netweave",
            look_for_keys=False,
            allow_agent=False,
            timeout=10,
        )
        transport = self.client.get_transport()
        assert transport is not None
        self.chan = transport.open_session()
        self.chan.settimeout(10)
        self.chan.invoke_subsystem("netconf")
        self.pending = b""

    def read_until(self, end: bytes) -> bytes:
        while end not in self.pending:
            data = self.chan.recv(65536)
            if not data:
                raise EOFError(self.pending.decode(errors="replace"))
            self.pending += data
        message, _, self.pending = self.pending.partition(end)
        return message

    def send(self, data: bytes) -> None:
        self.chan.sendall(data)

    def closed(self) -> bool:
        try:
            return self.chan.recv(65536) == b""
        except TimeoutError:
            return False

    def close(self) -> None:
        self.client.close()


def test_hello_and_end_of_message_framing(nc_lab: LabThread) -> None:
    raw = RawChannel(_device(nc_lab, "cisco_ios"))
    try:
        hello = raw.read_until(b"]]>]]>")
        assert b"urn:ietf:params:netconf:base:1.1" in hello and b"<session-id>" in hello
        assert b"capability:writable-running:1.0" in hello and b"ietf-interfaces" in hello
        raw.send(HELLO_10 + GET_CONFIG.replace(b"{id}", b"101") + b"]]>]]>")
        reply = raw.read_until(b"]]>]]>")  # a 1.0 client: end-of-message framing stays
        assert b'message-id="101"' in reply and b"<hostname>" in reply and b"<ipv4" in reply

        raw.send(b'<rpc message-id="102" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">]]>]]>')
        broken = raw.read_until(b"]]>]]>")
        assert (
            b'message-id="102"' in broken and b"<error-tag>malformed-message</error-tag>" in broken
        )
        assert b"<error-type>rpc</error-type>" in broken

        xxe = (
            b'<?xml version="1.0"?><!DOCTYPE rpc [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rpc message-id="103" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
            b"<get-config><source><running/></source><filter>&x;</filter></get-config></rpc>]]>]]>"
        )
        raw.send(xxe)
        refused = raw.read_until(b"]]>]]>")
        assert b"malformed-message" in refused and b"root:" not in refused

        raw.send(b'<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get/></rpc>]]>]]>')
        missing = raw.read_until(b"]]>]]>")
        assert b"missing-attribute" in missing and b"<bad-attribute>message-id" in missing
    finally:
        raw.close()


def test_chunked_framing_after_both_hellos_say_1_1(nc_lab: LabThread) -> None:
    raw = RawChannel(_device(nc_lab, "juniper_junos"))
    try:
        raw.read_until(b"]]>]]>")
        rpc = GET_CONFIG.replace(b"{id}", b"7")
        half = len(rpc) // 2  # one message in two chunks, sent in pieces
        raw.send(HELLO_11 + b"\n#%d\n" % half + rpc[:half])
        raw.send(b"\n#%d\n" % (len(rpc) - half) + rpc[half:] + b"\n##\n")
        reply = raw.read_until(b"\n##\n")
        header, _, body = reply.partition(b"\n")
        assert header.startswith(b"\n#") or reply.startswith(b"\n#")
        assert b'message-id="7"' in body and b"<configuration><system><host-name>" in body
        assert b"]]>]]>" not in reply

        raw.send(b"garbage that is not a chunk\n##\n")  # a framing error ends the session
        assert raw.closed()
    finally:
        raw.close()


def test_junos_candidate_edit_commit_and_errors(nc_lab: LabThread) -> None:
    device = _device(nc_lab, "juniper_junos")
    with _connect(device) as session:
        assert ":candidate" in session.server_capabilities
        assert ":writable-running" not in session.server_capabilities
        system = session.get_config(
            source="running", filter=("subtree", "<configuration><system/></configuration>")
        )
        assert system.ok and "<host-name>ncl-junos-002</host-name>" in system.xml
        assert "<interfaces>" not in system.xml  # the filter kept only <system>

        edit = session.edit_config(target="candidate", config=JUNOS_EDIT.format(host="edge-9"))
        assert edit.ok, edit.xml
        gone = session.edit_config(
            target="candidate",
            config="""<config><configuration><interfaces><interface><name>ge-0/0/3</name>
            <description operation="delete"/></interface></interfaces></configuration></config>""",
        )
        assert gone.ok, gone.xml
        assert "edge-9" not in device.running_config()  # not before the commit
        candidate = session.get_config(source="candidate").xml
        assert "<mtu>9000</mtu>" in candidate and "lab link 3" not in candidate
        assert session.commit().ok

        shown = device.running_config()  # what `show configuration` prints
        assert "host-name edge-9;" in shown and 'description "to core";' in shown
        assert "mtu 9000;" in shown and "lab link 3" not in shown
        assert device.hostname == "edge-9"

        too_big = session.edit_config(
            target="candidate",
            config="<config><configuration><interfaces><interface><name>ge-0/0/1</name>"
            "<mtu>99999</mtu></interface></interfaces></configuration></config>",
        )
        error = _error(too_big)
        assert error.tag == "invalid-value" and "99999 is not within range" in error.message
        unknown = session.edit_config(
            target="candidate",
            config="<config><configuration><bogus><x>1</x></bogus></configuration></config>",
        )
        assert _error(unknown).tag == "unknown-element" and "syntax error" in unknown.xml
        missing = session.edit_config(
            target="candidate",
            config="<config><configuration><system><location operation='delete'/></system>"
            "</configuration></config>",
        )
        assert _error(missing).tag == "data-missing"
        running = session.edit_config(target="running", config=JUNOS_EDIT.format(host="x"))
        assert _error(running).tag == "operation-not-supported"
        assert not device.junos_config or not device.junos_config.dirty  # refused: no change

        info = session.dispatch("get-software-information")
        assert info.ok and "<junos-version>" in info.xml and "edge-9" in info.xml


def test_locks_between_sessions(nc_lab: LabThread) -> None:
    device = _device(nc_lab, "juniper_junos")
    first = _connect(device)  # killed below: no polite close-session
    with _connect(device) as second:
        assert first.lock(target="candidate").ok
        denied = _error(second.lock(target="candidate"))
        assert denied.tag == "lock-denied" and denied.message == "Lock failed, lock is already held"
        assert f"<session-id>{first.session_id}</session-id>" in denied.info
        in_use = second.edit_config(target="candidate", config=JUNOS_EDIT.format(host="b"))
        assert _error(in_use).tag == "in-use"
        assert _error(second.unlock(target="candidate")).tag == "operation-failed"

        assert first.edit_config(target="candidate", config=JUNOS_EDIT.format(host="a")).ok
        assert second.kill_session(first.session_id).ok  # its lock and edits go with it
        assert device.junos_config is not None and not device.junos_config.dirty
        assert second.lock(target="candidate").ok
        assert second.unlock(target="candidate").ok
    first._session.close()


def test_ios_running_candidate_and_cli_agree(nc_lab: LabThread) -> None:
    device = _device(nc_lab, "cisco_ios")
    with _connect(device) as session:
        assert ":writable-running" in session.server_capabilities
        edit = session.edit_config(
            target="running",
            config=f"""<config><native xmlns="{NATIVE_NS}"><hostname>core-1</hostname></native>
            <interfaces xmlns="{IF_NS}"><interface><name>Loopback7</name>
            <description>netconf loop</description><ipv4
            xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><address><ip>10.7.7.7</ip>
            <netmask>255.255.255.255</netmask></address></ipv4></interface>
            <interface><name>GigabitEthernet0/3</name><enabled>true</enabled></interface>
            </interfaces></config>""",
        )
        assert edit.ok, edit.xml
        config = device.running_config()  # `show running-config`
        assert "hostname core-1" in config
        assert "interface Loopback7\n description netconf loop\n ip address 10.7.7.7 " in config
        assert "lab link 3\n ip address 10.4.0.2 255.255.255.0\n!" in config  # no shutdown

        state = session.get(filter=("subtree", f'<interfaces-state xmlns="{IF_NS}"/>'))
        assert "<admin-status>up</admin-status>" in state.xml

        staged = session.edit_config(
            target="candidate",
            config=f"""<config><interfaces xmlns="{IF_NS}"><interface
            xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete">
            <name>Loopback7</name></interface></interfaces></config>""",
        )
        assert staged.ok, staged.xml
        only = f'<interfaces xmlns="{IF_NS}"><interface><name>Loopback7</name></interface></interfaces>'
        assert "Loopback7" not in session.get_config("candidate", ("subtree", only)).xml
        assert "Loopback7" in session.get_config("running", ("subtree", only)).xml
        assert session.discard_changes().ok
        assert "Loopback7" in session.get_config("candidate", ("subtree", only)).xml

        bad_name = session.edit_config(
            target="running",
            config=f'<config><interfaces xmlns="{IF_NS}"><interface><name>Gi9/9</name>'
            "</interface></interfaces></config>",
        )
        assert _error(bad_name).tag == "invalid-value" and "Gi9/9" in bad_name.errors[0].message
        foreign = session.edit_config(
            target="running", config='<config><ntp xmlns="urn:example:ntp"/></config>'
        )
        assert _error(foreign).tag == "unknown-namespace"
        assert "hostname core-1" in device.running_config()  # refused edits change nothing
