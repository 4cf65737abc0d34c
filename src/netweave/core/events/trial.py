"""Try a rule's criteria on a message before saving it: the verdict the syslog server would
reach (same compiled rule, same device mapping), each criterion explained, and the run
variables a firing would pass."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from netweave.core.events.messages import FACILITIES, SEVERITIES, SyslogMessage
from netweave.core.events.rules import CompiledRule, compile_rule, pool_members
from netweave.core.events.schemas import RuleTrial, RuleTrialRead, TrialCheck
from netweave.core.events.syslog import DeviceIndex


def severity_name(level: int) -> str:
    return f"{SEVERITIES[level]} ({level})"


def facility_name(code: int) -> str:
    return f"{FACILITIES[code]} ({code})"


def try_rule(session: Session, data: RuleTrial) -> RuleTrialRead:
    match = data.match.model_dump(mode="json", exclude_defaults=True)
    rule = compile_rule(match, pool_members(session, data.match.pool))
    given = data.message
    message = SyslogMessage(
        facility=given.facility,
        severity=given.severity,
        message=given.message,
        hostname=given.device,
        program=given.program,
        source=given.device,
    )
    index = DeviceIndex.load(session)
    found = index.find(message)
    device = found[1] if found else ""
    groups = rule.matches(message, device)
    checks = explain(rule, data, message, device)
    target = device
    if groups and groups.get("device"):
        named = index.named(str(groups["device"]))
        target = named[1] if named else ""
    variables: dict[str, Any] = {}
    if groups is not None:
        variables = {
            **groups,
            "message": message.message,
            "severity": message.severity,
            "facility": message.facility,
            "program": message.program,
            "device": target,
        }
    return RuleTrialRead(
        matched=groups is not None,
        device=device,
        target=target,
        groups=groups or {},
        variables=variables,
        checks=checks,
    )


def explain(
    rule: CompiledRule, data: RuleTrial, message: SyslogMessage, device: str
) -> list[TrialCheck]:
    """Every criterion the rule has, held or not (``matches`` stops at the first miss)."""
    match = data.match
    checks: list[TrialCheck] = []
    if rule.max_severity is not None:
        ok = message.severity <= rule.max_severity
        relation = "at or above" if ok else "below"
        checks.append(
            TrialCheck(
                criterion="severity",
                ok=ok,
                detail=f"{severity_name(message.severity)} is {relation} "
                f"{severity_name(rule.max_severity)}",
            )
        )
    if rule.facilities:
        ok = message.facility in rule.facilities
        wanted = ", ".join(facility_name(f) for f in sorted(rule.facilities))
        checks.append(
            TrialCheck(
                criterion="facilities",
                ok=ok,
                detail=f"{facility_name(message.facility)} {'is' if ok else 'is not'} "
                f"one of {wanted}",
            )
        )
    if rule.program is not None:
        ok = bool(rule.program.match(message.program))
        verb = "matches" if ok else "does not match"
        checks.append(
            TrialCheck(
                criterion="program",
                ok=ok,
                detail=f"{message.program or '(no program)'} {verb} {match.program}",
            )
        )
    groups: dict[str, Any] = {}
    if rule.regex is not None:
        found = rule.regex.search(message.message)
        if found is not None:
            groups = {k: v for k, v in found.groupdict().items() if v is not None}
            detail = f"found {found.group(0)!r}"
        else:
            detail = "not found in the message"
        checks.append(TrialCheck(criterion="regex", ok=found is not None, detail=detail))
    subject = str(groups.get("device") or device)
    shown = subject or "(no inventory device)"
    if rule.devices:
        ok = any(p.match(subject) for p in rule.devices)
        checks.append(
            TrialCheck(
                criterion="devices",
                ok=ok,
                detail=f"{shown} {'matches' if ok else 'matches none of'} "
                f"{', '.join(match.devices)}",
            )
        )
    if rule.pool_members is not None:
        ok = subject in rule.pool_members
        checks.append(
            TrialCheck(
                criterion="pool",
                ok=ok,
                detail=f"{shown} {'is' if ok else 'is not'} in pool {match.pool}",
            )
        )
    return checks
