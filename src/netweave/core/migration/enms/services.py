"""One eNMS service record as a NetWeave service type, inputs and options (no database).

- netmiko_commands_service, netmiko_validation_service → netmiko_commands: ``commands``
  or ``command`` (one per line); ``use_textfsm`` → parsing textfsm
- scrapli_service → scrapli_commands (``is_configuration``: netmiko_config)
- netmiko_configuration_service → netmiko_config: ``content`` → config
- napalm_getters_service → napalm_getters: ``getters`` (those NetWeave has)
- napalm_configuration_service → napalm_config: ``content`` → config; ``action``
  load_replace_candidate → mode replace; napalm_rollback_service → action rollback
- napalm_backup_service, netmiko_backup_service → config_backup (the platform's command)
- rest_call_service → rest_call: ``call_type`` → method, ``rest_url`` → url, ``payload``,
  ``headers``, ``params``, ``verify_ssl_certificate`` → verify_tls, ``timeout``
- ansible_playbook_service → ansible_playbook: ``playbook_path`` → playbook, ``options``
  → extra_vars
- ping_service → reachability: ``protocol`` ICMP → ping, else tcp on ``ports``; ``count``,
  ``timeout``

Options of every type: ``devices``/``pools`` → targets, ``number_of_retries`` → retries,
``time_between_retries`` → retry_delay, ``max_processes`` → max_parallel,
``iteration_values`` (a Python literal list) → iteration, and ``validation_method`` with
``content_match`` (``content_match_regex``), ``dict_match`` and ``negative_logic`` →
one validation check. ``device_query`` is Python run by eNMS: left out, reported.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args

from netweave.services.builtin.commands import NapalmGetter

SKIP_REASONS = {
    "python_snippet_service": "its code uses eNMS's own objects (self, run, device models); "
    "rewrite it as a python_snippet service (admins only, docs/services/python_snippet.md)",
    "swiss_army_knife_service": "calls functions of eNMS itself",
    "unix_command_service": "runs a shell command on the eNMS server; recreate it as a "
    "unix_command service (admins only: arguments are quoted, not pasted into a shell)",
    "unix_shell_script_service": "runs a shell script on the eNMS server",
    "mail_notification_service": "its body is eNMS's Python format string; recreate it as a "
    "notification service (channel email, Jinja body over the run's results)",
    "slack_notification_service": "it posts with a Slack API token; NetWeave's notification "
    "service posts to an incoming webhook (channel slack)",
    "mattermost_notification_service": "recreate it as a notification service (channel "
    "mattermost, incoming webhook)",
}
# eNMS properties that change what a service does and that the translation does not carry:
# reported as left out whenever they differ from eNMS's default, so an import never drops a
# behaviour without saying so. (property: (what it does, eNMS's default))
NOT_CARRIED: dict[str, dict[str, tuple[str, Any]]] = {
    "*": {
        "credentials": ("credentials other than the device's (user/custom/object)", "device"),
        "custom_username": ("a custom username: set a NetWeave credential", ""),
        "custom_password": ("a custom password: set a NetWeave credential", ""),
        "waiting_time": ("a waiting time after the service", 0),
        "skip_query": ("a skip query (Python run by eNMS)", ""),
        "skip_value": ("a skip value", ""),
        "preprocessing": ("preprocessing code (Python run by eNMS)", ""),
        "postprocessing": ("postprocessing code (Python run by eNMS)", ""),
        "conversion_method": ("a result conversion", "none"),
        "send_notification": ("a notification: set the service's notification option", False),
    },
    "rest_call_service": {
        "username": ("basic-auth username: send an Authorization header instead", ""),
        "password": ("basic-auth password: send an Authorization header instead", ""),
    },
    "netmiko_configuration_service": {
        "commit_configuration": ("a commit after the change", False),
        "config_mode_command": ("a custom configuration-mode command", ""),
    },
    "ansible_playbook_service": {
        "arguments": ("ansible-playbook command-line arguments", ""),
        "pass_device_properties": ("device properties as extra vars", False),
    },
}
GETTERS = set(get_args(NapalmGetter))
TEXT_PATH = {
    "netmiko_commands": "text",
    "scrapli_commands": "text",
    "netmiko_config": "output",
    "napalm_getters": "getters",
}
DICT_PATH = {
    "netmiko_commands": "outputs.0.parsed",
    "scrapli_commands": "outputs.0.parsed",
    "napalm_getters": "getters",
    "rest_call": "json",
}


class Untranslatable(Exception):
    """The service cannot become a NetWeave service; the message says why."""


@dataclass
class ServiceDraft:
    type: str
    inputs: dict[str, Any]
    options: dict[str, Any]
    left_out: list[str] = field(default_factory=list)  # eNMS properties not carried over


def lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [line for line in str(value or "").splitlines() if line.strip()]


def _commands(record: dict[str, Any], draft_type: str) -> tuple[str, dict[str, Any]]:
    commands = lines(record.get("commands")) or lines(record.get("command"))
    if not commands:
        raise Untranslatable("no command")
    inputs: dict[str, Any] = {"commands": commands}
    if record.get("use_textfsm") is True:
        inputs["parsing"] = "textfsm"
    return draft_type, inputs


def _netmiko(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return _commands(record, "netmiko_commands")


def _scrapli(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if record.get("is_configuration") is True:
        return "netmiko_config", {"config": "\n".join(lines(record.get("commands")))}
    return _commands(record, "scrapli_commands")


def _netmiko_config(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "netmiko_config", {"config": str(record.get("content") or "")}


def _getters(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    given = [str(g) for g in record.get("getters") or []]
    unknown = [g for g in given if g not in GETTERS]
    if unknown:
        raise Untranslatable(f"getter(s) {', '.join(unknown)} are not NetWeave's")
    return "napalm_getters", {"getters": given}


def _napalm_config(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    mode = "replace" if "replace" in str(record.get("action") or "") else "merge"
    return "napalm_config", {"config": str(record.get("content") or ""), "mode": mode}


def _napalm_rollback(_: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "napalm_config", {"action": "rollback"}


def _backup(_: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "config_backup", {}


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise Untranslatable(f"{what} is not JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise Untranslatable(f"{what} is not a mapping")
    return value


def _rest(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    inputs: dict[str, Any] = {
        "method": str(record.get("call_type") or "GET").upper(),
        "url": str(record.get("rest_url") or ""),
    }
    payload = record.get("payload")
    if isinstance(payload, str) and payload.strip():
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise Untranslatable(f"payload is not JSON: {exc.msg}") from exc
    if payload not in (None, "", {}):
        inputs["payload"] = payload
    headers = _mapping(record.get("headers"), "headers")
    if headers:
        inputs["headers"] = {str(k): str(v) for k, v in headers.items()}
    params = _mapping(record.get("params"), "params")
    if params:
        inputs["params"] = {str(k): str(v) for k, v in params.items()}
    if record.get("verify_ssl_certificate") is False:
        inputs["verify_tls"] = False
    if isinstance(record.get("timeout"), int | float) and 0 < record["timeout"] <= 300:
        inputs["timeout"] = record["timeout"]
    return "rest_call", inputs


def _ansible(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    inputs: dict[str, Any] = {"playbook": str(record.get("playbook_path") or "")}
    extra = _mapping(record.get("options"), "options")
    if extra:
        inputs["extra_vars"] = extra
    return "ansible_playbook", inputs


def _ping(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if str(record.get("protocol") or "ICMP").upper() == "ICMP":
        inputs: dict[str, Any] = {"kind": "ping"}
    else:
        inputs = {"kind": "tcp"}
        ports = [p for p in str(record.get("ports") or "").replace(",", " ").split() if p]
        if len(ports) > 1:
            raise Untranslatable("several TCP ports: NetWeave probes one port per service")
        if ports:
            try:
                inputs["port"] = int(ports[0])
            except ValueError as exc:
                raise Untranslatable(f"port {ports[0]!r} is not a number") from exc
    if isinstance(record.get("count"), int) and 1 <= record["count"] <= 20:
        inputs["count"] = record["count"]
    if isinstance(record.get("timeout"), int | float) and 0 < record["timeout"] <= 30:
        inputs["timeout"] = record["timeout"]
    return "reachability", inputs


TYPES: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "netmiko_commands_service": _netmiko,
    "netmiko_validation_service": _netmiko,
    "scrapli_service": _scrapli,
    "netmiko_configuration_service": _netmiko_config,
    "napalm_getters_service": _getters,
    "napalm_configuration_service": _napalm_config,
    "napalm_rollback_service": _napalm_rollback,
    "napalm_backup_service": _backup,
    "netmiko_backup_service": _backup,
    "rest_call_service": _rest,
    "ansible_playbook_service": _ansible,
    "ping_service": _ping,
}


def draft_service(
    record: dict[str, Any], targets: dict[str, list[str]], left_out: list[str]
) -> ServiceDraft:
    """``targets``: the record's devices and pools already mapped to NetWeave names."""
    kind = str(record.get("type") or "")
    if kind in SKIP_REASONS:
        raise Untranslatable(f"{kind}: {SKIP_REASONS[kind]}")
    translate = TYPES.get(kind)
    if translate is None:
        raise Untranslatable(f"{kind or 'no type'}: no NetWeave service type does this")
    type_name, inputs = translate(record)
    options = common_options(record, type_name, targets, left_out)
    left_out.extend(not_carried(record, kind))
    return ServiceDraft(type_name, inputs, options, left_out)


