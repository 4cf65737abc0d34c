"""Ansible playbooks through ansible-runner, with an inventory generated from the targets.
Credentials go into a private, temporary data directory removed after the run.

A privileged type: a playbook runs code on the worker. Its ``playbook`` is a path inside
the playbooks folder (checked where it is saved and again on the worker), and what
operators control (run variables, device fields in the inventory) reaches Ansible marked
``!unsafe``: never evaluated as a template (``{{ lookup('pipe', ...) }}`` stays text)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from netweave.foundation import yamldoc
from netweave.foundation.errors import InvalidInput
from netweave.services.base import Service, ServiceContext, ServiceInputs, ServiceOutcome

HOST_OUTCOMES = ("runner_on_ok", "runner_on_failed", "runner_on_unreachable", "runner_on_skipped")
NETWORK_OS = {
    "cisco_ios": "cisco.ios.ios",
    "arista_eos": "arista.eos.eos",
    "juniper_junos": "junipernetworks.junos.junos",
}


class Unsafe(str):
    """Text Ansible must not template (written as ``!unsafe``)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Unsafe, lambda d, v: d.represent_scalar("!unsafe", str(v)))


def unsafe(value: Any) -> Any:
    """``value`` with every string (keys excepted) marked unsafe, recursively."""
    if isinstance(value, str):
        return Unsafe(value)
    if isinstance(value, dict):
        return {key: unsafe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [unsafe(item) for item in value]
    return value


def _relative(path: str) -> str:
    if not path.strip():
        raise ValueError("must not be empty")
    if "\x00" in path:
        raise ValueError("must not contain a NUL character")
    if Path(path).is_absolute() or path.startswith(("/", "\\", "~")):
        raise ValueError("must be a path relative to the playbooks folder, not absolute")
    if ".." in Path(path).parts:
        raise ValueError("must not contain '..': it stays inside the playbooks folder")
    return path


def confine(root: Path, path: str) -> Path:
    """``path`` inside ``root`` with symlinks resolved; ValueError when it leaves it."""
    base = root.resolve()
    target = (base / _relative(path)).resolve()
    if not target.is_relative_to(base):
        raise ValueError("resolves outside the playbooks folder (a symlink?)")
    return target


class PlaybookInputs(ServiceInputs):
    playbook: str | None = Field(
        default=None,
        description="Path of a playbook file relative to the playbooks folder on the workers "
        "(NETWEAVE_PLAYBOOKS_DIR)",
    )
    content: str | None = Field(
        default=None,
        description="Or the playbook itself (YAML)",
        json_schema_extra={"format": "textarea"},
    )
    extra_vars: dict[str, Any] = Field(default_factory=dict)
    limit: str | None = None
    tags: str | None = None
    credential: str | None = Field(
        default=None, description="Credential used as ansible_user/ansible_password"
    )
    timeout: int = Field(default=600, ge=1, le=86400, description="Seconds")
    _path: Path | None = PrivateAttr(default=None)  # resolved against the folder

    @field_validator("playbook")
    @classmethod
    def _inside_folder(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        root = (info.context or {}).get("playbooks_dir")
        if root is None:
            return _relative(value)
        confine(Path(root), value)
        return value

    @model_validator(mode="after")
    def _one_source(self, info: ValidationInfo) -> PlaybookInputs:
        root = (info.context or {}).get("playbooks_dir")
        if self.playbook and root is not None:
            self._path = confine(Path(root), self.playbook)
        if bool(self.playbook) == bool(self.content):
            raise ValueError("give either playbook (a path) or content (the YAML)")
        if self.content:
            try:
                plays = yamldoc.load(self.content, field="content")
            except InvalidInput as exc:
                raise ValueError(f"content: {exc.message}") from None
            if not isinstance(plays, list):
                raise ValueError("content must be a list of plays")
        return self


class AnsiblePlaybook(Service[PlaybookInputs]):
    title = "Ansible playbook"
    description = "Run a playbook with ansible-runner on an inventory made from the targets."
    Inputs = PlaybookInputs
    per_device = False
    privileged = True

    def run(self, ctx: ServiceContext, inputs: PlaybookInputs) -> ServiceOutcome:
        import ansible_runner

        hosts: dict[str, dict[str, Any]] = {}
        user = password = None
        for device in ctx.devices if inputs.credential else []:  # every host in scope
            user, password = ctx.secret(inputs.credential or "", device.host, device.port)
        for device in ctx.devices:
            entry: dict[str, Any] = {  # operators edit devices: their fields are unsafe
                "ansible_host": Unsafe(device.host),
                "ansible_port": device.port,
                "platform": Unsafe(device.platform),
                "site": Unsafe(device.site),
            }
            if device.platform in NETWORK_OS:
                entry["ansible_network_os"] = NETWORK_OS[device.platform]
            if user:
                entry["ansible_user"] = Unsafe(user)
            if password:
                entry["ansible_password"] = Unsafe(password)
            hosts[device.name] = entry
        if inputs.playbook and (inputs._path is None or not inputs._path.is_file()):
            where = inputs._path or "no playbooks folder to look in"
            return ServiceOutcome(False, {"error": f"inputs.playbook: not found ({where})"})
        private = Path(tempfile.mkdtemp(prefix="netweave-ansible-"))
        try:
            (private / "inventory").mkdir()
            (private / "inventory" / "hosts.yml").write_text(
                yaml.dump({"all": {"hosts": hosts}}, Dumper=_Dumper)
            )
            # run variables come from whoever starts the run: never templated; the
            # service's own extra_vars (an admin wrote them) may be
            (private / "env").mkdir()
            (private / "env" / "extravars").write_text(
                yaml.dump({**unsafe(ctx.variables), **inputs.extra_vars}, Dumper=_Dumper)
            )
            (private / "project").mkdir()
            if inputs.content:
                (private / "project" / "playbook.yml").write_text(inputs.content)
                playbook = "playbook.yml"
            else:
                playbook = str(inputs._path)
            events: list[dict[str, Any]] = []

            def collect(event: dict[str, Any]) -> bool:
                events.append(event)
                return True

            runner = ansible_runner.run(
                private_data_dir=str(private),
                playbook=playbook,
                limit=inputs.limit,
                tags=inputs.tags,
                quiet=True,
                timeout=inputs.timeout,
                event_handler=collect,
                envvars={
                    "ANSIBLE_HOST_KEY_CHECKING": "False",
                    "ANSIBLE_NOCOLOR": "1",
                    "PATH": search_path(),
                },
            )
            per_host: dict[str, dict[str, Any]] = {}
            for event in events:
                data = event.get("event_data") or {}
                host = data.get("host")
                if host and event.get("event") in HOST_OUTCOMES:
                    outcome = event["event"].removeprefix("runner_on_")
                    per_host.setdefault(host, {"tasks": []})["tasks"].append(
                        {
                            "task": data.get("task"),
                            "status": outcome,
                            "result": _public(data.get("res") or {}),
                        }
                    )
            stats = runner.stats or {}
            output = runner.stdout.read() if runner.stdout else ""
            for secret in (password,):
                if secret:
                    output = output.replace(secret, "********")
            return ServiceOutcome(
                runner.rc == 0,
                {
                    "status": runner.status,
                    "rc": runner.rc,
                    "stats": stats,
                    "hosts": per_host,
                    "text": output[-50_000:],
                },
            )
        finally:
            shutil.rmtree(private, ignore_errors=True)


def search_path() -> str:
    """PATH with this Python's scripts first: ``ansible-playbook`` lives in the virtualenv,
    which need not be on the PATH the server started with."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def _public(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if not k.startswith("_ansible") and k != "invocation"}
