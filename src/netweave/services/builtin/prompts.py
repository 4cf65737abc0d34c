"""Netmiko prompts (eNMS's "netmiko prompts" service): a command that asks questions, and
the answers to give, in order — ``copy running-config startup-config`` → ``Destination
filename [startup-config]?`` → Enter; ``delete flash:x`` → ``Delete filename [x]?`` →
Enter, ``Delete flash:/x? [confirm]`` → ``y``; ``reload`` → ``Proceed with reload?
[confirm]`` → ``y`` (the device then drops the session: ``expect_disconnect``).

Runs over the device's pooled Netmiko session, in privileged EXEC when the credential has an
enable secret. Not privileged: it reaches only the target device, as ``netmiko_commands``
does (which runs any command too)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from netweave.drivers.netmiko_dialogue import Dialogue, Exchange, converse
from netweave.foundation.regex_safety import check_regex
from netweave.services.base import (
    Service,
    ServiceContext,
    ServiceInputs,
    ServiceOutcome,
    Template,
)


class Prompt(BaseModel):
    """One question the command asks, and the answer to give."""

    model_config = ConfigDict(extra="forbid")

    expect: str = Field(
        min_length=1,
        max_length=1000,
        description=r"Regular expression of the question, e.g. Destination filename \[",
    )
    answer: Template = Field(
        default="",
        max_length=1000,
        description="Sent followed by Enter (empty: Enter alone). Jinja2 allowed",
    )

    @field_validator("expect")
    @classmethod
    def _safe(cls, value: str) -> str:
        return check_regex(value)  # runs on device output in a worker thread


class PromptsInputs(ServiceInputs):
    command: Template = Field(
        min_length=1, max_length=1000, description="The command; Jinja2 allowed"
    )
    prompts: list[Prompt] = Field(
        default_factory=list, max_length=20, description="The questions in the order they come"
    )
    read_timeout: float = Field(
        default=10,
        gt=0,
        le=3600,
        description="Seconds to wait for each question, and for the prompt after the last answer",
    )
    expect_disconnect: bool = Field(
        default=False,
        description="The device ends the session after the last answer (reload): success "
        "then means the session closed",
    )
    fail_on: list[str] = Field(
        default_factory=lambda: [
            "% Invalid input",
            "% Incomplete command",
            "% Ambiguous command",
            "%Error",
        ],
        description="Output text that makes the step fail",
    )


class NetmikoPrompts(Service[PromptsInputs]):
    title = "Netmiko prompts"
    description = "Run a command that asks questions (copy, delete, reload) and answer them."
    Inputs = PromptsInputs
    driver = "netmiko"

    def run(self, ctx: ServiceContext, inputs: PromptsInputs) -> ServiceOutcome:
        command = ctx.render(inputs.command)
        exchanges = [Exchange(p.expect, ctx.render(p.answer)) for p in inputs.prompts]
        for name, text in [("command", command)] + [
            (f"prompts.{n}.answer", e.answer) for n, e in enumerate(exchanges)
        ]:
            if "\n" in text or "\r" in text:  # one input, one line: never a second command
                return ServiceOutcome(False, {"command": command, "error": f"{name}: one line"})
        if not command.strip():
            return ServiceOutcome(False, {"command": command, "error": "command: empty"})
        dialogue: Dialogue = ctx.session_call(
            lambda session: converse(
                session, command, exchanges, inputs.read_timeout, inputs.expect_disconnect
            ),
            driver="netmiko",
            read_only=False,
        )
        seen = sum(1 for step in dialogue.steps if step["seen"] is not None)
        ctx.log(
            f"{command!r}: {seen} of {len(exchanges)} question(s) answered"
            f"{', session closed' if dialogue.disconnected else ''}"
        )
        texts = [step["output"] for step in dialogue.steps] + [dialogue.output]
        refused = next((t for t in inputs.fail_on for text in texts if t and t in text), None)
        result: dict[str, Any] = {
            "command": command,
            "steps": dialogue.steps,
            "output": dialogue.output,
            "disconnected": dialogue.disconnected,
            "completed": dialogue.completed,
            "text": dialogue.transcript,
            "duration_seconds": round(dialogue.duration_seconds, 4),
        }
        error = dialogue.error
        if error is None and refused is not None:
            error = f"the device answered {refused!r}"
        if error is not None:
            result["error"] = error
        return ServiceOutcome(error is None, result)
