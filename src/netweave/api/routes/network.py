"""The network views (2D map, 3D globe, logical topology) and the UI's read-only settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from netweave.api.deps import DbSession, RuntimeDep, Viewer
from netweave.api.responses import NOT_FOUND
from netweave.core import network

router = APIRouter(prefix="/api/v1/network", tags=["network"])
ui_router = APIRouter(prefix="/api/v1/ui", tags=["ui"])

SiteParam = Annotated[
    str | None, Query(max_length=128, description="Only this site (glob with * or ?)")
]
PoolParam = Annotated[str | None, Query(max_length=255, description="Only this pool's devices")]


def _json(view: BaseModel) -> Response:
    """Serialized once, as built: tens of thousands of items skip FastAPI's second pass over
    the response model (the decorators still document it)."""
    return Response(view.model_dump_json(), media_type="application/json")


@router.get("/geo", response_model=network.GeoView, responses=NOT_FOUND)
def geo(_: Viewer, db: DbSession, site: SiteParam = None, pool: PoolParam = None) -> Response:
    """Every device with coordinates and the links between located devices."""
    return _json(network.geo_view(db, site=site, pool=pool))


@router.get("/topology", response_model=network.TopologyView, responses=NOT_FOUND)
def topology(
    _: Viewer,
    db: DbSession,
    site: SiteParam = None,
    pool: PoolParam = None,
    unlinked: Annotated[
        bool, Query(description="Also the devices without links (``unlinked`` counts them)")
    ] = False,
) -> Response:
    """The devices that have links (or every device of the site/pool) and their links."""
    return _json(network.topology_view(db, site=site, pool=pool, unlinked=unlinked))


@ui_router.get("/settings", response_model=network.UiSettings)
def ui_settings(_: Viewer, runtime: RuntimeDep) -> network.UiSettings:
    return network.ui_settings(runtime.settings)
