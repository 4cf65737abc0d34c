"""The per-device controls of a workflow step, decided by the run's controller before a step
is sent: disabled steps and skip conditions (the step is not run; the device follows the
chosen edge, and a result says why), and iteration devices (the step runs on devices an
expression computes, e.g. the neighbors an earlier step found). Expressions are Jinja,
rendered in the sandbox with the device, the run's variables and the device's results."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from netweave.core import templates
from netweave.core.access.scopes import ensure_allowed
from netweave.core.automation.steps import facts
from netweave.db.models import Device, Result
from netweave.engine import Node
from netweave.foundation.errors import NetWeaveError

ALL = "*"
MAX_ITERATION_DEVICES = 10_000


@dataclass(frozen=True)
class Decision:
    """What a step does for one token: run (``targets`` None: the token's own devices),
    or not (``skipped`` says why and ``success`` which edge is taken)."""

    skipped: str | None = None
    success: bool = True
    targets: list[dict[str, Any]] | None = None
    error: str | None = None


class StepControls:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        run_id: str,
        devices: dict[str, dict[str, Any]],
        variables: dict[str, Any],
        acting_user: str | None,
    ) -> None:
        self.sessions = sessions
        self.run_id = run_id
        self.devices = devices
        self.variables = variables
        self.acting_user = acting_user

    def decide(self, node: Node, token: str) -> Decision:
        if node.disabled:
            return Decision(skipped="disabled: passed through", success=True)
        if not node.skip_if and not node.iteration_devices:
            return Decision()
        try:
            context = self._context(token)
            if node.skip_if:
                value = self._evaluate(node.skip_if, context, "skip_if")
                if value:
                    return Decision(
                        skipped=f"skipped: {node.skip_if} is true",
                        success=node.skip_outcome == "success",
                    )
            if node.iteration_devices:
                value = self._evaluate(node.iteration_devices, context, "iteration_devices")
                return Decision(targets=self._targets(value))
        except NetWeaveError as exc:
            return Decision(skipped=exc.to_detail(), success=False, error=exc.to_detail())
        return Decision()

    # -- evaluation -------------------------------------------------------------------------
    def _context(self, token: str) -> dict[str, Any]:
        with self.sessions() as session:
            device = None
            query = select(Result).where(Result.run_id == self.run_id)
            if token != ALL:
                found = session.get(Device, int(token))
                device = facts(found).as_dict() if found else dict(self.devices[token])
                query = query.where((Result.device_id == int(token)) | (Result.device_id.is_(None)))
            rows = list(session.scalars(query.order_by(Result.id)))
        variables = dict(self.variables)
        results: dict[str, Any] = {}
        for row in rows:  # oldest first: the newest result of a step wins
            variables.update(row.variables or {})
            body = {**(row.result or {}), "success": row.success}
            for key in (row.service, row.step.rsplit("/", 1)[-1], row.step):
                results[key] = body
        return {
            "device": device,
            "devices": list(self.devices.values()),
            "vars": variables,
            "results": results,
        }

    def _evaluate(self, expression: str, context: dict[str, Any], field: str) -> Any:
        text = templates.render("{{ (" + expression + ") | tojson }}", context, field)
        try:
            return json.loads(text)
        except ValueError as exc:  # pragma: no cover - tojson always gives JSON
            raise NetWeaveError(f"{field}: not a value: {text[:200]}", field=field) from exc

    def _targets(self, value: Any) -> list[dict[str, Any]]:
        """Device names (or dicts with ``name``/``device``, or ``{"custom_fields": {...}}``:
        the devices holding those values, e.g. a router-id a syslog rule captured matched
        to a ``loopback`` field) → the run's device targets."""
        if value is None or value == "":
            return []
        items = value if isinstance(value, list) else [value]
        names: list[str] = []
        for item in items:
            if isinstance(item, dict) and "custom_fields" in item:
                names.extend(n for n in self._by_custom_fields(item) if n not in names)
                continue
            if isinstance(item, dict):
                item = item.get("device") or item.get("name")
            if item is None:
                continue  # e.g. a neighbor not in the inventory
            if not isinstance(item, str):
                raise NetWeaveError(
                    f"iteration_devices: {item!r} is not a device name", field="iteration_devices"
                )
            if item not in names:
                names.append(item)
        if len(names) > MAX_ITERATION_DEVICES:
            raise NetWeaveError(
                f"iteration_devices: {len(names)} devices (at most {MAX_ITERATION_DEVICES})",
                field="iteration_devices",
            )
        with self.sessions() as session:
            rows = {
                d.name: d for d in session.scalars(select(Device).where(Device.name.in_(names)))
            }
            missing = [n for n in names if n not in rows]
            if missing:
                raise NetWeaveError(
                    "iteration_devices: not in the inventory: " + ", ".join(missing[:20]),
                    field="iteration_devices",
                )
            ensure_allowed(
                session,
                self.acting_user,
                device_ids=[rows[n].id for n in names],
                field="iteration_devices",
            )
        return [
            {
                "id": rows[n].id,
                "name": n,
                "host": rows[n].host,
                "port": rows[n].port,
                "credential_id": rows[n].credential_id,
            }
            for n in names
        ]

    def _by_custom_fields(self, item: dict[str, Any]) -> list[str]:
        """The names of the devices whose custom fields hold every value given (a string,
        number or boolean); none is an error naming the values."""
        wanted = item["custom_fields"]
        if set(item) != {"custom_fields"} or not isinstance(wanted, dict) or not wanted:
            raise NetWeaveError(
                f"iteration_devices: {item!r}: custom_fields takes a mapping of field → value",
                field="iteration_devices",
            )
        conditions: list[ColumnElement[bool]] = []
        for key, expected in wanted.items():
            if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", key):
                raise NetWeaveError(
                    f"iteration_devices: custom field name {key!r} must be an identifier",
                    field="iteration_devices",
                )
            stored = Device.custom_fields[key]
            if isinstance(expected, bool):
                conditions.append(stored.as_boolean() == expected)
            elif isinstance(expected, int | float):
                conditions.append(stored.as_float() == float(expected))
            elif isinstance(expected, str):
                conditions.append(stored.as_string() == expected)
            else:
                raise NetWeaveError(
                    f"iteration_devices: custom field {key!r}: {expected!r} is not a string, "
                    "number or boolean",
                    field="iteration_devices",
                )
        with self.sessions() as session:
            found = list(
                session.scalars(
                    select(Device.name)
                    .where(*conditions)
                    .order_by(Device.name)
                    .limit(MAX_ITERATION_DEVICES + 1)
                )
            )
        if not found:
            raise NetWeaveError(
                f"iteration_devices: no device with custom fields {json.dumps(wanted)}",
                field="iteration_devices",
            )
        return found

    # -- results of steps that did not run ----------------------------------------------------
    def record(self, node: Node, step: dict[str, Any], token: str, decision: Decision) -> None:
        """A result row for a step not run on ``token`` (disabled, skipped, or its controls
        failed): the run page shows why."""
        device = self.devices.get(token) if token != ALL else None
        now = datetime.now(UTC)
        body: dict[str, Any] = {"state": "skipped", "reason": decision.skipped}
        if decision.error:
            body = {"error": decision.error, "state": "failed"}
        with self.sessions() as session, session.begin():
            same_device = Result.device_id == device["id"] if device else Result.device_id.is_(None)
            exists = session.scalar(
                select(Result.id).where(
                    Result.run_id == self.run_id,
                    Result.step == node.id,
                    same_device,
                    Result.job_id.is_(None),
                )
            )
            if exists is not None:
                return  # written before a takeover
            session.add(
                Result(
                    run_id=self.run_id,
                    step=node.id,
                    service=str(step.get("service", node.ref)),
                    device_id=device["id"] if device else None,
                    device_name=device["name"] if device else "all targets",
                    success=decision.success,
                    result=body,
                    logs=str(decision.skipped or ""),
                    attempts=0,
                    job_id=None,
                    started_at=now,
                    ended_at=now,
                )
            )
