"""Configurations in git: the repository every stored version is committed to
(:mod:`.repo`), its layout and commit messages (:mod:`.layout`), and a device's history,
diffs and blame read from it (:mod:`.history`)."""

from netweave.core.automation.git_store.layout import file_path
from netweave.core.automation.git_store.repo import GitStore, SyncReport, redact

__all__ = ["GitStore", "SyncReport", "file_path", "redact"]
