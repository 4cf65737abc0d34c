"""Services and workflows: create, update, delete (refused while a workflow uses it), and
YAML export/import of a workflow with every service it needs."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netweave.core import bulk, templates
from netweave.core.access import object_rights
from netweave.core.access.scopes import fence
from netweave.core.automation import secret_inputs
from netweave.core.automation.catalog import ServiceCatalog
from netweave.core.automation.schemas import (
    AutomationRead,
    GraphIn,
    NodeIn,
    ServiceCreate,
    ServiceUpdate,
    WorkflowCreate,
    WorkflowUpdate,
)
from netweave.core.automation.targets import ensure_targets_allowed
from netweave.core.text_filter import match_text
from netweave.db.models import Automation
from netweave.engine import Graph, Node
from netweave.foundation import yamldoc
from netweave.foundation.errors import Conflict, InvalidInput, NotFound, PermissionDenied

EXPORT_VERSION = 1
CONTROLS = (
    "disabled",
    "skip_if",
    "skip_outcome",
    "wait_before",
    "wait_after",
    "priority",
    "iteration_devices",
)


def read(row: Automation) -> AutomationRead:
    return AutomationRead(
        id=row.id,
        name=row.name,
        kind=row.kind,
        type=row.type,
        description=row.description,
        inputs=secret_inputs.mask(row.inputs),
        options=row.options,
        graph=row.graph,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def by_name(session: Session, name: str, kind: str | None = None) -> Automation:
    row = session.scalar(select(Automation).where(Automation.name == name))
    if row is None or (kind is not None and row.kind != kind):
        raise NotFound(f"no {kind or 'service or workflow'} named {name!r}", field="name")
    return row


def by_id(session: Session, ident: int, kind: str) -> Automation:
    row = session.get(Automation, ident)
    if row is None or row.kind != kind:
        raise NotFound(f"no {kind} {ident}", field="id")
    return row


def readable(session: Session, ident: int, kind: str, actor: str | None) -> Automation:
    """:func:`by_id` for ``actor``: one it may not read (per-object permissions) is a 404."""
    row = by_id(session, ident, kind)
    object_rights.ensure(session, actor, kind, row, "read", ref=str(ident))
    return row


def list_automations(
    session: Session,
    kind: str,
    *,
    name: str | None,
    limit: int,
    offset: int,
    actor: str | None = None,
) -> tuple[list[Automation], int]:
    """Only what ``actor`` may read (None: everything)."""
    query = select(Automation).where(Automation.kind == kind)
    visible = object_rights.readable_clause(
        session, actor, "workflow" if kind == "workflow" else "service"
    )
    if visible is not None:
        query = query.where(visible)
    if name:
        query = query.where(match_text(Automation.name, name, contains=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Automation.name).limit(limit).offset(offset))
    return list(rows), total


def _unique(session: Session, name: str, current: int | None = None) -> None:
    other = session.scalar(select(Automation.id).where(Automation.name == name))
    if other is not None and other != current:
        raise Conflict(f"a service or workflow named {name!r} exists", field="name")


def ensure_may_change(session: Session, actor: str | None, row: Automation) -> None:
    """A user fenced to pools changes only the services and workflows it created: one an
    unfenced user wrote may be run by that user's tasks, rules and triggers on devices
    outside the fence, so editing its commands would act there by proxy. A restricted one
    needs the edit right (per-object permissions)."""
    object_rights.ensure(session, actor, row.kind, row, "edit")
    pools = fence(session, actor)
    if pools is None or row.created_by == actor:
        return
    where = ", ".join(p.name for p in pools) or "(pools since deleted)"
    raise PermissionDenied(
        f"{actor} is restricted to pool(s) {where} and may change only the services and "
        f"workflows it created; {row.name!r} was created by {row.created_by or 'the system'}",
        field="id",
    )


def create_service(
    session: Session,
    catalog: ServiceCatalog,
    data: ServiceCreate,
    creator: str,
    *,
    admin: bool = False,
) -> Automation:
    """``admin``: the caller is an admin (only admins author privileged types)."""
    _unique(session, data.name)
    catalog.ensure_may_author(session, data.type, admin=admin)
    ensure_targets_allowed(session, creator, data.options.targets, "options.targets")
    catalog.get(session, data.type, usable=True)
    inputs = catalog.prepare_inputs(session, data.type, data.inputs)
    row = Automation(
        name=data.name,
        kind="service",
        type=data.type,
        description=data.description,
        inputs=inputs,
        options=data.options.model_dump(mode="json", exclude_defaults=True),
        created_by=creator,
    )
    session.add(row)
    session.flush()
    return row


def update_service(
    session: Session,
    catalog: ServiceCatalog,
    ident: int,
    data: ServiceUpdate,
    actor: str | None = None,
    *,
    admin: bool = False,
) -> Automation:
    row = by_id(session, ident, "service")
    ensure_may_change(session, actor, row)
    catalog.ensure_may_author(session, row.type, admin=admin)
    if data.options is not None:
        ensure_targets_allowed(session, actor, data.options.targets, "options.targets")
    if data.name is not None and data.name != row.name:
        _unique(session, data.name, row.id)
        _rename_references(session, row.name, data.name)
        row.name = data.name
    if data.description is not None:
        row.description = data.description
    if data.inputs is not None:
        row.inputs = catalog.prepare_inputs(session, row.type, data.inputs, row.inputs)
    if data.options is not None:
        row.options = data.options.model_dump(mode="json", exclude_defaults=True)
    session.flush()
    return row


def check_graph(session: Session, graph: GraphIn, own_name: str | None) -> dict[str, Any]:
    """Validate on save: structure, and that every step's service or workflow exists."""
    data = graph_data(graph)
    parsed = Graph.from_dict(data)
    if len(parsed.nodes) != len(graph.nodes):
        raise InvalidInput("step ids must be unique", field="graph.nodes")
    refs = {node.ref for node in parsed.nodes.values()}
    known = {
        name: kind
        for name, kind in session.execute(
            select(Automation.name, Automation.kind).where(Automation.name.in_(refs))
        )
    }

    def exists(node: Node) -> str | None:
        if node.ref == own_name and node.kind == "workflow":
            return "a workflow cannot contain itself"
        kind = known.get(node.ref)
        if kind is None:
            return f"no {node.kind} named {node.ref!r}"
        if kind != node.kind:
            return f"{node.ref!r} is a {kind}, not a {node.kind}"
        return None

    for position, node in enumerate(parsed.nodes.values()):
        for name in ("skip_if", "iteration_devices"):
            expression = getattr(node, name)
            if expression:
                try:
                    templates.check_syntax("{{ (" + expression + ") | tojson }}")
                except ValueError as exc:
                    raise InvalidInput(
                        f"not a Jinja expression: {exc}",
                        field=f"graph.nodes[{position}].{name}",
                    ) from None
    problems = parsed.problems(exists)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InvalidInput(first.message + more, field=f"graph.{first.where}")
    return data


