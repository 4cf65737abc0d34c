"""The run variables (``vars.*``) a service or workflow uses: found in the Jinja2 templates
of its inputs and options (for a workflow, of every step, sub-workflows included), so the
UI can ask for them before a run. A variable is *required* when some template reads it
without a fallback (``vars.vlan``); it is optional when every template that reads it has one
(``vars.vlan | default(100)``, ``vars.get('vlan')``, ``vars.vlan is defined``). The
iteration variable a service sets itself is not asked for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jinja2 import Environment, TemplateSyntaxError, nodes
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.db.models import Automation

_PARSER = Environment()  # parsing only: nothing is rendered here
_FALLBACK_FILTERS = frozenset({"default", "d"})
_GUARD_TESTS = frozenset({"defined", "undefined", "none"})
MAX_DEPTH = 20  # nested sub-workflows followed


class VariableUse(BaseModel):
    name: str = Field(description="Set it as the run's variables.<name>; read as vars.<name>")
    required: bool = Field(description="Some template reads it without a default")
    used_by: list[str] = Field(description="The services (steps) whose templates read it")


class AutomationVariables(BaseModel):
    variables: list[VariableUse]


def _is_vars(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Name) and node.name == "vars"


def _walk(node: nodes.Node, parent: nodes.Node | None) -> Iterator[tuple[str, bool]]:
    """(name, guarded) for every ``vars.<name>`` read in the tree under ``node``."""
    name: str | None = None
    guarded = False
    if isinstance(node, nodes.Getattr) and _is_vars(node.node):
        name = node.attr
    elif isinstance(node, nodes.Getitem) and _is_vars(node.node):
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            name = node.arg.value
    elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        method = node.node
        if _is_vars(method.node) and method.attr == "get" and node.args:
            first = node.args[0]
            if isinstance(first, nodes.Const) and isinstance(first.value, str):
                yield first.value, True
            for argument in node.args[1:]:
                yield from _walk(argument, node)
            return
    if name is not None:
        if isinstance(parent, nodes.Filter) and parent.node is node:
            guarded = parent.name in _FALLBACK_FILTERS
        elif isinstance(parent, nodes.Test) and parent.node is node:
            guarded = parent.name in _GUARD_TESTS
        yield name, guarded
        return
    for child in node.iter_child_nodes():
        yield from _walk(child, node)


def template_variables(text: str) -> dict[str, bool]:
    """``{name: required}`` for one template; a template that does not parse uses none
    (saving or running it reports the syntax error)."""
    if "{" not in text:
        return {}
    try:
        parsed = _PARSER.parse(text)
    except TemplateSyntaxError:
        return {}
    uses: dict[str, bool] = {}
    for name, guarded in _walk(parsed, None):
        # one guarded read makes the template safe for that name (``if vars.x is defined``)
        uses[name] = uses.get(name, True) and not guarded
    return uses


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _service_uses(row: Automation) -> dict[str, bool]:
    options = dict(row.options or {})
    iteration = options.get("iteration") or {}
    own = {iteration.get("variable", "value")} if iteration else set()
    options.pop("targets", None)
    uses: dict[str, bool] = {}
    for text in (*_strings(row.inputs or {}), *_strings(options)):
        for name, required in template_variables(text).items():
            if name not in own:
                uses[name] = uses.get(name, False) or required
    return uses


def _collect(
    session: Session,
    row: Automation,
    found: dict[str, VariableUse],
    seen: set[str],
    depth: int = 0,
) -> None:
    if row.name in seen or depth > MAX_DEPTH:
        return
    seen.add(row.name)
    if row.kind == "service":
        for name, required in _service_uses(row).items():
            use = found.setdefault(name, VariableUse(name=name, required=False, used_by=[]))
            use.required = use.required or required
            if row.name not in use.used_by:
                use.used_by.append(row.name)
        return
    refs = [node.get("ref") for node in (row.graph or {}).get("nodes", [])]
    steps = {
        step.name: step
        for step in session.scalars(select(Automation).where(Automation.name.in_(refs)))
    }
    for ref in refs:
        step = steps.get(ref)
        if step is not None:
            _collect(session, step, found, seen, depth + 1)


def of_automation(session: Session, row: Automation) -> AutomationVariables:
    """The ``vars.*`` names ``row`` (a service, or a workflow and all its steps) reads,
    in the order first used."""
    found: dict[str, VariableUse] = {}
    _collect(session, row, found, set())
    return AutomationVariables(variables=list(found.values()))
