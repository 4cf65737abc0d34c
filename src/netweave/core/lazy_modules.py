"""Modules a device job needs only now and then, imported on first use: a process that
only runs commands (``netweave run``, a worker node) never pays for Jinja2 and TextFSM."""

from __future__ import annotations

import importlib
from types import ModuleType


def templates() -> ModuleType:
    """``netweave.core.templates`` (rendering and parsing: Jinja2, TextFSM, TTP)."""
    return importlib.import_module("netweave.core.templates")
