"""Map domain and validation errors to ``{"detail": ...}`` 4xx responses (never a 500)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.concurrency import run_in_threadpool

from netweave.api.clientaddr import client_address
from netweave.core.access import failures
from netweave.db import errors as db_errors
from netweave.foundation.errors import AuthenticationFailed, ImportRejected, NetWeaveError

AUTH_USER = "auth_user"  # request.state: who authenticated (set by the auth dependency)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "request")


async def _audit(request: Request, exc: NetWeaveError) -> None:
    """Refused credentials, CSRF failures, 403s and login rate limits go to the audit."""
    failure = failures.classify(
        exc,
        username=getattr(request.state, AUTH_USER, None),
        client_ip=client_address(request),
        method=request.method,
        path=request.url.path,  # never the query string (it may carry a token)
    )
    if failure is not None:
        runtime = request.app.state.runtime
        bounds = failures.Bounds.of(runtime.settings)
        await run_in_threadpool(failures.note, runtime.sessions, failure, bounds)


async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NetWeaveError)
    await _audit(request, exc)
    body: dict[str, Any] = {"detail": exc.to_detail()}
    if exc.field:
        body["field"] = exc.field
    if isinstance(exc, ImportRejected):
        body["errors"] = exc.errors
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationFailed):
        headers["WWW-Authenticate"] = "APIKey"
    if isinstance(exc, failures.TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(body, status_code=exc.status_code, headers=headers or None)


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


async def on_database_error(_request: Request, exc: Exception) -> JSONResponse:
    """The database is down, restarting or out of disk: say so (503/507), never a bare 500;
    anything else from the database is a server error, still without SQL or parameters."""
    assert isinstance(exc, DBAPIError)
    if db_errors.disk_full(exc):
        detail = f"{db_errors.NO_SPACE}: the database cannot store this change"
        return JSONResponse({"detail": detail}, status_code=507)
    if db_errors.transient(exc):
        return JSONResponse(
            {"detail": "database unavailable; try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"detail": "database error"}, status_code=500)


async def on_unstorable_value(_request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold is bad input (SQLite: an integer beyond 64 bits;
    PostgreSQL: out of its column's range, or text with a NUL character). Routes bound
    their parameters; this is the net under them."""
    detail = "a value in the request cannot be stored (a number out of range, or text with a NUL)"
    return JSONResponse({"detail": detail}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NetWeaveError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(IntegrityError, on_integrity_error)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(DataError, on_unstorable_value)
    app.add_exception_handler(OverflowError, on_unstorable_value)
