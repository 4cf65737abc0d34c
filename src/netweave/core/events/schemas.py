"""Create/Update/Read schemas of triggers, syslog messages and event rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from netweave.core.automation.schemas import AutomationName, TargetSpec
from netweave.foundation.regex_safety import check_regex

PayloadPath = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[\w.\-]+$")]


def _regex(value: str | None) -> str | None:
    return None if value is None else check_regex(value)  # operators write rules


Regex = Annotated[str | None, AfterValidator(_regex)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TriggerCreate(Strict):
    name: AutomationName
    description: str = ""
    automation: AutomationName = Field(description="Service or workflow it starts")
    variables: dict[str, PayloadPath] = Field(
        default_factory=dict, description="Run variable → dotted path in the payload"
    )
    inputs: dict[str, PayloadPath] = Field(
        default_factory=dict, description="Service input → dotted path in the payload"
    )
    device_path: PayloadPath | None = Field(
        default=None, description="Payload path of the target device's name or address"
    )
    targets: TargetSpec | None = Field(default=None, description="When no device is given")
    enabled: bool = True


class TriggerUpdate(Strict):
    description: str | None = None
    variables: dict[str, PayloadPath] | None = None
    inputs: dict[str, PayloadPath] | None = None
    device_path: PayloadPath | None = None
    targets: TargetSpec | None = None
    enabled: bool | None = None


class TriggerRead(BaseModel):
    id: int
    name: str
    description: str
    automation: str
    variables: dict[str, str]
    inputs: dict[str, str]
    device_path: str | None
    targets: dict[str, Any] | None
    enabled: bool
    fired: int
    last_fired_at: datetime | None


class RuleMatch(Strict):
    """Every given criterion must hold (an empty match matches every message)."""

    devices: list[str] = Field(default_factory=list, description="Device names (globs allowed)")
    pool: str | None = Field(default=None, description="Only devices of this pool")
    facilities: list[Annotated[int, Field(ge=0, le=23)]] = Field(default_factory=list)
    max_severity: int | None = Field(
        default=None, ge=0, le=7, description="0 emergency … 7 debug: this level or worse"
    )
    program: str | None = Field(default=None, description="Program/tag (glob)")
    regex: Regex = Field(
        default=None,
        description="Searched in the message; named groups become run variables "
        "(a group named 'device' picks the target device)",
    )


class RuleCreate(Strict):
    name: AutomationName
    description: str = ""
    enabled: bool = True
    automation: AutomationName
    match: RuleMatch = Field(default_factory=RuleMatch)
    dedup_window: int = Field(
        default=60, ge=0, le=86_400, description="Seconds a same device+groups firing is held"
    )
    rate_limit: int = Field(default=10, ge=1, le=10_000, description="Firings per minute")


class RuleUpdate(Strict):
    description: str | None = None
    enabled: bool | None = None
    automation: AutomationName | None = None
    match: RuleMatch | None = None
    dedup_window: int | None = Field(default=None, ge=0, le=86_400)
    rate_limit: int | None = Field(default=None, ge=1, le=10_000)


class RuleRead(BaseModel):
    id: int
    name: str
    description: str
    enabled: bool
    automation: str
    match: dict[str, Any]
    dedup_window: int
    rate_limit: int
    fired: int
    last_fired_at: datetime | None


class RuleFiringRead(BaseModel):
    id: int
    rule: str
    at: datetime
    status: str
    device: str
    groups: dict[str, Any]
    message: str
    message_id: int | None
    run_id: str | None
    error: str | None


class SyslogRead(BaseModel):
    id: int
    received_at: datetime
    source: str
    device: str
    facility: int
    severity: int
    hostname: str
    program: str
    message: str
    extra: dict[str, Any]


class MessageMatch(BaseModel):
    """A rule that matched a stored message, and what it did about it."""

    rule: str
    at: datetime
    status: str = Field(description="fired | deduplicated | rate_limited | error")
    device: str
    groups: dict[str, Any]
    run_id: str | None
    run_status: str | None
    error: str | None


class SyslogDetail(SyslogRead):
    matches: list[MessageMatch]


@dataclass(frozen=True)
class SyslogQuery:
    """The syslog search filters (every one optional)."""

    device: str | None = None
    max_severity: int | None = None
    program: str | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class SeverityCount(BaseModel):
    severity: int
    name: str
    count: int


class TrialMessage(Strict):
    message: str = Field(max_length=8192, description="The message text")
    severity: int = Field(default=6, ge=0, le=7)
    facility: int = Field(default=23, ge=0, le=23)
    program: str = Field(default="", max_length=128)
    device: str = Field(
        default="", max_length=255, description="The sender: a device name, hostname or address"
    )


class RuleTrial(Strict):
    """A rule's criteria (saved or not) and a message to try them on."""

    match: RuleMatch = Field(default_factory=RuleMatch)
    message: TrialMessage


class TrialCheck(BaseModel):
    criterion: str
    ok: bool
    detail: str


class RuleTrialRead(BaseModel):
    matched: bool
    device: str = Field(description="The inventory device the sender maps to ('' if none)")
    target: str = Field(description="The device a run would target ('' for the default)")
    groups: dict[str, Any]
    variables: dict[str, Any] = Field(description="The run variables a firing would pass")
    checks: list[TrialCheck] = Field(description="Every criterion of the rule, in order")


class SyslogStats(BaseModel):
    running: bool = Field(
        default=True,
        description="False: no syslog server runs in this API process (a separate "
        "`netweave syslog`, or none); the counters are then zero",
    )
    received: int
    stored: int
    dropped: int
    kernel_dropped: int = Field(
        default=0,
        description="UDP datagrams the kernel discarded before NetWeave read them (receive "
        "buffer full; Linux /proc/net/udp drops of the socket)",
    )
    oversized: int
    malformed: int = Field(
        default=0,
        description="Messages with broken framing or format (no <PRI>, truncated RFC 5424, a "
        "bad TCP octet count): stored as far as they could be read",
    )
    queue_depth: int
    queue_capacity: int
    rules_fired: int
    tcp_connections: int
    listening: dict[str, int | None]
