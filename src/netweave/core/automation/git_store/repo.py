"""The configuration repository: every stored version (running configuration or show
output) becomes a commit in a bare git repository written with dulwich (no ``git``
binary), optionally pushed to a remote.

SQL is the source of truth and keeps the index (``config_versions.commit``); the
repository is derived from it. :meth:`GitStore.sync` commits every row whose ``commit``
is NULL, in id order, and stores the sha back: called by the worker right after a backup
stored something, and by the API before it reads history. It is idempotent, serialised
(a lock per process and a file lock for other processes on the host), and a sync that
fails loses nothing: the rows stay NULL and the next sync takes them. A repository that
lacks a commit SQL names (deleted, replaced, made elsewhere) is rebuilt from SQL: the
commits are a pure function of the rows (fixed author, commit time = the version's
``created_at``), so a rebuild reproduces the same shas."""

from __future__ import annotations

import fcntl
import io
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from dulwich import porcelain
from dulwich.errors import NotGitRepository
from dulwich.object_store import tree_lookup_path
from dulwich.objects import Blob, Commit, Tree
from dulwich.repo import Repo
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from netweave.core.automation.git_store.layout import (
    AUTHOR,
    BRANCH,
    CommitInfo,
    commit_info,
    commit_message,
    decode,
    encode,
    file_path,
)
from netweave.db.models import ConfigVersion, Device

if TYPE_CHECKING:
    from dulwich.objects import ObjectID
    from dulwich.refs import Ref

log = logging.getLogger(__name__)

LOCK_FILE = "netweave.lock"
STATUS_FILE = "netweave-status.json"
BATCH = 200
PUSH_BACKOFF = 300.0  # seconds without push attempts after a failed one (but when asked)
TREE_MODE, FILE_MODE = 0o040000, 0o100644
_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redact(text: str) -> str:
    """``https://user:token@host/x`` -> ``https://***@host/x`` (remote URLs in status and
    logs never carry their credentials)."""
    return _USERINFO.sub("***@", text)


@dataclass
class SyncReport:
    committed: int = 0
    rebuilt: bool = False
    head: str | None = None
    pushed: bool | None = None  # None: no push was due
    errors: list[str] = field(default_factory=list)


