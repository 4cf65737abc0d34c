"""eNMS migration folders (one YAML file per object type) come in whole: devices, links,
pools with their filters translated, credentials merged with the devices' logins, users
with their argon2 hashes, services, a workflow with success/failure edges and positions,
tasks. A dry run reports create/change/skip with reasons and writes nothing; the import is
all or nothing and idempotent; the imported workflow runs on the lab."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from netweave.core.access.users import verify_password
from netweave.core.automation.schemas import RunRequest
from netweave.core.migration.enms import folder as enms_folder
from netweave.core.migration.enms import migrate_content, migrate_path
from netweave.core.migration.enms.pools import regex_glob
from netweave.core.runtime import Runtime
from netweave.db.models import Automation, Credential, Device, Pool, Task, User
from netweave.foundation.errors import ImportRejected, InvalidInput
from netweave.lab import LabThread
from tests.core.migration.enms_folder import (
    ALICE_PASSWORD,
    enms_files,
    tarred,
    write_folder,
    zipped,
)

CREATED = {
    "credentials": 2,
    "devices": 4,
    "links": 1,
    "pools": 2,
    "users": 2,
    "services": 6,
    "workflows": 1,
    "tasks": 2,
}


def migrate(runtime: Runtime, source: Path | bytes, *, dry_run: bool = False) -> Any:
    with runtime.transaction() as session:
        if isinstance(source, Path):
            return migrate_path(session, runtime.box, runtime.catalog, source, dry_run=dry_run)
        return migrate_content(session, runtime.box, runtime.catalog, source, dry_run=dry_run)


def count(runtime: Runtime, model: Any) -> int:
    with runtime.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def skipped(report: Any, kind: str) -> dict[str, str]:
    return {s.name: s.reason for s in report.objects[kind].skipped}


def test_a_dry_run_reports_each_object_type_with_reasons_and_writes_nothing(
    runtime: Runtime, lab: LabThread, tmp_path: Path
) -> None:
    report = migrate(runtime, write_folder(tmp_path / "enms", lab), dry_run=True)
    assert report.dry_run
    assert report.counts("created") == CREATED
    assert set(report.objects["services"].created) == {
        "[Check] show version",
        "[Check] bad command",
        "[Check] recover",
        "Facts",
        "Reach",
        "Notify",
    }
    assert "python_snippet_service" in skipped(report, "services")["Snippet"]
    assert skipped(report, "workflows") == {"Broken flow": "its step 'Snippet' was skipped"}
    assert "was not imported" in skipped(report, "tasks")["Snippet task"]
    pools = skipped(report, "pools")
    assert "cannot invert" in pools["Not Lyon"]
    assert "no glob equivalent" in pools["Core or edge"]
    assert "not base64" in skipped(report, "credentials")["broken"]
    notes = "\n".join(report.notes)
    assert "prerequisite edge" not in notes  # carried: NetWeave has prerequisite edges
    assert "user 'bob': eNMS's password hash is not argon2; an admin must reset" in notes
    # what a service sets that the translation does not carry is named, never dropped silently
    notify = next(n for n in report.notes if n.startswith("service 'Notify'"))
    assert "username (basic-auth username" in notify and "password (basic-auth" in notify
    assert "waiting_time (a waiting time" in notify
    assert "credentials" not in notify and "conversion_method" not in notify  # eNMS defaults
    assert "hookpass" not in notes
    for model in (Device, Credential, Pool, Automation, Task):
        assert count(runtime, model) == 0, model
    assert count(runtime, User) == 1  # the first admin only


def test_the_import_then_again_changes_nothing_and_the_workflow_runs_on_the_lab(
    runtime: Runtime, lab: LabThread, tmp_path: Path
) -> None:
    source = write_folder(tmp_path / "enms", lab)
    report = migrate(runtime, source)
    assert report.counts("created") == CREATED
    ios = [d for d in lab.devices if d.spec.platform == "cisco_ios"]
    with runtime.transaction() as session:
        pools = {p.name: p for p in session.scalars(select(Pool))}
        assert pools["Lab-IOS"].device_filter == {"name": "*lab-ios*", "platform": "cisco_ios"}
        assert pools["Paris"].device_filter == {"site": "par*"}
        credentials = {c.name: c for c in session.scalars(select(Credential))}
        assert set(credentials) == {"lab-admin", "enms-ops"}  # the devices' login merged
        scope = credentials["lab-admin"].scope or {}
        assert sorted(session.get(Pool, i).name for i in scope["pools"]) == ["Lab-IOS", "Paris"]
        assert scope["networks"]  # and the addresses of the devices that carried the login
        assert runtime.box.decrypt(credentials["lab-admin"].password_enc or "") == "netweave"
        devices = {d.name: d for d in session.scalars(select(Device))}
        assert devices[f"enms-{ios[0].name}"].credential.name == "lab-admin"
        assert devices["edge-lyon"].platform == "cisco_xe"
        users = {u.username: u for u in session.scalars(select(User))}
        assert users["alice"].role == "admin" and users["bob"].role == "operator"
        assert verify_password(users["alice"].password_hash, ALICE_PASSWORD)  # hash kept
        automations = {a.name: a for a in session.scalars(select(Automation))}
        version = automations["[Check] show version"]
        assert (version.type, version.inputs) == (
            "netmiko_commands",
            {"commands": ["show version"]},
        )
        assert version.options["retries"] == 1
        assert version.options["validation"] == [{"match": "uptime is"}]  # text, in text
        assert automations["Facts"].options["targets"] == {"pools": ["Lab-IOS"]}
        assert automations["Reach"].inputs == {"kind": "tcp", "port": 22, "count": 2}
        assert automations["Notify"].type == "rest_call"
        assert "s3cret" not in str(automations["Notify"].inputs)  # headers are sealed
        graph = automations["Check"].graph or {}
        steps = {n["id"]: n for n in graph["nodes"]}
        assert {n: (s["x"], s["y"]) for n, s in steps.items()} == {
            "show_version": (100, 50),
            "bad_command": (200, 100),
            "recover": (300, 150),
        }
        assert graph["layout"] == {"start": {"x": 0, "y": 0}, "end": {"x": 500, "y": 0}}
        assert sorted((e["source"], e["target"], e["kind"]) for e in graph["edges"]) == [
            ("bad_command", "end", "success"),
            ("bad_command", "recover", "failure"),
            ("recover", "end", "success"),
            ("show_version", "bad_command", "success"),
            ("show_version", "recover", "prerequisite"),
            ("start", "show_version", "success"),
        ]
        tasks = {t.name: t for t in session.scalars(select(Task))}
        nightly, hourly = tasks["Nightly check"], tasks["Hourly versions"]
        assert (nightly.kind, nightly.cron, nightly.automation) == ("cron", "0 2 * * *", "Check")
        assert (hourly.kind, hourly.interval_seconds, hourly.paused) == ("interval", 3600, True)
        assert hourly.targets == {"devices": [f"enms-{ios[1].name}"], "pools": ["Lab-IOS"]}

    again = migrate(runtime, source)
    assert again.changes_nothing(), again.as_dict()
    assert again.counts("unchanged") == CREATED
    assert "nothing to change" in again.notes[-1]

    run = runtime.runs.launch("Check", RunRequest(wait=180), "test")
    assert run.status == "success", run
    assert run.targets == [f"enms-{ios[0].name}"]
    results = {r.step: r for r in runtime.runs.results(run.id)}
    assert set(results) == {"show_version", "bad_command", "recover"}
    assert results["show_version"].success
    assert "uptime is" in results["show_version"].result["text"]
    assert not results["bad_command"].success  # the device rejects it: the failure edge
    assert "% Invalid input" in results["bad_command"].result["text"]
    assert results["recover"].success and "uptime is" in results["recover"].result["text"]


def test_a_broken_file_rejects_the_whole_folder(
    runtime: Runtime, lab: LabThread, tmp_path: Path
) -> None:
    files = enms_files(lab)
    bad_device = dict(files)
    bad_device["device.yaml"] = files["device.yaml"].replace("10.9.9.9", "not an address!")
    with pytest.raises(ImportRejected) as rejected:
        migrate(runtime, zipped(bad_device))
    where = {(e["sheet"], e["row"], e["field"]) for e in rejected.value.errors}
    assert ("devices", 4, "host") in where  # the fourth object of device.yaml
    bad_yaml = dict(files)
    bad_yaml["task.yaml"] = files["task.yaml"] + "\n- name: [unclosed\n"
    with pytest.raises(InvalidInput, match=r"task\.yaml: not valid YAML: line"):
        migrate(runtime, zipped(bad_yaml))
    bad_tag = dict(files)
    bad_tag["user.yaml"] = '- name: carol\n  is_admin: !!bool ""\n'
    with pytest.raises(InvalidInput, match=r"user\.yaml: .*a tagged value does not parse"):
        migrate(runtime, zipped(bad_tag))
    for model in (Device, Credential, Pool, Automation, Task):
        assert count(runtime, model) == 0, model
    assert count(runtime, User) == 1


def test_zip_and_tar_gz_archives_read_alike_and_hostile_ones_are_refused(
    runtime: Runtime, lab: LabThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = enms_files(lab)
    for content in (zipped(files), zipped(files, folder=""), tarred(files)):
        assert migrate(runtime, content, dry_run=True).counts("created") == CREATED
    climbing = io.BytesIO()
    with zipfile.ZipFile(climbing, "w") as archive:
        archive.writestr("../device.yaml", files["device.yaml"])
    with pytest.raises(InvalidInput, match="a path outside the folder"):
        migrate(runtime, climbing.getvalue(), dry_run=True)
    monkeypatch.setattr(enms_folder, "MAX_ENTRIES", 3)
    with pytest.raises(InvalidInput, match="more than 3 entries"):
        migrate(runtime, zipped(files), dry_run=True)
    monkeypatch.setattr(enms_folder, "MAX_ENTRIES", 256)
    monkeypatch.setattr(enms_folder, "MAX_UNPACKED", 1000)
    with pytest.raises(InvalidInput, match="more than 0 MiB"):
        migrate(runtime, tarred(files), dry_run=True)
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("notes.yaml", "[]")
    with pytest.raises(InvalidInput, match="no eNMS migration file"):
        migrate(runtime, empty.getvalue(), dry_run=True)


@pytest.mark.parametrize(
    ("pattern", "glob"),
    [
        ("^par.*$", "par*"),
        ("core", "*core*"),
        ("^r1\\.paris$", "r1.paris"),
        ("^lab-.+-0.$", "lab-?*-0?"),
        ("^(a|b)$", None),
        ("[0-9]+", None),
        ("\\d", None),
    ],
)
def test_eNMS_regexes_become_globs_only_when_one_says_the_same(
    pattern: str, glob: str | None
) -> None:
    assert regex_glob(pattern) == glob
