"""Custom Python services: modules in a configured folder declaring ``Service``
subclasses. Imported only where services run (a worker, or the embedded server that is its
own worker), never to answer an API request in an rq deployment."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netweave.services.base import Service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Discovered:
    name: str
    service: type[Service[Any]] | None
    module: str  # file path
    digest: str  # of the file: a change re-imports it
    error: str | None = None


def type_name(cls: type) -> str:
    explicit = getattr(cls, "name", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def discover_folder(folder: Path) -> list[Discovered]:
    """Every concrete ``Service`` subclass defined in ``folder/*.py``; a module that fails
    to import is reported (with its error) instead of hiding the others."""
    found: list[Discovered] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        source = path.read_bytes()
        digest = hashlib.sha256(source).hexdigest()[:16]
        module_name = f"netweave_custom_services.{path.stem}_{digest}"
        try:
            module = sys.modules.get(module_name)
            if module is None:
                spec = importlib.util.spec_from_file_location(module_name, path)
                if spec is None or spec.loader is None:
                    raise ImportError(f"cannot load {path}")
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module
                spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            log.warning("custom service module %s failed: %s", path, exc)
            found.append(
                Discovered(path.stem, None, str(path), digest, f"{type(exc).__name__}: {exc}")
            )
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, Service)
                and cls.__module__ == module_name
                and not inspect.isabstract(cls)
                and hasattr(cls, "Inputs")
            ):
                found.append(Discovered(type_name(cls), cls, str(path), digest))
    return found
