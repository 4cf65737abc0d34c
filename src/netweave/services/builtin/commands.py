"""Show commands: Netmiko (with TextFSM/TTP parsing), scrapli, NAPALM getters."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from netweave.drivers.base import CommandOutput
from netweave.foundation import ttp_safety
from netweave.services.base import (
    Service,
    ServiceContext,
    ServiceInputs,
    ServiceOutcome,
    Template,
)

NapalmGetter = Literal[
    "get_facts",
    "get_interfaces",
    "get_interfaces_ip",
    "get_arp_table",
    "get_lldp_neighbors",
    "get_mac_address_table",
    "get_config",
    "get_environment",
    "get_snmp_information",
    "get_users",
    "get_ntp_servers",
    "get_bgp_neighbors",
]


class CommandsInputs(ServiceInputs):
    commands: list[Template] = Field(
        min_length=1,
        max_length=200,
        description="Show commands; Jinja2 variables allowed ({{ device.name }}, {{ vars.x }})",
    )
    parsing: Literal["none", "textfsm", "ttp"] = Field(
        default="none",
        description="Parse each output (TextFSM: NetWeave's templates for frr, then ntc-templates)",
    )
    ttp_template: str | None = Field(default=None, description="TTP template when parsing=ttp")
    read_timeout: float = Field(default=30, gt=0, le=3600, description="Seconds per command")
    fail_on: list[str] = Field(
        default_factory=lambda: ["% Invalid input", "% Unknown command", "syntax error"],
        description="Output text that makes the step fail",
    )

    @field_validator("ttp_template")
    @classmethod
    def _no_code(cls, value: str | None) -> str | None:
        if value is not None:
            ttp_safety.check_template(value)  # UnsafeTemplate is a ValueError: a 422
        return value


def outputs_result(
    ctx: ServiceContext, outputs: list[CommandOutput], inputs: CommandsInputs
) -> ServiceOutcome:
    from netweave.services.builtin.parsing import parse_output

    items: list[dict[str, Any]] = []
    success = True
    for output in outputs:
        parsed = output.parsed
        if inputs.parsing != "none" and ctx.device is not None:
            parsed = parse_output(
                output.stdout,
                inputs.parsing,
                ctx.device.platform,
                output.command,
                inputs.ttp_template,
            )
        failed = output.exit_status != 0 or any(text in output.stdout for text in inputs.fail_on)
        success = success and not failed
        items.append(
            {
                "command": output.command,
                "stdout": output.stdout,
                "stderr": output.stderr,
                "exit_status": output.exit_status,
                "parsed": parsed,
                "duration_seconds": round(output.duration_seconds, 4),
            }
        )
    text = "\n".join(item["stdout"] for item in items)
    return ServiceOutcome(success, {"outputs": items, "text": text})


class NetmikoCommands(Service[CommandsInputs]):
    title = "Netmiko commands"
    description = "Run show commands over a persistent Netmiko session; parse with TextFSM/TTP."
    Inputs = CommandsInputs
    driver = "netmiko"

    def run(self, ctx: ServiceContext, inputs: CommandsInputs) -> ServiceOutcome:
        commands = [ctx.render(command) for command in inputs.commands]
        outputs = ctx.commands(
            commands, driver=self.driver, options={"read_timeout": inputs.read_timeout}
        )
        return outputs_result(ctx, outputs, inputs)


class ScrapliCommands(NetmikoCommands):
    title = "scrapli commands"
    description = "Run show commands over a persistent scrapli session."
    driver = "scrapli"


class NapalmGettersInputs(ServiceInputs):
    getters: list[NapalmGetter] = Field(min_length=1, description="NAPALM getters to call")


class NapalmGetters(Service[NapalmGettersInputs]):
    title = "NAPALM getters"
    description = "Structured data from NAPALM getters (facts, interfaces, LLDP, ...)."
    Inputs = NapalmGettersInputs
    driver = "napalm"

    def run(self, ctx: ServiceContext, inputs: NapalmGettersInputs) -> ServiceOutcome:
        outputs = ctx.commands(list(inputs.getters), driver="napalm")
        data = {output.command: output.parsed for output in outputs}
        errors = {o.command: o.stderr for o in outputs if o.exit_status != 0}
        return ServiceOutcome(not errors, {"getters": data, "errors": errors})
