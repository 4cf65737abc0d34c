"""Pass-through arguments: a request's ``driver_args`` and ``connection_args`` beyond a
driver's own go to the library call that takes them, checked against that call's real
signature (``inspect.signature``, its docstring where it has no annotations, or the keys
its source reads from ``**kwargs``). Anything no call takes, anything refused (files,
code, Python objects, what NetWeave sets itself) and any value of the wrong type is an
``ArgumentRefused`` (a 422) naming ``field.name`` and the driver."""

from __future__ import annotations

import ast
import collections.abc
import enum
import functools
import inspect
import json
import re
import textwrap
import types
import typing
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from pydantic import TypeAdapter, ValidationError

from netweave.foundation.errors import InvalidInput

Routed = dict[str, dict[str, Any]]  # library call name → its keyword arguments
JsonScalar = str | int | float | bool | None  # a value whose type the library leaves open

# Reasons shared by several drivers.
SERVER_FILE = "it makes the server read or write a file"
HOST_KEYS = "it makes the server read host key files; NetWeave does not verify host keys"
SERVER_KEYS = "it makes the server use its own SSH keys or agent; give a password or a credential"
PARSER = (
    "parsers run templates on the server; use the request's `parsing` field "
    "(ntc_templates, textfsm, ttp)"
)
JUMP_HOST = "use connection_args.proxy_* or jump_hosts"

_DOC_TYPES: dict[str, Any] = {
    "str": str,
    "string": str,
    "int": int,
    "integer": int,
    "float": float,
    "bool": bool,
    "boolean": bool,
    "dict": dict[str, Any],
    "list": list[Any],
}
_CONTAINERS = {
    dict,
    list,
    tuple,
    collections.abc.Mapping,
    collections.abc.Sequence,
}


class ArgumentRefused(InvalidInput):
    """A pass-through argument the driver cannot honour (422); ``field`` names it."""


@dataclass(frozen=True)
class Accepted:
    """One argument a library call takes: the type a request's value must have, or why a
    request cannot give it (``foreign``: the call takes a Python object)."""

    name: str
    annotation: Any
    foreign: str | None = None

    @functools.cached_property
    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.annotation)

    def validate(self, value: Any) -> Any:
        """The value as the library takes it; strict JSON rules (no "1" for a number)."""
        return self.adapter.validate_json(json.dumps(value), strict=True)

    def describe(self) -> str:
        return _type_name(self.annotation)


@dataclass(frozen=True, eq=False)
class LibraryCall:
    """A library callable that pass-through arguments may go to. ``reads_from``: the
    name of a ``**kwargs`` or dict parameter whose keys the library reads in its body
    (``kwargs.get("x")``, ``"x" in kwargs``); ``hints``: types for arguments the library
    leaves untyped, or narrower than its own (the name must still be the library's)."""

    name: str
    function: Callable[..., Any]
    reads_from: str | None = None
    hints: Mapping[str, Any] = field(default_factory=dict)
    also: tuple[Callable[..., Any], ...] = ()  # more bodies reading ``reads_from``

    @functools.cached_property
    def accepted(self) -> dict[str, Accepted]:
        """Every argument this call takes by keyword, with its type."""
        found: dict[str, Accepted] = {}
        documented = _documented_types(self.function)
        if self.reads_from is None:
            for parameter in _parameters(self.function):
                annotation = self.hints.get(parameter.name, parameter.annotation)
                if annotation is inspect.Parameter.empty:
                    annotation = documented.get(parameter.name) or _from_default(parameter)
                found[parameter.name] = _accepted(parameter.name, annotation)
            return found
        for body in (self.function, *self.also):
            for name, default in _keys_read(body, self.reads_from).items():
                annotation = self.hints.get(name) or documented.get(name)
                if annotation is None:
                    annotation = type(default) if _is_scalar(default) else JsonScalar
                found.setdefault(name, _accepted(name, annotation))
        return found


def route(
    arguments: Mapping[str, Any],
    calls: Sequence[LibraryCall],
    refused: Mapping[str, str],
    *,
    driver: str,
    field: str,
    own: Collection[str] = (),
) -> Routed:
    """Which call gets which of ``arguments`` (each goes to every call that takes it);
    ``ArgumentRefused`` for the first one that is refused, taken by no call, or of the
    wrong type. ``refused`` wins over the signature: name → why; ``own``: the driver's
    own names (not listed among the accepted ones in an error)."""
    routed: Routed = {call.name: {} for call in calls}
    for name, value in arguments.items():
        where = f"{field}.{name}"
        if name in refused:
            raise ArgumentRefused(f"refused by the {driver} driver: {refused[name]}", field=where)
        takers = [call for call in calls if name in call.accepted]
        if not takers:
            raise ArgumentRefused(
                _not_accepted(driver, calls, {**dict.fromkeys(own, ""), **refused}),
                field=where,
            )
        for call in takers:
            accepted = call.accepted[name]
            if accepted.foreign is not None:
                raise ArgumentRefused(
                    f"refused by the {driver} driver: {call.name} takes a Python object "
                    f"({accepted.foreign}) there, which a request cannot carry",
                    field=where,
                )
            try:
                routed[call.name][name] = accepted.validate(value)
            except (ValidationError, TypeError, ValueError) as exc:
                problem = _first_problem(exc)
                raise ArgumentRefused(
                    f"{problem} (the {driver} driver's {call.name} takes {accepted.describe()})",
                    field=where,
                ) from exc
    return routed


