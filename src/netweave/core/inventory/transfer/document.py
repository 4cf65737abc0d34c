"""The in-memory inventory document shared by every file format.

Columns are not declared here: they are the fields of the Create schemas (one definition,
used by the API, the CLI and import/export alike). What a cell means follows from the
field's type: lists are comma-separated text, models and dicts are JSON, custom fields are
``cf_<name>`` columns, secrets are accepted on import and never exported.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr

from netweave.core.inventory.schemas import CredentialCreate, DeviceCreate, LinkCreate, PoolCreate
from netweave.foundation.errors import InvalidInput

# Import order: what a later kind references comes first.
KINDS = ("credentials", "devices", "links", "pools")
SCHEMAS: dict[str, type[BaseModel]] = {
    "credentials": CredentialCreate,
    "devices": DeviceCreate,
    "links": LinkCreate,
    "pools": PoolCreate,
}
CUSTOM_FIELDS = "custom_fields"
CUSTOM_PREFIX = "cf_"

CellType = Literal["text", "number", "list", "json", "secret"]


def _cell_type(annotation: Any) -> CellType:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _cell_type(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return _cell_type(next(a for a in get_args(annotation) if a is not type(None)))
    if origin is list:
        return "list"
    if origin is dict or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return "json"
    if annotation is SecretStr:
        return "secret"
    if annotation in (int, float):
        return "number"
    return "text"


# kind -> {field: cell type}, in schema order.
COLUMNS: dict[str, dict[str, CellType]] = {
    kind: {name: _cell_type(info.annotation) for name, info in schema.model_fields.items()}
    for kind, schema in SCHEMAS.items()
}
SECRET_FIELDS = tuple(n for n, t in COLUMNS["credentials"].items() if t == "secret")


def row_columns(kind: str) -> list[str]:
    """The fields of an exported row: every schema field but the secrets."""
    return [c for c, t in COLUMNS[kind].items() if t != "secret"]


def export_columns(kind: str) -> list[str]:
    """Flat-file columns written by export, before any ``cf_`` columns."""
    return [c for c in row_columns(kind) if c != CUSTOM_FIELDS]


@dataclass
class Row:
    """One record as given in the file. ``data`` holds the fields present (an empty cell in
    a present column means the field's default: it clears the stored value); ``custom``
    holds ``cf_<name>`` cells (``None`` removes the key); ``problems`` are cell-level errors
    found while reading (bad JSON), reported with the schema errors."""

    kind: str
    number: int  # spreadsheet row (header = 1, first data row = 2); YAML: position + 1
    data: dict[str, Any]
    custom: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Document:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {kind: [] for kind in KINDS})

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def check_kind(kind: str, field_name: str = "kind") -> str:
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; one of {', '.join(KINDS)}", field=field_name)
    return kind


def check_columns(kind: str, columns: Iterable[str], where: str) -> None:
    """Unknown or repeated columns reject the whole file (before any row is read)."""
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise InvalidInput(f"{where}: column {column!r} appears twice", field="file")
        seen.add(column)
        if column in COLUMNS[kind]:
            continue
        if CUSTOM_FIELDS in COLUMNS[kind] and column.startswith(CUSTOM_PREFIX) and column != "cf_":
            continue
        extra = " or cf_<name> custom fields" if CUSTOM_FIELDS in COLUMNS[kind] else ""
        raise InvalidInput(
            f"{where}: unknown column {column!r}; expected some of "
            f"{', '.join(COLUMNS[kind])}{extra}",
            field="file",
        )


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _default(kind: str, column: str) -> tuple[bool, Any]:
    info = SCHEMAS[kind].model_fields[column]
    if info.is_required():
        return False, None
    return True, info.get_default(call_default_factory=True)


def _as_text(value: Any) -> Any:
    """Whole numbers typed into a text column (a device named 1001) become text; other
    types are left for the schema to reject with a clear message."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _custom_from_text(text: str) -> Any:
    """A CSV cell is always text: numbers, true/false and JSON-quoted strings are typed."""
    if text in ("true", "false") or text[:1] in '-0123456789"':
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return text
        if isinstance(value, str | int | float | bool):
            return value
    return text


def custom_to_text(value: Any) -> str:
    """The inverse of ``_custom_from_text`` so a CSV round trip keeps the type."""
    if isinstance(value, str):
        return json.dumps(value) if _custom_from_text(value) != value else value
    return json.dumps(value)


def parse_record(kind: str, record: Mapping[str, Any], number: int, *, typed: bool) -> Row:
    """Turn one record (a YAML mapping or a spreadsheet row keyed by header) into a Row.
    ``typed`` is False for CSV, where every cell is text."""
    row = Row(kind, number, {})
    columns = COLUMNS[kind]
    for column, raw in record.items():
        value = raw.strip() if isinstance(raw, str) else raw
        if column.startswith(CUSTOM_PREFIX) and column not in columns:
            key = column[len(CUSTOM_PREFIX) :]
            if _empty(value):
                row.custom[key] = None
            else:
                row.custom[key] = value if typed else _custom_from_text(str(value))
            continue
        if _empty(value):
            has_default, default = _default(kind, column)
            if has_default:
                row.data[column] = default
            continue
        cell = columns[column]
        if cell == "list" and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        elif cell == "list" and isinstance(value, list):
            value = [_as_text(item) for item in value]
        elif cell == "json" and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                row.problems.append((column, f"not valid JSON: {exc.msg} at char {exc.pos}"))
                continue
        elif cell in ("text", "secret"):
            value = _as_text(value)
        row.data[column] = value
    return row


def row_to_cells(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """An exported row (schema-shaped, no secrets) as flat cells; ``None`` = empty cell."""
    cells: dict[str, Any] = {}
    columns = COLUMNS[kind]
    for column, value in data.items():
        if column == CUSTOM_FIELDS:
            for key, item in (value or {}).items():
                cells[f"{CUSTOM_PREFIX}{key}"] = item
        elif columns.get(column) == "list":
            cells[column] = ", ".join(value or [])
        elif columns.get(column) == "json":
            cells[column] = json.dumps(value, sort_keys=True) if value else None
        else:
            cells[column] = None if value == "" else value
    return cells


def flat_header(kind: str, cells: list[dict[str, Any]]) -> list[str]:
    header = export_columns(kind)
    known = set(header)
    custom = sorted({key for row in cells for key in row if key not in known})
    return header + custom
