"""Bounds on free-form JSON a user stores (run variables, service inputs, job fields...).

A value nested too deep cannot be read back (serialisers and the database JSON functions
recurse), and a huge one bloats every list that shows it. :data:`BoundedJson` (an object)
and :data:`BoundedAny` (any JSON value) refuse both with a 422 naming the field.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator

MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 256 * 1024


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of objects and arrays (a scalar is 0, ``{}`` is 1); stops counting
    once past ``limit`` (iterative: a hostile value cannot exhaust the stack)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level) for child in children)
    return deepest


def check_bounded(value: Any) -> Any:
    """The value unchanged, or ValueError when deeper or larger than the bounds."""
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        size = len(json.dumps(value, default=str, separators=(",", ":")).encode())
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not storable as JSON ({exc})") from exc
    if size > MAX_JSON_BYTES:
        raise ValueError(f"larger than {MAX_JSON_BYTES} bytes once serialised")
    return value


BoundedJson = Annotated[dict[str, Any], BeforeValidator(check_bounded)]
BoundedAny = Annotated[Any, BeforeValidator(check_bounded)]
