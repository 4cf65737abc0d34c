"""Login rate limiting per (username, client address) pair, plus a much higher cap per
client address (password spraying), kept in the database so every thread and every server
process sharing it counts the same attempts.

Limiting the username alone would let anyone guessing a password lock its real owner out
from everywhere; per pair, the owner still logs in from their own address.

Each attempt atomically bumps its counters (one insert-or-update each, so concurrent
attempts cannot both slip under the limit); a counter older than ``window`` seconds starts
again at 1. Once a counter passes its limit, attempts are refused with 429 until its window
ends — without checking the password. A successful login resets the pair's counter only (a
sprayer's own valid account must not reset its address's count)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from netweave.db.models import LoginThrottle
from netweave.foundation.secrets import sha256_hex


@dataclass(frozen=True)
class Limits:
    max_failures: int  # per (username, address); 0: no limit
    window: float  # seconds
    max_per_address: int = 0  # any usernames from one address; 0: no limit


def _pair_key(username: str, client_ip: str) -> str:
    return sha256_hex(f"user-ip:{username.casefold()}\n{client_ip}")


def _address_key(client_ip: str) -> str:
    return sha256_hex(f"ip:{client_ip}")


def _bump(session: Session, key: str, now: float, window: float) -> tuple[int, float]:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stale = LoginThrottle.window_start <= now - window
    statement = (
        insert(LoginThrottle)
        .values(key=key, window_start=now, attempts=1)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "attempts": case((stale, 1), else_=LoginThrottle.attempts + 1),
                "window_start": case((stale, now), else_=LoginThrottle.window_start),
            },
        )
        .returning(LoginThrottle.attempts, LoginThrottle.window_start)
    )
    attempts, start = session.execute(statement).one()
    return int(attempts), float(start)


def attempt(
    session: Session, limits: Limits, username: str, client_ip: str, now: float | None = None
) -> int | None:
    """Count one login attempt; the seconds to wait when it is over the limit, else None."""
    counters = [
        (key, limit)
        for key, limit in (
            (_pair_key(username, client_ip), limits.max_failures),
            (_address_key(client_ip), limits.max_per_address),
        )
        if limit > 0
    ]
    if not counters:
        return None
    now = time.time() if now is None else now
    session.execute(delete(LoginThrottle).where(LoginThrottle.window_start < now - limits.window))
    wait = 0.0
    for key, limit in counters:
        attempts, start = _bump(session, key, now, limits.window)
        if attempts > limit:
            wait = max(wait, start + limits.window - now)
    return max(1, math.ceil(wait)) if wait > 0 else None


def reset(session: Session, username: str, client_ip: str) -> None:
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.key == _pair_key(username, client_ip))
    )
