"""The versioned configuration store: a new version only when the text changed, history
per device, diffs between any two versions, and search across the latest configs.

The same store keeps operational data: the output of show commands captured with a
backup, one numbered history per device and command (``command`` empty: the running
configuration). A show output that differs from the previous one only in its volatile
parts (uptime, counters: :class:`~netweave.foundation.operational.VolatileFilter`) is not
a new version."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.automation.git_store import GitStore
from netweave.core.automation.schemas import ConfigSearchHit, ConfigVersionRead
from netweave.db.models import ConfigVersion, Device
from netweave.foundation.errors import InvalidInput, NotFound
from netweave.foundation.operational import VolatileFilter, command_slug
from netweave.foundation.regex_safety import check_regex
from netweave.foundation.settings import Settings
from netweave.services import SavedConfig
from netweave.services.builtin.confdiff import unified


@dataclass(frozen=True)
class StoreOptions:
    """What the worker needs to store configurations and operational data: the
    repository (None: git is off), the show commands per platform, their volatile parts."""

    git: GitStore | None = None
    commands: Mapping[str, list[str]] = field(default_factory=dict)
    volatile: VolatileFilter = field(default_factory=lambda: VolatileFilter({}))

    @classmethod
    def from_settings(cls, settings: Settings, sessions: sessionmaker[Session]) -> StoreOptions:
        git = None
        if settings.config_git:
            git = GitStore(
                sessions,
                settings.effective_config_git_dir,
                remote=settings.config_git_remote,
                push=settings.config_git_push,
            )
        return cls(
            git, settings.operational_commands, VolatileFilter(settings.operational_volatile)
        )


def latest(session: Session, device_id: int, command: str = "") -> ConfigVersion | None:
    return session.scalar(
        select(ConfigVersion)
        .where(ConfigVersion.device_id == device_id, ConfigVersion.command == command)
        .order_by(ConfigVersion.version.desc())
        .limit(1)
    )


def save(
    session: Session,
    device_id: int,
    text: str,
    source: str,
    run_id: str | None,
    *,
    command: str = "",
    volatile: VolatileFilter | None = None,
) -> SavedConfig:
    """Store ``text`` as ``device_id``'s next version of ``command`` unless it is the same
    as the latest (for a show command: the same but for ``volatile``'s parts)."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    previous = latest(session, device_id, command)
    if previous is not None:
        same = previous.sha256 == digest
        if not same and command and volatile is not None:
            same = volatile.stable(command, previous.content) == volatile.stable(command, text)
        if same:
            return SavedConfig(previous.version, False, "")
    version = (previous.version if previous else 0) + 1
    session.add(
        ConfigVersion(
            device_id=device_id,
            command=command,
            version=version,
            content=text,
            sha256=digest,
            size=len(text),
            source=source,
            run_id=run_id,
        )
    )
    session.flush()
    diff = (
        unified(previous.content, text, f"v{previous.version}", f"v{version}") if previous else ""
    )
    return SavedConfig(version, True, diff)


def get_version(
    session: Session, device_id: int, version: int | None, command: str = ""
) -> ConfigVersion:
    if version is None:
        row = latest(session, device_id, command)
    else:
        row = session.scalar(
            select(ConfigVersion).where(
                ConfigVersion.device_id == device_id,
                ConfigVersion.command == command,
                ConfigVersion.version == version,
            )
        )
    if row is None:
        stored = f"{command!r} output" if command else "configuration"
        what = f"no stored {stored}" if version is None else f"no version {version}"
        raise NotFound(f"{what} for this device", field="version")
    return row


def version_read(row: ConfigVersion, device: str, content: bool) -> ConfigVersionRead:
    return ConfigVersionRead(
        device=device,
        version=row.version,
        sha256=row.sha256,
        size=row.size,
        source=row.source,
        run_id=row.run_id,
        created_at=row.created_at,
        content=row.content if content else None,
        command=row.command,
        commit=row.commit,
    )


def history(session: Session, device: Device, command: str = "") -> list[ConfigVersionRead]:
    rows = session.scalars(
        select(ConfigVersion)
        .where(ConfigVersion.device_id == device.id, ConfigVersion.command == command)
        .order_by(ConfigVersion.version.desc())
    )
    return [version_read(row, device.name, False) for row in rows]


def diff(
    session: Session, device: Device, first: int, second: int | None, command: str = ""
) -> str:
    old = get_version(session, device.id, first, command)
    new = get_version(session, device.id, second, command)
    return unified(old.content, new.content, f"v{old.version}", f"v{new.version}")


def operational_latest(session: Session, device: Device) -> list[ConfigVersionRead]:
    """The latest stored output of each show command captured on ``device``."""
    newest = (
        select(ConfigVersion.command, func.max(ConfigVersion.version).label("version"))
        .where(ConfigVersion.device_id == device.id, ConfigVersion.command != "")
        .group_by(ConfigVersion.command)
        .subquery()
    )
    rows = session.scalars(
        select(ConfigVersion)
        .join(
            newest,
            (newest.c.command == ConfigVersion.command)
            & (newest.c.version == ConfigVersion.version),
        )
        .where(ConfigVersion.device_id == device.id)
        .order_by(ConfigVersion.command)
    )
    return [version_read(row, device.name, False) for row in rows]


def command_of(session: Session, device: Device, slug: str) -> str:
    """The show command of ``device`` whose slug is ``slug`` (404 naming ``command``)."""
    commands = session.scalars(
        select(ConfigVersion.command)
        .where(ConfigVersion.device_id == device.id, ConfigVersion.command != "")
        .group_by(ConfigVersion.command)
        .order_by(func.max(ConfigVersion.id).desc())
    )
    for command in commands:
        if command_slug(command) == slug:
            return command
    raise NotFound(f"no stored output of {slug!r} for {device.name}", field="command")


def search(
    session: Session,
    pattern: str,
    *,
    regex: bool,
    limit: int = 500,
    kind: str = "config",
    command: str | None = None,
) -> list[ConfigSearchHit]:
    """Lines matching ``pattern`` in each device's latest stored configuration
    (``kind`` config), latest show outputs (operational; only ``command``'s when given)
    or both (all)."""
    if regex:
        try:
            compiled = re.compile(check_regex(pattern))
        except ValueError as exc:
            raise InvalidInput(str(exc), field="q") from exc
    newest = select(
        ConfigVersion.device_id,
        ConfigVersion.command,
        func.max(ConfigVersion.version).label("version"),
    ).group_by(ConfigVersion.device_id, ConfigVersion.command)
    if command is not None:
        newest = newest.where(ConfigVersion.command == command)
    elif kind == "config":
        newest = newest.where(ConfigVersion.command == "")
    elif kind == "operational":
        newest = newest.where(ConfigVersion.command != "")
    latest_rows = newest.subquery()
    query = (
        select(Device.name, ConfigVersion)
        .join(
            latest_rows,
            (latest_rows.c.device_id == ConfigVersion.device_id)
            & (latest_rows.c.command == ConfigVersion.command),
        )
        .join(Device, Device.id == ConfigVersion.device_id)
        .where(ConfigVersion.version == latest_rows.c.version)
        .order_by(Device.name, ConfigVersion.command)
    )
    if not regex:
        query = query.where(ConfigVersion.content.contains(pattern))
    hits: list[ConfigSearchHit] = []
    for name, row in session.execute(query):
        for number, line in enumerate(row.content.splitlines(), 1):
            found = compiled.search(line) if regex else pattern in line
            if found:
                hits.append(
                    ConfigSearchHit(
                        device=name,
                        version=row.version,
                        line_number=number,
                        line=line,
                        command=row.command,
                    )
                )
                if len(hits) >= limit:
                    return hits
    return hits
