"""eNMS services and workflows as NetWeave services and workflows: planned first (every
check made without writing, so a dry run reports what the import does), then written.

- A service keeps eNMS's ``name`` (``[Workflow] step`` for a workflow's own services;
  ``/`` becomes ``-``); its type and inputs are ``services.py``'s translation, validated
  by the service type's own inputs model. An untranslatable service is skipped with the
  reason, and so is every workflow using it (and every task running one).
- A workflow's steps are its ``services`` (eNMS's Start and End are NetWeave's ``start``
  and ``end``), its edges those of ``workflow_edge.yaml`` naming it: success and failure
  edges as they are, prerequisite edges too (the target waits for all its parents). A
  step's position is the service's ``positions[workflow]`` or the workflow's
  ``positions[service]``. The graph is checked as when a workflow is saved.
- An existing service or workflow of the same name is updated when it differs (its kind
  and type must match), unchanged otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.core.automation import definitions, secret_inputs
from netweave.core.automation.catalog import ServiceCatalog
from netweave.core.automation.schemas import (
    GraphIn,
    ServiceCreate,
    ServiceOptions,
    ServiceUpdate,
    WorkflowCreate,
    WorkflowUpdate,
)
from netweave.core.migration.enms.report import KindReport
from netweave.core.migration.enms.services import (
    Untranslatable,
    common_options,
    draft_service,
    not_carried,
)
from netweave.db.models import Automation
from netweave.engine import Graph, Node
from netweave.engine.graph import END, START
from netweave.foundation.errors import NetWeaveError

ENDPOINTS = {"start": START, "end": END}
SPECIAL = {"placeholder"}


def automation_name(name: str) -> str:
    return name.replace("/", "-").strip() or "enms"


def scoped(record: dict[str, Any]) -> str:
    name = str(record.get("scoped_name") or record.get("name") or "")
    return re.sub(r"^\[[^\]]*\]\s*", "", name)


def endpoint(record: dict[str, Any] | None, name: str) -> str | None:
    """NetWeave's ``start``/``end`` for eNMS's Start and End services."""
    short = scoped(record) if record else re.sub(r"^\[[^\]]*\]\s*", "", name)
    return ENDPOINTS.get(short.strip().lower())


@dataclass
class Planned:
    name: str
    kind: str  # service | workflow
    create: ServiceCreate | WorkflowCreate
    existing: Automation | None


@dataclass
class AutomationPlan:
    items: list[Planned] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # eNMS name → NetWeave name
    kinds: dict[str, str] = field(default_factory=dict)  # NetWeave name → service | workflow


def _targets(
    record: dict[str, Any], devices: set[str], pools: dict[str, str], left_out: list[str]
) -> dict[str, list[str]]:
    given = [str(d) for d in record.get("devices") or []]
    known = [d for d in given if d in devices]
    if len(known) < len(given):
        left_out.append(f"{len(given) - len(known)} target device(s) not imported")
    mapped = [pools[str(p)] for p in record.get("pools") or [] if str(p) in pools]
    if len(mapped) < len(record.get("pools") or []):
        left_out.append("target pool(s) not imported")
    return {"devices": sorted(set(known)), "pools": sorted(set(mapped))}


def plan_automations(
    session: Session,
    catalog: ServiceCatalog,
    services: list[tuple[int, dict[str, Any]]],
    edges: list[tuple[int, dict[str, Any]]],
    devices: set[str],
    pools: dict[str, str],
    reports: dict[str, KindReport],
    notes: list[str],
) -> AutomationPlan:
    plan = AutomationPlan()
    by_name = {str(r.get("name") or ""): r for _, r in services}
    workflows = [r for _, r in services if r.get("type") == "workflow"]
    for number, record in services:
        name = str(record.get("name") or "")
        if not name:
            reports["services"].skip(f"#{number}", "no name")
        elif record.get("type") != "workflow" and endpoint(record, name) is None:
            if scoped(record).strip().lower() in SPECIAL:
                continue
            _plan_service(session, catalog, plan, record, devices, pools, reports, notes)
    for record in _ordered(workflows, by_name):
        _plan_workflow(session, plan, record, by_name, edges, devices, pools, reports, notes)
    return plan


def _plan_service(
    session: Session,
    catalog: ServiceCatalog,
    plan: AutomationPlan,
    record: dict[str, Any],
    devices: set[str],
    pools: dict[str, str],
    reports: dict[str, KindReport],
    notes: list[str],
) -> None:
    source = str(record["name"])
    name = automation_name(source)
    report = reports["services"]
    left_out: list[str] = []
    try:
        draft = draft_service(record, _targets(record, devices, pools, left_out), left_out)
        catalog.get(session, draft.type, usable=True)
        catalog.validate_inputs(session, draft.type, draft.inputs)
        create = ServiceCreate(
            name=name,
            type=draft.type,
            description=str(record.get("description") or ""),
            inputs=draft.inputs,
            options=ServiceOptions.model_validate(draft.options),
        )
    except Untranslatable as exc:
        report.skip(source, str(exc))
        return
    except NetWeaveError as exc:
        report.skip(source, f"{exc.field}: {exc.message}" if exc.field else exc.message)
        return
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        report.skip(source, f"{where}: {problem['msg']}")
        return
    clash, existing = _existing(session, name, "service", create.type, report, source)
    if clash:
        return
    if left_out:
        notes.append(f"service {name!r}: left out {'; '.join(left_out)}")
    _count(plan, report, name, source, "service", create, existing, catalog)


def _existing(
    session: Session, name: str, kind: str, type_name: str, report: KindReport, source: str
) -> tuple[bool, Automation | None]:
    """(another kind or type holds the name: skipped, the existing row)."""
    row = session.scalar(select(Automation).where(Automation.name == name))
    if row is not None and (row.kind != kind or row.type != type_name):
        report.skip(source, f"a NetWeave {row.kind} {name!r} of type {row.type} exists")
        return True, None
    return False, row


def _count(
    plan: AutomationPlan,
    report: KindReport,
    name: str,
    source: str,
    kind: str,
    create: ServiceCreate | WorkflowCreate,
    existing: Automation | None,
    catalog: ServiceCatalog | None,
) -> None:
    plan.names[source] = name
    plan.kinds[name] = kind
    if existing is None:
        report.create(name)
    elif _same(existing, create, catalog):
        report.unchanged += 1
        return
    else:
        report.change(name)
    plan.items.append(Planned(name, kind, create, existing))


def _same(
    row: Automation, create: ServiceCreate | WorkflowCreate, catalog: ServiceCatalog | None
) -> bool:
    options = create.options.model_dump(mode="json", exclude_defaults=True)
    if row.description != create.description or (row.options or {}) != options:
        return False
    if isinstance(create, ServiceCreate):
        assert catalog is not None and catalog.box is not None
        return secret_inputs.unseal(row.inputs or {}, catalog.box) == create.inputs
    return (row.graph or {}) == definitions.graph_data(create.graph)


def _ordered(
    workflows: list[dict[str, Any]], by_name: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Sub-workflows before the workflows that use them (cycles: left for the check)."""
    ordered: list[dict[str, Any]] = []
    state: dict[str, int] = {}

    def visit(record: dict[str, Any]) -> None:
        name = str(record.get("name") or "")
        if state.get(name):
            return
        state[name] = 1
        for member in record.get("services") or []:
            inner = by_name.get(str(member))
            if inner is not None and inner.get("type") == "workflow":
                visit(inner)
        state[name] = 2
        ordered.append(record)

    for record in workflows:
        visit(record)
    return ordered


