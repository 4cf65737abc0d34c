"""Suite-wide fixtures: databases (SQLite and the real PostgreSQL), runtime, API clients,
and the in-process device lab."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.api",
    "tests.fixtures.lab",
    "tests.fixtures.workers",
    "tests.fixtures.browser",
    "tests.fixtures.vault",
    "tests.fixtures.bastion",
]
