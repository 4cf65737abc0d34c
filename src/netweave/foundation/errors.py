"""Domain errors. Every layer raises these; the API maps them to HTTP 4xx responses."""

from __future__ import annotations

from typing import Any


class NetWeaveError(Exception):
    """Base class. ``field`` names the input field at fault, when there is one."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_detail(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidInput(NetWeaveError):
    status_code = 422


class NotFound(NetWeaveError):
    status_code = 404


class Conflict(NetWeaveError):
    status_code = 409


class AuthenticationFailed(NetWeaveError):
    status_code = 401


class PermissionDenied(NetWeaveError):
    status_code = 403


class ConfigurationError(NetWeaveError):
    """Settings that must not be used (placeholder secrets in production, bad URLs)."""

    status_code = 500


class Unavailable(NetWeaveError):
    """A part of the server needed for the request cannot work right now (503)."""

    status_code = 503


class ImportRejected(NetWeaveError):
    """An inventory import had bad rows; nothing was written. ``errors`` lists each one."""

    status_code = 422

    def __init__(self, errors: list[dict[str, Any]], *, rows: int | None = None) -> None:
        """``rows``: how many rows are bad (a row may have several problems, and ``errors``
        may be cut short); counted from ``errors`` when not given."""
        bad = rows if rows is not None else len({(e.get("sheet"), e.get("row")) for e in errors})
        problems = "" if len(errors) == bad else f" ({len(errors)} problems)"
        super().__init__(
            f"import rejected: {bad} bad row{'' if bad == 1 else 's'}{problems}, "
            "nothing was imported"
        )
        self.errors = errors
        self.rows = bad
