"""The password policy (settings ``password_*``): what a person may choose as a password,
when it expires, which earlier ones may not come back.

It applies to every password a person chooses (a user created with one, an admin setting
one, a user changing their own); the one-time passwords of a reset and the generated ones
are random and exempt. A refusal is a 422 naming the request's password field and the rule
broken, never the password. Directory users have no password here: setting one is a 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from netweave.db.models import User
from netweave.foundation.errors import Conflict, InvalidInput
from netweave.foundation.settings import Settings

CLASSES = ("lower case", "upper case", "digit", "other")
MIN_USERNAME_IN_PASSWORD = 3  # a shorter username is in too many good passwords
_verifier = PasswordHasher()  # verification reads each hash's own parameters


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 12
    min_classes: int = 1
    max_age_days: float = 0
    history: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        return cls(
            min_length=settings.password_min_length,
            min_classes=settings.password_min_classes,
            max_age_days=settings.password_max_age_days,
            history=settings.password_history,
        )


def classes_of(password: str) -> set[str]:
    found = set()
    for char in password:
        if char.islower():
            found.add("lower case")
        elif char.isupper():
            found.add("upper case")
        elif char.isdigit():
            found.add("digit")
        else:
            found.add("other")
    return found


def check(policy: PasswordPolicy, password: str, username: str, field: str = "password") -> None:
    """422 naming ``field`` and the rule a chosen password breaks (never the password)."""
    if len(password) < policy.min_length:
        raise InvalidInput(
            f"must be at least {policy.min_length} characters long (password_min_length)",
            field=field,
        )
    found = classes_of(password)
    if len(found) < policy.min_classes:
        missing = ", ".join(c for c in CLASSES if c not in found)
        raise InvalidInput(
            f"must mix at least {policy.min_classes} of the character classes lower case, "
            f"upper case, digit, other (password_min_classes); it has {len(found)} (missing: "
            f"{missing})",
            field=field,
        )
    if len(username) >= MIN_USERNAME_IN_PASSWORD and username.casefold() in password.casefold():
        raise InvalidInput("must not contain the username", field=field)


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _verifier.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_history(policy: PasswordPolicy, user: User, password: str, field: str) -> None:
    """The current password the person chose and the ``history`` ones before it may not be
    chosen again (422 naming ``field``)."""
    kept = list(user.password_history or [])[: policy.history + 1]
    if any(_matches(old, password) for old in kept):
        rule = (
            f"each of the last {policy.history + 1} passwords (password_history)"
            if policy.history
            else "the current password"
        )
        raise InvalidInput(f"must differ from {rule}", field=field)


def remember(policy: PasswordPolicy, user: User, password_hash: str) -> None:
    """Record a password the person chose: the current one and ``history`` before it."""
    user.password_history = [password_hash, *(user.password_history or [])][: policy.history + 1]
    user.password_changed_at = datetime.now(UTC)


def ensure_local(user: User, field: str = "password") -> None:
    """A directory user's password is the directory's: 409."""
    if user.source != "local":
        raise Conflict(
            f"{user.username}'s password is managed by the directory: change it there",
            field=field,
        )


def password_expired(user: User, settings: Settings | PasswordPolicy) -> bool:
    """A local user's password older than ``password_max_age_days`` (0: never). For the
    sign-in: an expired password opens a session that may only choose a new one, the state
    of ``must_change_password`` (API keys are not affected)."""
    policy = settings
    if not isinstance(policy, PasswordPolicy):
        policy = PasswordPolicy.from_settings(policy)
    if policy.max_age_days <= 0 or user.source != "local" or user.password_changed_at is None:
        return False
    changed = user.password_changed_at
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=UTC)
    return datetime.now(UTC) - changed > timedelta(days=policy.max_age_days)


def apply_expiry(user: User, settings: Settings | PasswordPolicy) -> bool:
    """At a sign-in with the right password, before ``must_change_password`` is looked at: an
    expired password becomes due for a change (it signs in this once, like a one-time
    password, into a session that may only choose a new one). True when it did."""
    if user.must_change_password or not password_expired(user, settings):
        return False
    user.must_change_password = True
    return True