def not_carried(record: dict[str, Any], kind: str) -> list[str]:
    """What the record sets that the translation leaves out (see ``NOT_CARRIED``)."""
    found = []
    for scope in ("*", kind):
        for prop, (meaning, default) in NOT_CARRIED.get(scope, {}).items():
            value = record.get(prop)
            if value not in (None, "", default) and not (default in (0, False) and not value):
                found.append(f"{prop} ({meaning})")
    return found


def common_options(
    record: dict[str, Any], type_name: str, targets: dict[str, list[str]], left_out: list[str]
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if targets.get("devices") or targets.get("pools"):
        options["targets"] = {k: v for k, v in targets.items() if v}
    if record.get("device_query"):
        left_out.append("device_query (Python run by eNMS)")
    retries = record.get("number_of_retries")
    if isinstance(retries, int) and retries > 0:
        options["retries"] = min(retries, 10)
        delay = record.get("time_between_retries")
        if isinstance(delay, int | float) and delay > 0:
            options["retry_delay"] = min(float(delay), 3600)
    processes = record.get("max_processes")
    if isinstance(processes, int) and processes > 1 and record.get("multiprocessing") is True:
        options["max_parallel"] = min(processes, 10_000)
    iteration = _iteration(record, left_out)
    if iteration:
        options["iteration"] = iteration
    check = _validation(record, type_name, left_out)
    if check:
        options["validation"] = [check]
    run_method = str(record.get("run_method") or "")
    if type_name == "workflow" and run_method.startswith("per_service"):
        options["mode"] = "per_run"
    return options


def _iteration(record: dict[str, Any], left_out: list[str]) -> dict[str, Any] | None:
    raw = record.get("iteration_values")
    if raw in (None, "", []):
        return None
    values: Any = raw
    if isinstance(raw, str):
        try:
            values = ast.literal_eval(raw)  # literals only: nothing is run
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            left_out.append("iteration_values (not a literal list)")
            return None
    if not isinstance(values, list | tuple) or not values:
        left_out.append("iteration_values (not a list)")
        return None
    variable = str(record.get("iteration_variable_name") or "value")
    return {"values": list(values), "variable": variable}


def _validation(
    record: dict[str, Any], type_name: str, left_out: list[str]
) -> dict[str, Any] | None:
    method = str(record.get("validation_method") or "none")
    negate = record.get("negative_logic") is True
    if method == "text" and record.get("content_match"):
        kind = "regex" if record.get("content_match_regex") is True else "text"
        return {
            "kind": kind,
            "match": str(record["content_match"]),
            "path": TEXT_PATH.get(type_name, ""),
            "negate": negate,
        }
    if method.startswith("dict") and record.get("dict_match"):
        match = record["dict_match"]
        if isinstance(match, str):
            try:
                match = json.loads(match)
            except json.JSONDecodeError:
                match = None
        if not isinstance(match, dict):
            left_out.append("dict_match (not a mapping)")
            return None
        if method == "dict_equal":
            left_out.append("dict_equal is checked as inclusion (the result holds dict_match)")
        return {
            "kind": "dict",
            "match": match,
            "path": DICT_PATH.get(type_name, ""),
            "negate": negate,
        }
    return None
