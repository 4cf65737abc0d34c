"""Loading YAML that users upload: safe types only, errors that name the line, and no
"billion laughs": a document whose aliases expand past a bound (or loop) is refused
before Python objects are built from it."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from netweave.foundation.errors import InvalidInput

# libyaml's C loader when present (~10x faster on a 10,000-device file); same safety.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_NODES = 2_000_000  # values after alias expansion (a 10,000-device file: ~300,000)


def describe(exc: yaml.YAMLError) -> str:
    """One line: where (line and column, 1-based) and what."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        problem = exc.problem or exc.context or "invalid YAML"
        context = ""
        if exc.context and exc.problem:
            started = exc.context_mark
            at = f" at line {started.line + 1}" if started and started.line != mark.line else ""
            context = f" ({exc.context}{at})"
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}{context}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def expanded_size(root: Node, limit: int) -> int:
    """How many nodes the document holds with every alias expanded (an alias is the
    same node object again); stops counting past ``limit``. A loop counts as past it."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _children(node)
        if not children_done:
            if key in open_nodes:  # reached itself: a recursive alias
                return limit + 1
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        open_nodes.discard(key)
        sizes[key] = min(limit + 1, 1 + sum(sizes[id(child)] for child in children))
    return sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load(text: str | bytes, *, field: str, max_nodes: int = MAX_NODES) -> Any:
    """``yaml.safe_load`` for user input: ``InvalidInput`` naming ``field`` and the line for
    bad YAML, and for a document that expands past ``max_nodes`` values."""
    loader = LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if expanded_size(node, max_nodes) > max_nodes:
            raise InvalidInput(
                f"YAML aliases expand to more than {max_nodes:,} values (or refer to "
                "themselves); write the values out",
                field=field,
            )
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {describe(exc)}", field=field) from exc
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        # a tag whose value does not parse (``!!bool ""``, ``!!int "x"``, a bad timestamp):
        # PyYAML's constructors raise plain Python errors for these
        raise InvalidInput(
            f"not valid YAML: a tagged value does not parse ({type(exc).__name__}: {exc})",
            field=field,
        ) from exc
    finally:
        loader.dispose()
