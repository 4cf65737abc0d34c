"""eNMS spreadsheets: ``.xls`` (BIFF, Excel 97, as eNMS writes them) and ``.xlsx``, with
sheets ``device`` and ``link`` (singular), a header row of eNMS property names, then one
object per row. Read into plain records: ``{sheet: [{column: value}]}``; the translation to
NetWeave's inventory is ``inventory.py``'s."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

import xlrd
from openpyxl import load_workbook

from netweave.foundation.errors import InvalidInput

SHEETS = ("device", "link")
MAX_FILE = 64 * 2**20  # a 65,000-row topology file is ~10 MiB
MAX_UNZIPPED = 512 * 2**20
MAX_ROWS = 200_000
BIFF_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file (.xls)
ZIP_MAGIC = b"PK\x03\x04"

Record = tuple[int, dict[str, Any]]  # (spreadsheet row number, {column: value})
Records = dict[str, list[Record]]


def is_workbook(content: bytes) -> bool:
    return content.startswith(BIFF_MAGIC) or content.startswith(ZIP_MAGIC)


def read_workbook(content: bytes) -> Records:
    """The ``device`` and ``link`` sheets' records (other sheets are ignored: eNMS exports
    only these two; the report names the ones left out)."""
    if len(content) > MAX_FILE:
        raise InvalidInput(f"the file is larger than {MAX_FILE // 2**20} MiB", field="file")
    if content.startswith(BIFF_MAGIC):
        sheets = dict(_xls_sheets(content))
    elif content.startswith(ZIP_MAGIC):
        sheets = dict(_xlsx_sheets(content))
    else:
        raise InvalidInput(
            "not an Excel workbook (.xls or .xlsx) nor an eNMS migration folder", field="file"
        )
    found = {name.strip().lower(): rows for name, rows in sheets.items()}
    if not any(name in found for name in SHEETS):
        names = ", ".join(repr(n) for n in sheets) or "none"
        raise InvalidInput(
            f"no 'device' or 'link' sheet (eNMS's layout); the workbook has {names}",
            field="file",
        )
    return {name: _records(name, found.get(name, [])) for name in SHEETS}


def _records(sheet: str, rows: list[list[Any]]) -> list[Record]:
    if not rows:
        return []
    header = [str(cell).strip() if cell not in (None, "") else "" for cell in rows[0]]
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            raise InvalidInput(f"sheet {sheet!r}: column {column!r} appears twice", field="file")
        seen.add(column)
    if "name" not in seen:
        raise InvalidInput(f"sheet {sheet!r}: no 'name' column in its first row", field="file")
    records = []
    for number, cells in enumerate(rows[1:], start=2):
        record = {
            column: _cell(value)
            for column, value in zip(header, cells, strict=False)
            if column and _cell(value) is not None
        }
        if record:
            records.append((number, record))
    return records


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)  # xlrd reads every number as a float
    return value


def _xls_sheets(content: bytes) -> Iterator[tuple[str, list[list[Any]]]]:
    try:
        book = xlrd.open_workbook(file_contents=content, on_demand=True)
    except Exception as exc:  # xlrd raises its own and struct errors on damaged files
        raise InvalidInput(f"not a readable .xls workbook: {exc}", field="file") from exc
    try:
        for name in book.sheet_names():
            sheet = book.sheet_by_name(name)
            _check_rows(name, sheet.nrows)
            yield name, [sheet.row_values(index) for index in range(sheet.nrows)]
            book.unload_sheet(name)
    finally:
        book.release_resources()


def _xlsx_sheets(content: bytes) -> Iterator[tuple[str, list[list[Any]]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidInput("not a readable .xlsx workbook", field="file") from exc
    if unzipped > MAX_UNZIPPED:
        raise InvalidInput(
            f"the workbook unzips to more than {MAX_UNZIPPED // 2**20} MiB", field="file"
        )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise InvalidInput("not a readable .xlsx workbook", field="file") from exc
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()
            rows = _limited(sheet.title, sheet.iter_rows(values_only=True))
            yield sheet.title, [list(row) for row in rows]
    finally:
        workbook.close()


def _limited(sheet: str, rows: Iterable[Any]) -> Iterator[Any]:
    for count, row in enumerate(rows, start=1):
        _check_rows(sheet, count)
        yield row


def _check_rows(sheet: str, count: int) -> None:
    if count > MAX_ROWS + 1:
        raise InvalidInput(f"sheet {sheet!r} has more than {MAX_ROWS:,} rows", field="file")
