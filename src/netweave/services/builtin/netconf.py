"""NETCONF: get, get-config, edit-config (candidate or running, with lock and commit),
commit, discard-changes or any RPC, over the device's pooled NETCONF session (the
``netconf`` driver: ncclient over SSH, credentials and scope as for every driver).

XML inputs are Jinja2 templates, parsed after rendering without entities, DTDs or network
access. The result carries the reply as pretty XML and as a dict (``data``) for validation
and data processing; an ``<rpc-error>`` fails the step with the device's ``error-message``."""

from __future__ import annotations

from typing import Any, Literal

from lxml import etree
from pydantic import Field, ValidationInfo, field_validator

from netweave.drivers.netconf_driver import (
    CANDIDATE,
    NetconfReply,
    NetconfSession,
    config_element,
    safe_xml,
)
from netweave.services.base import (
    Service,
    ServiceContext,
    ServiceInputs,
    ServiceOutcome,
    Template,
)
from netweave.services.builtin.confdiff import unified

Operation = Literal[
    "get", "get_config", "edit_config", "edit_and_commit", "commit", "discard_changes", "rpc"
]
EDITS = ("edit_config", "edit_and_commit")
KEY_LEAVES = ("name", "ip")  # an element holding one is a list entry: always a list in `data`
MAX_REPLY_CHARS = 1_000_000


class NetconfInputs(ServiceInputs):
    operation: Operation = Field(
        default="get_config",
        description="get (configuration and state), get_config, edit_config, edit_and_commit "
        "(edit the candidate, then commit), commit, discard_changes, or rpc (any RPC)",
    )
    source: Literal["running", "candidate"] = Field(
        default="running", description="get_config: the datastore read"
    )
    target: Literal["auto", "candidate", "running"] = Field(
        default="auto",
        description="Edits: the datastore changed; auto: the candidate when the device has "
        "one, else running",
    )
    filter: Template = Field(
        default="",
        max_length=100_000,
        description="get/get_config: a subtree filter (XML, Jinja2); several top-level "
        "elements go inside <filter>...</filter>; empty: everything",
        json_schema_extra={"format": "textarea"},
    )
    config: Template = Field(
        default="",
        validate_default=True,
        max_length=1_000_000,
        description="Edits: the configuration XML, with or without <config> (Jinja2); "
        "nc:operation attributes (merge, replace, create, delete, remove) apply",
        json_schema_extra={"format": "textarea"},
    )
    rpc: Template = Field(
        default="",
        validate_default=True,
        max_length=100_000,
        description="operation rpc: the RPC's XML, e.g. <get-software-information/> (Jinja2)",
        json_schema_extra={"format": "textarea"},
    )
    default_operation: Literal["merge", "replace", "none"] = Field(
        default="merge", description="Edits: how <config> meets the datastore"
    )
    lock: bool = Field(
        default=True,
        description="Edits: lock the target datastore around the edit (and commit)",
    )
    dry_run: bool = Field(
        default=False,
        description="Edits and commit: show the candidate's diff against running, then "
        "discard it; other operations: show the RPC without sending it",
    )
    port: int | Literal["device"] = Field(
        default=830,
        description="NETCONF's port: 830 (IANA's), another, or 'device': the device's own "
        "SSH port (the credential's scope is checked for it)",
    )
    timeout: float = Field(default=30, gt=0, le=3600, description="Seconds per RPC")

    @field_validator("filter", "config", "rpc")
    @classmethod
    def _well_formed(cls, value: str) -> str:
        if value.strip() and "{" not in value:  # a template is checked once rendered
            safe_xml(value)  # ValueError: a 422 naming the input
        return value

    @field_validator("config", "rpc")
    @classmethod
    def _needed(cls, value: str, info: ValidationInfo) -> str:
        operation = info.data.get("operation")
        needs = EDITS if info.field_name == "config" else ("rpc",)
        if operation in needs and not value.strip():
            raise ValueError(f"needed for operation {operation}")
        return value

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> Any:
        if value == "device":
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            raise ValueError("a port number (1-65535), or 'device': the device's own port")
        return value


