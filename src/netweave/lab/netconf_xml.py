"""The XML side of the lab's NETCONF server (RFC 6241): safe parsing, ``<rpc-error>``,
``<edit-config>`` operations on a datastore tree and subtree filtering.

A datastore is an lxml element (``<data>``) whose children are the top-level configuration
elements (``<configuration>`` on Junos, ``<native>`` and ``<interfaces>`` on IOS XE). Edits
work on a copy: the platform's store validates the edited tree and applies it whole, or
refuses it with an :class:`RpcError` and nothing changes."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
NC = f"{{{BASE_NS}}}"
JUNOS_OPERATIONS = ("delete", "replace")  # Junos' own ``delete="delete"`` attributes
EDIT_OPERATIONS = ("merge", "replace", "create", "delete", "remove", "none")
KEY_LEAVES = ("name", "ip")  # list keys: Junos and ietf-interfaces ``name``, ietf-ip ``ip``
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


@dataclass
class RpcError(Exception):
    """One ``<rpc-error>`` (RFC 6241 section 4.3). ``kind``: transport | rpc | protocol |
    application; ``tag``: the RFC's error-tag (``invalid-value``, ``lock-denied``...);
    ``info``: error-info children (``bad-element``, ``session-id``...)."""

    kind: str
    tag: str
    message: str
    path: str | None = None
    info: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.tag}: {self.message}"

    def element(self) -> Any:
        error = etree.Element(f"{NC}rpc-error")
        etree.SubElement(error, f"{NC}error-type").text = self.kind
        etree.SubElement(error, f"{NC}error-tag").text = self.tag
        etree.SubElement(error, f"{NC}error-severity").text = "error"
        if self.path:
            etree.SubElement(error, f"{NC}error-path").text = self.path
        message = etree.SubElement(error, f"{NC}error-message")
        message.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        message.text = self.message
        if self.info:
            info = etree.SubElement(error, f"{NC}error-info")
            for name, value in self.info.items():
                etree.SubElement(info, f"{NC}{name}").text = value
        return error


def parse(data: bytes) -> Any:
    """Parse one message without resolving entities, loading DTDs or touching the network
    (XXE-safe); a document type declaration is refused outright."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=True,
        remove_comments=True,
        remove_pis=True,
    )
    root = etree.fromstring(data, parser)
    if root.getroottree().docinfo.doctype:
        raise etree.XMLSyntaxError("a DOCTYPE is not allowed", None, 1, 1)
    return root


def local(element: Any) -> str:
    return str(etree.QName(element).localname)


def namespace(element: Any) -> str | None:
    found = etree.QName(element).namespace
    return str(found) if found else None


def children(element: Any) -> list[Any]:
    """Element children only (no comments, processing instructions or entities)."""
    return [child for child in element if isinstance(child.tag, str)]


def text(element: Any) -> str:
    return (element.text or "").strip()


def child(element: Any, name: str) -> Any | None:
    """The first element child of local name ``name`` (any namespace)."""
    return next((c for c in children(element) if local(c) == name), None)


def same_name(data: Any, wanted: Any) -> bool:
    """Whether ``data`` has ``wanted``'s name; an element without a namespace matches that
    local name in any namespace (RFC 6241 subtree filters; edits too, leniently)."""
    if local(data) != local(wanted):
        return False
    wanted_ns = namespace(wanted)
    return wanted_ns is None or wanted_ns == namespace(data)


def key_of(element: Any) -> tuple[str, str] | None:
    """(key leaf, value) of a list entry, None for a container or leaf."""
    for name in KEY_LEAVES:
        found = child(element, name)
        if found is not None and not children(found):
            return name, text(found)
    return None


def find_match(parent: Any, edit: Any) -> Any | None:
    """The entry of ``parent`` that ``edit`` addresses: same name and same key."""
    key = key_of(edit)
    for candidate in children(parent):
        if not same_name(candidate, edit):
            continue
        if key is None:
            return candidate
        found = child(candidate, key[0])
        if found is not None and text(found) == key[1]:
            return candidate
    return None


# -- edit-config ----------------------------------------------------------------------------
def operation_of(element: Any, inherited: str) -> str:
    """The operation an element of ``<config>`` asks for: ``nc:operation`` (or a bare
    ``operation``, or Junos' ``delete="delete"`` / ``replace="replace"``), else the one it
    inherits."""
    found = element.get(f"{NC}operation") or element.get("operation")
    for junos in JUNOS_OPERATIONS:
        if element.get(junos) == junos:
            found = junos
    if found is None:
        return inherited
    if found not in EDIT_OPERATIONS:
        raise RpcError(
            "protocol",
            "bad-attribute",
            f"invalid operation {found!r}: one of {', '.join(EDIT_OPERATIONS)}",
            info={"bad-attribute": "operation", "bad-element": local(element)},
        )
    return found