class GitStore:
    """One configuration repository (``path``, created bare on first use)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        path: Path,
        *,
        remote: str | None = None,
        push: bool = True,
    ) -> None:
        self.sessions = sessions
        self.path = path
        self.remote = remote or None
        self.push = push
        self._memory: dict[str, Any] = {}  # this process's last errors, when the file fails

    @property
    def push_enabled(self) -> bool:
        return self.push and self.remote is not None

    # -- writing ------------------------------------------------------------------------
    def sync(self, *, force_push: bool = False) -> SyncReport:
        """Commit every pending row, then push when a remote is configured and the
        remote has not got the head yet (after a failed push, not again for
        :data:`PUSH_BACKOFF` seconds unless ``force_push``: an unreachable remote must not
        slow every backup). Raises when the repository cannot be written (see
        :meth:`sync_quietly`); a failed push is recorded, not raised."""
        with self._locked():
            repo = self._open()
            try:
                report = self._sync(repo)
                status = self._read_status()
                status.update(last_sync_at=_now(), last_sync_error=None)
                self._memory.pop("last_sync_error", None)
                due = force_push or not _recent_failure(status)
                if self.push_enabled and report.head and status.get("pushed_head") != report.head:
                    report.pushed = self._push(repo, status, report) if due else None
                self._write_status(status)
            finally:
                repo.close()
        return report

    def sync_quietly(self, *, force_push: bool = False) -> SyncReport | None:
        """:meth:`sync` for the backup path: a failure is logged and recorded for the
        status endpoint, never raised (SQL has the version; the next sync retries)."""
        try:
            return self.sync(force_push=force_push)
        except Exception as exc:  # a broken repository must not fail a backup
            message = redact(f"{type(exc).__name__}: {exc}")[:1000]
            log.warning("configuration repository %s: sync failed: %s", self.path, message)
            self._memory.update(last_sync_error=message, last_sync_error_at=_now())
            try:
                status = self._read_status()
                status.update(last_sync_error=message, last_sync_error_at=_now())
                self._write_status(status)
            except OSError:
                pass  # the folder itself is what is broken
            return None

    def _sync(self, repo: Repo) -> SyncReport:
        report = SyncReport()
        head = _ref(repo)
        with self.sessions() as session:
            newest = session.scalar(
                select(ConfigVersion.commit)
                .where(ConfigVersion.commit.is_not(None))
                .order_by(ConfigVersion.id.desc())
                .limit(1)
            )
            rebuild = newest is not None and not _is_commit(repo, newest)
            query = select(ConfigVersion.id).order_by(ConfigVersion.id)
            if not rebuild:
                query = query.where(ConfigVersion.commit.is_(None))
            ids = list(session.scalars(query))
        if rebuild:
            log.warning(
                "configuration repository %s lacks commit %s: rebuilding it from SQL",
                self.path,
                newest,
            )
            head, report.rebuilt = None, True
        made = {} if rebuild else _orphans(repo, head, set(ids))
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            with self.sessions() as session, session.begin():
                rows = session.execute(
                    select(ConfigVersion, Device.name)
                    .join(Device, Device.id == ConfigVersion.device_id)
                    .where(ConfigVersion.id.in_(chunk))
                    .order_by(ConfigVersion.id)
                ).all()
                for row, device in rows:
                    if not rebuild and row.commit is not None:
                        continue  # taken by another host meanwhile
                    sha = made.get(row.id)
                    if sha is None:
                        sha = _commit_row(repo, head, row, device)
                        head = sha
                        repo.refs[_BRANCH] = _oid(sha)
                    change = update(ConfigVersion).where(ConfigVersion.id == row.id)
                    if not rebuild:
                        change = change.where(ConfigVersion.commit.is_(None))
                    elif row.commit not in (None, sha):
                        log.warning("version row %s: commit %s is now %s", row.id, row.commit, sha)
                    session.execute(change.values(commit=sha))
                    report.committed += 1
        report.head = head
        return report

    def _push(self, repo: Repo, status: dict[str, Any], report: SyncReport) -> bool:
        assert self.remote is not None
        out, err = io.BytesIO(), io.BytesIO()
        status["last_push_at"] = _now()
        try:
            porcelain.push(repo, self.remote, BRANCH, outstream=out, errstream=err)
        except Exception as exc:  # an unreachable or diverged remote: reported, not fatal
            detail = err.getvalue().decode("utf-8", "replace").strip().splitlines()
            reason = str(exc)
            if isinstance(exc, porcelain.DivergedBranches):
                reason = "the remote's main is not an ancestor of this one (not a fast-forward)"
            message = redact(
                f"{type(exc).__name__}: {reason}" + (f" ({detail[-1]})" if detail else "")
            )
            log.warning(
                "configuration repository: push to %s failed: %s", redact(self.remote), message
            )
            status["last_push_error"] = message[:1000]
            report.errors.append(message)
            return False
        status.update(last_push_error=None, pushed_head=report.head)
        return True

    # -- reading ------------------------------------------------------------------------
    def read(self, sha: str, path: str) -> str | None:
        """The text of ``path`` at commit ``sha`` (None: no such commit or file)."""
        with self._reader() as repo:
            if repo is None or not _is_commit(repo, sha):
                return None
            commit = repo[sha.encode()]
            assert isinstance(commit, Commit)
            try:
                _, blob_id = tree_lookup_path(
                    repo.object_store.__getitem__, commit.tree, encode(path)
                )
            except KeyError:
                return None
            blob = repo[blob_id]
            return decode(blob.as_raw_string()) if isinstance(blob, Blob) else None

    def info(self, sha: str) -> CommitInfo | None:
        """What commit ``sha`` records (None: not a commit of this repository)."""
        with self._reader() as repo:
            if repo is None or not _is_commit(repo, sha):
                return None
            commit = repo[sha.encode()]
            assert isinstance(commit, Commit)
            return commit_info(sha, commit.message, commit.commit_time)

    def head(self) -> str | None:
        with self._reader() as repo:
            return _ref(repo) if repo is not None else None

    def status(self) -> dict[str, Any]:
        """The repository's state for the status endpoint (no credentials)."""
        try:
            status = self._read_status()
        except OSError:
            status = {}
        for key, value in self._memory.items():
            status.setdefault(key, value)
        with self.sessions() as session:
            pending = session.scalar(
                select(func.count())
                .select_from(ConfigVersion)
                .where(ConfigVersion.commit.is_(None))
            )
        head = None
        try:
            head = self.head()
        except Exception as exc:  # a broken repository: say so
            status.setdefault("last_sync_error", redact(f"{type(exc).__name__}: {exc}"))
        return {
            "path": str(self.path),
            "head": head,
            "pending": int(pending or 0),
            "remote": redact(self.remote) if self.remote else None,
            "push": self.push_enabled,
            "pushed_head": status.get("pushed_head"),
            "last_sync_at": status.get("last_sync_at"),
            "last_sync_error": status.get("last_sync_error"),
            "last_push_at": status.get("last_push_at"),
            "last_push_error": status.get("last_push_error"),
        }

    # -- plumbing -----------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        key = str(self.path.resolve())
        with _PROCESS_LOCKS_GUARD:
            lock = _PROCESS_LOCKS.setdefault(key, threading.Lock())
        with lock:
            self.path.mkdir(parents=True, exist_ok=True)
            with open(self.path / LOCK_FILE, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def _reader(self) -> Iterator[Repo | None]:
        try:
            repo = Repo(str(self.path))
        except (NotGitRepository, FileNotFoundError, NotADirectoryError):
            yield None
            return
        try:
            yield repo
        finally:
            repo.close()

    def _open(self) -> Repo:
        try:
            return Repo(str(self.path))
        except NotGitRepository:
            ours = {LOCK_FILE, STATUS_FILE}
            if any(entry.name not in ours for entry in self.path.iterdir()):
                raise  # never write a repository over someone else's files
            return Repo.init_bare(str(self.path), default_branch=b"main")

    def _read_status(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / STATUS_FILE).read_text())
        except FileNotFoundError:
            return {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _write_status(self, status: dict[str, Any]) -> None:
        target = self.path / STATUS_FILE
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(status, indent=1, sort_keys=True))
        os.replace(temporary, target)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _recent_failure(status: dict[str, Any]) -> bool:
    """The last push failed less than :data:`PUSH_BACKOFF` seconds ago."""
    if not status.get("last_push_error") or not status.get("last_push_at"):
        return False
    try:
        when = datetime.fromisoformat(str(status["last_push_at"]))
    except ValueError:
        return False
    return (datetime.now(UTC) - when).total_seconds() < PUSH_BACKOFF


