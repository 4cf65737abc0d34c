"""NetPulse's ``file_transfer`` request field: copy one file to or from the device."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SERVER_PATH = (
    "a path on the server is never read or written for a request: upload the file as the "
    "multipart part 'file' (or name an earlier upload with staged_file_id); a download is "
    "fetched from the job result's download_url"
)


class FileTransferSpec(BaseModel):
    """``remote_path`` is a path on the device (``bootflash:/image.bin``, ``/tmp/x``); it is
    only ever sent to the device."""

    model_config = ConfigDict(extra="forbid")

    operation: Literal["upload", "download"]
    remote_path: str = Field(min_length=1, max_length=1024)

    @model_validator(mode="before")
    @classmethod
    def _no_server_paths(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("local_path") is not None:
            raise ValueError(f"local_path: {SERVER_PATH}")
        return value

    @field_validator("remote_path")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise ValueError("remote_path: control characters (newlines ...) are not allowed")
        if value.endswith(("/", "\\")):
            raise ValueError("remote_path: name the file, not only its directory")
        return value