def graph_data(graph: GraphIn) -> dict[str, Any]:
    """The stored form of a graph: the layout the builder saved (steps' x, y and where start
    and end are drawn), without step controls left at their defaults."""
    data = graph.model_dump(mode="json")
    if not data.get("layout"):
        data.pop("layout", None)
    for node in data["nodes"]:
        for name in CONTROLS:
            if node.get(name) == NodeIn.model_fields[name].default:
                node.pop(name, None)
    return data


def create_workflow(session: Session, data: WorkflowCreate, creator: str) -> Automation:
    _unique(session, data.name)
    ensure_targets_allowed(session, creator, data.options.targets, "options.targets")
    graph = check_graph(session, data.graph, data.name)
    row = Automation(
        name=data.name,
        kind="workflow",
        type="workflow",
        description=data.description,
        graph=graph,
        options=data.options.model_dump(mode="json", exclude_defaults=True),
        created_by=creator,
    )
    session.add(row)
    session.flush()
    return row


def update_workflow(
    session: Session, ident: int, data: WorkflowUpdate, actor: str | None = None
) -> Automation:
    row = by_id(session, ident, "workflow")
    ensure_may_change(session, actor, row)
    if data.options is not None:
        ensure_targets_allowed(session, actor, data.options.targets, "options.targets")
    if data.name is not None and data.name != row.name:
        _unique(session, data.name, row.id)
        _rename_references(session, row.name, data.name)
        row.name = data.name
    if data.description is not None:
        row.description = data.description
    if data.graph is not None:
        row.graph = check_graph(session, data.graph, row.name)
    if data.options is not None:
        row.options = data.options.model_dump(mode="json", exclude_defaults=True)
    session.flush()
    return row


def users_of(session: Session, name: str) -> list[str]:
    return [
        row.name
        for row in session.scalars(select(Automation).where(Automation.kind == "workflow"))
        if any(node.get("ref") == name for node in (row.graph or {}).get("nodes", []))
    ]