def clean_copy(element: Any) -> Any:
    """A deep copy without operation attributes, leaf text stripped."""
    fresh = copy.deepcopy(element)
    for node in fresh.iter():
        if not isinstance(node.tag, str):
            continue
        for name in (f"{NC}operation", "operation", *JUNOS_OPERATIONS):
            node.attrib.pop(name, None)
        if children(node):
            node.text = None
        elif node.text is not None:
            node.text = node.text.strip()
        node.tail = None
    etree.cleanup_namespaces(fresh)
    return fresh


def _creates(edit: Any, inherited: str) -> bool:
    """Whether ``edit`` (under ``none``) asks anywhere below it to create something."""
    op = operation_of(edit, inherited)
    if op in ("merge", "replace", "create"):
        return True
    return any(_creates(c, op) for c in children(edit))


def apply_edit(datastore: Any, config: Any, default_operation: str) -> None:
    """Apply ``<config>``'s children to ``datastore`` (a ``<data>`` element) in place."""
    if default_operation == "replace":
        for old in children(datastore):
            datastore.remove(old)
        for edit in children(config):
            datastore.append(clean_copy(edit))
        return
    for edit in children(config):
        _apply(datastore, edit, default_operation)


def _apply(parent: Any, edit: Any, inherited: str) -> None:
    op = operation_of(edit, inherited)
    match = find_match(parent, edit)
    name = local(edit)
    if op in ("delete", "remove"):
        if match is not None:
            parent.remove(match)
        elif op == "delete":
            raise RpcError(
                "application",
                "data-missing",
                f"delete: {name} does not exist",
                info={"bad-element": name},
            )
        return
    if op == "create" and match is not None:
        raise RpcError(
            "application",
            "data-exists",
            f"create: {name} already exists",
            info={"bad-element": name},
        )
    if op in ("create", "replace"):
        fresh = clean_copy(edit)
        if match is not None:
            parent.replace(match, fresh)
        else:
            parent.append(fresh)
        return
    if match is None:  # merge, or none with something to create below
        if op == "none" and not _creates(edit, op):
            return
        match = etree.SubElement(parent, edit.tag, nsmap=edit.nsmap)
    if not children(edit):
        if op == "merge":
            match.text = text(edit) or None
        return
    for below in children(edit):
        _apply(match, below, op)


# -- subtree filtering (RFC 6241 section 6) -------------------------------------------------
def subtree_filter(data: Any, selection: Any) -> list[Any]:
    """The parts of ``data``'s children that ``selection`` (a ``<filter>``) selects."""
    found: list[Any] = []
    for wanted in children(selection):
        for candidate in children(data):
            if same_name(candidate, wanted):
                kept = _select(candidate, wanted)
                if kept is not None:
                    found.append(kept)
    return found


def _select(data: Any, wanted: Any) -> Any | None:
    criteria = children(wanted)
    if not criteria:
        expected = text(wanted)
        if expected and text(data) != expected:
            return None
        return copy.deepcopy(data)
    matches = [c for c in criteria if not children(c) and text(c)]
    for match in matches:  # content match nodes: all must hold
        if not any(same_name(d, match) and text(d) == text(match) for d in children(data)):
            return None
    others = [c for c in criteria if c not in matches]
    if not others:
        return copy.deepcopy(data)
    kept = etree.Element(data.tag, attrib=dict(data.attrib), nsmap=data.nsmap)
    selected = False
    key = key_of(data)
    for below in children(data):
        if key is not None and local(below) == key[0]:
            kept.append(copy.deepcopy(below))  # list entries keep their key
            selected = selected or any(same_name(below, c) for c in others)
            continue
        if any(same_name(below, m) for m in matches):
            kept.append(copy.deepcopy(below))
            continue
        for criterion in others:
            if same_name(below, criterion):
                chosen = _select(below, criterion)
                if chosen is not None:
                    kept.append(chosen)
                    selected = True
                break
    return kept if selected else None


def pretty(element: Any) -> bytes:
    return bytes(etree.tostring(element, pretty_print=True, encoding="UTF-8"))
