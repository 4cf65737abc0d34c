"""A workflow graph: steps (a service or a sub-workflow) between ``start`` and ``end``,
joined by success and failure edges. At most one edge of each kind leaves a step, so every
device follows one path; cycles are refused (a loop would never end)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

START = "start"
END = "end"
EdgeKind = Literal["success", "failure"]
NodeKind = Literal["service", "workflow"]


@dataclass(frozen=True)
class Node:
    id: str
    ref: str  # the service or workflow it runs, by name
    kind: NodeKind = "service"
    label: str = ""


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
            node = Node(
                str(raw["id"]), str(raw["ref"]), raw.get("kind", "service"), raw.get("label", "")
            )
            nodes[node.id] = node
        edges = [
            Edge(str(raw["source"]), str(raw["target"]), raw.get("kind", "success"))
            for raw in data.get("edges") or []
        ]
        return cls(nodes, edges)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [
                {"id": n.id, "ref": n.ref, "kind": n.kind, "label": n.label}
                for n in self.nodes.values()
            ],
            "edges": [{"source": e.source, "target": e.target, "kind": e.kind} for e in self.edges],
        }

    def next(self, node: str, success: bool) -> str | None:
        kind = "success" if success else "failure"
        for edge in self.edges:
            if edge.source == node and edge.kind == kind:
                return edge.target
        return None

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
            pending.extend(t for t in (self.next(node, True), self.next(node, False)) if t)
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
            if known is not None and (message := known(node)):
                unknown.append(GraphProblem(f"nodes[{position}].ref", message))
        ids = set(self.nodes) | {START, END}
        leaving: set[tuple[str, str]] = set()
        for position, edge in enumerate(self.edges):
            where = f"edges[{position}]"
            if edge.kind not in ("success", "failure"):
                problems.append(GraphProblem(f"{where}.kind", "must be success or failure"))
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
            if (edge.source, edge.kind) in leaving:
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
    follows the step's failure edge. ``resolve`` gives a workflow's graph by name; a workflow
    that contains itself is refused."""
    flat = Graph()
    inner_graphs: dict[str, Graph] = {}
    for node in graph.nodes.values():
        if node.kind != "workflow":
            flat.nodes[prefix + node.id] = Node(prefix + node.id, node.ref, "service", node.label)
            continue
        if node.ref in seen:
            raise ValueError(f"workflow {node.ref!r} contains itself")
        inner = flatten(resolve(node.ref), resolve, f"{prefix}{node.id}/", (*seen, node.ref))
        inner_graphs[node.id] = inner
        flat.nodes.update(inner.nodes)

    def entry(target: str) -> str | None:
        if target in inner_graphs:
            return inner_graphs[target].next(f"{prefix}{target}/{START}", True)
        return prefix + target

    for edge in graph.edges:
        target = entry(edge.target)
        if edge.source not in inner_graphs:
            if target is not None:
                flat.edges.append(Edge(prefix + edge.source, target, edge.kind))
            continue
    for name, inner in inner_graphs.items():
        on_success = graph.next(name, True)
        on_failure = graph.next(name, False)
        success_to = entry(on_success) if on_success else None
        failure_to = entry(on_failure) if on_failure else None
        inner_end = f"{prefix}{name}/{END}"
        inner_start = f"{prefix}{name}/{START}"
        for edge in inner.edges:
            if edge.source == inner_start:
                continue
            if edge.target == inner_end:
                if success_to is not None:
                    flat.edges.append(Edge(edge.source, success_to, edge.kind))
                continue
            flat.edges.append(edge)
        if failure_to is None:
            continue
        for inner_id in inner.nodes:
            for kind in ("success", "failure"):
                if not any(e.source == inner_id and e.kind == kind for e in inner.edges):
                    flat.edges.append(Edge(inner_id, failure_to, kind))
    return flat