def delete(
    session: Session,
    ident: int,
    kind: str,
    *,
    catalog: ServiceCatalog | None = None,
    admin: bool = False,
    actor: str | None = None,
) -> None:
    """A service of a privileged type (looked up in ``catalog``) only by an admin; a fenced
    ``actor`` deletes only what it created."""
    row = by_id(session, ident, kind)
    ensure_may_change(session, actor, row)
    if kind == "service":
        if catalog is None:
            raise RuntimeError("deleting a service needs the catalog (privileged types)")
        catalog.ensure_may_author(session, row.type, admin=admin, action="delete it")
    used = users_of(session, row.name)
    if used:
        raise Conflict(f"{row.name!r} is used by workflow(s) {', '.join(sorted(used))}")
    session.delete(row)
    session.flush()


def delete_many(
    session: Session,
    ids: list[int],
    kind: str,
    *,
    catalog: ServiceCatalog | None = None,
    admin: bool = False,
    actor: str | None = None,
) -> bulk.BulkResult:
    """Each through :func:`delete` (ownership, privileged types, in use), all or nothing;
    a workflow and a sub-workflow it uses may be listed in any order."""
    return bulk.each(
        ids,
        noun=kind,
        name_of=lambda i: by_id(session, i, kind).name,
        act=lambda i: delete(session, i, kind, catalog=catalog, admin=admin, actor=actor),
        field="ids",
        defer_conflicts=True,
    )


def _rename_references(session: Session, old: str, new: str) -> None:
    for row in session.scalars(select(Automation).where(Automation.kind == "workflow")):
        graph = row.graph or {}
        if any(node.get("ref") == old for node in graph.get("nodes", [])):
            nodes = [{**n, "ref": new} if n.get("ref") == old else n for n in graph["nodes"]]
            row.graph = {**graph, "nodes": nodes}


# -- YAML export / import ----------------------------------------------------------------


def export_yaml(session: Session, names: list[str], actor: str | None = None) -> str:
    """The named services/workflows plus everything their graphs use, dependencies first;
    each one ``actor`` may read."""
    ordered: list[Automation] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        if name in seen:
            return
        row = by_name(session, name)
        object_rights.ensure(session, actor, row.kind, row, "read", ref=f"named {name!r}")
        seen.add(name)
        for node in (row.graph or {}).get("nodes", []):
            add(node["ref"])
        ordered.append(row)

    for name in names:
        add(name)
    items = []
    for row in ordered:
        item: dict[str, Any] = {"name": row.name, "kind": row.kind, "description": row.description}
        if row.kind == "service":
            item.update(type=row.type, inputs=row.inputs)
        else:
            item["graph"] = row.graph
        if row.options:
            item["options"] = row.options
        items.append(item)
    return yaml.safe_dump({"netweave": EXPORT_VERSION, "automations": items}, sort_keys=False)


def import_yaml(
    session: Session,
    catalog: ServiceCatalog,
    text: str,
    creator: str,
    *,
    replace: bool,
    admin: bool = False,
) -> list[Automation]:
    """All or nothing: a bad item rolls the whole import back with its position named.
    Services of privileged types only for an ``admin``."""
    document = yamldoc.load(text, field="body")
    if not isinstance(document, dict) or not isinstance(document.get("automations"), list):
        raise InvalidInput("expected a mapping with an 'automations' list", field="body")
    written: list[Automation] = []
    for position, item in enumerate(document["automations"]):
        where = f"automations[{position}]"
        if not isinstance(item, dict):
            raise InvalidInput("must be a mapping", field=where)
        item = dict(item)
        kind = item.pop("kind", "service")
        existing = session.scalar(select(Automation).where(Automation.name == item.get("name")))
        try:
            if kind == "workflow":
                wf = WorkflowCreate.model_validate(item)
                if existing is not None and replace:
                    update = WorkflowUpdate(
                        description=wf.description, graph=wf.graph, options=wf.options
                    )
                    written.append(update_workflow(session, existing.id, update, creator))
                else:
                    written.append(create_workflow(session, wf, creator))
            elif kind == "service":
                svc = ServiceCreate.model_validate(item)
                if existing is not None and replace:
                    update_svc = ServiceUpdate(
                        description=svc.description, inputs=svc.inputs, options=svc.options
                    )
                    written.append(
                        update_service(
                            session, catalog, existing.id, update_svc, creator, admin=admin
                        )
                    )
                else:
                    written.append(create_service(session, catalog, svc, creator, admin=admin))
            else:
                raise InvalidInput("must be service or workflow", field="kind")
        except ValidationError as exc:
            problem = exc.errors()[0]
            loc = ".".join(str(p) for p in problem["loc"])
            raise InvalidInput(problem["msg"], field=f"{where}.{loc}") from exc
        except (InvalidInput, Conflict, NotFound, PermissionDenied) as exc:
            raise type(exc)(exc.message, field=f"{where}.{exc.field or 'name'}") from exc
    return written
