"""Persistent device sessions: pool, per-device serial execution, keepalive, reconnect,
idle TTL, max age and a circuit breaker for hosts that keep failing."""

from netweave.sessions.pool import PoolSettings, SessionPool

__all__ = ["PoolSettings", "SessionPool"]
