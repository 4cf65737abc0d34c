"""A workflow graph: steps (a service or a sub-workflow) between ``start`` and ``end``,
joined by success, failure and prerequisite edges. At most one success and one failure edge
leave a step (the path a device takes on that outcome); prerequisite edges are followed
after the step has run whatever its outcome, so one step may open several parallel
branches, and a step that prerequisite edges point to waits for all of those parents.
Cycles are refused (a loop would never end)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

START = "start"
END = "end"
EdgeKind = Literal["success", "failure", "prerequisite"]
EDGE_KINDS = ("success", "failure", "prerequisite")
NodeKind = Literal["service", "workflow"]


@dataclass(frozen=True)
class Node:
    id: str
    ref: str  # the service or workflow it runs, by name
    kind: NodeKind = "service"
    label: str = ""
    # per-device controls, applied by the run's controller (the walk only routes)
    disabled: bool = False  # not run: every device passes through as success
    skip_if: str = ""  # expression: true for a device → not run on it
    skip_outcome: Literal["success", "failure"] = "success"
    wait_before: float = 0
    wait_after: float = 0
    priority: int = 0  # higher is sent first when several steps are ready
    iteration_devices: str = ""  # expression giving the devices to run on instead

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Node:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known and v is not None}
        values["id"], values["ref"] = str(raw["id"]), str(raw["ref"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Every field that differs from its default (id and ref always)."""
        out: dict[str, Any] = {"id": self.id, "ref": self.ref, "kind": self.kind}
        out["label"] = self.label
        for f in fields(self)[4:]:
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = value
        return out

    @property
    def controlled(self) -> bool:
        """Whether any per-device control is set (the controller has work to do)."""
        return bool(
            self.disabled
            or self.skip_if
            or self.wait_before
            or self.wait_after
            or self.iteration_devices
        )


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind = "success"


