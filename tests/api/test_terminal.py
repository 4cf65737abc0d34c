"""The web SSH terminal, end to end: a real uvicorn server, a real WebSocket client, real
SSH to the lab devices (and, for the window size, to a small SSH server that reports the
PTY it was given)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncssh
import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from netweave.core.access import tokens, users
from netweave.core.access.schemas import ApiKeyCreate, UserCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Role
from netweave.lab import LabDevice, LabThread, host_key
from tests.fixtures.api import LiveApi
from tests.fixtures.database import ONE_BACKEND, TEST_ADMIN_PASSWORD
from tests.fixtures.lab import first

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend

LAB_SECRET = "netweave"  # the lab's password and enable secret
WAIT = 20.0  # seconds any single frame may take (a hung test fails, it does not block)


def api_key(runtime: Runtime, role: Role, name: str) -> str:
    with runtime.transaction() as session:
        user = users.create_user(
            session, UserCreate(username=name, password="a-long-enough-password", role=role)
        )
        principal = tokens.Principal(user.id, user.username, role, "test")
        _, key = tokens.create_api_key(session, principal, ApiKeyCreate(name="terminal"))
    return key


def seed(live: LiveApi, devices: list[tuple[str, str, int]], password: str = LAB_SECRET) -> dict:
    """Credential + devices through the API; returns device name → id."""
    ids = {}
    with httpx.Client(base_url=live.url, headers={"X-API-KEY": live.key}, timeout=30) as client:
        credential = f"cred-{password}"
        client.post(
            "/api/v1/credentials",
            json={
                "name": credential,
                "username": "netweave",
                "password": password,
                "enable_secret": password,
                "scope": {"networks": ["127.0.0.0/8"]},
            },
        ).raise_for_status()
        for name, host, port in devices:
            answer = client.post(
                "/api/v1/devices",
                json={
                    "name": name,
                    "host": host,
                    "port": port,
                    "platform": "cisco_ios",
                    "credential": credential,
                },
            )
            answer.raise_for_status()
            ids[name] = answer.json()["id"]
    return ids


def seed_lab(live: LiveApi, device: LabDevice) -> int:
    return seed(live, [(device.name, device.host, device.port)])[device.name]


def admin_key(live: LiveApi) -> dict[str, str]:
    return {"X-API-KEY": live.key}


def ws_url(live: LiveApi, device_id: int | str, query: str = "") -> str:
    return f"{live.url.replace('http', 'ws', 1)}/api/v1/devices/{device_id}/terminal{query}"


@dataclass
class Term:
    """A WebSocket terminal client: what the device printed, the status events received."""

    ws: ClientConnection
    screen: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)

    def read_until(self, needle: str) -> str:
        while needle not in self.screen:
            frame = self.ws.recv(timeout=WAIT)
            if isinstance(frame, bytes):
                self.screen += frame.decode(errors="replace")
            else:
                self.events.append(json.loads(frame))
        return self.screen

    def wait_event(self, kind: str) -> dict[str, Any]:
        while not any(e["type"] == kind for e in self.events):
            frame = self.ws.recv(timeout=WAIT)
            if isinstance(frame, bytes):
                self.screen += frame.decode(errors="replace")
            else:
                self.events.append(json.loads(frame))
        return next(e for e in self.events if e["type"] == kind)

    def type(self, text: str) -> None:
        self.ws.send(text.encode())

    def closed(self) -> tuple[int, str]:
        """Read to the end; the close code and reason."""
        try:
            while True:
                frame = self.ws.recv(timeout=WAIT)
                if isinstance(frame, bytes):
                    self.screen += frame.decode(errors="replace")
                else:
                    self.events.append(json.loads(frame))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "the server closed without a close frame"
            return closed.rcvd.code, closed.rcvd.reason


@contextmanager
def open_term(url: str, **kwargs: Any) -> Iterator[Term]:
    with connect(url, open_timeout=WAIT, close_timeout=5, **kwargs) as ws:
        yield Term(ws)


def refusal(url: str, **kwargs: Any) -> tuple[int, str]:
    """Connect where the server accepts then closes at once: its code and reason."""
    with open_term(url, **kwargs) as term:
        return term.closed()


def test_show_version_resize_enable_and_audit(live_api: LiveApi, lab: LabThread) -> None:
    ios = first(lab, "cisco_ios")
    device_id = seed_lab(live_api, ios)
    key = api_key(live_api.runtime, Role.operator, "oper")
    url = ws_url(live_api, device_id, "?cols=120&rows=40")
    with open_term(url, additional_headers={"X-API-KEY": key}) as term:
        assert term.wait_event("connected")["device"] == ios.name
        term.read_until(">")
        term.ws.send(json.dumps({"type": "resize", "cols": 160, "rows": 50}))
        term.ws.send(json.dumps({"type": "warp"}))  # unknown control: an error event, no harm
        assert "warp" in term.wait_event("error")["message"]
        term.type("show version\r")
        screen = term.read_until("Configuration register is 0x2102")
        assert "Cisco IOS Software" in screen
        term.type("enable\r")
        term.read_until("Password: ")
        term.type(LAB_SECRET + "\r")
        term.read_until("#")
        term.type("show clock\x7f\x7f\x7f\x7f\x7fversion | include uptime\r")  # edited
        term.read_until("uptime is")
        term.type("exit\r")
        code, reason = term.closed()
    assert (code, reason) == (1000, f"{ios.name} closed the session")
    assert LAB_SECRET not in term.screen  # the device never echoed it

    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": key}) as client:
        listed = client.get("/api/v1/terminal-sessions").json()
        assert listed["total"] == 1
        row = listed["items"][0]
        assert row["username"] == "oper" and row["device_name"] == ios.name
        assert row["device_id"] == device_id and row["ended_at"] is not None
        assert row["bytes_in"] > len("show version") and row["bytes_out"] > 500
        assert row["close_reason"] == reason
        detail = client.get(f"/api/v1/terminal-sessions/{row['id']}")
        transcript = detail.json()["transcript"]
        assert transcript.splitlines() == [
            "show version",
            "enable",
            "[hidden input]",
            "show version | include uptime",
            "exit",
        ]
        assert LAB_SECRET not in detail.text
        changes = client.get(
            "/api/v1/changelog", params={"object_type": "terminal_session"}
        ).json()["items"]
    assert [c["action"] for c in changes] == ["close", "open"]
    assert {c["actor"] for c in changes} == {"oper"}
    assert changes[0]["changes"]["reason"] == reason
    assert LAB_SECRET not in json.dumps(changes)

    # admins see everyone's sessions; others only their own (paged)
    with open_term(
        ws_url(live_api, device_id), additional_headers={"X-API-KEY": live_api.key}
    ) as t:
        t.wait_event("connected")
    with httpx.Client(base_url=live_api.url, timeout=30) as client:
        mine = client.get("/api/v1/terminal-sessions", headers={"X-API-KEY": key}).json()
        every = client.get(
            "/api/v1/terminal-sessions",
            params={"limit": 1},
            headers={"X-API-KEY": live_api.key},
        ).json()
        other = client.get(
            f"/api/v1/terminal-sessions/{every['items'][0]['id']}", headers={"X-API-KEY": key}
        )
    assert mine["total"] == 1
    assert every["total"] == 2 and len(every["items"]) == 1
    assert every["items"][0]["username"] == "admin"  # newest first
    assert other.status_code == 404  # an operator cannot read the admin's transcript


class SizeReporter(asyncssh.SSHServer):
    """A real SSH server whose shell prints the terminal type and size it was given, and
    every window size change."""

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return password == LAB_SECRET

    def session_requested(self) -> asyncssh.SSHServerSession[str]:
        return SizeSession()


class SizeSession(asyncssh.SSHServerSession[str]):
    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: Any, term_modes: Any) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def session_started(self) -> None:
        cols, rows, _, _ = self.chan.get_terminal_size()
        self.chan.write(f"TERM={self.chan.get_terminal_type()} SIZE={cols}x{rows}\r\n")

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.chan.write(f"SIZE={width}x{height}\r\n")


@pytest.fixture
def size_server() -> Iterator[int]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> asyncssh.SSHAcceptor:
        return await asyncssh.create_server(
            SizeReporter, "127.0.0.1", 0, server_host_keys=[host_key()], line_editor=False
        )

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(WAIT)
    yield server.sockets[0].getsockname()[1]

    async def stop() -> None:  # on the loop's own thread: closing from here races its selector
        server.close()
        await server.wait_closed()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(WAIT)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


def test_resize_reaches_the_device(live_api: LiveApi, size_server: int) -> None:
    device_id = seed(live_api, [("sizer", "127.0.0.1", size_server)])["sizer"]
    headers = {"X-API-KEY": live_api.key}
    url = ws_url(live_api, device_id, "?cols=100&rows=30")
    with open_term(url, additional_headers=headers) as term:
        term.read_until("TERM=xterm SIZE=100x30")
        term.ws.send(json.dumps({"type": "resize", "cols": 132, "rows": 43}))
        term.read_until("SIZE=132x43")
        term.ws.send(json.dumps({"type": "resize", "cols": 0, "rows": 43}))  # refused
        assert "positive" in term.wait_event("error")["message"]
        term.ws.send(json.dumps({"type": "resize", "cols": 90, "rows": 20}))
        term.read_until("SIZE=90x20")
    assert "SIZE=0x" not in term.screen


def test_viewer_and_anonymous_are_refused(live_api: LiveApi, lab: LabThread) -> None:
    device_id = seed_lab(live_api, first(lab, "cisco_ios"))
    viewer = api_key(live_api.runtime, Role.viewer, "watcher")
    code, reason = refusal(ws_url(live_api, device_id), additional_headers={"X-API-KEY": viewer})
    assert code == 4403
    assert "operator role" in reason and "viewer" in reason
    assert refusal(ws_url(live_api, device_id))[0] == 4401
    code, reason = refusal(ws_url(live_api, device_id), additional_headers={"X-API-KEY": "nwk_x_y"})
    assert (code, reason) == (4401, "invalid API key")


def login_cookies(live: LiveApi) -> httpx.Cookies:
    with httpx.Client(base_url=live.url) as client:
        answer = client.post(
            "/api/v1/auth/login", json={"username": "admin", "password": TEST_ADMIN_PASSWORD}
        )
        answer.raise_for_status()
        return client.cookies


def test_login_cookie_needs_same_origin(live_api: LiveApi, lab: LabThread) -> None:
    device_id = seed_lab(live_api, first(lab, "cisco_ios"))
    cookies = login_cookies(live_api)
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    headers = {"Cookie": cookie}
    url = ws_url(live_api, device_id)
    with pytest.raises(InvalidStatus) as refused:  # cross-site: refused at the handshake
        connect(url, origin="http://evil.example", additional_headers=headers, open_timeout=WAIT)
    assert refused.value.response.status_code == 403
    assert b"cross-site" in refused.value.response.body
    code, reason = refusal(url, additional_headers=headers)  # no Origin, no token: refused
    assert code == 4403 and "csrf" in reason
    with open_term(url, origin=live_api.url, additional_headers=headers) as same:  # the UI
        assert same.wait_event("connected")["device"]
    csrf = cookies["netweave_csrf"]
    with open_term(f"{url}?csrf={csrf}", additional_headers=headers) as with_token:
        with_token.wait_event("connected")
    code, _ = refusal(f"{url}?csrf=forged", additional_headers=headers)
    assert code == 4403


def test_unknown_and_unusable_devices(live_api: LiveApi) -> None:
    headers = admin_key(live_api)
    assert refusal(ws_url(live_api, 424242), additional_headers=headers) == (
        4404,
        "no device with id 424242",
    )
    assert refusal(ws_url(live_api, "r1"), additional_headers=headers) == (
        4404,
        "no device with id 'r1'",
    )
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    dead = seed(live_api, [("dead", "127.0.0.1", dead_port)])["dead"]
    with open_term(ws_url(live_api, dead), additional_headers=headers) as term:
        code, reason = term.closed()
    assert code == 4502 and reason.startswith(f"dead: cannot connect to 127.0.0.1:{dead_port}")
    assert "*** dead: cannot connect" in term.screen
    with httpx.Client(base_url=live_api.url, headers=headers) as client:
        bare = client.post(
            "/api/v1/devices", json={"name": "bare", "host": "127.0.0.1", "platform": "linux"}
        ).json()["id"]
    code, reason = refusal(ws_url(live_api, bare), additional_headers=headers)
    assert code == 4422 and "no stored credential" in reason


def test_wrong_stored_password_is_printed_then_closed(live_api: LiveApi, lab: LabThread) -> None:
    ios = first(lab, "cisco_ios")
    wrong = "not-the-lab-password"
    device_id = seed(live_api, [("bad-login", ios.host, ios.port)], password=wrong)["bad-login"]
    with open_term(ws_url(live_api, device_id), additional_headers=admin_key(live_api)) as term:
        code, reason = term.closed()
    assert code == 4502
    assert "authentication failed" in reason
    assert "*** bad-login: authentication failed" in term.screen  # printed in the terminal
    assert "connected" not in [e["type"] for e in term.events]
    with httpx.Client(base_url=live_api.url, headers={"X-API-KEY": live_api.key}) as client:
        row = client.get("/api/v1/terminal-sessions", params={"device": "bad-login"}).json()
        detail = client.get(f"/api/v1/terminal-sessions/{row['items'][0]['id']}")
    assert "authentication failed" in detail.json()["close_reason"]
    assert detail.json()["transcript"] == ""
    assert wrong not in detail.text and wrong not in term.screen and wrong not in reason


def test_session_limit_per_user(live_api: LiveApi, lab: LabThread) -> None:
    device_id = seed_lab(live_api, first(lab, "cisco_ios"))
    live_api.runtime.settings.terminal_max_sessions = 1
    headers = {"X-API-KEY": live_api.key}
    with open_term(ws_url(live_api, device_id), additional_headers=headers) as held:
        held.wait_event("connected")
        code, reason = refusal(ws_url(live_api, device_id), additional_headers=headers)
        assert code == 4429
        assert "terminal_max_sessions" in reason
        other = api_key(live_api.runtime, Role.operator, "second")  # the limit is per user
        with open_term(ws_url(live_api, device_id), additional_headers={"X-API-KEY": other}) as t:
            t.wait_event("connected")


def test_idle_terminal_is_closed(live_api: LiveApi, lab: LabThread) -> None:
    device_id = seed_lab(live_api, first(lab, "cisco_ios"))
    live_api.runtime.settings.terminal_idle_timeout = 0.5
    with open_term(ws_url(live_api, device_id), additional_headers=admin_key(live_api)) as term:
        code, reason = term.closed()
    assert code == 4408
    assert reason.startswith("idle timeout")
    assert "*** idle timeout" in term.screen
