"""The error responses the API documents, so the OpenAPI spec says what a client will get
(the fuzz test holds every route to it): the body every error handler sends and the
status codes, declared per router (authentication) and per route (lookups, conflicts)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    """One invalid input (a request field, or a row of an imported file)."""

    field: str | None = Field(default=None, description="The field at fault (dotted path)")
    message: str
    type: str | None = Field(default=None, description="The kind of validation error")
    sheet: str | None = Field(default=None, description="Import: the sheet or file kind")
    row: int | None = Field(default=None, description="Import: the row (1 = the header)")


class ErrorBody(BaseModel):
    """Every error response: ``detail`` says what is wrong and names the field."""

    detail: str
    field: str | None = Field(default=None, description="The input field at fault, if one is")
    errors: list[ErrorItem] | None = Field(default=None, description="Each invalid input")


DESCRIPTIONS = {
    400: "The request body could not be read (not UTF-8 text, not the declared type)",
    401: "No or unknown credentials (X-API-KEY header, bearer token or login cookie)",
    403: "The caller's role (or the API key's scope) does not allow this",
    404: "The object (or an object the request names) does not exist",
    409: "Conflicts with existing data (a name in use, an object still in use, a state)",
    413: "The upload is too large",
    422: "Invalid input: ``detail`` and ``errors`` name each field",
    424: "A service this request depends on failed (Vault/OpenBao)",
    429: "Too many requests of this kind at once",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a router or route: these status codes with the error body."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


# Every route behind the API-key/login guards, and every route FastAPI validates (400: a
# body that is not even text, e.g. bytes that are not UTF-8).
AUTHENTICATED = errors(400, 401, 403, 422)
NOT_FOUND = errors(404)
CONFLICT = errors(409)
LOOKUP_CONFLICT = errors(404, 409)
