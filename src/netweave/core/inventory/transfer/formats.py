"""Reading and writing the document as xlsx (openpyxl), CSV and YAML."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from netweave.core.inventory.transfer.document import (
    COLUMNS,
    KINDS,
    Document,
    Row,
    check_columns,
    check_kind,
    row_from_cells,
    row_to_cells,
)
from netweave.foundation.errors import InvalidInput

FORMATS = ("xlsx", "csv", "yaml")
# libyaml's C loader/dumper when present (10x faster on a 10,000-device file); same safety.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "yaml": "application/yaml",
}


def format_from_name(filename: str | None) -> str:
    name = (filename or "").lower()
    for suffix, fmt in ((".xlsx", "xlsx"), (".csv", "csv"), (".yaml", "yaml"), (".yml", "yaml")):
        if name.endswith(suffix):
            return fmt
    raise InvalidInput(
        "cannot tell the format from the file name; pass format=xlsx|csv|yaml", field="format"
    )


def load(content: bytes, fmt: str, kind: str = "devices") -> Document:
    if fmt == "xlsx":
        return _load_xlsx(content)
    if fmt == "csv":
        return _load_csv(content, check_kind(kind))
    if fmt == "yaml":
        return _load_yaml(content)
    raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", field="format")


def dump(rows: dict[str, list[dict[str, Any]]], fmt: str, kind: str = "devices") -> bytes:
    if fmt == "xlsx":
        return _dump_xlsx(rows)
    if fmt == "csv":
        return _dump_csv(rows[check_kind(kind)], kind)
    if fmt == "yaml":
        return yaml.dump(rows, Dumper=_YAML_DUMPER, sort_keys=False, allow_unicode=True).encode()
    raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", field="format")


# -- xlsx -----------------------------------------------------------------------------------


def _load_xlsx(content: bytes) -> Document:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InvalidInput("not a readable .xlsx workbook", field="file") from exc
    document = Document()
    try:
        for sheet in workbook.worksheets:
            kind = sheet.title.strip().lower()
            if kind not in KINDS:
                raise InvalidInput(
                    f"unknown sheet {sheet.title!r}; sheets are {', '.join(KINDS)}", field="file"
                )
            rows = sheet.iter_rows(values_only=True)
            header_row = next(rows, None)
            if header_row is None:
                continue
            header = [str(cell).strip() if cell is not None else "" for cell in header_row]
            while header and not header[-1]:
                header.pop()
            check_columns(kind, [h for h in header if h], f"sheet {kind}")
            for number, values in enumerate(rows, start=2):
                cells = {
                    column: _cell(value)
                    for column, value in zip(header, values, strict=False)
                    if column
                }
                if any(v not in (None, "") for v in cells.values()):
                    document.rows[kind].append(row_from_cells(kind, cells, number))
    finally:
        workbook.close()
    return document


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _dump_xlsx(rows: dict[str, list[dict[str, Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for kind in KINDS:
        sheet = workbook.create_sheet(kind)
        cells = [row_to_cells(kind, row) for row in rows.get(kind, [])]
        header = _header(kind, cells)
        sheet.append(header)
        for row in cells:
            sheet.append([row.get(column, "") for column in header])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header(kind: str, cells: list[dict[str, Any]]) -> list[str]:
    header = [c for c in COLUMNS[kind] if kind != "credentials" or c not in _SECRETS]
    if kind == "credentials":
        header += ["has_password", "has_ssh_key", "has_enable_secret"]
    extra = sorted({key for row in cells for key in row if key not in header})
    return header + extra


_SECRETS = ("password", "ssh_key", "enable_secret")

# -- csv ------------------------------------------------------------------------------------


def _load_csv(content: bytes, kind: str) -> Document:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("CSV must be UTF-8 text", field="file") from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise InvalidInput("CSV has no header row", field="file")
    check_columns(kind, [f.strip() for f in reader.fieldnames if f], "CSV")
    document = Document()
    for number, record in enumerate(reader, start=2):
        cells = {k.strip(): v for k, v in record.items() if k}
        if None in record:
            raise InvalidInput(f"CSV row {number} has more cells than the header", field="file")
        if any(cells.values()):
            document.rows[kind].append(row_from_cells(kind, cells, number))
    return document


def _dump_csv(rows: list[dict[str, Any]], kind: str) -> bytes:
    cells = [row_to_cells(kind, row) for row in rows]
    header = _header(kind, cells)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(cells)
    return buffer.getvalue().encode()


# -- yaml -----------------------------------------------------------------------------------


def _load_yaml(content: bytes) -> Document:
    try:
        data = yaml.load(content, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {exc}", field="file") from exc
    if not isinstance(data, dict):
        raise InvalidInput(
            "YAML must be a mapping of devices/links/pools/credentials to lists", field="file"
        )
    document = Document()
    for key, items in data.items():
        kind = check_kind(str(key), "file")
        if items is None:
            continue
        if not isinstance(items, list):
            raise InvalidInput(f"YAML {kind}: must be a list", field="file")
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise InvalidInput(f"YAML {kind}[{number}]: must be a mapping", field="file")
            check_columns(kind, [str(k) for k in item], f"YAML {kind}[{number}]")
            document.rows[kind].append(Row(kind, number, dict(item)))
    return document
