"""Pure helpers of the built-in services: config cleaning, remediation, result checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from netweave.services.builtin.confdiff import clean_config, remediation, unified
from netweave.services.builtin.matching import Check, evaluate, pick

RUNNING = """Building configuration...

Current configuration : 300 bytes
!
hostname r1
ntp server 10.0.0.1
logging host 10.8.8.8
interface Gi0/1
 description uplink
 shutdown
interface Vlan100
 description users
end
"""
TARGET = """hostname r1
ntp server 10.0.0.1
interface Gi0/1
 description core link
 shutdown
no ip domain lookup
"""


def test_clean_config_drops_volatile_lines() -> None:
    cleaned = clean_config(RUNNING)
    assert cleaned.startswith("!\nhostname r1")
    assert "Building" not in cleaned and "Current configuration" not in cleaned


def test_remediation_removes_extra_and_adds_missing_per_section() -> None:
    commands = remediation(clean_config(RUNNING), TARGET)
    assert commands == [
        "no logging host 10.8.8.8",
        "no interface Vlan100",
        "interface Gi0/1",
        " no description uplink",
        " description core link",
        "no ip domain lookup",
    ]
    assert remediation(TARGET, TARGET) == []
    assert unified(TARGET, TARGET) == ""


def test_checks_text_regex_dict_and_negation() -> None:
    result = {"text": "Vlan100 is up", "getters": {"get_facts": {"vendor": "Cisco", "os": "15"}}}
    assert evaluate(Check(kind="text", match="is up"), result)[0]
    assert not evaluate(Check(kind="text", match="is up", negate=True), result)[0]
    assert evaluate(Check(kind="regex", match=r"^Vlan\d+"), result)[0]
    found, detail = evaluate(
        Check(kind="dict", match={"get_facts": {"vendor": "Cisco"}}, path="getters"), result
    )
    assert found and "⊆ getters" in detail
    assert not evaluate(
        Check(kind="dict", match={"vendor": "Juniper"}, path="getters.get_facts"), result
    )[0]
    assert pick({"a": [{"b": 1}]}, "a.0.b") == 1 and pick({"a": []}, "a.3") is None
    with pytest.raises(ValidationError, match="regular expression"):
        Check(kind="regex", match="(")
    with pytest.raises(ValidationError, match="must be an object"):
        Check(kind="dict", match="text")
