"""TTP templates without code: refuse every TTP feature that runs Python, imports modules,
reads or writes files or reaches the network, and parse in a guard process only.

TTP ``exec``s ``<macro>`` blocks and ``<vars>``/``<lookup>`` text loaded as Python (the
default ``load``), ``eval``s the arguments of every function in ``{{ var | f(args) }}`` and
in group attributes with the builtins in scope, calls any attribute of the matched value
named in a pipeline (``__class__`` chains reach ``os``), reads files named by ``<extend>``,
``<input>``, ``include=`` (and by the data or template text itself when it names a file),
and writes or sends results from ``<output>`` returners. :func:`check_template` accepts
only groups, literal function arguments, named functions that are not dunder attributes,
and ``<vars>``/``<lookup>`` in a data format; :func:`parse` (run in a guard process) also
makes TTP treat every string as text, never as a path.
"""

from __future__ import annotations

import ast
import builtins
import re
import xml.etree.ElementTree as ET
from typing import Any

GROUP_TAGS = frozenset({"g", "grp", "group"})
INPUT_TAGS = frozenset({"i", "in", "input"})
OUTPUT_TAGS = frozenset({"o", "out", "output"})
VARS_TAGS = frozenset({"v", "vars", "variables"})
DATA_LOADERS = frozenset({"yaml", "json", "csv", "ini", "text"})
# group attributes TTP reads as plain text (every other one is a function call)
PLAIN_GROUP_ATTRIBUTES = frozenset({"name", "method", "default", "input", "output"})
INDICATORS = frozenset({"_start_", "_end_", "_line_", "_exact_", "_exact_space_", "_headers_"})
REFUSED_FUNCTIONS = {
    "macro": "runs Python code",
    "chain": "expands functions from variables",
    "functions": "expands functions from variables",
    "dns": "reaches the network",
    "rdns": "reaches the network",
    "dns_forward": "reaches the network",
    "dns_reverse": "reaches the network",
    "geoip_lookup": "reads files",
    "format": "reaches object attributes",
    "format_map": "reaches object attributes",
}
_ITEM = re.compile(r"^(?P<name>\S+?)\s?(\((?P<options>.*)\))?$", re.DOTALL)  # as TTP's
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_VARIABLE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# names the argument ``eval`` of TTP resolves to objects rather than to the bare word
_RESOLVED_NAMES = frozenset(dir(builtins)) | {
    "re", "sys", "traceback", "logging", "log", "get_attributes", "_get_args_kwargs",
    "_UndefSubst",
}  # fmt: skip


class UnsafeTemplate(ValueError):
    """A TTP template uses a feature that is not allowed."""


def _refuse(feature: str, why: str) -> UnsafeTemplate:
    return UnsafeTemplate(f"TTP {feature} is not allowed ({why})")


def construct_etree(text: str) -> ET.Element:
    """The element tree TTP builds from a template text (same wrapping rules)."""
    try:
        root = ET.XML(text)
        if root.tag.lower() != "template":
            root = ET.XML(f"<template>\n{text}\n</template>")
    except ET.ParseError:
        root = ET.XML(f"<template>\n{text}\n</template>")
    return root


def _check_argument(node: ast.expr) -> None:
    if isinstance(node, ast.Constant):
        return
    if isinstance(node, ast.Name):
        if node.id in _RESOLVED_NAMES or node.id.startswith("_"):
            raise _refuse(f"argument {node.id!r}", "arguments must be literals")
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check_argument(node.operand)
        return
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        for item in node.elts:
            _check_argument(item)
        return
    if isinstance(node, ast.Dict):
        for part in [*node.keys, *node.values]:
            if part is None:
                raise _refuse("argument **", "arguments must be literals")
            _check_argument(part)
        return
    raise _refuse(f"argument {ast.unparse(node)!r}", "arguments must be literals")


