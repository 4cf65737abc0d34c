"""The versioned configuration store: a new version only when the text changed, history
per device, diffs between any two versions, and search across the latest configs."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netweave.core.automation.schemas import ConfigSearchHit, ConfigVersionRead
from netweave.db.models import ConfigVersion, Device
from netweave.foundation.errors import InvalidInput, NotFound
from netweave.foundation.regex_safety import check_regex
from netweave.services import SavedConfig
from netweave.services.builtin.confdiff import unified


def latest(session: Session, device_id: int) -> ConfigVersion | None:
    return session.scalar(
        select(ConfigVersion)
        .where(ConfigVersion.device_id == device_id)
        .order_by(ConfigVersion.version.desc())
        .limit(1)
    )


def save(
    session: Session, device_id: int, text: str, source: str, run_id: str | None
) -> SavedConfig:
    digest = hashlib.sha256(text.encode()).hexdigest()
    previous = latest(session, device_id)
    if previous is not None and previous.sha256 == digest:
        return SavedConfig(previous.version, False, "")
    version = (previous.version if previous else 0) + 1
    session.add(
        ConfigVersion(
            device_id=device_id,
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


def get_version(session: Session, device_id: int, version: int | None) -> ConfigVersion:
    if version is None:
        row = latest(session, device_id)
    else:
        row = session.scalar(
            select(ConfigVersion).where(
                ConfigVersion.device_id == device_id, ConfigVersion.version == version
            )
        )
    if row is None:
        what = "no stored configuration" if version is None else f"no version {version}"
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
    )


def history(session: Session, device: Device) -> list[ConfigVersionRead]:
    rows = session.scalars(
        select(ConfigVersion)
        .where(ConfigVersion.device_id == device.id)
        .order_by(ConfigVersion.version.desc())
    )
    return [version_read(row, device.name, False) for row in rows]


def diff(session: Session, device: Device, first: int, second: int | None) -> str:
    old = get_version(session, device.id, first)
    new = get_version(session, device.id, second)
    return unified(old.content, new.content, f"v{old.version}", f"v{new.version}")


def search(
    session: Session, pattern: str, *, regex: bool, limit: int = 500
) -> list[ConfigSearchHit]:
    """Lines matching ``pattern`` in each device's latest stored configuration."""
    if regex:
        try:
            compiled = re.compile(check_regex(pattern))
        except ValueError as exc:
            raise InvalidInput(str(exc), field="q") from exc
    newest = (
        select(ConfigVersion.device_id, func.max(ConfigVersion.version).label("version"))
        .group_by(ConfigVersion.device_id)
        .subquery()
    )
    query = (
        select(Device.name, ConfigVersion)
        .join(newest, (newest.c.device_id == ConfigVersion.device_id))
        .join(Device, Device.id == ConfigVersion.device_id)
        .where(ConfigVersion.version == newest.c.version)
        .order_by(Device.name)
    )
    if not regex:
        query = query.where(ConfigVersion.content.contains(pattern))
    hits: list[ConfigSearchHit] = []
    for name, row in session.execute(query):
        for number, line in enumerate(row.content.splitlines(), 1):
            found = compiled.search(line) if regex else pattern in line
            if found:
                hits.append(
                    ConfigSearchHit(device=name, version=row.version, line_number=number, line=line)
                )
                if len(hits) >= limit:
                    return hits
    return hits
