"""One action on many objects (the tables' bulk edit, delete and run): all or nothing.

:func:`each` applies the single-object action — the same function the single route calls,
so the same role, pool-fence, ownership and in-use checks — to every object, in the
caller's transaction. The first refusal names the object and is raised; the caller does
not commit, so nothing of the batch is kept. Unknown objects are refused before anything
is done, all of them named at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from netweave.foundation.errors import Conflict, NetWeaveError, NotFound

MAX_BULK = 1000

K = TypeVar("K", int, str)

ObjectId = Annotated[int, Field(ge=1, le=2**31 - 1)]
ObjectName = Annotated[str, Field(min_length=1, max_length=255)]


def _unique(keys: list[K]) -> list[K]:
    if len(set(keys)) != len(keys):
        raise ValueError("an object is listed twice")
    return keys


class BulkIds(BaseModel):
    """The objects by id (as their single routes name them)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[ObjectId] = Field(
        min_length=1, max_length=MAX_BULK, description="The ids (at most 1000, no repeats)"
    )

    _ids = field_validator("ids")(_unique)


class BulkNames(BaseModel):
    """The objects by name (as their single routes name them)."""

    model_config = ConfigDict(extra="forbid")

    names: list[ObjectName] = Field(
        min_length=1, max_length=MAX_BULK, description="The names (at most 1000, no repeats)"
    )

    _names = field_validator("names")(_unique)


class BulkResult(BaseModel):
    count: int
    names: list[str]


def _missing(noun: str, keys: list[K]) -> str:
    if all(isinstance(k, int) for k in keys):
        return f"no {noun} with id {', '.join(map(str, keys))}"
    return f"no {noun} named {', '.join(repr(k) for k in keys)}"


def each(
    keys: Sequence[K],
    *,
    noun: str,
    name_of: Callable[[K], str],
    act: Callable[[K], object],
    field: str,
    keep_field: bool = False,
    defer_conflicts: bool = False,
) -> BulkResult:
    """``act`` on every key, in order. ``name_of`` finds an object's name (raising
    :class:`NotFound` when there is none); every unknown key is named in one 404.

    A refusal (any domain error) is raised with ``"<noun> '<name>': "`` before its message
    and ``field`` (the request's list: ``ids`` or ``names``) as its field, unless
    ``keep_field`` (an edit: the field at fault is one of the changes).

    ``defer_conflicts``: a 409 (an object still in use) is retried after the others, so a
    batch may hold an object and what uses it in any order (a workflow and its sub-workflow,
    a bastion and the one behind it); when a round makes no progress the first 409 is
    raised. Only for actions whose 409 is a check made before they change anything."""
    names: dict[K, str] = {}
    missing: list[K] = []
    for key in keys:
        try:
            names[key] = name_of(key)
        except NotFound:
            missing.append(key)
    if missing:
        raise NotFound(_missing(noun, missing), field=field)
    fault = None if keep_field else field
    done: list[K] = []
    pending = list(keys)
    while pending:
        deferred: list[tuple[K, Conflict]] = []
        for key in pending:
            try:
                act(key)
            except Conflict as exc:
                if not defer_conflicts:
                    raise _named(exc, noun, names[key], fault) from None
                deferred.append((key, exc))
                continue
            except NetWeaveError as exc:
                raise _named(exc, noun, names[key], fault) from None
            done.append(key)
        if len(deferred) == len(pending):
            stuck, conflict = deferred[0]
            raise _named(conflict, noun, names[stuck], fault)
        pending = [key for key, _ in deferred]
    return BulkResult(count=len(done), names=[names[key] for key in done])


def _named(exc: NetWeaveError, noun: str, name: str, field: str | None) -> NetWeaveError:
    exc.message = f"{noun} {name!r}: {exc.message}"
    exc.args = (exc.message,)
    if field is not None:
        exc.field = field
    return exc
