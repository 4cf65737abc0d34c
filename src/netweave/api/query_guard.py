"""Unknown query parameters are refused, never silently ignored.

FastAPI drops query parameters a route does not declare, so ``GET /jobs?node=x`` once
answered every job as if the filter had been applied. Every HTTP route now checks the
names it was sent against the ones it declares (its own and its dependencies'): an
unknown one is a 422 naming it. WebSocket routes read their own parameters."""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import HTTPConnection

from netweave.foundation.errors import InvalidInput

_declared: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a model of parameters
            names |= {field.alias or name for name, field in model.model_fields.items()}
        else:
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _names(route: APIRoute) -> frozenset[str]:
    known = _declared.get(id(route))
    if known is None:
        known = _declared[id(route)] = frozenset(_query_names(route.dependant))
    return known


async def reject_unknown_query(connection: HTTPConnection) -> None:
    """A dependency of the whole app: 422 for a query parameter the route does not take."""
    if connection.scope["type"] != "http" or not connection.query_params:
        return
    route = connection.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(connection.query_params) - _names(route))
    if unknown:
        takes = ", ".join(sorted(_names(route))) or "none"
        raise InvalidInput(
            f"unknown query parameter {unknown[0]!r} (this endpoint takes: {takes})",
            field=unknown[0],
        )
