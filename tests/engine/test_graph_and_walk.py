"""The workflow engine is pure: graphs in, moves out. No devices, no database."""

from __future__ import annotations

import pytest

from netweave.engine import END, START, Edge, Graph, Node, Walk, flatten


def change_graph() -> Graph:
    """backup → push → validate → end; push or validate failing → rollback (no edge on)."""
    return Graph(
        {
            "backup": Node("backup", "Backup"),
            "push": Node("push", "Push VLAN"),
            "validate": Node("validate", "Validate VLAN"),
            "rollback": Node("rollback", "Rollback"),
        },
        [
            Edge(START, "backup"),
            Edge("backup", "push"),
            Edge("push", "validate"),
            Edge("push", "rollback", "failure"),
            Edge("validate", END),
            Edge("validate", "rollback", "failure"),
        ],
    )


def test_a_valid_graph_has_no_problems_and_survives_its_dict_form() -> None:
    graph = change_graph()
    assert graph.problems() == []
    again = Graph.from_dict(graph.to_dict())
    assert again.to_dict() == graph.to_dict()
    assert graph.order() == ["backup", "push", "validate", "rollback"]


@pytest.mark.parametrize(
    ("edges", "where", "text"),
    [
        ([Edge("backup", END)], "edges", "no edge leaves start"),
        ([Edge(START, "backup"), Edge("backup", "nowhere")], "edges[1].target", "no step"),
        ([Edge(START, "backup"), Edge("backup", "backup")], "edges", "loop"),
        ([Edge(START, "backup")], "edges", "end cannot be reached"),
        (
            [Edge(START, "backup"), Edge("backup", END), Edge("backup", "backup")],
            "edges[2]",
            "already has a success edge",
        ),
        ([Edge(START, "backup", "failure"), Edge("backup", END)], "edges[0].kind", "start"),
        ([Edge(START, "backup"), Edge("backup", END), Edge(END, "backup")], "edges[2].source", ""),
    ],
)
def test_invalid_graphs_name_the_problem(edges: list[Edge], where: str, text: str) -> None:
    graph = Graph({"backup": Node("backup", "Backup")}, edges)
    problems = graph.problems()
    assert problems, "expected a problem"
    assert any(p.where == where and text in p.message for p in problems), problems


def test_unreachable_steps_and_unknown_services_are_reported() -> None:
    graph = change_graph()
    graph.nodes["orphan"] = Node("orphan", "Nothing")
    problems = graph.problems(lambda node: "no such service" if node.ref == "Nothing" else None)
    messages = {(p.where, p.message) for p in problems}
    assert ("nodes[4].ref", "no such service") in messages
    assert ("nodes[4].id", "'orphan' is not reachable") in messages


def test_each_device_walks_its_own_path() -> None:
    walk = Walk(change_graph(), ["r1", "r2", "r3"])
    moves = walk.begin()
    assert {(m.token, m.node) for m in moves} == {
        ("r1", "backup"),
        ("r2", "backup"),
        ("r3", "backup"),
    }
    for token in ("r1", "r2", "r3"):
        move = walk.complete(token, "backup", True)
        assert move is not None and move.node == "push"
    # r1: push ok, validate ok → end; r2: validate fails → rollback; r3: push fails → rollback
    assert walk.complete("r1", "push", True).node == "validate"  # type: ignore[union-attr]
    assert walk.complete("r1", "validate", True) is None
    assert walk.outcome("r1") == "success"
    assert walk.complete("r2", "push", True).node == "validate"  # type: ignore[union-attr]
    assert walk.complete("r2", "validate", False).node == "rollback"  # type: ignore[union-attr]
    assert walk.complete("r3", "push", False).node == "rollback"  # type: ignore[union-attr]
    assert not walk.done
    assert walk.complete("r2", "rollback", True) is None  # no edge: stops, not at end
    assert walk.complete("r3", "rollback", True) is None
    assert walk.done
    assert walk.outcome("r2") == walk.outcome("r3") == "failure"
    assert walk.path("r2") == [
        ("backup", True),
        ("push", True),
        ("validate", False),
        ("rollback", True),
    ]
    assert walk.path("r3") == [("backup", True), ("push", False), ("rollback", True)]


def test_out_of_order_outcomes_are_refused() -> None:
    walk = Walk(change_graph(), ["r1"])
    walk.begin()
    with pytest.raises(ValueError, match="is at 'backup'"):
        walk.complete("r1", "push", True)


def test_restart_from_a_chosen_step_and_stop() -> None:
    walk = Walk(change_graph(), ["r1", "r2"])
    moves = walk.begin(start_at="validate")
    assert {m.node for m in moves} == {"validate"}
    walk.stop("r2")
    assert walk.outcome("r2") == "stopped"
    assert walk.complete("r1", "validate", True) is None
    assert walk.done and walk.outcome("r1") == "success"
    with pytest.raises(ValueError, match="no step"):
        Walk(change_graph(), ["r1"]).begin(start_at="missing")


def test_sub_workflows_are_inlined_with_their_exits() -> None:
    inner = Graph(
        {"a": Node("a", "A"), "b": Node("b", "B")},
        [Edge(START, "a"), Edge("a", "b"), Edge("b", END)],
    )
    outer = Graph(
        {
            "pre": Node("pre", "Pre"),
            "sub": Node("sub", "Inner", "workflow"),
            "ok": Node("ok", "Ok"),
            "bad": Node("bad", "Bad"),
        },
        [
            Edge(START, "pre"),
            Edge("pre", "sub"),
            Edge("sub", "ok"),
            Edge("sub", "bad", "failure"),
            Edge("ok", END),
        ],
    )
    flat = flatten(outer, lambda name: {"Inner": inner}[name])
    assert set(flat.nodes) == {"pre", "sub/a", "sub/b", "ok", "bad"}
    assert flat.nodes["sub/a"].ref == "A"
    assert flat.next("pre", True) == "sub/a"
    assert flat.next("sub/a", True) == "sub/b"
    assert flat.next("sub/b", True) == "ok"  # inner end → the step's success edge
    assert flat.next("sub/a", False) == "bad"  # stuck inside → the step's failure edge
    assert flat.next("sub/b", False) == "bad"
    assert flat.problems() == []
    walk = Walk(flat, ["r1"])
    walk.begin()
    walk.complete("r1", "pre", True)
    move = walk.complete("r1", "sub/a", False)
    assert move is not None and move.node == "bad"
    assert walk.complete("r1", "bad", True) is None
    assert walk.outcome("r1") == "failure"


def test_a_workflow_containing_itself_is_refused() -> None:
    loop = Graph({"me": Node("me", "Loop", "workflow")}, [Edge(START, "me"), Edge("me", END)])
    with pytest.raises(ValueError, match="contains itself"):
        flatten(loop, lambda name: loop, seen=("Loop",))
