"""The datastores behind the lab's NETCONF server, one kind per platform, each backed by the
device's own CLI configuration so that NETCONF and the CLI agree (IOS XE's are in
:mod:`netweave.lab.netconf_ios`).

Junos: ``<configuration>`` XML mapped word for word from the ``set`` lines of the
candidate (shared with the CLI's ``configure``, as on a real box) and of the committed
configuration, with the statement hierarchy of :mod:`netweave.lab.junos_grammar` telling
list entries (``<interface><name>``) from leaves; a writable candidate, no writable
running."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from lxml import etree

from netweave.lab.junos import JunosConfig, split_words
from netweave.lab.junos_grammar import OPEN, SCHEMA, Node, check_set_path
from netweave.lab.netconf_xml import NC, RpcError, child, children, local, text
from netweave.lab.platforms import PlatformProfile

BASE_10 = "urn:ietf:params:netconf:base:1.0"
BASE_11 = "urn:ietf:params:netconf:base:1.1"
CANDIDATE = "urn:ietf:params:netconf:capability:candidate:1.0"
WRITABLE_RUNNING = "urn:ietf:params:netconf:capability:writable-running:1.0"
ROLLBACK_ON_ERROR = "urn:ietf:params:netconf:capability:rollback-on-error:1.0"


def data_element() -> Any:
    return etree.Element(f"{NC}data", nsmap={None: NC[1:-1]})


class Datastores(ABC):
    """``running`` and ``candidate`` of one device, read and written as whole trees."""

    capabilities: tuple[str, ...]
    writable_running: bool = False

    @abstractmethod
    def read(self, name: str) -> Any:
        """A fresh ``<data>`` element holding the datastore's top-level elements."""

    @abstractmethod
    def write(self, name: str, data: Any) -> None:
        """Validate ``data`` (an edited ``read``) and make it the datastore, or raise
        :class:`RpcError` and change nothing."""

    @property
    @abstractmethod
    def dirty(self) -> bool:
        """The candidate holds changes not committed."""

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def discard(self) -> None: ...

    def state(self) -> list[Any]:
        """Operational data ``<get>`` adds to the running configuration."""
        return []

    def rpc(self, request: Any) -> list[Any] | None:
        """The reply's children for a platform RPC, None when it is not one."""
        return None


def unknown(name: str, path: str) -> RpcError:
    return RpcError(
        "application",
        "unknown-element",
        f"{name}: unknown element (not in the models this device serves)",
        path=path,
        info={"bad-element": name},
    )


# -- Junos ------------------------------------------------------------------------------------
WRAPPED = {"interfaces": "interface", "vlans": "vlan", "routing-instances": "instance"}
_NEEDS_QUOTES = re.compile(r"[\s;{}#\"']")


@dataclass(frozen=True)
class Step:
    tag: str
    key: str | None = None
    text: str | None = None


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] == '"':
        return word[1:-1].replace('\\"', '"')
    return word


def _quote(value: str) -> str:
    if value and not _NEEDS_QUOTES.search(value):
        return value
    return '"' + value.replace('"', '\\"') + '"'


def set_path_steps(words: list[str]) -> list[Step]:
    """The XML steps of a ``set`` path: a statement that takes a name is a list entry
    (``<unit><name>0</name>``), one that takes a value a leaf; below a hierarchy the lab
    does not model, the last word is the value of the word before it."""
    steps: list[Step] = []
    node, position = SCHEMA, 0
    while position < len(words):
        word = words[position]
        below = None if node.open_ else node.keywords.get(word)
        if below is None:
            rest = [_unquote(w) for w in words[position:]]
            if len(rest) >= 2:
                steps += [Step(w) for w in rest[:-2]] + [Step(rest[-2], text=rest[-1])]
            else:
                steps.append(Step(rest[0]))
            break
        if below.value is None or position + 1 >= len(words):
            steps.append(Step(word))
            node, position = below, position + 1
            continue
        value = _unquote(words[position + 1])
        if below.keywords or below.open_:
            if word in WRAPPED:
                steps += [Step(word), Step(WRAPPED[word], key=value)]
            else:
                steps.append(Step(word, key=value))
        else:
            steps.append(Step(word, text=value))
        node, position = below, position + 2
    return steps


def _step_child(node: Any, step: Step) -> Any:
    for found in children(node):
        if local(found) != step.tag:
            continue
        if step.key is not None:
            name = child(found, "name")
            if name is not None and text(name) == step.key:
                return found
        elif step.text is not None:
            if not children(found) and text(found) == step.text:
                return found
        elif not text(found):
            return found
    fresh = etree.SubElement(node, step.tag)
    if step.key is not None:
        etree.SubElement(fresh, "name").text = step.key
    if step.text is not None:
        fresh.text = step.text
    return fresh


def junos_xml(lines: list[str]) -> Any:
    """``set`` lines → ``<configuration>``."""
    root = etree.Element("configuration")
    for line in lines:
        node = root
        for step in set_path_steps(split_words(line)[1:]):
            node = _step_child(node, step)
    return root


def junos_lines(configuration: Any) -> list[list[str]]:
    """``<configuration>`` → the words of each ``set`` line (without ``set``)."""
    out: list[list[str]] = []
    for element in children(configuration):
        _lines(element, [], SCHEMA, out)
    return out


