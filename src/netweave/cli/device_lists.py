"""Device lists for ``netweave run --devices-file``: a CSV file or an .xlsx workbook (its
first sheet), one device a row, the first row naming the columns.

A row names an inventory device (``name`` alone: the server uses its address, platform and
stored credential) or gives an address (``host``, ``port``, ``platform``, ``username``,
``password``...: the password goes with that one device only). Every problem names the
file, the row and the column. Nothing here imports the rest of NetWeave: the list is read
the same way for the local and the remote mode.
"""

from __future__ import annotations

import csv
import fnmatch
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# canonical column → the header spellings accepted for it (case-insensitive, ' '/'-' = '_')
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "host": ("host", "address"),
    "port": ("port",),
    "platform": ("platform", "device_type"),
    "vendor": ("vendor",),
    "username": ("username", "user"),
    "password": ("password",),
    "secret": ("secret", "enable_secret"),
}
_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
SECRETS = ("password", "secret")  # taken as written: spaces are part of a password
# an address row must say how to log in: no inventory entry says it for it
ADDRESS_COLUMNS = ("platform", "username")


class DeviceListError(ValueError):
    """A device list that cannot be used; the message names the file, row and column."""


@dataclass(frozen=True)
class ListedDevice:
    """One row. Secrets are left out of ``repr`` (tracebacks, logs)."""

    where: str  # "devices.csv, row 3"
    name: str | None
    host: str | None
    port: int | None
    platform: str | None
    vendor: str | None
    username: str | None
    password: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)

    @property
    def in_inventory(self) -> bool:
        """Only a name: the device is the inventory's (its address, platform, credential)."""
        return self.host is None

    @property
    def label(self) -> str:
        return self.name or f"{self.host}:{self.port or 22}"

    def entry(self) -> dict[str, Any]:
        """The ``devices[]`` entry of a bulk request (``connection_args`` of one device)."""
        args: dict[str, Any]
        if self.host is None:
            args = {"host": self.name}
            if self.port is not None:
                args["port"] = self.port
        else:
            args = {"host": self.host, "port": self.port or 22, "device_type": self.platform}
            if self.name:
                args["name"] = self.name  # labels the results
        for key in ("username", "password", "secret"):
            value = getattr(self, key)
            if value is not None:
                args[key] = value
        return args


def read_device_list(path: Path) -> list[ListedDevice]:
    """Read and check the whole file (every row), raising ``DeviceListError``."""
    suffix = path.suffix.lower()
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise DeviceListError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if suffix == ".csv":
        rows, where = _csv_rows(content, path.name), path.name
    elif suffix == ".xlsx":
        rows, where = _xlsx_rows(content, path.name)
    else:
        raise DeviceListError(f"{path.name}: name the file .csv or .xlsx")
    return _parse(rows, where)


def select_devices(
    listed: Iterable[ListedDevice], *, vendor: str | None = None, platform: str | None = None
) -> list[ListedDevice]:
    """Keep the rows whose vendor and platform match the globs (case-insensitive)."""
    chosen = []
    for device in listed:
        if vendor is not None and not _matches(device.vendor, vendor):
            continue
        if platform is not None and not _matches(device.platform, platform):
            continue
        chosen.append(device)
    return chosen


def require_column(listed: list[ListedDevice], column: str, option: str, where: str) -> None:
    """A filter on a column no row fills would silently select nothing: refuse it."""
    if listed and all(getattr(device, column) is None for device in listed):
        raise DeviceListError(f"{where}: {option} filters on column '{column}', which is empty")


def _matches(value: str | None, pattern: str) -> bool:
    return value is not None and fnmatch.fnmatchcase(value.lower(), pattern.lower())


# -- reading --------------------------------------------------------------------------------


def _csv_rows(content: bytes, where: str) -> Iterator[list[Any]]:
    try:
        text = content.decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError as exc:
        raise DeviceListError(f"{where}: not UTF-8 text (save the CSV file as UTF-8)") from exc
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise DeviceListError(f"{where}: not a readable CSV file ({exc})") from exc


def _xlsx_rows(content: bytes, name: str) -> tuple[Iterator[list[Any]], str]:
    from openpyxl import load_workbook  # only when a workbook is given (import cost)

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store wrong dimensions: read everything
        rows = [list(values) for values in sheet.iter_rows(values_only=True)]
        title = sheet.title
        workbook.close()
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise DeviceListError(
            f"{name}: not a readable .xlsx workbook (Excel 2007+; save .xls or .ods as .xlsx)"
        ) from exc
    return iter(rows), f"{name} (sheet {title!r})"


def _parse(rows: Iterator[list[Any]], where: str) -> list[ListedDevice]:
    header = _header(next(rows, None), where)
    has = set(header.values())
    if "host" not in has and "name" not in has:
        raise DeviceListError(
            f"{where}: no column 'host' or 'name' (the first row names the columns: "
            f"{', '.join(COLUMNS)})"
        )
    listed: list[ListedDevice] = []
    for number, values in enumerate(rows, start=2):
        cells = {
            column: text
            for position, column in header.items()
            if position < len(values)
            and (text := _text(values[position], verbatim=column in SECRETS)) is not None
        }
        extra = [v for position, v in enumerate(values) if position not in header]
        if not cells and all(_text(v) is None for v in extra):
            continue  # an empty row
        listed.append(_device(cells, f"{where}, row {number}", has))
    if not listed:
        raise DeviceListError(f"{where}: no devices (only a header row)")
    return listed


def _header(row: list[Any] | None, where: str) -> dict[int, str]:
    """Column position → canonical name; other columns (site, model ...) are not read."""
    if not row or all(_text(value) is None for value in row):
        raise DeviceListError(f"{where}: the first row must name the columns")
    header: dict[int, str] = {}
    seen: dict[str, str] = {}
    for position, value in enumerate(row):
        text = _text(value)
        if text is None:
            continue
        column = _ALIASES.get(text.lower().replace(" ", "_").replace("-", "_"))
        if column is None:
            continue
        if column in seen:
            raise DeviceListError(
                f"{where}: columns {seen[column]!r} and {text!r} both give '{column}'"
            )
        seen[column] = text
        header[position] = column
    return header


def _device(cells: dict[str, str], where: str, has: set[str]) -> ListedDevice:
    host, name = cells.get("host"), cells.get("name")
    if host is None and name is None:
        raise DeviceListError(f"{where}: give a 'host' (an address) or a 'name' (inventory)")
    if host is not None:
        for column in ADDRESS_COLUMNS:
            if column not in has:
                raise DeviceListError(
                    f"{where}: column '{column}' is missing; a row with a 'host' address "
                    f"needs {' and '.join(repr(c) for c in ADDRESS_COLUMNS)}"
                )
            if column not in cells:
                raise DeviceListError(
                    f"{where}, column '{column}': empty; a row with a 'host' address needs it"
                )
    return ListedDevice(
        where=where,
        name=name,
        host=host,
        port=_port(cells.get("port"), where),
        platform=cells.get("platform"),
        vendor=cells.get("vendor"),
        username=cells.get("username"),
        password=cells.get("password"),
        secret=cells.get("secret"),
    )


def _port(text: str | None, where: str) -> int | None:
    if text is None:
        return None
    try:
        number = float(text)  # a workbook stores 22 as 22.0
    except ValueError:
        number = -1.0
    if not number.is_integer() or not 1 <= number <= 65535:
        raise DeviceListError(f"{where}, column 'port': {text!r} is not a port (1-65535)")
    return int(number)


def _text(value: Any, *, verbatim: bool = False) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not verbatim:
        text = text.strip()
    return text or None