def _position(value: Any) -> dict[str, float] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        try:
            return {"x": float(value[0]), "y": float(value[1])}
        except (TypeError, ValueError):
            return None
    return None


def _plan_workflow(
    session: Session,
    plan: AutomationPlan,
    record: dict[str, Any],
    by_name: dict[str, dict[str, Any]],
    edges: list[tuple[int, dict[str, Any]]],
    devices: set[str],
    pools: dict[str, str],
    reports: dict[str, KindReport],
    notes: list[str],
) -> None:
    source = str(record.get("name") or "")
    name = automation_name(source)
    report = reports["workflows"]
    positions_here = record.get("positions")
    own_positions: dict[str, Any] = positions_here if isinstance(positions_here, dict) else {}
    nodes: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    layout: dict[str, dict[str, float]] = {}
    for member in [str(m) for m in record.get("services") or []]:
        inner = by_name.get(member)
        positions = inner.get("positions") if inner else None
        if not isinstance(positions, dict):
            positions = {}
        where = _position(positions.get(source)) or _position(own_positions.get(member))
        special = endpoint(inner, member)
        if special is not None:
            if where:
                layout[special] = where
            continue
        if inner is not None and scoped(inner).strip().lower() in SPECIAL:
            continue
        ref = plan.names.get(member)
        if ref is None and inner is None:  # not in the folder: NetWeave's own
            ref = session.scalar(select(Automation.name).where(Automation.name == member))
        if ref is None:
            why = "was skipped" if inner is not None else "is not in the folder nor in NetWeave"
            report.skip(source, f"its step {member!r} {why}")
            return
        step = re.sub(r"[^A-Za-z0-9_.-]+", "_", scoped(inner) if inner else member).strip("_")
        step = (step or "step")[:60]
        while step in ids.values() or step in (START, END):
            step = f"{step[:57]}_{len(ids) + 1}"
        ids[member] = step
        node: dict[str, Any] = {
            "id": step,
            "ref": ref,
            "kind": "workflow"
            if inner is not None and inner.get("type") == "workflow"
            else "service",
            "label": scoped(inner) if inner else member,
        }
        if where:
            node.update(where)
        nodes.append(node)
    graph_edges = []
    for _, edge in edges:
        if str(edge.get("workflow") or "") != source:
            continue
        ends = []
        for side in ("source", "destination"):
            member = str(edge.get(side) or "")
            ends.append(ids.get(member) or endpoint(by_name.get(member), member))
        kind = str(edge.get("subtype") or "success")
        if ends[0] is None or ends[1] is None or kind not in ("success", "failure", "prerequisite"):
            report.skip(
                source,
                f"edge {edge.get('name') or ''!s} {edge.get('source')} → "
                f"{edge.get('destination')} ({kind}) joins no step of the workflow",
            )
            return
        graph_edges.append({"source": ends[0], "target": ends[1], "kind": kind})
    left_out: list[str] = []
    try:
        options = common_options(
            record, "workflow", _targets(record, devices, pools, left_out), left_out
        )
        left_out.extend(not_carried(record, "workflow"))
        graph = GraphIn.model_validate({"nodes": nodes, "edges": graph_edges, "layout": layout})
        create = WorkflowCreate(
            name=name,
            description=str(record.get("description") or ""),
            graph=graph,
            options=ServiceOptions.model_validate(options),
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ".".join(str(p) for p in error["loc"])
        report.skip(source, f"{location}: {error['msg']}")
        return
    problem = _graph_problem(session, plan, create)
    if problem:
        report.skip(source, problem)
        return
    clash, existing = _existing(session, name, "workflow", "workflow", report, source)
    if clash:
        return
    if left_out:
        notes.append(f"workflow {name!r}: left out {'; '.join(left_out)}")
    _count(plan, report, name, source, "workflow", create, existing, None)


def _graph_problem(session: Session, plan: AutomationPlan, create: WorkflowCreate) -> str | None:
    """The check made when a workflow is saved, against NetWeave and this import's plan."""
    parsed = Graph.from_dict(create.graph.model_dump(mode="json"))
    if len(parsed.nodes) != len(create.graph.nodes):
        return "step ids must be unique"
    planned = plan.kinds

    def exists(node: Node) -> str | None:
        kind = planned.get(node.ref) or session.scalar(
            select(Automation.kind).where(Automation.name == node.ref)
        )
        if node.ref == create.name and node.kind == "workflow":
            return "a workflow cannot contain itself"
        if kind is None:
            return f"no {node.kind} named {node.ref!r}"
        if kind != node.kind:
            return f"{node.ref!r} is a {kind}, not a {node.kind}"
        return None

    problems = parsed.problems(exists)
    return f"graph.{problems[0].where}: {problems[0].message}" if problems else None


def apply_automations(
    session: Session, catalog: ServiceCatalog, plan: AutomationPlan, creator: str
) -> None:
    """Services first, then workflows (sub-workflows first): the plan's order."""
    for item in sorted(plan.items, key=lambda i: i.kind != "service"):
        create = item.create
        if isinstance(create, ServiceCreate):
            if item.existing is None:
                definitions.create_service(session, catalog, create, creator, admin=True)
            else:
                update = ServiceUpdate(
                    description=create.description, inputs=create.inputs, options=create.options
                )
                definitions.update_service(
                    session, catalog, item.existing.id, update, None, admin=True
                )
        elif item.existing is None:
            definitions.create_workflow(session, create, creator)
        else:
            change = WorkflowUpdate(
                description=create.description, graph=create.graph, options=create.options
            )
            definitions.update_workflow(session, item.existing.id, change, None)
