"""Web terminals: one interactive SSH shell per browser tab, bridged byte for byte inside
the server's event loop, limited per user, closed when idle, audited from open to close."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from netweave.core.access import object_rights
from netweave.core.access.principal import Principal
from netweave.core.access.scopes import ensure_allowed
from netweave.core.terminal import records
from netweave.core.terminal.protocol import (
    IDLE,
    INTERNAL,
    NORMAL,
    UNREACHABLE,
    Data,
    Hangup,
    Ignored,
    Outcome,
    Peer,
    Resize,
    banner,
)
from netweave.core.terminal.ssh import (
    DeviceUnreachable,
    Login,
    Shell,
    device_login,
    open_shell,
    terminal_device,
)
from netweave.core.terminal.transcript import Transcript
from netweave.foundation.errors import NetWeaveError
from netweave.foundation.secrets import SecretBox
from netweave.foundation.settings import Settings

log = logging.getLogger(__name__)


class TooManySessions(NetWeaveError):
    status_code = 429


@dataclass
class _Opened:
    record_id: int
    device_name: str
    login: Login


@dataclass
class _Traffic:
    bytes_in: int = 0
    bytes_out: int = 0


class TerminalService:
    """Counts open terminals per user (in this process) and runs each one."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox, settings: Settings) -> None:
        self.sessions = sessions
        self.box = box
        self.settings = settings
        self.open_by_user: Counter[int] = Counter()

    # -- bookkeeping ----------------------------------------------------------------------
    def _reserve(self, caller: Principal) -> None:
        limit = self.settings.terminal_max_sessions
        if self.open_by_user[caller.user_id] >= limit:
            raise TooManySessions(
                f"{caller.username} already has {limit} terminal session(s) open, the most "
                "allowed (terminal_max_sessions): close one first"
            )
        self.open_by_user[caller.user_id] += 1

    def _release(self, caller: Principal) -> None:
        self.open_by_user[caller.user_id] -= 1
        if self.open_by_user[caller.user_id] <= 0:
            del self.open_by_user[caller.user_id]

    def _open(self, caller: Principal, device_id: int, client: str) -> _Opened:
        with self.sessions() as session, session.begin():
            device = terminal_device(session, device_id)
            ensure_allowed(session, caller.username, device_ids=[device.id], field="device_id")
            object_rights.ensure_credentials(
                session, caller.username, [device.credential_id], "device_id"
            )
            login = device_login(session, self.box, device)
            record_id = records.open_record(session, caller, device, client)
            return _Opened(record_id, device.name, login)

    def _close(self, record_id: int, reason: str, traffic: _Traffic, script: Transcript) -> None:
        with self.sessions() as session, session.begin():
            records.close_record(
                session,
                record_id,
                reason=reason,
                bytes_in=traffic.bytes_in,
                bytes_out=traffic.bytes_out,
                transcript=script.text(),
                truncated=script.truncated,
            )

    # -- one terminal ---------------------------------------------------------------------
    async def run(
        self, caller: Principal, device_id: int, peer: Peer, cols: int, rows: int, client: str
    ) -> Outcome:
        """Serve one terminal until either side closes. Errors before the shell opens (no
        such device, too many sessions) raise :class:`NetWeaveError`; a device that cannot
        be reached gets its reason printed in the terminal and returned as the outcome."""
        self._reserve(caller)
        try:
            opened = await asyncio.to_thread(self._open, caller, device_id, client)
            return await self._serve(caller, opened, peer, cols, rows)
        finally:
            self._release(caller)

    async def _serve(
        self, caller: Principal, opened: _Opened, peer: Peer, cols: int, rows: int
    ) -> Outcome:
        """Whatever happens, the audit row is closed with a reason."""
        script = Transcript(self.settings.terminal_transcript_limit, opened.login.secrets)
        traffic = _Traffic()
        log.info("terminal %s: %s opens %s", opened.record_id, caller.username, opened.device_name)
        try:
            outcome = await self._connect_and_bridge(opened, peer, cols, rows, script, traffic)
        except asyncio.CancelledError:  # the server stops: record it without awaiting
            self._close(opened.record_id, "the server stopped", traffic, script)
            raise
        except Exception:
            log.exception("terminal %s: failed", opened.record_id)
            outcome = Outcome(INTERNAL, "internal error (see the server log)")
        await asyncio.to_thread(self._close, opened.record_id, outcome.reason, traffic, script)
        log.info(
            "terminal %s: closed (%s), %d bytes in, %d out",
            opened.record_id,
            outcome.reason,
            traffic.bytes_in,
            traffic.bytes_out,
        )
        return outcome

    async def _connect_and_bridge(
        self,
        opened: _Opened,
        peer: Peer,
        cols: int,
        rows: int,
        script: Transcript,
        traffic: _Traffic,
    ) -> Outcome:
        name, ident = opened.device_name, opened.record_id
        await _tell(peer, {"type": "connecting", "device": name, "session": ident})
        timeout = self.settings.terminal_connect_timeout
        try:
            shell = await open_shell(opened.login, cols, rows, timeout)
        except DeviceUnreachable as exc:
            message = f"{name}: {exc}"
            log.info("terminal %s: %s", ident, message)
            with contextlib.suppress(Exception):
                await peer.send(banner(message))
            return Outcome(UNREACHABLE, message)
        try:
            await _tell(peer, {"type": "connected", "device": name, "session": ident})
            return await self._bridge(shell, peer, script, traffic, name)
        finally:
            await _quietly(shell.close())

    async def _bridge(
        self, shell: Shell, peer: Peer, script: Transcript, traffic: _Traffic, name: str
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        idle_timeout = self.settings.terminal_idle_timeout
        last_input = loop.time()

        async def device_to_user() -> Outcome:
            while True:
                data = await shell.read()
                if not data:
                    return Outcome(NORMAL, f"{name} closed the session")
                traffic.bytes_out += len(data)
                script.device_output(data)
                try:
                    await peer.send(data)
                except Exception:  # the browser went away mid-write
                    return Outcome(NORMAL, "the user closed the terminal")

        async def user_to_device() -> Outcome:
            nonlocal last_input
            while True:
                try:
                    message = await peer.receive()
                except Exception:
                    message = Hangup()
                if isinstance(message, Hangup):
                    return Outcome(NORMAL, "the user closed the terminal")
                if isinstance(message, Data):
                    last_input = loop.time()
                    traffic.bytes_in += len(message.data)
                    script.user_input(message.data)
                    shell.write(message.data)
                elif isinstance(message, Resize):
                    shell.resize(message.cols, message.rows)
                elif isinstance(message, Ignored):
                    await _tell(peer, {"type": "error", "message": message.why})

        async def idle_watch() -> Outcome:
            while True:
                left = last_input + idle_timeout - loop.time()
                if left <= 0:
                    minutes = idle_timeout / 60
                    return Outcome(IDLE, f"idle timeout: no input for {minutes:g} min")
                await asyncio.sleep(left)

        tasks = [
            asyncio.ensure_future(device_to_user()),
            asyncio.ensure_future(user_to_device()),
            asyncio.ensure_future(idle_watch()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        outcome = next(iter(done)).result()
        if outcome.code != NORMAL:  # said in the terminal too (the close reason is terse)
            with contextlib.suppress(Exception):
                await peer.send(banner(outcome.reason))
        return outcome


async def _tell(peer: Peer, event: dict[str, object]) -> None:
    with contextlib.suppress(Exception):  # a client gone already is found by the bridge
        await peer.notify(event)


async def _quietly(closing: object) -> None:
    with contextlib.suppress(Exception):
        await closing  # type: ignore[misc]
