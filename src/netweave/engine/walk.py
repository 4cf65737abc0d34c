"""One run's walk through a (flattened) graph. Each token (a device, or ``*`` for a run
that moves all devices together) follows its own path: the core reports a step's outcome,
the walk answers with that token's next step. A token succeeds when it reaches ``end``; it
fails when it stops at a step with no edge for the outcome."""

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
    at: str | None = None
    outcome: Outcome | None = None


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
        return [move for token in self.tracks if (move := self._go(token, first))]

    def complete(self, token: str, node: str, success: bool) -> Move | None:
        """Record ``token``'s outcome at ``node``; its next move, or None when it is done."""
        track = self.tracks[token]
        if track.at != node:
            raise ValueError(f"{token!r} is at {track.at!r}, not {node!r}")
        track.path.append((node, success))
        target = self.graph.next(node, success)
        if target is None:
            track.at, track.outcome = None, "failure"
            return None
        if len(track.path) >= self.max_steps:
            track.at, track.outcome = None, "failure"
            return None
        return self._go(token, target)

    def stop(self, token: str) -> None:
        track = self.tracks[token]
        if track.outcome is None:
            track.at, track.outcome = None, "stopped"

    def _go(self, token: str, node: str) -> Move | None:
        track = self.tracks[token]
        if node == END:
            track.at, track.outcome = None, "success"
            return None
        track.at = node
        return Move(token, node)

    @property
    def done(self) -> bool:
        return all(track.outcome is not None for track in self.tracks.values())

    def outcome(self, token: str) -> Outcome | None:
        return self.tracks[token].outcome

    def path(self, token: str) -> list[tuple[str, bool]]:
        return list(self.tracks[token].path)