def _key(element: Any, path: list[str]) -> Any:
    name = child(element, "name")
    if name is None or children(name) or not text(name):
        raise RpcError(
            "protocol",
            "missing-element",
            f"{local(element)}: needs its <name>",
            path=f"[edit {' '.join(path)}]".replace(" ]", "]"),
            info={"bad-element": "name"},
        )
    return name


def _lines(element: Any, prefix: list[str], node: Node, out: list[list[str]]) -> None:
    tag, subs = local(element), children(element)
    below = OPEN if node.open_ else node.keywords.get(tag)
    if below is None:
        error = unknown(tag, f"[edit {' '.join(prefix)}]".replace(" ]", "]"))
        error.kind, error.message = "protocol", "syntax error"
        raise error
    if tag in WRAPPED and below.value is not None:  # <interfaces><interface><name>
        for entry in subs:
            if local(entry) != WRAPPED[tag]:
                raise unknown(local(entry), f"[edit {' '.join([*prefix, tag])}]")
            _entry(entry, [*prefix, tag], below, out)
        return
    if below.value is not None and (below.keywords or below.open_):
        _entry(element, [*prefix, tag], below, out)
        return
    if below.value is not None:  # a leaf that takes a value
        if subs or not text(element):
            raise RpcError(
                "application",
                "invalid-value",
                f"{tag}: needs a value",
                path=f"[edit {' '.join(prefix)}]",
                info={"bad-element": tag},
            )
        out.append([*prefix, tag, _quote(text(element))])
        return
    if below.open_ and subs and child(element, "name") is not None:
        _entry(element, [*prefix, tag], below, out)
        return
    if not subs:
        if text(element):
            out.append([*prefix, tag, _quote(text(element))])
        elif below.open_ or not below.keywords:
            out.append([*prefix, tag])  # a statement on its own: disable, ssh
        return  # an empty container says nothing
    for element_below in subs:
        _lines(element_below, [*prefix, tag], below, out)


def _entry(element: Any, prefix: list[str], node: Node, out: list[list[str]]) -> None:
    """A list entry: ``prefix`` then its name, then each statement below it."""
    key = _key(element, prefix)
    words = [*prefix, _quote(text(key))]
    rest = [c for c in children(element) if c is not key]
    if not rest:
        out.append(words)
    inner = Node(keywords=node.keywords, open_=node.open_)  # past the name: its statements
    for statement in rest:
        _lines(statement, words, inner, out)


def _in_place(old: list[str], new: list[str]) -> list[str]:
    """``new`` in ``old``'s order: a line whose value changed stays where it was (the CLI's
    ``compare`` and ``show configuration`` do not shuffle), added lines go last."""
    existing = set(old)
    fresh = list(dict.fromkeys(line for line in new if line not in existing))
    wanted = set(new)
    merged: list[str] = []
    for line in old:
        if line in wanted:
            merged.append(line)
            continue
        stem = split_words(line)[:-1]
        same = next((f for f in fresh if split_words(f)[:-1] == stem), None)
        if same is not None:
            merged.append(same)
            fresh.remove(same)
    return merged + fresh


class JunosStore(Datastores):
    capabilities = (
        BASE_10,
        BASE_11,
        CANDIDATE,
        "http://xml.juniper.net/netconf/junos/1.0",
        "http://xml.juniper.net/dmi/system/1.0",
    )

    def __init__(self, config: JunosConfig, profile: PlatformProfile) -> None:
        self.config = config
        self.profile = profile

    def read(self, name: str) -> Any:
        data = data_element()
        lines = self.config.candidate if name == "candidate" else self.config.committed
        data.append(junos_xml(lines))
        return data

    def write(self, name: str, data: Any) -> None:
        if name != "candidate":
            raise RpcError(
                "protocol",
                "operation-not-supported",
                "the running configuration is not writable: edit the candidate and commit",
            )
        paths: list[list[str]] = []
        for top in children(data):
            if local(top) != "configuration":
                raise unknown(local(top), "/")
            paths += junos_lines(top)
        for words in paths:
            rejection = check_set_path(words)
            if rejection is not None:
                bad = words[rejection.token] if rejection.token < len(words) else words[-1]
                raise RpcError(
                    "application",
                    "invalid-value",
                    rejection.message,
                    path=f"[edit {' '.join(words[: rejection.token])}]",
                    info={"bad-element": bad.strip('"')},
                )
        self.config.candidate = _in_place(
            self.config.candidate, ["set " + " ".join(words) for words in paths]
        )

    @property
    def dirty(self) -> bool:
        return self.config.dirty

    def commit(self) -> None:
        self.config.commit()

    def discard(self) -> None:
        self.config.rollback()

    def rpc(self, request: Any) -> list[Any] | None:
        if local(request) != "get-software-information":
            return None
        info = etree.Element("software-information")
        etree.SubElement(info, "host-name").text = self.config.hostname
        etree.SubElement(info, "product-model").text = self.profile.model
        etree.SubElement(info, "product-name").text = self.profile.model
        etree.SubElement(info, "junos-version").text = self.profile.os_version
        return [info]
