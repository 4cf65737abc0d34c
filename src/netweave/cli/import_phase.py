"""The start of a command: its imports build a few hundred thousand long-lived objects
(classes, pydantic schemas, SQLAlchemy mappers). The cyclic garbage collector, left on,
walks them again and again while they are made: 0.1 to 0.2 s of ``netweave run``'s start.
It is paused while they load, then those objects are frozen (``gc.freeze``): they live as
long as the process, and later collections no longer walk them."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Nested uses pause once: the outermost resumes the collector."""
    outermost = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if outermost:
            gc.freeze()
            gc.enable()


def freeze_start_up_objects() -> None:
    """A long-running process (``serve``, ``worker``) once started: what it built (the
    runtime, the app's routes and schemas, some 250,000 objects) lives as long as it does.
    Frozen, a full collection no longer walks them: it took ~130 ms on the 2-core test
    machine, every request of the process waiting meanwhile."""
    gc.freeze()
