"""Regular expressions from users below admin run against device output and syslog in
server threads: a catastrophically backtracking one (``(a+)+$`` on a line of a's) would hold
a worker or the syslog listener for hours. Each entry point refuses them with a 422 naming
the field; ordinary patterns keep working."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from netweave.foundation.regex_safety import UnsafeRegex, check_regex
from netweave.services.builtin.matching import Check, evaluate

EXPONENTIAL = ["(a+)+$", r"(\w*\s?)*x", "(a|aa)*b", r"(\d+|x)+y", r"(a*)\1b"]
ORDINARY = [
    r"% ?Invalid input|% ?Incomplete command",
    r"^\S+#\s*$",
    r"(?:GigabitEthernet|Ethernet)\d+/\d+",
    r"%LINK-3-UPDOWN: Interface (\S+), changed state to down",
    r"(?:ab|cd)*$",
]


@pytest.mark.parametrize("pattern", EXPONENTIAL)
def test_backtracking_shapes_are_refused(pattern: str) -> None:
    with pytest.raises(UnsafeRegex, match="exponential time"):
        check_regex(pattern)


@pytest.mark.parametrize("pattern", ORDINARY)
def test_ordinary_patterns_pass(pattern: str) -> None:
    assert check_regex(pattern) == pattern


def test_every_entry_point_refuses_them(operator: TestClient) -> None:
    bad = "(a+)+$"
    job = operator.post(
        "/device/exec",
        json={
            "connection_args": {"host": "127.0.0.1", "username": "u", "password": "p"},
            "command": "show clock",
            "driver_args": {"error_pattern": bad},
        },
    )
    assert job.status_code == 422 and job.json()["field"] == "driver_args.error_pattern", job.text
    rule = operator.post(
        "/api/v1/event-rules",
        json={"name": "down", "automation": "Flow", "match": {"regex": bad}},
    )
    assert rule.status_code == 422 and "exponential" in rule.text, rule.text
    search = operator.get("/api/v1/configs/search", params={"q": bad, "regex": True})
    assert search.status_code == 422 and search.json()["field"] == "q", search.text
    service = operator.post(
        "/api/v1/services",
        json={
            "name": "check",
            "type": "netmiko_commands",
            "inputs": {"commands": ["show clock"]},
            "options": {"validation": [{"kind": "regex", "match": bad}]},
        },
    )
    assert service.status_code == 422 and "exponential" in service.text, service.text


def test_a_pattern_rendered_from_run_variables_is_checked_again() -> None:
    """A trigger's payload fills ``{{ vars.x }}``: the rendered pattern is checked too."""
    check = Check(kind="regex", match="^{{ vars.x }}$", path="text")
    passed, why = evaluate(check, {"text": "a" * 16 + "!"}, render=lambda _: "(a+)+$")
    assert not passed and "refused" in why and "exponential" in why