@dataclass(frozen=True)
class GraphProblem:
    where: str  # "nodes[2].id", "edges[0].target", "graph"
    message: str


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Graph:
        """From the stored/API shape ``{nodes: [{id, ref, kind, label}], edges: [...]}``."""
        nodes = {}
        for raw in data.get("nodes") or []:
            node = Node.from_dict(raw)
            nodes[node.id] = node
        edges = [
            Edge(str(raw["source"]), str(raw["target"]), raw.get("kind", "success"))
            for raw in data.get("edges") or []
        ]
        return cls(nodes, edges)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [{"source": e.source, "target": e.target, "kind": e.kind} for e in self.edges],
        }

    def next(self, node: str, success: bool) -> str | None:
        """Where the outcome's edge leads (None: no such edge)."""
        kind = "success" if success else "failure"
        for edge in self.edges:
            if edge.source == node and edge.kind == kind:
                return edge.target
        return None

    def following(self, node: str, success: bool) -> list[str]:
        """Every step a device goes to after ``node``: the outcome's edge, then the
        prerequisite edges (followed whatever the outcome)."""
        targets = [t] if (t := self.next(node, success)) is not None else []
        for edge in self.edges:
            if edge.source == node and edge.kind == "prerequisite" and edge.target not in targets:
                targets.append(edge.target)
        return targets

    def prerequisites(self, node: str) -> list[str]:
        """The parents ``node`` waits for (sources of its prerequisite edges)."""
        return [e.source for e in self.edges if e.target == node and e.kind == "prerequisite"]

    def reaches(self, sources: set[str], target: str) -> bool:
        """Whether a path (any edge kind) leads from one of ``sources`` to ``target``."""
        seen = set(sources)
        pending = list(sources)
        while pending:
            node = pending.pop()
            for edge in self.edges:
                if edge.source != node:
                    continue
                if edge.target == target:
                    return True
                if edge.target not in seen:
                    seen.add(edge.target)
                    pending.append(edge.target)
        return False

    @property
    def entry(self) -> str | None:
        return self.next(START, True)

    def order(self) -> list[str]:
        """Steps in walk order from ``start`` (success edges first): for listings."""
        seen: list[str] = []
        pending = [self.entry] if self.entry else []
        while pending:
            node = pending.pop(0)
            if node in seen or node in (START, END) or node not in self.nodes:
                continue
            seen.append(node)
            pending.extend(self.following(node, True))
            pending.extend(t for t in (self.next(node, False),) if t)
        return seen + [n for n in self.nodes if n not in seen]

    def problems(self, known: Callable[[Node], str | None] | None = None) -> list[GraphProblem]:
        """Everything wrong with the graph; empty when it can run. ``known`` checks that a
        node's service or workflow exists (returns a message when it does not)."""
        problems: list[GraphProblem] = []
        unknown: list[GraphProblem] = []
        for position, node in enumerate(self.nodes.values()):
            if node.id in (START, END) or not node.id.strip():
                problems.append(
                    GraphProblem(f"nodes[{position}].id", f"{node.id!r} is a reserved step id")
                )
            if node.kind not in ("service", "workflow"):
                problems.append(
                    GraphProblem(f"nodes[{position}].kind", "must be service or workflow")
                )
            if node.kind == "workflow":
                for name in ("skip_if", "iteration_devices", "wait_before", "wait_after"):
                    if getattr(node, name):
                        problems.append(
                            GraphProblem(
                                f"nodes[{position}].{name}",
                                "set it on the steps inside the sub-workflow, not on the "
                                "sub-workflow step",
                            )
                        )
            if known is not None and (message := known(node)):
                unknown.append(GraphProblem(f"nodes[{position}].ref", message))
        ids = set(self.nodes) | {START, END}
        leaving: set[tuple[str, str]] = set()
        leaving_to: set[tuple[str, str]] = set()
        for position, edge in enumerate(self.edges):
            where = f"edges[{position}]"
            if edge.kind not in EDGE_KINDS:
                problems.append(
                    GraphProblem(f"{where}.kind", "must be success, failure or prerequisite")
                )
            if edge.source not in ids:
                problems.append(GraphProblem(f"{where}.source", f"no step {edge.source!r}"))
            if edge.target not in ids:
                problems.append(GraphProblem(f"{where}.target", f"no step {edge.target!r}"))
            if edge.source == END:
                problems.append(GraphProblem(f"{where}.source", "nothing leaves end"))
            if edge.target == START:
                problems.append(GraphProblem(f"{where}.target", "nothing enters start"))
            if edge.source == START and edge.kind != "success":
                problems.append(GraphProblem(f"{where}.kind", "start has a success edge only"))
            if edge.kind == "prerequisite":
                if (edge.source, edge.target) in leaving_to:
                    problems.append(
                        GraphProblem(where, f"{edge.source!r} → {edge.target!r} is there twice")
                    )
                leaving_to.add((edge.source, edge.target))
            elif (edge.source, edge.kind) in leaving:
                problems.append(
                    GraphProblem(
                        where, f"{edge.source!r} already has a {edge.kind} edge (one path each)"
                    )
                )
            leaving.add((edge.source, edge.kind))
        if problems:
            return problems + unknown
        if self.entry is None:
            return [GraphProblem("edges", "no edge leaves start"), *unknown]
        if self.entry == END:
            return [GraphProblem("edges", "start leads straight to end: add a step"), *unknown]
        reachable = self._reachable()
        if END not in reachable:
            problems.append(GraphProblem("edges", "end cannot be reached from start"))
        for position, node in enumerate(self.nodes.values()):
            if node.id not in reachable:
                problems.append(
                    GraphProblem(f"nodes[{position}].id", f"{node.id!r} is not reachable")
                )
        cycle = self._cycle()
        if cycle:
            problems.append(GraphProblem("edges", "a loop would never end: " + " → ".join(cycle)))
        return problems + unknown

    def _reachable(self) -> set[str]:
        seen = {START}
        pending = [START]
        while pending:
            node = pending.pop()
            for edge in self.edges:
                if edge.source == node and edge.target not in seen:
                    seen.add(edge.target)
                    pending.append(edge.target)
        return seen

    def _cycle(self) -> list[str] | None:
        state: dict[str, int] = {}  # 1 visiting, 2 done
        stack: list[str] = []

        def visit(node: str) -> list[str] | None:
            state[node] = 1
            stack.append(node)
            for edge in self.edges:
                if edge.source != node:
                    continue
                if state.get(edge.target) == 1:
                    return [*stack[stack.index(edge.target) :], edge.target]
                if edge.target not in state and (found := visit(edge.target)):
                    return found
            stack.pop()
            state[node] = 2
            return None

        return visit(START)


