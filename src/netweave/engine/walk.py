"""One run's walk through a (flattened) graph. Each token (a device, or ``*`` for a run
that moves all devices together) follows its own path: the core reports a step's outcome,
the walk answers with that token's next steps. A prerequisite edge opens a parallel branch,
so a token may be at several steps at once; a step that prerequisite edges point to runs
once its parents have run (or can no longer be reached by that token). A step runs at most
once per token. A token succeeds when a branch reached ``end`` and none stopped at a step
with no edge to take (a dead end is a failure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from netweave.engine.graph import END, Graph

Outcome = Literal["success", "failure", "stopped"]


@dataclass(frozen=True)
class Move:
    token: str
    node: str


@dataclass
class Track:
    path: list[tuple[str, bool]] = field(default_factory=list)
    active: list[str] = field(default_factory=list)  # steps sent, not completed
    waiting: list[str] = field(default_factory=list)  # reached, waiting for parents
    done: dict[str, bool] = field(default_factory=dict)
    reached_end: bool = False
    dead_end: bool = False
    outcome: Outcome | None = None

    @property
    def at(self) -> str | None:
        """The step the token is at (the first of its branches), None when done."""
        branches = self.active or self.waiting
        return branches[0] if branches else None


class Walk:
    def __init__(self, graph: Graph, tokens: list[str], max_steps: int = 1000) -> None:
        self.graph = graph
        self.tracks = {token: Track() for token in tokens}
        self.max_steps = max_steps

    def begin(self, start_at: str | None = None) -> list[Move]:
        """Every token's first move: the step after ``start``, or ``start_at`` (a restart)."""
        first = start_at or self.graph.entry
        if first is None or (first != END and first not in self.graph.nodes):
            raise ValueError(f"no step {first!r} to start from")
        moves: list[Move] = []
        for token in self.tracks:
            moves += self._arrive(token, first, gate=start_at is None)
            self._settle(token)
        return moves

    def complete(self, token: str, node: str, success: bool) -> list[Move]:
        """Record ``token``'s outcome at ``node``; its next moves (none: this branch ended,
        or the token waits for another branch)."""
        track = self.tracks[token]
        if node not in track.active:
            raise ValueError(f"{token!r} is at {track.at!r}, not {node!r}")
        track.active.remove(node)
        track.path.append((node, success))
        track.done[node] = success
        targets = self.graph.following(node, success)
        moves: list[Move] = []
        if not targets or len(track.path) >= self.max_steps:
            track.dead_end = True
        else:
            for target in targets:
                moves += self._arrive(token, target)
        moves += self._release(token)
        self._settle(token)
        return moves

    def stop(self, token: str) -> None:
        track = self.tracks[token]
        if track.outcome is None:
            track.active.clear()
            track.waiting.clear()
            track.outcome = "stopped"

    def may_reach(self, token: str, node: str) -> bool:
        """Whether ``token`` is at ``node`` or may still come to it."""
        track = self.tracks[token]
        if track.outcome is not None or node in track.done:
            return False
        here = {*track.active, *track.waiting}
        return node in here or self.graph.reaches(here, node)

    def _arrive(self, token: str, node: str, *, gate: bool = True) -> list[Move]:
        track = self.tracks[token]
        if node == END:
            track.reached_end = True
            return []
        if node in track.done or node in track.active or node in track.waiting:
            return []  # a step runs once per token; a join is entered once
        if gate and not self._ready(track, node):
            track.waiting.append(node)
            return []
        track.active.append(node)
        return [Move(token, node)]

    def _ready(self, track: Track, node: str) -> bool:
        """Every prerequisite parent has run, or no branch of the token can reach it."""
        elsewhere = {n for n in (*track.active, *track.waiting) if n != node}
        for parent in self.graph.prerequisites(node):
            if parent in track.done:
                continue
            if parent in elsewhere or self.graph.reaches(elsewhere, parent):
                return False
        return True

    def _release(self, token: str) -> list[Move]:
        track = self.tracks[token]
        moves: list[Move] = []
        released = True
        while released:  # releasing one join can free another
            released = False
            for node in list(track.waiting):
                if self._ready(track, node):
                    track.waiting.remove(node)
                    track.active.append(node)
                    moves.append(Move(token, node))
                    released = True
        return moves

    def _settle(self, token: str) -> None:
        track = self.tracks[token]
        if track.outcome is None and not track.active and not track.waiting:
            track.outcome = "success" if track.reached_end and not track.dead_end else "failure"

    @property
    def done(self) -> bool:
        return all(track.outcome is not None for track in self.tracks.values())

    def outcome(self, token: str) -> Outcome | None:
        return self.tracks[token].outcome

    def path(self, token: str) -> list[tuple[str, bool]]:
        return list(self.tracks[token].path)
