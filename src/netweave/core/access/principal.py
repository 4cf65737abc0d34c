"""Who is calling (its own module: the job engine and the CLI need it without the
sign-in machinery of :mod:`tokens`)."""

from __future__ import annotations

from dataclasses import dataclass

from netweave.db.models import Role


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from an API key or a login session."""

    user_id: int
    username: str
    role: Role
    via: str  # "api_key" | "session"
    scope: str = "full"  # "trigger": the key may only fire REST triggers
    # a session opened with a one-time password: it may only choose a new password
    must_change_password: bool = False

    def has_role(self, needed: Role) -> bool:
        """Never while a new password is due: such a session holds no role yet."""
        return not self.must_change_password and self.role.rank >= needed.rank
