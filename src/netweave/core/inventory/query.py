"""Server-side filtering, sorting and paging shared by every inventory list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from netweave.core.inventory.schemas import DeviceFilter
from netweave.core.text_filter import contains_pattern, match_text
from netweave.db.models import Credential, Device, DeviceTag
from netweave.foundation.errors import InvalidInput

MAX_LIMIT = 1000
DEVICE_SORT_FIELDS: Mapping[str, InstrumentedAttribute[Any]] = {
    "id": Device.id,
    "name": Device.name,
    "host": Device.host,
    "port": Device.port,
    "platform": Device.platform,
    "driver": Device.driver,
    "vendor": Device.vendor,
    "model": Device.model,
    "os_version": Device.os_version,
    "site": Device.site,
    "created_at": Device.created_at,
    "updated_at": Device.updated_at,
}
_GLOB_FIELDS = ("name", "host", "platform", "driver", "vendor", "model", "os_version", "site")


def device_conditions(filt: DeviceFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for field in _GLOB_FIELDS:
        value = getattr(filt, field)
        if value:
            conditions.append(match_text(getattr(Device, field), value))
    for tag in filt.tags:
        conditions.append(
            exists().where(DeviceTag.device_id == Device.id, match_text(DeviceTag.tag, tag))
        )
    if filt.credential:
        conditions.append(
            Device.credential_id.in_(
                select(Credential.id).where(match_text(Credential.name, filt.credential))
            )
        )
    if filt.q:
        pattern = contains_pattern(filt.q)
        conditions.append(
            or_(
                *(
                    getattr(Device, f).ilike(pattern, escape="\\")
                    for f in ("name", "host", "site", "vendor", "model")
                )
            )
        )
    return conditions


def device_filter_clause(filt: DeviceFilter) -> ColumnElement[bool]:
    conditions = device_conditions(filt)
    return and_(*conditions) if conditions else and_(True)


def parse_sort(
    sort: str | None,
    allowed: Mapping[str, InstrumentedAttribute[Any]],
    default: str = "name",
) -> list[ColumnElement[Any]]:
    spec = sort or default
    order: list[ColumnElement[Any]] = []
    for raw in spec.split(","):
        key = raw.strip()
        if not key:
            continue
        descending = key.startswith("-")
        key = key.lstrip("-+")
        column = allowed.get(key)
        if column is None:
            raise InvalidInput(
                f"cannot sort by {key!r}; one of {', '.join(sorted(allowed))}", field="sort"
            )
        order.append(column.desc() if descending else column.asc())
    if "id" in allowed:
        order.append(allowed["id"].asc())  # stable paging
    return order


def check_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"must be between 1 and {MAX_LIMIT}", field="limit")
    if offset < 0:
        raise InvalidInput("must be zero or more", field="offset")


def paged(
    session: Session,
    query: Select[Any],
    order: Sequence[ColumnElement[Any]],
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    check_paging(limit, offset)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.order_by(*order).limit(limit).offset(offset)).unique())
    return rows, total
