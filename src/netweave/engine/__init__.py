"""The workflow graph and its walk: pure data and logic, no I/O. The core feeds step
outcomes in and gets the next moves out."""

from netweave.engine.graph import END, START, Edge, Graph, GraphProblem, Node, flatten
from netweave.engine.walk import Move, Walk

__all__ = ["END", "START", "Edge", "Graph", "GraphProblem", "Move", "Node", "Walk", "flatten"]
