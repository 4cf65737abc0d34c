"""Reading and writing the document as xlsx (openpyxl), CSV and YAML.

A file that cannot be read at all (not a workbook, not YAML, wrong shape, unknown sheet or
column) raises ``InvalidInput`` naming the problem; row-level problems are left to the
importer, which reports every one of them at once.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

from netweave.core.inventory.transfer.document import (
    KINDS,
    Document,
    check_columns,
    check_kind,
    custom_to_text,
    flat_header,
    parse_record,
    row_to_cells,
)
from netweave.foundation import yamldoc
from netweave.foundation.errors import InvalidInput

FORMATS = ("xlsx", "csv", "yaml")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "yaml": "application/yaml",
}
MAX_XLSX_UNZIPPED = 256 * 2**20  # ~5x the default 50 MiB import limit, as xlsx compresses
_SUFFIXES = {".xlsx": "xlsx", ".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}
# libyaml's C dumper when present (~10x faster on a 10,000-device file); same safety.
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

Rows = Mapping[str, list[dict[str, Any]]]
# XML 1.0 cannot hold these control characters: xlsx text spells them _xHHHH_ (OOXML's
# ST_Xstring escape, which Excel decodes), and a literal "_x0041_" gets its "_" escaped.
_XLSX_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_XLSX_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", field="format")
    return fmt


def format_from_name(filename: str | None) -> str:
    name = (filename or "").lower()
    for suffix, fmt in _SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    raise InvalidInput(
        f"cannot tell the format from the file name {filename!r}; "
        "name it .xlsx, .csv or .yaml, or pass format=xlsx|csv|yaml",
        field="format",
    )


def file_name(fmt: str, kind: str = "devices") -> str:
    """The download name: one sheet per kind in xlsx/YAML, one kind per CSV file."""
    return f"netweave-{kind}.csv" if fmt == "csv" else f"netweave-inventory.{fmt}"


def load(content: bytes, fmt: str, kind: str = "devices") -> Document:
    """Parse a file; ``kind`` says what a CSV file holds (xlsx and YAML name their sheets)."""
    if check_format(fmt) == "xlsx":
        return _load_xlsx(content)
    if fmt == "csv":
        return _load_csv(content, check_kind(kind))
    return _load_yaml(content)


def dump(rows: Rows, fmt: str, kind: str = "devices") -> bytes:
    """Write exported rows (see ``export_document``)."""
    if check_format(fmt) == "xlsx":
        return _dump_xlsx(rows)
    if fmt == "csv":
        return _dump_csv(rows.get(check_kind(kind), []), kind)
    ordered = {k: list(rows.get(k, [])) for k in KINDS}
    return yaml.dump(ordered, Dumper=_YAML_DUMPER, sort_keys=False, allow_unicode=True).encode()


# -- xlsx -----------------------------------------------------------------------------------


def _check_unzipped_size(content: bytes) -> None:
    """An .xlsx file is a zip: refuse one that unzips to more than a workbook of the
    largest inventory would (a zip bomb) before openpyxl reads it. The sizes are the
    declared ones, which zipfile (and so openpyxl) never reads past."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            size = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip at all: load_workbook says so below
    if size > MAX_XLSX_UNZIPPED:
        raise InvalidInput(
            f"the workbook unzips to {size / 2**20:,.0f} MiB, more than "
            f"{MAX_XLSX_UNZIPPED // 2**20} MiB (a zip bomb?)",
            field="file",
        )


