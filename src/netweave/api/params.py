"""Query and path parameters shared by the routers: paging, sorting and object ids.

Ids and offsets are bounded by what the SQL columns hold (PostgreSQL ``integer``), so an
out-of-range number is a 422 naming the parameter, not a database error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1  # SQL INTEGER (PostgreSQL int4): the largest id or offset stored

SortParam = Annotated[
    str | None, Query(description="Comma-separated fields, '-' for descending: -site,name")
]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="The object's id")]
IdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
