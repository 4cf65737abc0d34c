"""A short-lived cache of verified API keys: most API calls then skip a database round trip.
Anything that changes who a key belongs to (revocation, a user's role or state) clears it;
another API process notices within ``TTL`` seconds."""

from __future__ import annotations

import threading
import time
from typing import Any

TTL = 10.0
_lock = threading.Lock()
_entries: dict[str, tuple[Any, float]] = {}


def get(digest: str) -> Any | None:
    with _lock:
        entry = _entries.get(digest)
        if entry is None:
            return None
        principal, until = entry
        if time.monotonic() > until:
            del _entries[digest]
            return None
        return principal


def put(digest: str, principal: Any, seconds: float = TTL) -> None:
    """Remember for ``seconds`` at most ``TTL`` (a key about to expire is kept less)."""
    if seconds <= 0:
        return
    with _lock:
        if len(_entries) > 10_000:
            _entries.clear()
        _entries[digest] = (principal, time.monotonic() + min(seconds, TTL))


def clear() -> None:
    with _lock:
        _entries.clear()