@dataclass(frozen=True, eq=False)
class PassThrough:
    """A driver's rules for one field (``driver_args`` or ``connection_args``): the calls
    its extra arguments may go to, the refused names, and its own names (``own``: handled
    by the driver itself, never passed on)."""

    driver: str
    field: str
    calls: tuple[LibraryCall, ...]
    refused: Mapping[str, str]
    own: frozenset[str] = frozenset()

    def check(self, arguments: Mapping[str, Any], field: str | None = None) -> Routed:
        """At submission: every argument is routed, or ``ArgumentRefused``."""
        return route(
            arguments,
            self.calls,
            self.refused,
            driver=self.driver,
            field=field or self.field,
            own=self.own,
        )

    def pick(self, options: Mapping[str, Any], call: str) -> dict[str, Any]:
        """In the worker: the options (checked at submission) that go to ``call``; the
        driver's own, the refused and the unknown (options of another caller) stay out."""
        target = next(c for c in self.calls if c.name == call)
        wanted = {
            name: value
            for name, value in options.items()
            if name not in self.own
            and name not in self.refused
            and name in target.accepted
            and target.accepted[name].foreign is None
        }
        return route(wanted, (target,), {}, driver=self.driver, field=self.field)[call]


def no_pass_through(driver: str, field: str, arguments: Mapping[str, Any]) -> Routed:
    """For a driver that hands nothing on: any extra argument is refused."""
    return route(arguments, (), {}, driver=driver, field=field)


def _not_accepted(driver: str, calls: Sequence[LibraryCall], refused: Mapping[str, str]) -> str:
    if not calls:
        return f"not accepted by the {driver} driver (it takes no other arguments)"
    names = sorted(
        {
            name
            for call in calls
            for name, accepted in call.accepted.items()
            if name not in refused and accepted.foreign is None
        }
    )
    takers = ", ".join(call.name for call in calls)
    verb = "takes" if len(calls) == 1 else "take"
    return f"not accepted by the {driver} driver ({takers} {verb}: {', '.join(names)})"


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return str(exc.errors()[0]["msg"])
    return str(exc)


def _parameters(function: Callable[..., Any]) -> Iterable[inspect.Parameter]:
    try:
        signature = inspect.signature(function, eval_str=True)
    except (NameError, TypeError, SyntaxError):
        signature = inspect.signature(function)
    for parameter in signature.parameters.values():
        if parameter.name == "self" or parameter.name.startswith("_"):
            continue
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            yield parameter


def _accepted(name: str, annotation: Any) -> Accepted:
    return Accepted(name, annotation, _foreign(annotation))


def _from_default(parameter: inspect.Parameter) -> Any:
    """No annotation and no documented type: the default's type, else an undeclared type
    (maybe a callable or an object: refused)."""
    default = parameter.default
    return type(default) if _is_scalar(default) else _library_class("undeclared type")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _foreign(annotation: Any) -> str | None:
    """The part of ``annotation`` a JSON value cannot be (a class, a callable ...), or None."""
    if annotation is Any or annotation is type(None):
        return None
    if isinstance(annotation, str):  # an annotation that does not resolve
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        return next(filter(None, (_foreign(arg) for arg in typing.get_args(annotation))), None)
    if origin is Literal:
        return None
    if origin in _CONTAINERS:
        return next(filter(None, (_foreign(arg) for arg in typing.get_args(annotation))), None)
    if isinstance(annotation, type):
        if annotation in (str, int, float, bool, dict, list) or issubclass(annotation, enum.Enum):
            return None
        return annotation.__name__
    return repr(annotation)


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    text = repr(annotation).replace("typing.", "")
    return re.sub(r"<class '([\w.]+)'>", r"\1", text)


_SPHINX = re.compile(r":param\s+([\w.]+)\s+(\w+):")
_GOOGLE = re.compile(r"^\s*(\w+)\s*\(([\w.]+)\)\s*:", re.M)


def _documented_types(function: Callable[..., Any]) -> dict[str, Any]:
    """Types the docstring gives (``:param float timeout:``, ``timeout (int):``); a type
    that is no JSON value (``.PKey``, ``socket``) becomes ``object``."""
    doc = inspect.getdoc(function) or ""
    found: dict[str, Any] = {}
    pairs = [(name, kind) for kind, name in _SPHINX.findall(doc)] + _GOOGLE.findall(doc)
    for name, kind in pairs:
        found.setdefault(name, _DOC_TYPES.get(kind.lower(), _library_class(kind)))
    return found


def _library_class(name: str) -> type:
    """A stand-in for a class a docstring names (``.PKey``): a Python object."""
    return type(name.lstrip("."), (), {})


def _keys_read(function: Callable[..., Any], mapping: str) -> dict[str, Any]:
    """Constant keys ``function``'s body reads from ``mapping`` (a name or ``self.<name>``)
    with the default given where it reads with ``.get``/``.pop``."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return {}

    def is_mapping(node: ast.expr) -> bool:
        return (isinstance(node, ast.Name) and node.id == mapping) or (
            isinstance(node, ast.Attribute) and node.attr == mapping
        )

    keys: dict[str, Any] = {}
    for node in ast.walk(tree):
        key: ast.expr | None = None
        default: Any = None
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.In) for op in node.ops):
            if any(is_mapping(c) for c in node.comparators):
                key = node.left
        elif isinstance(node, ast.Subscript) and is_mapping(node.value):
            key = node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "pop", "setdefault")
            and is_mapping(node.func.value)
            and node.args
        ):
            key = node.args[0]
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                default = node.args[1].value
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            keys.setdefault(key.value, default)
    return keys
