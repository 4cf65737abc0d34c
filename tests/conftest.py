"""Suite-wide fixtures: databases (SQLite and the real PostgreSQL), runtime, API clients,
and the in-process device lab."""

import json
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
    "tests.fixtures.netlab",
    "tests.fixtures.ldap",
    "tests.fixtures.radius",
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
        # argon2 at its cheapest (a production hash costs ~0.2 s of CPU, and the suite makes
        # and checks a few thousand): the hashing itself is the same code, at other costs;
        # tests/core/access/test_password_hashing.py checks the production default
        patch.setenv("NETWEAVE_PASSWORD_HASH_MEMORY_KIB", "64")
        patch.setenv("NETWEAVE_PASSWORD_HASH_TIME_COST", "1")
        yield folder


DURATIONS = Path(__file__).with_name("durations.json")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slowest test files first (seconds per file, measured: ``tests/durations.json``, made
    by ``scripts/test-durations``). With ``-n 2 --dist loadfile --no-loadscope-reorder``
    each process takes the next file when it is done, so long files start early and the
    processes finish together instead of one waiting on the last long file."""
    if not DURATIONS.exists():
        return
    seconds: dict[str, float] = json.loads(DURATIONS.read_text())
    unknown = max(seconds.values(), default=0.0)  # a new file: assume slow, start it early
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        first_seen.setdefault(item.nodeid.split("::", 1)[0], index)

    def key(pair: tuple[int, pytest.Item]) -> tuple[float, int, int]:
        index, item = pair
        path = item.nodeid.split("::", 1)[0]
        return (-seconds.get(path, unknown), first_seen[path], index)

    items[:] = [item for _, item in sorted(enumerate(items), key=key)]