def xml_to_dict(element: Any) -> Any:
    """An element as JSON, xmltodict-like: local names as keys (namespaces dropped), text
    leaves as strings (``None`` when empty), attributes as ``@name``, text beside children
    or attributes as ``#text``; repeated elements and list entries (elements holding a
    ``name`` or ``ip`` key leaf) as lists."""
    subs = [c for c in element if isinstance(c.tag, str)]
    attributes = {f"@{etree.QName(k).localname}": v for k, v in element.attrib.items()}
    value = (element.text or "").strip() or None
    if not subs:
        if attributes:
            return {**attributes, "#text": value} if value is not None else attributes
        return value
    out: dict[str, Any] = dict(attributes)
    for sub in subs:
        name = etree.QName(sub).localname
        converted = xml_to_dict(sub)
        keyed = any(etree.QName(c).localname in KEY_LEAVES for c in sub if isinstance(c.tag, str))
        if name in out:
            if not isinstance(out[name], list):
                out[name] = [out[name]]
            out[name].append(converted)
        else:
            out[name] = [converted] if keyed else converted
    return out


def _pretty(xml: str) -> tuple[str, Any]:
    try:
        root = safe_xml(xml)
    except ValueError:
        return xml[:MAX_REPLY_CHARS], None
    text = etree.tostring(root, pretty_print=True, encoding="unicode")
    return str(text)[:MAX_REPLY_CHARS], root


def _data_text(xml: str) -> str:
    """The pretty ``<data>`` of a get-config reply (not the reply around it, whose
    message-id differs every time)."""
    root = _pretty(xml)[1]
    found = None if root is None else next((c for c in root if _local(c) == "data"), None)
    if found is None:
        return ""
    return str(etree.tostring(found, pretty_print=True, encoding="unicode"))


def _local(element: Any) -> str:
    return str(etree.QName(element).localname) if isinstance(element.tag, str) else ""


class _Exchange:
    """The RPCs of one step on one session, recorded for the result."""

    def __init__(self, session: NetconfSession, timeout: float) -> None:
        self.session = session
        self.timeout = timeout
        self.rpcs: list[dict[str, Any]] = []

    def call(self, operation: str, **arguments: Any) -> NetconfReply:
        reply = self.session.call(operation, self.timeout, **arguments)
        record: dict[str, Any] = {
            "rpc": operation,
            "ok": reply.ok,
            "duration_seconds": round(reply.duration_seconds, 4),
        }
        if reply.errors:
            record["errors"] = reply.errors
        self.rpcs.append(record)
        return reply


