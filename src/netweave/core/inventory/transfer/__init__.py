"""Inventory import/export: Excel, CSV and YAML; all-or-nothing imports with a row report.

load(bytes, fmt, kind) -> Document          formats.py  (xlsx, csv, yaml)
import_document(session, box, Document)     importer.py (validate) + writer.py (bulk)
export_document(session) -> rows            exporter.py
dump(rows, fmt, kind) -> bytes              formats.py
"""

from netweave.core.inventory.transfer.document import KINDS, Document, Row
from netweave.core.inventory.transfer.exporter import export_document, export_file
from netweave.core.inventory.transfer.formats import (
    CONTENT_TYPES,
    FORMATS,
    dump,
    file_name,
    format_from_name,
    load,
)
from netweave.core.inventory.transfer.importer import ImportSummary, import_document, import_file

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "KINDS",
    "Document",
    "ImportSummary",
    "Row",
    "dump",
    "export_document",
    "export_file",
    "file_name",
    "format_from_name",
    "import_document",
    "import_file",
    "load",
]
