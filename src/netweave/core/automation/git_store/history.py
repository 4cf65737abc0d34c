"""A device's history from the configuration repository: its commits, the file at any
commit, diffs between commits, and blame ("when did this line appear").

SQL keeps the index: the device's commits are its ``config_versions`` rows with a
``commit`` (no walk over the whole repository's history, which grows with every device);
the texts, times and messages come from git. Blame walks the file's versions backwards
from the one asked for and matches lines with difflib, bounded by
:data:`MAX_BLAME_VERSIONS`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.automation.git_store.layout import SHA, CommitInfo, file_path
from netweave.core.automation.git_store.repo import GitStore
from netweave.db.models import ConfigVersion, Device
from netweave.foundation.errors import InvalidInput, NotFound
from netweave.services.builtin.confdiff import unified

MAX_BLAME_VERSIONS = 100
MAX_LOG = 1000


@dataclass(frozen=True)
class Located:
    """The file of a device (and command) at a commit."""

    commit: str  # the commit asked for
    info: CommitInfo
    path: str
    text: str
    version: int | None  # the stored version whose text this is, when known


@dataclass(frozen=True)
class LogEntry:
    commit: str
    version: int
    command: str
    time: datetime
    message: str
    path: str | None


@dataclass(frozen=True)
class BlameLine:
    line_number: int
    line: str
    commit: str
    version: int | None
    time: datetime


def catch_up(store: GitStore, device_id: int) -> None:
    """Sync the repository first when ``device_id`` has versions not committed yet (a
    worker whose sync failed, or one on another host) or when the repository lacks its
    latest commit (deleted, replaced): reads see every stored version.
    Uses its own database session (a reader's snapshot would miss the new commits)."""
    with store.sessions() as session:
        pending = session.scalar(
            select(ConfigVersion.id)
            .where(ConfigVersion.device_id == device_id, ConfigVersion.commit.is_(None))
            .limit(1)
        )
        newest = session.scalar(
            select(ConfigVersion.commit)
            .where(ConfigVersion.device_id == device_id, ConfigVersion.commit.is_not(None))
            .order_by(ConfigVersion.id.desc())
            .limit(1)
        )
    if pending is not None or (newest is not None and store.info(newest) is None):
        store.sync_quietly()  # the second: the repository lost it, rebuilt from SQL


def device_log(
    session: Session, store: GitStore, device: Device, command: str, limit: int = MAX_LOG
) -> list[LogEntry]:
    """The commits holding ``device``'s versions of ``command``, newest first."""
    rows = session.scalars(
        select(ConfigVersion)
        .where(
            ConfigVersion.device_id == device.id,
            ConfigVersion.command == command,
            ConfigVersion.commit.is_not(None),
        )
        .order_by(ConfigVersion.version.desc())
        .limit(limit)
    )
    entries = []
    for row in rows:
        assert row.commit is not None
        info = store.info(row.commit)
        if info is None:
            continue  # not in this repository (yet): the next sync rebuilds it
        entries.append(
            LogEntry(row.commit, row.version, command, info.time, info.message, info.path)
        )
    return entries


def resolve(session: Session, store: GitStore, ref: str, field: str = "commit") -> str:
    """The full sha of commit ``ref`` (40 hex digits, or an abbreviation of at least 7 of a
    commit SQL knows): 422 for something that is not a sha, 404 for an unknown one."""
    ref = ref.strip().lower()
    if not SHA.match(ref):
        raise InvalidInput("a commit is 7 to 40 hexadecimal digits", field=field)
    if len(ref) == 40:
        if store.info(ref) is None:
            raise NotFound(f"no commit {ref} in the configuration repository", field=field)
        return ref
    found = list(
        session.scalars(
            select(ConfigVersion.commit)
            .where(ConfigVersion.commit.startswith(ref, autoescape=True))
            .distinct()
            .limit(2)
        )
    )
    if not found:
        raise NotFound(f"no commit {ref} in the configuration repository", field=field)
    if len(found) > 1:
        raise InvalidInput(f"{ref} is ambiguous: give more digits", field=field)
    return str(found[0])


def locate(
    session: Session,
    store: GitStore,
    device: Device,
    command: str,
    ref: str | None,
    field: str = "commit",
) -> Located:
    """``device``'s file for ``command`` at commit ``ref`` (None: its latest commit). Any
    commit of the repository works: the file is as it was then."""
    if ref is None:
        newest = session.scalar(
            select(ConfigVersion.commit)
            .where(
                ConfigVersion.device_id == device.id,
                ConfigVersion.command == command,
                ConfigVersion.commit.is_not(None),
            )
            .order_by(ConfigVersion.version.desc())
            .limit(1)
        )
        if newest is None:
            raise NotFound(f"nothing of {device.name} is in the repository yet", field=field)
        sha = newest
    else:
        sha = resolve(session, store, ref, field)
    info = store.info(sha)
    if info is None:
        raise NotFound(f"no commit {sha} in the configuration repository", field=field)
    for path in _paths(session, store, device, command):
        text = store.read(sha, path)
        if text is not None:
            return Located(sha, info, path, text, _version_at(session, device, command, info))
    what = f"{command!r} output" if command else "configuration"
    raise NotFound(f"no {what} of {device.name} at commit {sha[:12]}", field=field)


def diff(
    session: Session,
    store: GitStore,
    device: Device,
    command: str,
    first: str,
    second: str | None,
) -> str:
    """Unified diff of ``device``'s file between commits ``first`` and ``second`` (None:
    the latest)."""
    old = locate(session, store, device, command, first, "from")
    new = locate(session, store, device, command, second, "to")
    return unified(old.text, new.text, old.commit[:12], new.commit[:12])


def blame(
    session: Session, store: GitStore, device: Device, command: str, ref: str | None
) -> tuple[Located, list[BlameLine], bool]:
    """Each line of ``device``'s file at ``ref`` with the commit where it first appeared
    (as far back as :data:`MAX_BLAME_VERSIONS` versions: ``truncated`` when the walk
    stopped there, the remaining lines then belong to the oldest version walked)."""
    target = locate(session, store, device, command, ref)
    bound = target.info.row
    query = select(ConfigVersion).where(
        ConfigVersion.device_id == device.id,
        ConfigVersion.command == command,
        ConfigVersion.commit.is_not(None),
    )
    if bound is not None:
        query = query.where(ConfigVersion.id <= bound)
    rows = list(
        session.scalars(query.order_by(ConfigVersion.id.desc()).limit(MAX_BLAME_VERSIONS + 1))
    )
    truncated = len(rows) > MAX_BLAME_VERSIONS
    history: list[tuple[str, int | None, datetime, list[str]]] = []
    for row in rows[:MAX_BLAME_VERSIONS]:
        assert row.commit is not None
        info = store.info(row.commit)
        text = store.read(row.commit, info.path) if info and info.path else None
        if info is None or text is None:
            continue
        history.append((row.commit, row.version, info.time, text.splitlines()))
    lines = target.text.splitlines()
    if not history or history[0][3] != lines:  # the file as asked is not a stored version
        history.insert(0, (target.commit, target.version, target.info.time, lines))
    owners: list[tuple[str, int | None, datetime] | None] = [None] * len(lines)
    alive = {index: index for index in range(len(lines))}  # target line -> line in `current`
    for (commit, version, time, current), older in zip(history, [*history[1:], None], strict=True):
        matched: dict[int, int] = {}
        if older is not None:
            matcher = difflib.SequenceMatcher(None, older[3], current, autojunk=False)
            for block in matcher.get_matching_blocks():
                for offset in range(block.size):
                    matched[block.b + offset] = block.a + offset
        survivors = {}
        for index, at in alive.items():
            if at in matched:
                survivors[index] = matched[at]
            else:
                owners[index] = (commit, version, time)
        alive = survivors
        if not alive:
            break
    result = []
    for number, (line, owner) in enumerate(zip(lines, owners, strict=True), 1):
        assert owner is not None
        result.append(BlameLine(number, line, owner[0], owner[1], owner[2]))
    return target, result, truncated


def _paths(session: Session, store: GitStore, device: Device, command: str) -> list[str]:
    """Where ``device``'s file may be: under its current name, or under the name it had
    at its latest commit (a renamed device's older commits)."""
    paths = [file_path(device.name, command)]
    newest = session.scalar(
        select(ConfigVersion.commit)
        .where(
            ConfigVersion.device_id == device.id,
            ConfigVersion.command == command,
            ConfigVersion.commit.is_not(None),
        )
        .order_by(ConfigVersion.version.desc())
        .limit(1)
    )
    info = store.info(newest) if newest else None
    if info is not None and info.path and info.path not in paths:
        paths.append(info.path)
    return paths


def _version_at(session: Session, device: Device, command: str, info: CommitInfo) -> int | None:
    """The stored version of ``device``'s file at a commit: its newest version committed
    at or before that commit's row."""
    if info.row is None:
        return None
    return session.scalar(
        select(ConfigVersion.version)
        .where(
            ConfigVersion.device_id == device.id,
            ConfigVersion.command == command,
            ConfigVersion.commit.is_not(None),
            ConfigVersion.id <= info.row,
        )
        .order_by(ConfigVersion.id.desc())
        .limit(1)
    )