def _load_xlsx(content: bytes) -> Document:
    _check_unzipped_size(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise InvalidInput(
            "not a readable .xlsx workbook (Excel 2007+; save .xls or .ods files as .xlsx)",
            field="file",
        ) from exc
    document = Document()
    seen: dict[str, str] = {}
    try:
        for sheet in workbook.worksheets:
            kind = sheet.title.strip().lower()
            if kind not in KINDS:
                raise InvalidInput(
                    f"unknown sheet {sheet.title!r}; sheets are {', '.join(KINDS)}", field="file"
                )
            if kind in seen:
                raise InvalidInput(
                    f"sheets {seen[kind]!r} and {sheet.title!r} both hold {kind}", field="file"
                )
            seen[kind] = sheet.title
            sheet.reset_dimensions()  # some writers store wrong dimensions: read everything
            _read_sheet(kind, sheet.iter_rows(values_only=True), document)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(f"damaged .xlsx workbook: {exc}", field="file") from exc
    finally:
        workbook.close()
    return document


def _read_sheet(kind: str, rows: Iterator[tuple[Any, ...]], document: Document) -> None:
    header_row = next(rows, None)
    header = [str(c).strip() if c is not None else "" for c in header_row or ()]
    while header and not header[-1]:
        header.pop()
    where = f"sheet {kind}"
    if not header:
        raise InvalidInput(
            f"{where} has no header row (its first row names the columns)", field="file"
        )
    check_columns(kind, [h for h in header if h], where)
    for number, values in enumerate(rows, start=2):
        cells: dict[str, Any] = {}
        for position, value in enumerate(values):
            if value is None or value == "":
                continue
            column = header[position] if position < len(header) else ""
            if not column:
                raise InvalidInput(
                    f"{where}, row {number}: a value in column {position + 1}, which has no header",
                    field="file",
                )
            cells[column] = _XLSX_ESCAPE.sub(_unescaped, value) if isinstance(value, str) else value
        if cells:
            record = {column: cells.get(column) for column in header if column}
            document.rows[kind].append(parse_record(kind, record, number, typed=True))


def _dump_xlsx(rows: Rows) -> bytes:
    workbook = Workbook(write_only=True)
    for kind in KINDS:
        sheet = workbook.create_sheet(kind)
        sheet.freeze_panes = "A2"
        cells = [row_to_cells(kind, row) for row in rows.get(kind, [])]
        header = flat_header(kind, cells)
        sheet.append(header)
        for row in cells:
            sheet.append([_xlsx_cell(sheet, row.get(column)) for column in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """Text starting with '=' is written as text, never as a formula; control characters
    are escaped (openpyxl refuses them)."""
    if not isinstance(value, str):
        return value
    value = _XLSX_UNSAFE.sub(lambda match: f"_x{ord(match.group()):04X}_", value)
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _unescaped(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


# -- csv ------------------------------------------------------------------------------------


def _load_csv(content: bytes, kind: str) -> Document:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"CSV must be UTF-8 text (bad byte at offset {exc.start})", field="file"
        ) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader, [])]
        while header and not header[-1]:
            header.pop()
        if not header:
            raise InvalidInput("CSV has no header row", field="file")
        check_columns(kind, [h for h in header if h], "CSV")
        document = Document()
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if any(v.strip() for v in values[len(header) :]) or any(
                not column and value.strip() for column, value in zip(header, values, strict=False)
            ):
                raise InvalidInput(
                    f"CSV row {number}: a value in a column without a header", field="file"
                )
            record = {
                column: _csv_unguard(value) for column, value in zip(header, values, strict=False)
            }
            record.update({column: "" for column in header[len(values) :]})
            record.pop("", None)
            document.rows[kind].append(parse_record(kind, record, number, typed=False))
    except csv.Error as exc:
        raise InvalidInput(f"not a readable CSV file: {exc}", field="file") from exc
    return document


def _dump_csv(rows: list[dict[str, Any]], kind: str) -> bytes:
    cells = [row_to_cells(kind, row) for row in rows]
    header = flat_header(kind, cells)
    custom = {column for column in header if column.startswith("cf_")}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in cells:
        writer.writerow([_csv_cell(row.get(column), column in custom) for column in header])
    return buffer.getvalue().encode()


def _csv_cell(value: Any, custom: bool) -> str:
    if value is None:
        return ""
    return _csv_guard(custom_to_text(value) if custom else str(value))


# A spreadsheet runs a cell starting with = + - @ (or tab/CR before one) as a formula
# (CSV injection): such text is exported with a leading ' (shown as text). Text that
# already starts with quotes before one of those gets one more quote, so our importer
# strips exactly one and every value round-trips. Plain numbers (-33.9) are left alone.
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _csv_guard(text: str) -> str:
    if _FORMULA.match(text) and not _NUMBER.match(text):
        return "'" + text
    return text


def _csv_unguard(text: str) -> str:
    if text.startswith("'") and _FORMULA.match(text) and not _NUMBER.match(text[1:]):
        return text[1:]
    return text


# -- yaml -----------------------------------------------------------------------------------


def _load_yaml(content: bytes) -> Document:
    data = yamldoc.load(content, field="file")
    if not isinstance(data, dict):
        raise InvalidInput(
            "YAML must be a mapping with the keys devices, links, pools and/or credentials, "
            f"each a list of mappings (got {type(data).__name__})",
            field="file",
        )
    document = Document()
    for key, items in data.items():
        kind = str(key)
        if kind not in KINDS:
            raise InvalidInput(
                f"unknown top-level key {kind!r}; one of {', '.join(KINDS)}", field="file"
            )
        if items is None:
            continue
        if not isinstance(items, list):
            raise InvalidInput(f"YAML {kind}: must be a list of mappings", field="file")
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise InvalidInput(f"YAML {kind}[{number}]: must be a mapping", field="file")
            record = {str(column): value for column, value in item.items()}
            check_columns(kind, record, f"YAML {kind}[{number}]")
            document.rows[kind].append(parse_record(kind, record, number, typed=True))
    return document
