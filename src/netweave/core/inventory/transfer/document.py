"""The in-memory inventory document shared by every file format."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from netweave.foundation.errors import InvalidInput

# Import order: what a later kind references must come first.
KINDS = ("credentials", "devices", "links", "pools")
COLUMNS: dict[str, tuple[str, ...]] = {
    "credentials": ("name", "description", "username", "password", "ssh_key", "enable_secret"),
    "devices": (
        "name",
        "host",
        "port",
        "platform",
        "driver",
        "vendor",
        "model",
        "os_version",
        "site",
        "latitude",
        "longitude",
        "tags",
        "credential",
    ),
    "links": (
        "name",
        "source",
        "source_interface",
        "destination",
        "destination_interface",
        "description",
    ),
    "pools": ("name", "description", "devices", "device_filter"),
}
LIST_COLUMNS = {("devices", "tags"), ("pools", "devices")}
JSON_COLUMNS = {("pools", "device_filter")}
CUSTOM_PREFIX = "cf_"
SECRET_COLUMNS = ("password", "ssh_key", "enable_secret")


@dataclass
class Row:
    kind: str
    number: int  # spreadsheet row number (header = 1) or list position + 1 for YAML
    data: dict[str, Any]


@dataclass
class Document:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {kind: [] for kind in KINDS})

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def check_kind(kind: str, field_name: str = "kind") -> str:
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; one of {', '.join(KINDS)}", field=field_name)
    return kind


def check_columns(kind: str, columns: list[str], where: str) -> None:
    known = set(COLUMNS[kind])
    for column in columns:
        if column in known or (kind == "devices" and column.startswith(CUSTOM_PREFIX)):
            continue
        if kind == "devices" and column == "custom_fields":
            continue
        if kind == "credentials" and column.startswith("has_"):
            continue  # written by export, ignored on import
        raise InvalidInput(
            f"{where}: unknown column {column!r}; expected some of {', '.join(COLUMNS[kind])}"
            + (" or cf_<name> custom fields" if kind == "devices" else ""),
            field="file",
        )


def row_from_cells(kind: str, cells: dict[str, Any], number: int) -> Row:
    """Turn flat text cells (Excel/CSV) into schema-shaped data: lists, JSON, custom fields."""
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for column, raw in cells.items():
        value = raw.strip() if isinstance(raw, str) else raw
        if value is None or value == "" or column.startswith("has_"):
            continue
        if (kind, column) in LIST_COLUMNS:
            data[column] = [part.strip() for part in str(value).split(",") if part.strip()]
        elif (kind, column) in JSON_COLUMNS or column == "custom_fields":
            try:
                data[column] = json.loads(value) if isinstance(value, str) else value
            except json.JSONDecodeError:
                data[column] = value  # schema validation reports it against the field
        elif column.startswith(CUSTOM_PREFIX):
            custom[column[len(CUSTOM_PREFIX) :]] = value
        else:
            data[column] = value
    if custom:
        data["custom_fields"] = {**data.get("custom_fields", {}), **custom}
    return Row(kind, number, data)


def row_to_cells(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for column, value in data.items():
        if column == "custom_fields":
            for key, item in (value or {}).items():
                cells[f"{CUSTOM_PREFIX}{key}"] = item
        elif (kind, column) in LIST_COLUMNS:
            cells[column] = ", ".join(value or [])
        elif (kind, column) in JSON_COLUMNS:
            cells[column] = json.dumps(value, sort_keys=True) if value else ""
        else:
            cells[column] = "" if value is None else value
    return cells