class Netconf(Service[NetconfInputs]):
    title = "NETCONF"
    description = (
        "get, get-config, edit-config (with lock, commit, dry run), commit, discard or any "
        "RPC over a persistent NETCONF session; the reply as XML and as data."
    )
    Inputs = NetconfInputs
    driver = "netconf"
    preview_inputs = {"dry_run": True}

    def run(self, ctx: ServiceContext, inputs: NetconfInputs) -> ServiceOutcome:
        if ctx.device is None:
            return ServiceOutcome(False, {"error": "NETCONF runs on devices"})
        port = ctx.device.port if inputs.port == "device" else inputs.port
        base: dict[str, Any] = {"operation": inputs.operation, "port": port}
        try:
            parsed = self._parsed(ctx, inputs)
        except ValueError as exc:
            return ServiceOutcome(False, {**base, "error": str(exc)})
        if inputs.dry_run and inputs.operation not in (*EDITS, "commit"):
            rendered = etree.tostring(parsed, pretty_print=True, encoding="unicode")
            return ServiceOutcome(True, {**base, "rendered": str(rendered).splitlines()})
        read_only = inputs.operation in ("get", "get_config")
        result: dict[str, Any] = ctx.session_call(
            lambda session: self._exchange(_Exchange(session, inputs.timeout), inputs, parsed),
            driver="netconf",
            read_only=read_only,
            port=port,
        )
        success = bool(result.pop("ok"))
        rpcs = ", ".join(f"{r['rpc']} {'ok' if r['ok'] else 'failed'}" for r in result["rpcs"])
        ctx.log(f"netconf (port {port}): {rpcs}")
        return ServiceOutcome(success, {**base, **result})

    @staticmethod
    def _parsed(ctx: ServiceContext, inputs: NetconfInputs) -> Any:
        """The rendered XML input of the operation, parsed (for the operations that take
        none, an element naming it: what a dry run shows)."""
        if inputs.operation in EDITS:
            return config_element(_parse(ctx, inputs.config, "config"))
        if inputs.operation == "rpc":
            return _parse(ctx, inputs.rpc, "rpc")
        if inputs.operation in ("get", "get_config") and inputs.filter.strip():
            return _parse(ctx, inputs.filter, "filter")
        return etree.Element(inputs.operation.replace("_", "-"))

    def _exchange(self, ex: _Exchange, inputs: NetconfInputs, parsed: Any) -> dict[str, Any]:
        operation = inputs.operation
        if operation in EDITS:
            outcome = self._edit(ex, inputs, parsed)
        elif operation == "commit" and inputs.dry_run:
            outcome = self._diff(ex, {})
        elif operation in ("commit", "discard_changes"):
            outcome = self._reply(ex.call(operation))
        elif operation == "rpc":
            outcome = self._reply(ex.call("dispatch", rpc_command=parsed), data="reply")
        else:
            arguments: dict[str, Any] = {}
            if inputs.filter.strip():
                local = etree.QName(parsed).localname
                arguments["filter"] = list(parsed) if local == "filter" else [parsed]
            if operation == "get_config":
                arguments["source"] = inputs.source
                outcome = {"datastore": inputs.source}
            else:
                outcome = {}
            outcome |= self._reply(ex.call(operation, **arguments), data="data")
        return {**outcome, "rpcs": ex.rpcs}

    def _edit(self, ex: _Exchange, inputs: NetconfInputs, config: Any) -> dict[str, Any]:
        has_candidate = ex.session.supports(CANDIDATE)
        target = inputs.target
        if target == "auto":
            target = "candidate" if has_candidate else "running"
        state: dict[str, Any] = {"datastore": target}
        if target == "candidate" and not has_candidate:
            return {**state, "ok": False, "error": "target: the device has no candidate datastore"}
        commit = inputs.operation == "edit_and_commit" and target == "candidate"
        if inputs.dry_run and target != "candidate":
            rendered = etree.tostring(config, pretty_print=True, encoding="unicode")
            return {**state, "ok": True, "rendered": str(rendered).splitlines()}
        if inputs.lock:
            locked = ex.call("lock", target=target)
            if not locked.ok:
                return {**state, **self._reply(locked)}
        reply = ex.call(
            "edit_config",
            target=target,
            config=config,
            default_operation=inputs.default_operation,
        )
        outcome = {**state, **self._reply(reply)}
        if reply.ok and inputs.dry_run:
            outcome = {**state, **self._diff(ex, outcome)}
        elif reply.ok and commit:
            committed = ex.call("commit")
            outcome = {**state, **self._reply(committed), "committed": committed.ok}
        if target == "candidate" and (inputs.dry_run or (not outcome["ok"] and inputs.lock)):
            ex.call("discard_changes")  # a dry run, or a failed edit of a locked candidate
        if inputs.lock:
            ex.call("unlock", target=target)
        return outcome

    def _diff(self, ex: _Exchange, outcome: dict[str, Any]) -> dict[str, Any]:
        """Running against the candidate, as pretty XML: what a commit would change."""
        running = ex.call("get_config", source="running")
        candidate = ex.call("get_config", source="candidate")
        if not (running.ok and candidate.ok):
            return self._reply(candidate if running.ok else running)
        old, new = _data_text(running.xml), _data_text(candidate.xml)
        return {**outcome, "ok": True, "diff": unified(old, new, "running", "candidate")}

    @staticmethod
    def _reply(reply: NetconfReply, data: str | None = None) -> dict[str, Any]:
        pretty, root = _pretty(reply.xml)
        outcome: dict[str, Any] = {"ok": reply.ok, "reply": pretty}
        if not reply.ok:
            outcome["error"] = reply.error or "the device answered with an rpc-error"
            outcome["errors"] = reply.errors
        elif data is not None and root is not None:
            if data == "data":
                found = next((c for c in root if _local(c) == "data"), None)
                outcome["data"] = xml_to_dict(found) if found is not None else None
            else:
                outcome["data"] = xml_to_dict(root)
        return outcome


def _parse(ctx: ServiceContext, template: str, name: str) -> Any:
    try:
        return safe_xml(ctx.render(template))
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
