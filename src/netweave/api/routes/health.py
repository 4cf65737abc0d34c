"""Liveness: the only route that needs no authentication."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

import netweave
from netweave.api.deps import RuntimeDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    database: str


@router.get("/health", response_model=Health)
def health(runtime: RuntimeDep) -> Health:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # the probe must answer, whatever the database does
        database = f"error: {type(exc).__name__}"
    return Health(
        status="ok" if database == "ok" else "degraded",
        version=netweave.__version__,
        database=database,
    )
