"""Typed plugin registries fed by ``importlib.metadata`` entry points (built-ins included),
so a third-party package adds a driver or a service exactly the way NetWeave does."""

from __future__ import annotations

import logging
import threading
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from netweave.foundation.errors import InvalidInput

T = TypeVar("T")
log = logging.getLogger(__name__)


class PluginRegistry(Generic[T]):
    def __init__(self, group: str, kind: type[T], noun: str | None = None) -> None:
        self.group = group
        self.noun = noun or group.rsplit(".", 1)[-1].removesuffix("s")
        self.kind = kind
        self._plugins: dict[str, type[T]] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def register(self, name: str, plugin: type[T]) -> None:
        if not (isinstance(plugin, type) and issubclass(plugin, self.kind)):
            raise TypeError(f"{self.group}: {plugin!r} is not a {self.kind.__name__}")
        self._plugins[name] = plugin

    def load(self) -> None:
        """Load entry points once; threads asking meanwhile wait for the full set."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            for entry in entry_points(group=self.group):
                try:
                    self.register(entry.name, entry.load())
                except Exception as exc:  # a broken plugin must not take the others down
                    log.warning("plugin %s:%s failed to load: %s", self.group, entry.name, exc)
            self._loaded = True

    def names(self) -> list[str]:
        self.load()
        return sorted(self._plugins)

    def get(self, name: str, field: str = "driver") -> type[T]:
        self.load()
        try:
            return self._plugins[name]
        except KeyError:
            raise InvalidInput(
                f"unknown {self.noun} {name!r}; one of {', '.join(self.names())}",
                field=field,
            ) from None
