"""Configurations in git: every stored version is a commit (dulwich, no git binary) in the
installation's repository, pushed to a remote; history, blame, diffs and the file at any
commit come from it; a rollback takes a commit; a broken repository or remote never fails
a backup, and the next sync fills in what is missing (the repository rebuilds from SQL)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest
from dulwich.object_store import tree_lookup_path
from dulwich.objects import Commit
from dulwich.repo import Repo
from fastapi.testclient import TestClient
from sqlalchemy import select

from netweave.core.automation.schemas import TargetSpec
from netweave.core.runtime import Runtime
from netweave.db.models import ConfigVersion
from netweave.lab import LabThread, build_specs
from tests.core.automation.conftest import add_inventory
from tests.fixtures.database import ONE_BACKEND

if TYPE_CHECKING:
    from dulwich.refs import Ref

pytestmark = ONE_BACKEND  # the repository is files; the SQL side runs on both elsewhere
MAIN = cast("Ref", b"refs/heads/main")
NEW_LINE = "ip route 10.99.0.0 255.255.0.0 10.0.0.254"


@pytest.fixture(scope="module")
def git_lab() -> Iterator[LabThread]:
    """Three IOS devices private to this module (a test changes their configuration)."""
    with LabThread(build_specs(3, platforms=("cisco_ios",), prefix="git")) as running:
        yield running


def _ids(client: TestClient) -> dict[str, int]:
    items = client.get("/api/v1/devices", params={"limit": 100}).json()["items"]
    return {d["name"]: d["id"] for d in items}


def _backup(runtime: Runtime, names: list[str], inputs: dict[str, object]) -> None:
    run = runtime.runs.launch_type(
        "config_backup", inputs, TargetSpec(devices=names), "admin", wait=60
    )
    assert run.status == "success", run


def _main(path: Path) -> str:
    """The sha of branch main in the repository at ``path``."""
    with Repo(str(path)) as repo:
        return repo.refs[MAIN].decode()


def _history(repo: Repo) -> list[Commit]:
    commits = []
    sha = repo.refs[MAIN]
    while True:
        commit = repo[sha]
        assert isinstance(commit, Commit)
        commits.append(commit)
        if not commit.parents:
            return commits
        sha = commit.parents[0]


def _rows(runtime: Runtime) -> list[ConfigVersion]:
    with runtime.sessions() as session:
        rows = list(session.scalars(select(ConfigVersion).order_by(ConfigVersion.id)))
        session.expunge_all()
    return rows


def test_backups_are_commits_with_log_blame_diff_show_push_and_restore(
    runtime: Runtime, admin: TestClient, git_lab: LabThread, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    Repo.init_bare(str(remote), mkdir=True).close()
    runtime.settings.config_git_remote = str(remote)
    names = add_inventory(admin, git_lab)
    ids = _ids(admin)
    _backup(runtime, names, {"operational_data": False})

    # one commit per stored version, read back with dulwich
    repo = Repo(str(runtime.settings.effective_config_git_dir))
    commits = _history(repo)
    rows = _rows(runtime)
    assert len(commits) == len(rows) == 3
    assert {c.id.decode() for c in commits} == {r.commit for r in rows}
    first, last = rows[0], rows[-1]  # the first device committed, and another one after it
    name = next(n for n, i in ids.items() if i == first.device_id)
    commit = repo[first.commit.encode()]  # type: ignore[union-attr]
    assert isinstance(commit, Commit)
    assert commit.author == b"NetWeave <netweave@localhost>"
    assert commit.commit_time == int(first.created_at.timestamp())
    assert commit.message.startswith(f"backup {name} v1 (run ".encode())
    path = f"{name}/running-config.txt".encode()
    _, blob = tree_lookup_path(repo.object_store.__getitem__, commit.tree, path)
    assert repo[blob].as_raw_string().decode() == first.content
    assert _main(remote) == repo.refs[MAIN].decode()

    # a change is a new commit; blame points the new line at it
    device = git_lab.device(name)
    original = device.running_config()
    device.ios_config.set_line(NEW_LINE)  # type: ignore[union-attr]
    _backup(runtime, [name], {"operational_data": False})
    ident = ids[name]
    log = admin.get(f"/api/v1/devices/{ident}/configs/git/log").json()
    assert [e["version"] for e in log] == [2, 1]
    new, old = log[0]["commit"], log[1]["commit"]
    assert old == first.commit and log[0]["path"] == f"{name}/running-config.txt"
    blame = admin.get(f"/api/v1/devices/{ident}/configs/git/blame").json()
    by_commit = {
        owner: [line["line"] for line in blame["lines"] if line["commit"] == owner[0]]
        for owner in {(line["commit"], line["version"]) for line in blame["lines"]}
    }
    assert by_commit.pop((new, 2)) == [NEW_LINE, "!"]  # the lab ends the line with a "!"
    assert list(by_commit) == [(old, 1)]
    assert blame["truncated"] is False and blame["commit"] == new
    older = admin.get(
        f"/api/v1/devices/{ident}/configs/git/blame", params={"commit": old[:10]}
    ).json()
    assert NEW_LINE not in [line["line"] for line in older["lines"]]

    diff = admin.get(
        f"/api/v1/devices/{ident}/configs/git/diff", params={"from": old, "to": new}
    ).text
    added = [line for line in diff.splitlines() if line.startswith("+")]
    assert added == [f"+++ {new[:12]}", f"+{NEW_LINE}", "+!"]
    shown = admin.get(f"/api/v1/devices/{ident}/configs/git/show", params={"commit": old[:8]})
    assert shown.json()["content"] == first.content and shown.json()["version"] == 1
    # another device's later commit still shows this device's file as it was then
    at_other = admin.get(
        f"/api/v1/devices/{ident}/configs/git/show", params={"commit": last.commit}
    ).json()
    assert at_other["version"] == 1 and at_other["commit"] == last.commit

    # bad and unknown shas
    bad = admin.get(f"/api/v1/devices/{ident}/configs/git/show", params={"commit": "xyz1234"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("commit:")
    unknown = admin.get(f"/api/v1/devices/{ident}/configs/git/show", params={"commit": "0" * 40})
    assert unknown.status_code == 404 and unknown.json()["detail"].startswith("commit:")
    short = admin.get(f"/api/v1/devices/{ident}/configs/git/diff", params={"from": "abcdef1"})
    assert short.status_code == 404 and short.json()["detail"].startswith("from:")
    rollback = f"/api/v1/devices/{ident}/configs/rollback"
    both = admin.post(rollback, json={"version": 1, "commit": old})
    assert both.status_code == 422 and both.json()["detail"].startswith("version:")
    assert admin.post(rollback, json={}).status_code == 422
    nowhere = admin.post(rollback, json={"commit": "0" * 40})
    assert nowhere.status_code == 404 and nowhere.json()["detail"].startswith("commit:")
    malformed = admin.post(rollback, json={"commit": "not-a-sha"})
    assert malformed.status_code == 422 and "commit" in malformed.json()["detail"]

    # restore from the older commit puts the old configuration back on the device
    back = admin.post(rollback, json={"commit": old[:12], "method": "netmiko"}).json()
    results = admin.get(f"/api/v1/runs/{back['id']}/results").json()
    assert back["status"] == "success", results
    assert results[0]["result"]["commit"] == old and f"-{NEW_LINE}" in results[0]["result"]["diff"]
    assert device.running_config() == original

    status = admin.get("/api/v1/configs/git/status").json()
    head = repo.refs[MAIN].decode()
    assert status["head"] == status["pushed_head"] == head
    assert status["pending"] == 0 and status["last_push_error"] is None
    assert _main(remote) == head
    repo.close()


def test_a_broken_repository_or_remote_never_fails_a_backup(
    runtime: Runtime, admin: TestClient, git_lab: LabThread, tmp_path: Path
) -> None:
    broken = tmp_path / "configs.git"
    broken.write_text("not a repository")
    remote = tmp_path / "remote.git"  # not there yet: the push fails
    runtime.settings.config_git_dir = broken
    runtime.settings.config_git_remote = f"file://user:s3cret@localhost{remote}"
    names = add_inventory(admin, git_lab)[:2]
    _backup(runtime, names, {"operational_data": False})
    assert [r.commit for r in _rows(runtime)] == [None, None]  # stored in SQL all the same
    status = admin.get("/api/v1/configs/git/status").json()
    assert status["pending"] == 2 and status["last_sync_error"]

    broken.unlink()
    synced = admin.post("/api/v1/configs/git/sync").json()
    assert synced["committed"] == 2 and synced["pending"] == 0
    assert synced["last_sync_error"] is None
    assert synced["last_push_error"] and "s3cret" not in str(synced)
    assert "***@localhost" in synced["remote"]
    shas = [r.commit for r in _rows(runtime)]
    assert all(shas)

    # the remote appears: the next sync pushes the head it missed
    store = runtime.config_store.git
    assert store is not None
    store.remote = str(remote)
    Repo.init_bare(str(remote), mkdir=True).close()
    pushed = admin.post("/api/v1/configs/git/sync").json()
    assert pushed["committed"] == 0 and pushed["last_push_error"] is None
    assert _main(remote) == shas[-1]

    # the repository is derived: deleted, it is rebuilt with the same commits
    shutil.rmtree(broken)
    ident = _ids(admin)[names[0]]
    log = admin.get(f"/api/v1/devices/{ident}/configs/git/log").json()
    assert [e["commit"] for e in log] == [r.commit for r in _rows(runtime) if r.device_id == ident]
    assert [r.commit for r in _rows(runtime)] == shas
    assert _main(broken) == shas[-1]
