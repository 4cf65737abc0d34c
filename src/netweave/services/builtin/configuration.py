"""Configuration: Netmiko pushes (Jinja2 templated), NAPALM candidates (diff, commit, dry
run, rollback), backups into the versioned store and restores of any stored version."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from netweave.drivers.base import CommandOutput
from netweave.foundation.operational import MAX_COMMAND_LENGTH
from netweave.services.base import (
    Service,
    ServiceContext,
    ServiceInputs,
    ServiceOutcome,
    Template,
)
from netweave.services.builtin.confdiff import (
    clean_config,
    nested_remediation,
    remediation,
    unified,
)

NAPALM_PLATFORMS = {"cisco_ios", "cisco_xe", "arista_eos", "juniper_junos", "cisco_nxos"}
NESTED = {"frr"}  # blocks within blocks (router bgp > address-family): nested remediation
SHOW_CONFIG = {"juniper_junos": "show configuration | display set", "linux": "cat /etc/hostname"}


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


class NetmikoConfigInputs(ServiceInputs):
    config: Template = Field(
        min_length=1,
        description="Configuration lines, a Jinja2 template ({{ device.name }}, {{ vars.x }})",
        json_schema_extra={"format": "textarea"},
    )
    save: bool = Field(default=False, description="Save to startup on full success")
    dry_run: bool = Field(default=False, description="Render and show the lines; push nothing")
    error_pattern: str | None = Field(default=None, description="Regex of a rejected line")


class NetmikoConfig(Service[NetmikoConfigInputs]):
    title = "Netmiko configuration"
    description = "Push templated configuration line by line; the first rejected line stops it."
    Inputs = NetmikoConfigInputs
    driver = "netmiko"
    preview_inputs = {"dry_run": True}

    def run(self, ctx: ServiceContext, inputs: NetmikoConfigInputs) -> ServiceOutcome:
        lines = lines_of(ctx.render(inputs.config))
        if inputs.dry_run:
            return ServiceOutcome(True, {"rendered": lines, "committed": False})
        options: dict[str, object] = {"save": inputs.save}
        if inputs.error_pattern:
            options["error_pattern"] = inputs.error_pattern
        outcome = ctx.configure(lines, driver=self.driver, options=options)
        return ServiceOutcome(
            outcome.ok,
            {
                "rendered": lines,
                "applied": outcome.applied,
                "failed_line": outcome.failed_line,
                "error": outcome.error,
                "skipped": outcome.skipped,
                "saved": outcome.saved,
                "output": outcome.output,
            },
        )


class NapalmConfigInputs(ServiceInputs):
    config: Template = Field(
        default="",
        description="Candidate configuration, a Jinja2 template",
        json_schema_extra={"format": "textarea"},
    )
    mode: Literal["merge", "replace"] = "merge"
    action: Literal["commit", "dry_run", "rollback"] = Field(
        default="commit",
        description="commit the candidate, show its diff and discard it, or roll back the last "
        "commit",
    )
    message: str | None = Field(default=None, max_length=1000, description="Commit message")


class NapalmConfig(Service[NapalmConfigInputs]):
    title = "NAPALM configuration"
    description = "Merge or replace a candidate with its diff; commit, dry run or roll back."
    Inputs = NapalmConfigInputs
    driver = "napalm"
    preview_inputs = {"action": "dry_run"}

    def run(self, ctx: ServiceContext, inputs: NapalmConfigInputs) -> ServiceOutcome:
        lines = lines_of(ctx.render(inputs.config)) if inputs.config else []
        if inputs.action != "rollback" and not lines:
            return ServiceOutcome(False, {"error": "config: an empty candidate"})
        outcome = ctx.configure(
            lines,
            driver="napalm",
            options={
                "mode": inputs.mode,
                "dry_run": inputs.action == "dry_run",
                "rollback": inputs.action == "rollback",
                "message": inputs.message,
            },
        )
        return ServiceOutcome(
            outcome.ok,
            {
                "diff": outcome.diff or "",
                "committed": outcome.committed and inputs.action != "dry_run",
                "error": outcome.error,
                "output": outcome.output,
            },
        )


ShowCommand = Annotated[str, Field(min_length=1, max_length=MAX_COMMAND_LENGTH)]


def _rejected(output: CommandOutput) -> bool:
    return output.exit_status != 0 or "% Invalid input" in output.stdout


class BackupInputs(ServiceInputs):
    command: str | None = Field(
        default=None, description="Command printing the configuration (default per platform)"
    )
    operational_data: bool = Field(
        default=True,
        description="Also store the output of show commands (the platform's "
        "operational_commands setting, or the commands below)",
    )
    commands: list[ShowCommand] | None = Field(
        default=None,
        max_length=50,
        description="Show commands to store instead of the platform's defaults",
    )


class ConfigBackup(Service[BackupInputs]):
    title = "Configuration backup"
    description = (
        "Store the running configuration, and the output of the platform's show commands, "
        "as new versions when they changed."
    )
    Inputs = BackupInputs
    driver = "netmiko"

    def run(self, ctx: ServiceContext, inputs: BackupInputs) -> ServiceOutcome:
        assert ctx.device is not None
        command = inputs.command or SHOW_CONFIG.get(ctx.device.platform, "show running-config")
        output = ctx.commands([command], driver=self.driver)[0]
        if _rejected(output):
            return ServiceOutcome(False, {"error": output.stderr or output.stdout[:500]})
        text = clean_config(output.stdout)
        saved = ctx.save_config(text)
        result: dict[str, object] = {
            "version": saved.version,
            "changed": saved.changed,
            "diff": saved.diff,
            "lines": len(text.splitlines()),
        }
        if inputs.operational_data:
            shows = inputs.commands if inputs.commands is not None else ctx.operational_commands()
            result["operational"] = self._operational(ctx, shows)
        return ServiceOutcome(True, result, variables={"backup_version": saved.version})

    def _operational(self, ctx: ServiceContext, commands: list[str]) -> dict[str, object]:
        """Each show command's stored version, or why it was not stored (a command the
        device refuses is reported, not a failed backup: the configuration is saved)."""
        captured: dict[str, object] = {}
        if not commands:
            return captured
        outputs = ctx.commands(list(commands), driver=self.driver)
        for show, output in zip(commands, outputs, strict=True):
            if _rejected(output):
                captured[show] = {"error": (output.stderr or output.stdout)[:300]}
                continue
            saved = ctx.save_operational(show, output.stdout)
            captured[show] = {"version": saved.version, "changed": saved.changed}
        return captured


class RestoreInputs(ServiceInputs):
    version: int | None = Field(
        default=None, ge=1, description="Stored version to restore (default: see from_step)"
    )
    commit: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{7,40}$",
        description="Instead of a version: the configuration at this commit of the "
        "configuration repository",
    )
    from_step: str | None = Field(
        default=None,
        description="Restore the version a backup step of this run saved (default: the "
        "latest stored version)",
    )
    method: Literal["auto", "napalm", "netmiko"] = Field(
        default="auto", description="NAPALM replace where supported, else Netmiko remediation"
    )
    dry_run: bool = Field(default=False, description="Show what would change; change nothing")


class ConfigRestore(Service[RestoreInputs]):
    title = "Configuration rollback"
    description = "Bring the device back to a stored configuration version."
    Inputs = RestoreInputs
    driver = "netmiko"
    preview_inputs = {"dry_run": True}

    def run(self, ctx: ServiceContext, inputs: RestoreInputs) -> ServiceOutcome:
        assert ctx.device is not None
        if inputs.commit is not None:
            committed = ctx.committed_config(inputs.commit.lower())
            if committed is None:
                return ServiceOutcome(
                    False, {"error": f"commit: no configuration at commit {inputs.commit}"}
                )
            return self._restore(ctx, inputs, committed[1], committed[0], inputs.commit)
        version = inputs.version
        if version is None and inputs.from_step:
            earlier = ctx.result(inputs.from_step)
            if not earlier or "version" not in earlier:
                return ServiceOutcome(
                    False, {"error": f"from_step: step {inputs.from_step!r} saved no version"}
                )
            version = int(earlier["version"])
        stored = ctx.stored_config(version)
        if stored is None:
            return ServiceOutcome(False, {"error": f"version: no stored version {version}"})
        return self._restore(ctx, inputs, stored[1], stored[0], None)

    def _restore(
        self,
        ctx: ServiceContext,
        inputs: RestoreInputs,
        target: str,
        version: int | None,
        commit: str | None,
    ) -> ServiceOutcome:
        assert ctx.device is not None
        label = f"commit {commit[:12]}" if commit else f"version {version}"
        method = inputs.method
        if method == "auto":
            method = "napalm" if ctx.device.platform in NAPALM_PLATFORMS else "netmiko"
        command = SHOW_CONFIG.get(ctx.device.platform, "show running-config")
        running = clean_config(ctx.commands([command], driver="netmiko")[0].stdout)
        diff = unified(running, target, "running", label)
        restored: dict[str, object] = {"version": version, "method": method, "diff": diff}
        if commit is not None:
            restored["commit"] = commit
        if not diff or inputs.dry_run:
            return ServiceOutcome(True, {**restored, "changed": False})
        if method == "napalm":
            outcome = ctx.configure(lines_of(target), driver="napalm", options={"mode": "replace"})
        else:
            remedy = nested_remediation if ctx.device.platform in NESTED else remediation
            outcome = ctx.configure(remedy(running, target), driver="netmiko")
        after = clean_config(ctx.commands([command], driver="netmiko")[0].stdout)
        left = unified(after, target, "running", label)
        return ServiceOutcome(
            outcome.ok and not left,
            {**restored, "changed": True, "remaining_diff": left, "error": outcome.error},
        )