def check_function(item: str, *, first: bool = False) -> None:
    """One ``name`` or ``name(args)`` of a pipeline; ``first``: the variable's own name."""
    found = _ITEM.match(item)
    if found is None:
        raise _refuse(f"function {item!r}", "not a function call TTP can read")
    name, options = found["name"], found["options"]
    if not _NAME.match(name) and not (first and options is None):
        raise _refuse(f"function {name!r}", "not a function name")
    if name in REFUSED_FUNCTIONS:
        raise _refuse(f"{name}()", REFUSED_FUNCTIONS[name])
    if not first and name.startswith("_") and name not in INDICATORS:
        raise _refuse(f"function {name!r}", "names starting with _ reach object internals")
    if options is None:
        return
    try:
        tree = ast.parse(f"_get_args_kwargs({options})", mode="eval")
    except SyntaxError:
        raise _refuse(f"arguments of {name}()", "not valid arguments") from None
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise _refuse(f"arguments of {name}()", "not valid arguments")
    for argument in call.args:
        if isinstance(argument, ast.Starred):
            raise _refuse(f"arguments of {name}()", "arguments must be literals")
        _check_argument(argument)
    for keyword in call.keywords:
        if keyword.arg is None:
            raise _refuse(f"arguments of {name}()", "arguments must be literals")
        _check_argument(keyword.value)


def check_pipeline(text: str) -> None:
    """``var | f(x) | g`` as TTP splits it (on every ``|``)."""
    items = [item.strip() for item in text.split("|") if item.strip()]
    for index, item in enumerate(items):
        check_function(item, first=index == 0)


def check_template(template: str) -> None:
    """Raise :class:`UnsafeTemplate` naming the first refused feature of ``template``."""
    if re.search(r"<!(DOCTYPE|ENTITY)", template, re.IGNORECASE):
        raise _refuse("<!DOCTYPE>/<!ENTITY>", "entities can read files and expand without end")
    try:
        root = construct_etree(template)
    except ET.ParseError as exc:
        raise UnsafeTemplate(f"TTP template is not valid XML: {exc}") from None
    for element in root.iter():
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag == "macro":
            raise _refuse("<macro>", "it runs Python code on the server")
        if tag == "extend":
            raise _refuse("<extend>", "it reads template files from the server")
        if tag in INPUT_TAGS:
            raise _refuse(f"<{tag}>", "inputs load files and run functions; the text is given")
        if tag in OUTPUT_TAGS:
            raise _refuse(f"<{tag}>", "outputs write files, send data and run functions")
        if tag in VARS_TAGS or tag == "lookup":
            load = element.attrib.get("load", "python").strip().lower()
            if load not in DATA_LOADERS:
                raise _refuse(
                    f'<{tag} load="{load}">',
                    "only yaml, json, csv, ini or text data; python is executed",
                )
            for attribute in ("include", "database"):
                if attribute in element.attrib:
                    raise _refuse(f"<{tag} {attribute}=...>", "it reads files from the server")
        if tag in GROUP_TAGS:
            for attribute, value in element.attrib.items():
                if attribute.lower() in PLAIN_GROUP_ATTRIBUTES:
                    continue
                check_function(f"{attribute}({value})")
        if tag == "template" and "macro" in element.attrib:
            raise _refuse("<template macro=...>", "it runs Python code on the server")
    for found in _VARIABLE.finditer(template):
        check_pipeline(found.group(1))


def _text_only_load_files(
    path: Any, extensions: Any = None, filters: Any = None, read: bool = False
) -> list[tuple[str, Any]]:
    """TTP's ``load_files`` that never opens a file: a string is the text itself."""
    if not isinstance(path, str):
        return [("structured_data", path)]
    return [("text_data", path)]


def _no_python(text_data: str, builtins: Any = None) -> Any:
    raise UnsafeTemplate("TTP Python data is not allowed")


def parse(data: str, template: str, structure: str | None) -> Any:
    """Parse ``data`` with ``template`` (checked here again); meant to run in a guard
    process. ``structure``: TTP's result structure (``None``: TTP's default)."""
    check_template(template)
    import ttp.utils.load_python_exec as python_exec
    import ttp.utils.loaders as loaders
    from ttp import ttp

    # TTP resolves its helpers by module attribute on first use: patch the modules
    loaders.load_files = _text_only_load_files
    python_exec.load_python_exec = _no_python
    parser = ttp(data=data, template=template)
    parser.parse(one=True)  # one process: nothing forked below the guard
    if structure is None:
        return parser.result()
    return parser.result(structure=structure)
