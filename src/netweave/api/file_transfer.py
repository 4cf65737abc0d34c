"""NetPulse's file transfers at the HTTP edge: ``/device/exec`` takes JSON or the multipart
form ``netpulse-sdk`` sends for an upload (a ``request`` part holding the JSON, a ``file``
part), and a job's ``download_url`` is answered as an absolute URL (the SDK fetches it as
given)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from netweave.core.jobs.file_transfer import FETCH_PATH
from netweave.core.jobs.schemas import ExecRequest, JobRead
from netweave.foundation.errors import InvalidInput

MULTIPART = "multipart/form-data"
REQUEST_PART_MAX = 2**20  # the JSON part of a multipart request

# /device/exec's body, documented by hand: the route reads JSON or multipart itself
EXEC_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ExecRequest"}},
            MULTIPART: {
                "schema": {
                    "type": "object",
                    "required": ["request"],
                    "properties": {
                        "request": {
                            "type": "string",
                            "description": "The ExecRequest as JSON text, with "
                            "file_transfer.operation upload",
                        },
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The file to put on the device "
                            "(at most file_upload_max_bytes)",
                        },
                    },
                }
            },
        },
    }
}


def _invalid(exc: ValidationError) -> RequestValidationError:
    errors = []
    for error in exc.errors():
        errors.append({**error, "loc": ("body", *error.get("loc", ()))})
    return RequestValidationError(errors)


def parse_exec_json(raw: str | bytes) -> ExecRequest:
    """As FastAPI reads a JSON body: Python's decoder, then the model (whose bounds, such
    as the nesting depth, say what is wrong)."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = getattr(exc, "pos", getattr(exc, "start", 0))
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", position),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": str(exc)},
                }
            ]
        ) from None
    try:
        return ExecRequest.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None


async def read_exec_body(request: Request) -> tuple[ExecRequest, UploadFile | None]:
    """The request and, from a multipart form, the uploaded file (spooled; the caller
    stages it). Bad input: a 422 naming the field (``request``, ``file``, or the
    request's own fields)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(MULTIPART):
        return parse_exec_json(await request.body()), None
    form = await request.form(max_files=1, max_fields=4, max_part_size=REQUEST_PART_MAX)
    text = form.get("request")
    if not isinstance(text, str):
        raise InvalidInput("the multipart form needs a 'request' part (the JSON)", field="request")
    upload = form.get("file")
    if upload is not None and not isinstance(upload, UploadFile):
        raise InvalidInput("'file' must be a file part", field="file")
    return parse_exec_json(text), upload


def absolute_downloads(job: JobRead, request: Request) -> JobRead:
    """A download's ``/storage/fetch/{id}`` as a URL on the server the client called."""
    result = job.result
    if result is None or not result.retval:
        return job
    base = None  # built once, for the first download met (most results have none)
    for item in result.retval:
        if item.download_url and item.download_url.startswith(FETCH_PATH):
            base = base or str(request.base_url).rstrip("/")
            item.download_url = base + item.download_url
    return job
