"""Suite-wide fixtures: databases (SQLite and the real PostgreSQL), runtime, API clients,
and the in-process device lab."""

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.api",
    "tests.fixtures.lab",
    "tests.fixtures.workers",
    "tests.fixtures.browser",
    "tests.fixtures.vault",
    "tests.fixtures.bastion",
]


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``Settings()`` without a ``data_dir`` (the CLI, ``netweave`` subprocesses) defaults to
    ``~/.local/share/netweave`` and reads its ``netweave.yaml``: this test process gets a
    folder of its own instead (one per xdist worker), never the developer's."""
    folder = tmp_path_factory.mktemp("netweave-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETWEAVE_DATA_DIR", str(folder))
        patch.delenv("NETWEAVE_CONFIG", raising=False)
        yield folder
