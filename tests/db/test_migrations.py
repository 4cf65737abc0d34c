from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from netweave.db.base import Base
from netweave.db.engine import make_engine
from netweave.db.migrate import current_revision, downgrade, head_revision, upgrade


def test_migrations_reach_head_and_match_models(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) == head_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []  # no model change unmigrated
    engine.dispose()


def test_downgrade_and_upgrade_roundtrip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    assert "devices" in inspect(engine).get_table_names()
    downgrade(engine, "base")
    assert "devices" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        fks = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    assert mode == "wal"
    assert fks == 1
    engine.dispose()


def test_the_quick_revision_checks_agree_with_alembic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The schema check reads the revision with one query and the head from the files,
    without Alembic: both answers are Alembic's own, before and after each step."""
    from alembic.script import ScriptDirectory

    from netweave.db.migrate import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    assert (
        head_revision(engine)
        == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    )
    assert current_revision(engine) is None  # never migrated
    for target in ("0013", "head"):
        upgrade(engine, target)
        with engine.connect() as connection:
            expected = MigrationContext.configure(connection).get_current_revision()
        assert current_revision(engine) == expected
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()
