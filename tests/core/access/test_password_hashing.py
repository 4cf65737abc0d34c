"""argon2id costs are settings: production hashes at RFC 9106's 64 MiB and 3 passes, a
changed cost applies to new hashes, and a stored hash made at other costs still verifies
and is redone at the next sign-in. (The suite itself hashes at the cheapest costs: see
tests/conftest.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from argon2 import extract_parameters
from pydantic import ValidationError

from netweave.core.access import tokens, users
from netweave.core.access.schemas import UserCreate
from netweave.core.runtime import Runtime
from netweave.db.models import Role, User
from netweave.foundation.settings import Settings
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND


@pytest.fixture
def restored_costs(runtime: Runtime) -> Iterator[None]:
    yield
    settings = runtime.settings
    users.configure_hashing(settings.password_hash_memory_kib, settings.password_hash_time_cost)


def test_production_default_is_64_mib_and_three_passes(restored_costs: None) -> None:
    fields = Settings.model_fields
    memory = fields["password_hash_memory_kib"].default
    passes = fields["password_hash_time_cost"].default
    assert (memory, passes) == (65536, 3)
    users.configure_hashing(memory, passes)
    made = extract_parameters(users.hash_password("correct horse battery"))
    assert (made.memory_cost, made.time_cost, made.type.name) == (65536, 3, "ID")


def test_too_little_memory_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="password_hash_memory_kib"):
        Settings(password_hash_memory_kib=16)


def test_a_hash_at_other_costs_verifies_and_is_redone_at_sign_in(
    runtime: Runtime, restored_costs: None
) -> None:
    users.configure_hashing(128, 2)  # what the costs were when the user was made
    with runtime.transaction() as session:
        user = users.create_user(
            session,
            UserCreate(username="op", password="long-enough-pass", role=Role.operator),  # type: ignore[arg-type]
        )
        before = user.password_hash
    assert extract_parameters(before).memory_cost == 128
    users.configure_hashing(64, 1)  # an admin changed the settings since
    with runtime.transaction() as session:
        signed_in, _ = tokens.login(session, "op", "long-enough-pass", timedelta(hours=1))
        after = signed_in.password_hash
    assert after != before
    assert (extract_parameters(after).memory_cost, extract_parameters(after).time_cost) == (64, 1)
    assert users.verify_password(after, "long-enough-pass")
    with runtime.transaction() as session:  # stored, and signing in again leaves it alone
        tokens.login(session, "op", "long-enough-pass", timedelta(hours=1))
        assert session.get(User, signed_in.id).password_hash == after  # type: ignore[union-attr]
