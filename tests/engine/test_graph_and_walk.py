"""The workflow engine is pure: graphs in, moves out. No devices, no database."""

from __future__ import annotations

import pytest

from netweave.engine import END, START, Edge, Graph, Move, Node, Walk, flatten


def nodes(moves: list[Move]) -> list[str]:
    return [m.node for m in moves]


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
        assert nodes(walk.complete(token, "backup", True)) == ["push"]
    # r1: push ok, validate ok → end; r2: validate fails → rollback; r3: push fails → rollback
    assert nodes(walk.complete("r1", "push", True)) == ["validate"]
    assert walk.complete("r1", "validate", True) == []
    assert walk.outcome("r1") == "success"
    assert nodes(walk.complete("r2", "push", True)) == ["validate"]
    assert nodes(walk.complete("r2", "validate", False)) == ["rollback"]
    assert nodes(walk.complete("r3", "push", False)) == ["rollback"]
    assert not walk.done
    assert walk.complete("r2", "rollback", True) == []  # no edge: stops, not at end
    assert walk.complete("r3", "rollback", True) == []
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
    assert walk.complete("r1", "validate", True) == []
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
    assert nodes(walk.complete("r1", "sub/a", False)) == ["bad"]
    assert walk.complete("r1", "bad", True) == []
    assert walk.outcome("r1") == "failure"


def test_a_workflow_containing_itself_is_refused() -> None:
    loop = Graph({"me": Node("me", "Loop", "workflow")}, [Edge(START, "me"), Edge("me", END)])
    with pytest.raises(ValueError, match="contains itself"):
        flatten(loop, lambda name: loop, seen=("Loop",))


def diamond() -> Graph:
    """check → (success) a, (prerequisite) b; a and b both lead by prerequisite to join."""
    return Graph(
        {n: Node(n, n.upper()) for n in ("check", "a", "b", "join")},
        [
            Edge(START, "check"),
            Edge("check", "a"),
            Edge("check", "b", "prerequisite"),
            Edge("a", "join", "prerequisite"),
            Edge("b", "join", "prerequisite"),
            Edge("join", END),
        ],
    )


def test_prerequisite_edges_open_branches_and_a_join_waits_for_all_parents() -> None:
    graph = diamond()
    assert graph.problems() == []
    assert Graph.from_dict(graph.to_dict()).to_dict() == graph.to_dict()
    walk = Walk(graph, ["r1", "r2"])
    walk.begin()
    assert sorted(nodes(walk.complete("r1", "check", True))) == ["a", "b"]
    assert walk.complete("r1", "a", False) == []  # join still waits for b
    assert walk.tracks["r1"].waiting == ["join"]
    assert nodes(walk.complete("r1", "b", True)) == ["join"]  # all parents ran
    assert walk.complete("r1", "join", True) == []
    assert walk.outcome("r1") == "success"
    # r2 fails check: no failure edge, but the prerequisite edge is followed (it has run)
    assert nodes(walk.complete("r2", "check", False)) == ["b"]
    # a can no longer be reached by r2: the join does not wait for it
    assert nodes(walk.complete("r2", "b", True)) == ["join"]
    assert walk.complete("r2", "join", True) == []
    assert walk.outcome("r2") == "success"
    assert [n for n, _ in walk.path("r2")] == ["check", "b", "join"]


def test_a_dead_end_on_one_branch_fails_the_device_and_a_step_runs_once() -> None:
    graph = Graph(
        {n: Node(n, n) for n in ("s", "x", "y", "z")},
        [
            Edge(START, "s"),
            Edge("s", "x"),
            Edge("s", "y", "prerequisite"),
            Edge("x", "z"),
            Edge("y", "z"),  # z reached twice: runs once
            Edge("z", END),
        ],
    )
    assert graph.problems() == []
    walk = Walk(graph, ["r1", "r2"])
    walk.begin()
    walk.complete("r1", "s", True)
    assert nodes(walk.complete("r1", "x", True)) == ["z"]
    assert walk.complete("r1", "y", True) == []  # z is already running for r1
    assert walk.complete("r1", "z", True) == []
    assert walk.outcome("r1") == "success"
    assert [n for n, _ in walk.path("r1")].count("z") == 1
    walk.complete("r2", "s", True)
    walk.complete("r2", "y", False)  # y has no failure edge: a dead end
    walk.complete("r2", "x", True)
    walk.complete("r2", "z", True)  # end reached on the other branch
    assert walk.outcome("r2") == "failure"


def test_stop_ends_every_branch() -> None:
    walk = Walk(diamond(), ["r1"])
    walk.begin()
    walk.complete("r1", "check", True)
    walk.stop("r1")
    assert walk.outcome("r1") == "stopped" and walk.tracks["r1"].at is None


@pytest.mark.parametrize(
    ("edges", "where", "text"),
    [
        (
            [
                Edge(START, "a"),
                Edge("a", END),
                Edge("a", "b", "prerequisite"),
                Edge("a", "b", "prerequisite"),
                Edge("b", END),
            ],
            "edges[3]",
            "twice",
        ),
        ([Edge(START, "a", "prerequisite"), Edge("a", END)], "edges[0].kind", "start"),
        (
            [
                Edge(START, "a"),
                Edge("a", "b", "prerequisite"),
                Edge("b", "a", "prerequisite"),
                Edge("b", END),
            ],
            "edges",
            "loop",
        ),
        ([Edge(START, "a"), Edge("a", END, "other")], "edges[1].kind", "prerequisite"),  # type: ignore[arg-type]
    ],
)
def test_invalid_prerequisite_edges_name_the_problem(
    edges: list[Edge], where: str, text: str
) -> None:
    graph = Graph({"a": Node("a", "A"), "b": Node("b", "B")}, edges)
    assert any(p.where == where and text in p.message for p in graph.problems()), graph.problems()


def test_step_controls_survive_the_dict_form_and_sub_workflows() -> None:
    controlled = Node("a", "A", skip_if="device.site == 'x'", wait_after=2, priority=5)
    inner = Graph(
        {"a": controlled, "b": Node("b", "B")},
        [Edge(START, "a"), Edge("a", "b"), Edge("b", END)],
    )
    again = Graph.from_dict(inner.to_dict())
    assert again.nodes["a"] == controlled and again.nodes["a"].controlled
    assert "skip_if" not in inner.to_dict()["nodes"][1]  # defaults are not written
    outer = Graph(
        {"sub": Node("sub", "Inner", "workflow", disabled=True), "after": Node("after", "After")},
        [
            Edge(START, "sub"),
            Edge("sub", END),
            Edge("sub", "after", "prerequisite"),
            Edge("after", END),
        ],
    )
    flat = flatten(outer, lambda name: inner)
    assert flat.nodes["sub/a"].disabled and flat.nodes["sub/b"].disabled
    assert flat.nodes["sub/a"].skip_if == "device.site == 'x'"
    assert "sub/b" in flat.prerequisites("after")  # the sub-workflow's finish leads there
    assert flat.problems() == []
    refused = Graph(
        {"sub": Node("sub", "Inner", "workflow", skip_if="true")},
        [Edge(START, "sub"), Edge("sub", END)],
    )
    assert any(p.where == "nodes[0].skip_if" for p in refused.problems())