_BRANCH = cast("Ref", BRANCH)


def _oid(sha: str | bytes) -> ObjectID:
    """A sha as dulwich's typed object id."""
    return cast("ObjectID", sha.encode() if isinstance(sha, str) else sha)


def _ref(repo: Repo) -> str | None:
    try:
        return repo.refs[_BRANCH].decode()
    except KeyError:
        return None


def _is_commit(repo: Repo, sha: str) -> bool:
    raw = _oid(sha)
    if len(raw) != 40 or raw not in repo.object_store:
        return False
    return isinstance(repo[raw], Commit)


def _orphans(repo: Repo, head: str | None, pending: set[int]) -> dict[int, str]:
    """Commits at the top of the branch made for rows still pending (a sync whose SQL
    transaction failed after its git commits): reused, not committed twice."""
    found: dict[int, str] = {}
    sha = head
    while sha is not None and len(found) < BATCH:
        commit = repo[_oid(sha)]
        assert isinstance(commit, Commit)
        row = commit_info(sha, commit.message, commit.commit_time).row
        if row is None or row not in pending:
            break
        found[row] = sha
        sha = commit.parents[0].decode() if commit.parents else None
    return found


def _commit_row(repo: Repo, parent: str | None, row: ConfigVersion, device: str) -> str:
    store = repo.object_store
    blob = Blob.from_string(encode(row.content))
    store.add_object(blob)
    path = file_path(device, row.command)
    root = None
    if parent is not None:
        previous = repo[_oid(parent)]
        assert isinstance(previous, Commit)
        root = previous.tree
    tree = _put(repo, root, [encode(part) for part in path.split("/")], blob.id)
    commit = Commit()
    commit.tree = tree
    commit.parents = [_oid(parent)] if parent else []
    commit.author = commit.committer = AUTHOR
    stamp = int(row.created_at.timestamp())
    commit.author_time = commit.commit_time = stamp
    commit.author_timezone = commit.commit_timezone = 0
    commit.encoding = b"UTF-8"
    commit.message = commit_message(
        device, row.command, row.version, row.source, row.run_id, row.id
    )
    store.add_object(commit)
    return str(commit.id.decode())


def _put(repo: Repo, tree_id: ObjectID | None, parts: list[bytes], blob_id: ObjectID) -> ObjectID:
    """A copy of tree ``tree_id`` (None: empty) with the file at ``parts`` set to
    ``blob_id``, written to the store; its id."""
    tree = Tree()
    if tree_id is not None:
        old = repo[tree_id]
        assert isinstance(old, Tree)
        for entry in old.items():
            tree.add(entry.path, entry.mode, entry.sha)
    name = parts[0]
    if len(parts) == 1:
        tree.add(name, FILE_MODE, blob_id)
    else:
        sub = None
        if name in tree:
            mode, sha = tree[name]
            sub = sha if mode == TREE_MODE else None
        tree.add(name, TREE_MODE, _put(repo, sub, parts[1:], blob_id))
    repo.object_store.add_object(tree)
    return tree.id
