"""The network views' read models: every located device and the links between them (2D map,
3D globe) and the logical topology (devices joined by links). One compact answer each, read
column by column, so 10,000 devices load in one request instead of through the paged list."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, func, select, union
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from netweave.core.inventory.pools import membership_clause, pool_by_name
from netweave.core.text_filter import match_text
from netweave.db.models import Device, Link, Pool
from netweave.foundation.settings import Settings

_DEVICE_COLUMNS = (
    Device.id,
    Device.name,
    Device.host,
    Device.port,
    Device.platform,
    Device.vendor,
    Device.model,
    Device.site,
    Device.latitude,
    Device.longitude,
)
_LINK_COLUMNS = (
    Link.id,
    Link.name,
    Link.source_id,
    Link.destination_id,
    Link.source_interface,
    Link.destination_interface,
)


# The items are TypedDicts, not models: validating tens of thousands of them makes dicts,
# several times cheaper than model instances (the schema in the API docs is the same).


class ViewDevice(TypedDict):
    id: int
    name: str
    host: str
    port: int
    platform: str
    vendor: str
    model: str
    site: str
    lat: Annotated[float | None, Field(description="Latitude (null: not located)")]
    lon: Annotated[float | None, Field(description="Longitude (null: not located)")]


class ViewLink(TypedDict):
    id: int
    name: str
    source: Annotated[int, Field(description="Device id")]
    target: Annotated[int, Field(description="Device id")]
    source_interface: str
    target_interface: str


class GeoView(BaseModel):
    """Devices with coordinates and the links whose two ends both have some."""

    devices: list[ViewDevice]
    links: list[ViewLink]
    unlocated: int = Field(description="Devices in the selection without coordinates")


class TopologyView(BaseModel):
    """Without a filter: the devices that have links. With ``site`` or ``pool``: every
    device of the selection. Edges: the links between two of the nodes."""

    nodes: list[ViewDevice]
    edges: list[ViewLink]
    sites: list[str] = Field(description="Every site in the inventory (filter choices)")
    pools: list[str] = Field(description="Every pool (filter choices)")
    unlinked: int = Field(
        default=0, description="Devices without links left out (without a filter); 0 with them"
    )


class UiSettings(BaseModel):
    """Server settings the UI needs (read-only)."""

    map_tile_url: str = Field(description="Tile URL template; empty: the offline map only")
    map_tile_attribution: str


def ui_settings(settings: Settings) -> UiSettings:
    return UiSettings(
        map_tile_url=settings.map_tile_url, map_tile_attribution=settings.map_tile_attribution
    )


def _selection(session: Session, site: str | None, pool: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if site:
        conditions.append(match_text(Device.site, site))
    if pool:
        conditions.append(membership_clause(pool_by_name(session, pool)))
    return conditions


# Rows become plain dicts, and each view is validated once, in pydantic's compiled core.
_DEVICE_KEYS = ("id", "name", "host", "port", "platform", "vendor", "model", "site", "lat", "lon")
_LINK_KEYS = ("id", "name", "source", "target", "source_interface", "target_interface")


def _devices(session: Session, query: Select[*tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(_DEVICE_KEYS, row, strict=True)) for row in session.execute(query)]


def _links_between(session: Session, ids: set[int]) -> list[dict[str, Any]]:
    """The links with both ends in ``ids`` (read whole and filtered here: one plain scan
    instead of two ``IN`` lists of thousands of ids)."""
    return [
        dict(zip(_LINK_KEYS, row, strict=True))
        for row in session.execute(select(*_LINK_COLUMNS).order_by(Link.id))
        if row[2] in ids and row[3] in ids
    ]


def geo_view(session: Session, *, site: str | None = None, pool: str | None = None) -> GeoView:
    conditions = _selection(session, site, pool)
    located = and_(Device.latitude.is_not(None), Device.longitude.is_not(None))
    query = select(*_DEVICE_COLUMNS).where(located, *conditions).order_by(Device.name)
    devices = _devices(session, query)
    total = session.scalar(select(func.count()).select_from(Device).where(*conditions)) or 0
    return GeoView.model_validate(
        {
            "devices": devices,
            "links": _links_between(session, {d["id"] for d in devices}),
            "unlocated": total - len(devices),
        }
    )


def topology_view(
    session: Session,
    *,
    site: str | None = None,
    pool: str | None = None,
    unlinked: bool = False,
) -> TopologyView:
    """``unlinked``: without a filter, also the devices that have no link (else counted)."""
    conditions = _selection(session, site, pool)
    left_out = 0
    if not conditions and not unlinked:
        linked = union(select(Link.source_id), select(Link.destination_id))
        conditions = [Device.id.in_(select(linked.subquery().c[0]))]
        total = session.scalar(select(func.count()).select_from(Device)) or 0
        left_out = total - (
            session.scalar(select(func.count()).select_from(Device).where(*conditions)) or 0
        )
    nodes = _devices(session, select(*_DEVICE_COLUMNS).where(*conditions).order_by(Device.name))
    sites = session.scalars(
        select(Device.site).where(Device.site != "").distinct().order_by(Device.site)
    )
    return TopologyView.model_validate(
        {
            "nodes": nodes,
            "edges": _links_between(session, {n["id"] for n in nodes}),
            "sites": list(sites),
            "pools": list(session.scalars(select(Pool.name).order_by(Pool.name))),
            "unlinked": left_out,
        }
    )
