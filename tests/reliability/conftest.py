"""Fixtures that start infrastructure of a test's own, to break it for real."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.reliability.harness import PrivatePostgres, SmallDisk


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A running PostgreSQL server of this test's own (never the system one on 5432)."""
    try:
        server = PrivatePostgres()
    except (RuntimeError, subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot start a private PostgreSQL server here: {exc}")
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def small_disk() -> Iterator[SmallDisk]:
    """An 8 MiB tmpfs mounted for the test (the data dir goes on it)."""
    try:
        disk = SmallDisk("8m")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot mount a tmpfs here (root and mount(8) are needed): {exc}")
    try:
        yield disk
    finally:
        disk.unmount()
