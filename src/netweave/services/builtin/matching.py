"""Result checks shared by the data-validation service and every service's own
``validation`` option: text contained, regex found, or a dict matched (subset)."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from netweave.foundation.regex_safety import check_regex

MatchKind = Literal["text", "regex", "dict"]


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: MatchKind = Field(default="text", description="text contained, regex, or dict subset")
    match: str | dict[str, Any] = Field(
        description="What must be found (a JSON object for kind=dict)",
        # The form reads the box as JSON only when the sibling ``kind`` is ``dict``.
        json_schema_extra={"x-json-when": {"kind": "dict"}},
    )
    path: str = Field(
        default="text",
        description="Dotted path in the result to check (e.g. text, outputs.0.stdout, getters)",
    )
    negate: bool = Field(default=False, description="Succeed when it does NOT match")

    @model_validator(mode="after")
    def _consistent(self) -> Check:
        if self.kind == "dict" and not isinstance(self.match, dict):
            raise ValueError("match must be an object when kind is dict")
        if self.kind != "dict" and not isinstance(self.match, str):
            raise ValueError("match must be a string when kind is text or regex")
        if self.kind == "regex":
            try:
                check_regex(str(self.match))
            except ValueError as exc:
                raise ValueError(f"match: {exc}") from exc
        return self


def pick(data: Any, path: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.lstrip("-").isdigit():
            index = int(part)
            data = data[index] if -len(data) <= index < len(data) else None
        else:
            return None
    return data


def subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and subset(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and all(
            any(subset(item, candidate) for candidate in actual) for item in expected
        )
    return bool(expected == actual)


def evaluate(check: Check, data: Any, render: Any = None) -> tuple[bool, str]:
    """(passed, explanation). ``render`` expands Jinja2 in string matches."""
    value = pick(data, check.path)
    if check.kind == "dict":
        found = subset(check.match, value)
        what = f"{json.dumps(check.match)[:200]} ⊆ {check.path}"
    else:
        pattern = str(check.match)
        if render is not None:
            pattern = render(pattern)
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        what = f"{check.kind} {pattern!r} in {check.path}"
        if check.kind == "regex":
            try:  # rendered from run variables (a trigger's payload): checked again
                check_regex(pattern)
            except ValueError as exc:
                return False, f"{what}: refused: {exc}"
        found = (
            re.search(pattern, text, re.M) is not None if check.kind == "regex" else pattern in text
        )
    passed = found != check.negate
    verdict = "found" if found else "not found"
    return passed, f"{what}: {verdict}{' (negated)' if check.negate else ''}"
