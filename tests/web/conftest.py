"""Browser tests drive pages, not SQL: they run on the embedded default (SQLite) only. The
API and core suites run every query on both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netweave.db.engine import make_engine
from netweave.db.migrate import upgrade


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty SQLite file for the browser tests (overrides the two-backend one)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web-sqlite') / 'netweave.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
