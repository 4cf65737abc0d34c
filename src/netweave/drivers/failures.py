"""Driver failures, classified once for every driver: the real cause (refused, unreachable,
timed out, rejected credentials ...), the phase the driver was in, and the measured time.

Every driver tracks its phase with a :class:`PhaseClock` and turns any library exception into
a :class:`DriverError` with :meth:`PhaseClock.error` (or :func:`classify`). ``kind`` keeps the
coarse, NetPulse-compatible error type that consumers already match on (``connection``,
``timeout``, ``authentication``, ``driver``); ``cause`` says precisely what happened."""

from __future__ import annotations

import errno
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from netweave.drivers.base import DriverError

Cause = Literal[
    "auth_failed",
    "enable_failed",
    "connection_refused",
    "forwarding_refused",
    "unreachable",
    "timeout",
    "host_key_mismatch",
    "session_lost",
    "command_rejected",
    "error",
]

# cause → the NetPulse error type (``kind``) it has always been reported as
KIND_OF_CAUSE: dict[str, str] = {
    "auth_failed": "authentication",
    "enable_failed": "authentication",
    "connection_refused": "connection",
    "forwarding_refused": "connection",  # a jump host would not forward to the device
    "unreachable": "connection",
    "host_key_mismatch": "connection",
    "session_lost": "connection",
    "timeout": "timeout",
    "command_rejected": "command_rejected",
    "error": "driver",
}
# a fresh session may succeed where this one failed (the pool retries reads only)
_RETRYABLE = {"connection_refused", "unreachable", "session_lost"}

_UNREACHABLE = {
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.EADDRNOTAVAIL: "address not available",
}
_LOST_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ESHUTDOWN}

# libscrapli (scrapli 2) reports in text: "<Kind>: <zig module> <step>: <what>"
_SCRAPLI_STEPS = (
    ("initSocket", "connecting"),
    ("initSession", "ssh handshake"),
    ("initKnownHost", "checking the host key"),
    ("authenticate", "authenticating"),
    ("handlePasswordAuth", "authenticating"),
    ("handleKeyboardInteractiveAuth", "authenticating"),
)
_LOGIN_PHASES = {"connecting", "logging in"}


class PhaseClock:
    """Which step a driver is in (``connecting``, ``authenticating``, ``running 'show
    version'`` ...) and since when; :meth:`error` classifies a failure in that step."""

    def __init__(self, target: str, name: str = "connecting") -> None:
        self.target = target
        self.name = name
        self.since = time.perf_counter()

    def enter(self, name: str) -> None:
        self.name = name
        self.since = time.perf_counter()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """``with clock.phase("entering enable mode"): ...``: the step and its start time."""
        self.enter(name)
        yield

    def elapsed(self) -> float:
        return time.perf_counter() - self.since

    def error(self, exc: BaseException) -> DriverError:
        return classify(exc, self.name, self.elapsed(), self.target)


def seconds(value: float) -> str:
    """A measured duration, as precise as it is meaningful."""
    if value < 0.01:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    return f"{value:.1f}"


def failure(
    cause: str, message: str, *, phase: str = "", elapsed: float | None = None
) -> DriverError:
    """A classified :class:`DriverError` (``kind`` from ``cause``)."""
    return DriverError(
        KIND_OF_CAUSE.get(cause, "driver"),
        message,
        retryable=cause in _RETRYABLE,
        cause=cause,
        phase=phase or None,
        elapsed=elapsed,
    )


def chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it was raised from or during, plus the per-address socket
    errors Paramiko's ``NoValidConnectionsError`` keeps in ``errors``."""
    found: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        per_address = getattr(current, "errors", None)
        if isinstance(per_address, dict):
            pending.extend(e for e in per_address.values() if isinstance(e, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
    return found


def _names(found: list[BaseException]) -> set[str]:
    return {type(e).__name__ for e in found} | {
        base.__name__ for e in found for base in type(e).__mro__
    }


def _text(found: list[BaseException]) -> str:
    """Every message of the chain, with the notes drivers added (``add_note``)."""
    parts = []
    for exc in found:
        parts.append(str(exc))
        parts.extend(str(note) for note in getattr(exc, "__notes__", ()))
    return " | ".join(parts)


def _socket_cause(found: list[BaseException], target: str) -> tuple[str, str] | None:
    for exc in found:
        if isinstance(exc, socket.gaierror):
            host = target.rsplit(":", 1)[0]
            reason = exc.strerror or str(exc)
            return "unreachable", f"the name {host!r} does not resolve ({reason})"
    for exc in found:
        number = getattr(exc, "errno", None)
        if number == errno.ECONNREFUSED:
            return "connection_refused", f"connection refused by {target}"
        if number in _UNREACHABLE:
            return "unreachable", f"{_UNREACHABLE[number]}: {target}"
    return None


def _scrapli_step(text: str) -> str | None:
    for marker, step in _SCRAPLI_STEPS:
        if f"Transport {marker}" in text or f"Session {marker}" in text:
            return step
    return None


def _timeout_phase(found: list[BaseException], text: str, phase: str) -> str:
    """The real step of a timeout when the driver only knows it was logging in."""
    if phase not in _LOGIN_PHASES:
        return phase
    lowered = text.lower()
    if "protocol banner" in lowered:
        return "waiting for the SSH banner"
    if "no existing session" in lowered:
        return "ssh handshake"
    if "authentication timeout" in lowered:
        return "authenticating"
    if (
        "readtimeout" in lowered
        or "ReadTimeout" in _names(found)
        or "pattern not detected" in (lowered)
    ):
        return "waiting for the prompt"
    return _scrapli_step(text) or "connecting"


def _is_timeout(found: list[BaseException], text: str) -> bool:
    names = _names(found)
    if names & {"NetmikoTimeoutException", "ReadTimeout", "TimeoutException", "PipeTimeout"}:
        return True
    if any(isinstance(e, TimeoutError | socket.timeout) for e in found):
        return True
    lowered = text.lower()
    # Paramiko: "No existing session" when the handshake never completed (banner timeout)
    return any(
        marker in lowered
        for marker in ("timeoutexceeded", "protocol banner", "timed out", "no existing session")
    )


def _is_session_lost(found: list[BaseException], text: str) -> bool:
    if any(isinstance(e, EOFError) for e in found):
        return True
    if any(getattr(e, "errno", None) in _LOST_ERRNOS for e in found):
        return True
    lowered = text.lower()
    return any(
        marker in lowered
        for marker in (
            "transport read failed",
            "write failed",
            "socket is closed",
            "session not active",
            "connection reset",
            "closed by remote",
        )
    )


def classify(exc: BaseException, phase: str, elapsed: float, target: str) -> DriverError:
    """Turn a library exception into a classified :class:`DriverError`.

    ``phase``: what the driver was doing; ``elapsed``: measured seconds in that phase (never
    a configured timeout); ``target``: ``host:port``."""
    if isinstance(exc, DriverError):
        return exc
    found = chain(exc)
    names = _names(found)
    text = _text(found)
    lowered = text.lower()
    took = seconds(elapsed)
    if "BadHostKeyException" in names or "known host check mismatch" in lowered:
        return failure(
            "host_key_mismatch",
            f"host key mismatch: {target} presented a host key that differs from the known "
            f"one (strict host key checking) after {took} s",
            phase="checking the host key",
            elapsed=elapsed,
        )
    if names & {"AuthenticationException", "NetmikoAuthenticationException"} or (
        "failed password authentication" in lowered
        or "all authentication methods have failed" in lowered
    ):
        return failure(
            "auth_failed",
            f"authentication failed: {target} rejected the credentials after {took} s",
            phase="authenticating",
            elapsed=elapsed,
        )
    if "enter enable mode" in lowered or (phase == "entering enable mode" and "% " in text):
        return failure(
            "enable_failed",
            f"enable failed: {target} did not accept the enable secret after {took} s",
            phase="entering enable mode",
            elapsed=elapsed,
        )
    socket_cause = _socket_cause(found, target)
    if socket_cause is not None:
        cause, what = socket_cause
        return failure(cause, f"{what} after {took} s", phase="connecting", elapsed=elapsed)
    if _is_timeout(found, text):
        step = _timeout_phase(found, text, phase)
        return failure(
            "timeout", f"timed out after {took} s while {step}", phase=step, elapsed=elapsed
        )
    if _is_session_lost(found, text):
        return failure(
            "session_lost",
            f"session lost while {phase}: the device closed the session after {took} s",
            phase=phase,
            elapsed=elapsed,
        )
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return failure(
        "error",
        f"{type(exc).__name__} while {phase} after {took} s: {first}".rstrip(": "),
        phase=phase,
        elapsed=elapsed,
    )


def probe_connect(host: str, port: int, timeout: float) -> OSError | None:
    """One plain TCP connection attempt: the socket error a library did not report (libscrapli
    says "unable to resolve host" for a refused port too). None when the port answers."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return exc


def device_error(output: str, pattern: str) -> str | None:
    """The device's own error line in ``output`` (e.g. ``% Invalid input detected at '^'
    marker.``), or None when ``pattern`` does not match."""
    match = re.search(pattern, output, re.M)
    if match is None:
        return None
    start = output.rfind("\n", 0, match.start()) + 1
    end = output.find("\n", match.end())
    return output[start : end if end != -1 else len(output)].strip()


def rejected(line: str, message: str) -> str:
    """The ``command_rejected`` text a config outcome carries: the line and the device's
    own words."""
    return f"command rejected: {line!r}: {message}"
