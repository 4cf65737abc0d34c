"""Inventory import/export: Excel, CSV and YAML; all-or-nothing imports with a row report."""

from netweave.core.inventory.transfer.document import KINDS, Document, Row
from netweave.core.inventory.transfer.exporter import export_document
from netweave.core.inventory.transfer.formats import FORMATS, dump, load
from netweave.core.inventory.transfer.importer import ImportSummary, import_document

__all__ = [
    "FORMATS",
    "KINDS",
    "Document",
    "ImportSummary",
    "Row",
    "dump",
    "export_document",
    "import_document",
    "load",
]
