"""Ansible playbooks through ansible-runner, with an inventory generated from the targets.
Credentials go into a private, temporary data directory removed after the run."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, model_validator

from netweave.foundation import yamldoc
from netweave.foundation.errors import InvalidInput
from netweave.services.base import Service, ServiceContext, ServiceInputs, ServiceOutcome

HOST_OUTCOMES = ("runner_on_ok", "runner_on_failed", "runner_on_unreachable", "runner_on_skipped")
NETWORK_OS = {
    "cisco_ios": "cisco.ios.ios",
    "arista_eos": "arista.eos.eos",
    "juniper_junos": "junipernetworks.junos.junos",
}


class PlaybookInputs(ServiceInputs):
    playbook: str | None = Field(default=None, description="Path of a playbook file on the worker")
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

    @model_validator(mode="after")
    def _one_source(self) -> PlaybookInputs:
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

    def run(self, ctx: ServiceContext, inputs: PlaybookInputs) -> ServiceOutcome:
        import ansible_runner

        hosts: dict[str, dict[str, Any]] = {}
        user = password = None
        if inputs.credential:
            user, password = ctx.secret(inputs.credential)
        for device in ctx.devices:
            entry: dict[str, Any] = {
                "ansible_host": device.host,
                "ansible_port": device.port,
                "platform": device.platform,
                "site": device.site,
            }
            if device.platform in NETWORK_OS:
                entry["ansible_network_os"] = NETWORK_OS[device.platform]
            if user:
                entry["ansible_user"] = user
            if password:
                entry["ansible_password"] = password
            hosts[device.name] = entry
        private = Path(tempfile.mkdtemp(prefix="netweave-ansible-"))
        try:
            (private / "inventory").mkdir()
            (private / "inventory" / "hosts.yml").write_text(
                yaml.safe_dump({"all": {"hosts": hosts}})
            )
            (private / "project").mkdir()
            if inputs.content:
                (private / "project" / "playbook.yml").write_text(inputs.content)
                playbook = "playbook.yml"
            else:
                playbook = str(Path(inputs.playbook or "").resolve())
            events: list[dict[str, Any]] = []

            def collect(event: dict[str, Any]) -> bool:
                events.append(event)
                return True

            runner = ansible_runner.run(
                private_data_dir=str(private),
                playbook=playbook,
                extravars={**ctx.variables, **inputs.extra_vars},
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
