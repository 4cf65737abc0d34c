"""Map domain and validation errors to ``{"detail": ...}`` 4xx responses (never a 500)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from netweave.foundation.errors import AuthenticationFailed, ImportRejected, NetWeaveError


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "request")


async def on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NetWeaveError)
    body: dict[str, Any] = {"detail": exc.to_detail()}
    if exc.field:
        body["field"] = exc.field
    if isinstance(exc, ImportRejected):
        body["errors"] = exc.errors
    headers = {"WWW-Authenticate": "APIKey"} if isinstance(exc, AuthenticationFailed) else None
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        errors.append(
            {
                "field": _field_path(tuple(error.get("loc", ()))),
                "message": error.get("msg", "invalid"),
                "type": error.get("type", "value_error"),
            }
        )
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return JSONResponse({"detail": summary, "errors": jsonable_encoder(errors)}, status_code=422)


async def on_integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "conflicts with existing data (a name already in use?)"}, status_code=409
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NetWeaveError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(IntegrityError, on_integrity_error)