def flatten(
    graph: Graph, resolve: Callable[[str], Graph], prefix: str = "", seen: tuple[str, ...] = ()
) -> Graph:
    """Inline every sub-workflow step: its steps become ``<step>/<inner>``. Reaching the inner
    end follows the step's success edge; stopping inside it (a step with no edge to take)
    follows the step's failure edge; its prerequisite edges leave from wherever the inner walk
    finishes. A disabled sub-workflow step disables every step inside; its priority is theirs.
    ``resolve`` gives a workflow's graph by name; a workflow that contains itself is refused."""
    flat = Graph()
    inner_graphs: dict[str, Graph] = {}
    for node in graph.nodes.values():
        if node.kind != "workflow":
            flat.nodes[prefix + node.id] = replace(node, id=prefix + node.id, kind="service")
            continue
        if node.ref in seen:
            raise ValueError(f"workflow {node.ref!r} contains itself")
        inner = flatten(resolve(node.ref), resolve, f"{prefix}{node.id}/", (*seen, node.ref))
        for inner_id, inner_node in inner.nodes.items():
            inner.nodes[inner_id] = replace(
                inner_node,
                disabled=inner_node.disabled or node.disabled,
                priority=inner_node.priority or node.priority,
            )
        inner_graphs[node.id] = inner
        flat.nodes.update(inner.nodes)

    def entry(target: str) -> str | None:
        if target in inner_graphs:
            return inner_graphs[target].next(f"{prefix}{target}/{START}", True)
        return prefix + target

    for edge in graph.edges:
        target = entry(edge.target)
        if edge.source not in inner_graphs and target is not None:
            flat.edges.append(Edge(prefix + edge.source, target, edge.kind))
    for name, inner in inner_graphs.items():
        on_success = graph.next(name, True)
        on_failure = graph.next(name, False)
        success_to = entry(on_success) if on_success else None
        failure_to = entry(on_failure) if on_failure else None
        after = [
            t
            for e in graph.edges
            if e.source == name and e.kind == "prerequisite" and (t := entry(e.target))
        ]
        inner_end = f"{prefix}{name}/{END}"
        inner_start = f"{prefix}{name}/{START}"
        finishing: set[str] = set()  # inner steps where the inner walk can finish
        for edge in inner.edges:
            if edge.source == inner_start:
                continue
            if edge.target == inner_end:
                finishing.add(edge.source)
                if success_to is not None:
                    flat.edges.append(Edge(edge.source, success_to, edge.kind))
                continue
            flat.edges.append(edge)
        for inner_id in inner.nodes:
            for kind in ("success", "failure"):
                if any(e.source == inner_id and e.kind == kind for e in inner.edges):
                    continue
                if not any(e.source == inner_id and e.kind == "prerequisite" for e in inner.edges):
                    finishing.add(inner_id)
                if failure_to is not None:
                    flat.edges.append(Edge(inner_id, failure_to, kind))
        for inner_id in sorted(finishing):
            for target in after:
                if not any(
                    e.source == inner_id and e.target == target and e.kind == "prerequisite"
                    for e in flat.edges
                ):
                    flat.edges.append(Edge(inner_id, target, "prerequisite"))
    return flat
