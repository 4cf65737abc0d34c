"""The report of an eNMS import, dry run or not: per object type, what is (or would be)
created, changed, left unchanged and skipped with the reason, and notes on how eNMS's data
was translated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netweave.core.inventory.transfer import ImportSummary

# In the order they are imported (what a later kind references comes first).
OBJECT_TYPES = (
    "credentials",
    "devices",
    "links",
    "pools",
    "users",
    "services",
    "workflows",
    "tasks",
)
MAX_LISTED = 5000  # names listed per kind and outcome; past it, only counted


@dataclass
class Skipped:
    name: str
    reason: str


@dataclass
class KindReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    created_count: int = 0
    changed_count: int = 0

    def create(self, name: str) -> None:
        self.created_count += 1
        if len(self.created) < MAX_LISTED:
            self.created.append(name)

    def change(self, name: str) -> None:
        self.changed_count += 1
        if len(self.changed) < MAX_LISTED:
            self.changed.append(name)

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append(Skipped(name, reason))


@dataclass
class MigrationReport:
    """``summary``: the inventory part's counts (as the inventory import reports them);
    ``objects``: every object type's outcome."""

    summary: ImportSummary
    notes: list[str] = field(default_factory=list)
    objects: dict[str, KindReport] = field(
        default_factory=lambda: {kind: KindReport() for kind in OBJECT_TYPES}
    )

    @property
    def dry_run(self) -> bool:
        return self.summary.dry_run

    def counts(self, outcome: str) -> dict[str, int]:
        if outcome == "created":
            return {kind: r.created_count for kind, r in self.objects.items()}
        if outcome == "changed":
            return {kind: r.changed_count for kind, r in self.objects.items()}
        if outcome == "unchanged":
            return {kind: r.unchanged for kind, r in self.objects.items()}
        return {kind: len(r.skipped) for kind, r in self.objects.items()}

    def changes_nothing(self) -> bool:
        return not any(r.created_count or r.changed_count for r in self.objects.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            kind: {
                "created": list(r.created),
                "changed": list(r.changed),
                "unchanged": r.unchanged,
                "skipped": [{"name": s.name, "reason": s.reason} for s in r.skipped],
            }
            for kind, r in self.objects.items()
        }
