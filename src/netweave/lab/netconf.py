"""NETCONF over SSH for lab devices: the ``netconf`` subsystem (RFC 6242) and the base
operations of RFC 6241 on the device's datastores (:mod:`netweave.lab.netconf_stores`).

- Hellos in end-of-message framing (``]]>]]>``); chunked framing afterwards when both sides
  say ``base:1.1``, as RFC 6242 asks. A framing error ends the session.
- ``get``, ``get-config`` (running or candidate, subtree filters), ``edit-config`` (merge,
  replace, create, delete, remove, ``default-operation``; on the candidate, or on running
  where the platform allows it), ``commit``, ``discard-changes``, ``lock``/``unlock``,
  ``close-session``, ``kill-session``, plus a platform RPC or two.
- Failures answer with ``<rpc-error>`` as real servers do (``malformed-message``,
  ``unknown-element``, ``invalid-value``, ``lock-denied``, ``in-use``...).

:class:`NetconfSession` is transport-free: the SSH server feeds it bytes and hands it a
``send`` and a ``close``; everything runs on the lab's event loop."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from netweave.lab.config_ios import IosConfig
from netweave.lab.junos import JunosConfig
from netweave.lab.netconf_ios import IosStore
from netweave.lab.netconf_stores import (
    BASE_11,
    CANDIDATE,
    Datastores,
    JunosStore,
    data_element,
)
from netweave.lab.netconf_xml import (
    BASE_NS,
    MAX_MESSAGE_BYTES,
    NC,
    RpcError,
    apply_edit,
    child,
    children,
    local,
    namespace,
    parse,
    subtree_filter,
    text,
)
from netweave.lab.platforms import PlatformProfile

END_OF_MESSAGE = b"]]>]]>"
END_OF_CHUNKS = b"\n##\n"
MAX_CHUNK = 4294967295
_MESSAGE_ID = re.compile(rb"message-id\s*=\s*[\"']([^\"'<>]{1,128})[\"']")


class FramingError(Exception):
    """The peer broke RFC 6242's framing: the session ends."""


class NetconfServer:
    """One device's NETCONF side: its datastores, the locks and the open sessions."""

    def __init__(self, store: Datastores) -> None:
        self.store = store
        self.locks: dict[str, int] = {}  # datastore → session id holding it
        self.sessions: dict[int, NetconfSession] = {}
        self._last_id = 0

    @classmethod
    def for_device(
        cls,
        profile: PlatformProfile,
        ios_config: IosConfig | None,
        junos_config: JunosConfig | None,
        save: Callable[[], None] | None = None,
    ) -> NetconfServer | None:
        """The server of a Junos or IOS (XE) device; None for platforms without NETCONF."""
        if profile.family == "junos" and junos_config is not None:
            return cls(JunosStore(junos_config, profile))
        if profile.family == "ios" and ios_config is not None:
            return cls(IosStore(ios_config, profile, save))
        return None

    def open(self, send: Callable[[bytes], None], close: Callable[[], None]) -> NetconfSession:
        self._last_id += 1
        session = NetconfSession(self, self._last_id, send, close)
        self.sessions[session.id] = session
        return session

    def release(self, session_id: int) -> None:
        """A session ended: its locks go, and a candidate it held locked is discarded
        (RFC 6241 section 8.3.5.2)."""
        for name, holder in list(self.locks.items()):
            if holder == session_id:
                del self.locks[name]
                if name == "candidate":
                    self.store.discard()
        self.sessions.pop(session_id, None)


class NetconfSession:
    def __init__(
        self,
        server: NetconfServer,
        session_id: int,
        send: Callable[[bytes], None],
        close: Callable[[], None],
    ) -> None:
        self.server = server
        self.store = server.store
        self.id = session_id
        self._send = send
        self._close = close
        self.buffer = bytearray()
        self.hello_done = False
        self.chunked = False
        self.closed = False
        self._close_after_reply = False

    # -- transport side ------------------------------------------------------------------
    def start(self) -> None:
        """Send the server's hello (always end-of-message framed)."""
        hello = etree.Element(f"{NC}hello", nsmap={None: BASE_NS})
        capabilities = etree.SubElement(hello, f"{NC}capabilities")
        for capability in self.store.capabilities:
            etree.SubElement(capabilities, f"{NC}capability").text = capability
        etree.SubElement(hello, f"{NC}session-id").text = str(self.id)
        self._send(_document(hello) + END_OF_MESSAGE)

    def received(self, data: bytes) -> None:
        if self.closed:
            return
        self.buffer += data
        try:
            while not self.closed:
                message = self._next_message()
                if message is None:
                    break
                self._handle(message)
        except FramingError:
            self.terminate()
            return
        if len(self.buffer) > MAX_MESSAGE_BYTES:
            self.terminate()

    def ended(self) -> None:
        """The SSH channel closed (or is closing): release what the session held, once."""
        self.closed = True
        if self.server.sessions.get(self.id) is self:
            self.server.release(self.id)

    def terminate(self) -> None:
        if not self.closed:
            self.ended()
            self._close()

    # -- framing --------------------------------------------------------------------------
    def _next_message(self) -> bytes | None:
        if not self.chunked:
            end = self.buffer.find(END_OF_MESSAGE)
            if end == -1:
                return None
            message = bytes(self.buffer[:end])
            del self.buffer[: end + len(END_OF_MESSAGE)]
            return message
        return self._next_chunked()

    def _next_chunked(self) -> bytes | None:
        """RFC 6242 section 4.2: ``\\n#<size>\\n<data>`` chunks, ``\\n##\\n`` at the end."""
        buffer, position = self.buffer, 0
        parts: list[bytes] = []
        while True:
            if len(buffer) - position < 4:
                return None
            if buffer[position : position + 4] == END_OF_CHUNKS:
                if not parts:
                    raise FramingError("end of chunks without a chunk")
                del buffer[: position + 4]
                return b"".join(parts)
            if buffer[position : position + 2] != b"\n#":
                raise FramingError("expected a chunk header")
            newline = buffer.find(b"\n", position + 2)
            if newline == -1:
                if len(buffer) - position > 13:
                    raise FramingError("chunk header too long")
                return None
            digits = bytes(buffer[position + 2 : newline])
            if not digits.isdigit() or digits.startswith(b"0") or int(digits) > MAX_CHUNK:
                raise FramingError("bad chunk size")
            size = int(digits)
            if size > MAX_MESSAGE_BYTES:
                raise FramingError("chunk too large")
            if len(buffer) < newline + 1 + size:
                return None
            parts.append(bytes(buffer[newline + 1 : newline + 1 + size]))
            position = newline + 1 + size

    def _write(self, element: Any) -> None:
        body = _document(element)
        if self.chunked:
            self._send(b"\n#%d\n" % len(body) + body + END_OF_CHUNKS)
        else:
            self._send(body + END_OF_MESSAGE)

    # -- messages -------------------------------------------------------------------------
    def _handle(self, message: bytes) -> None:
        try:
            root = parse(message.strip())
        except (etree.XMLSyntaxError, ValueError) as exc:
            if not self.hello_done:
                self.terminate()
                return
            found = _MESSAGE_ID.search(message[:4096])
            attributes = {"message-id": found.group(1).decode()} if found else {}
            error = RpcError("rpc", "malformed-message", f"malformed XML: {exc}")
            self._reply(attributes, error)
            return
        if not self.hello_done:
            self._hello(root)
            return
        if root.tag != f"{NC}rpc":
            error = RpcError(
                "rpc",
                "unknown-element",
                f"expected <rpc>, got <{local(root)}>",
                info={"bad-element": local(root)},
            )
            self._reply({}, error)
            return
        attributes = dict(root.attrib)
        if "message-id" not in attributes:
            error = RpcError(
                "rpc",
                "missing-attribute",
                "<rpc> needs a message-id",
                info={"bad-attribute": "message-id", "bad-element": "rpc"},
            )
            self._reply(attributes, error)
            return
        operations = children(root)
        try:
            if len(operations) != 1:
                raise RpcError("rpc", "malformed-message", "an <rpc> holds one operation")
            body: list[Any] | RpcError = self._dispatch(operations[0])
        except RpcError as error:
            body = error
        except Exception as exc:  # a lab bug must not kill the session: report it
            body = RpcError("application", "operation-failed", f"internal error: {exc}")
        self._reply(attributes, body)
        if self._close_after_reply:
            self.terminate()

    def _hello(self, root: Any) -> None:
        """The client's hello: base:1.0 or 1.1, no session-id (else the session ends)."""
        if root.tag != f"{NC}hello" or child(root, "session-id") is not None:
            self.terminate()
            return
        offered = {text(c) for c in root.iter(f"{NC}capability")}
        if not offered & {"urn:ietf:params:netconf:base:1.0", BASE_11}:
            self.terminate()
            return
        self.hello_done = True
        self.chunked = BASE_11 in offered and BASE_11 in self.store.capabilities

    def _reply(self, attributes: dict[str, str], body: list[Any] | RpcError) -> None:
        reply = etree.Element(f"{NC}rpc-reply", nsmap={None: BASE_NS})
        for name, value in attributes.items():
            reply.set(name, value)
        if isinstance(body, RpcError):
            reply.append(body.element())
        else:
            for element in body:
                reply.append(element)
        self._write(reply)

    def _dispatch(self, operation: Any) -> list[Any]:
        name = local(operation)
        if namespace(operation) == BASE_NS:
            handler = {
                "get": self._get,
                "get-config": self._get_config,
                "edit-config": self._edit_config,
                "lock": self._lock,
                "unlock": self._unlock,
                "commit": self._commit,
                "discard-changes": self._discard_changes,
                "close-session": self._close_session,
                "kill-session": self._kill_session,
            }.get(name)
            if handler is not None:
                return handler(operation)
        found = self.store.rpc(operation)  # ncclient puts dispatched names in base's namespace
        if found is not None:
            return found
        raise RpcError(
            "protocol",
            "operation-not-supported",
            f"<{name}> is not an operation this device supports",
            info={"bad-element": name},
        )

    # -- operations ----------------------------------------------------------------------
    def _datastore(self, operation: Any, which: str) -> str:
        holder = child(operation, which)
        if holder is None:
            raise RpcError(
                "protocol", "missing-element", f"<{which}> is missing", info={"bad-element": which}
            )
        inside = children(holder)
        name = local(inside[0]) if len(inside) == 1 else ""
        if name in ("startup", "url"):
            raise RpcError(
                "protocol", "operation-not-supported", f"the {name} datastore is not supported"
            )
        if name not in ("running", "candidate"):
            raise RpcError(
                "protocol",
                "invalid-value",
                f"<{which}> names one datastore: <running/> or <candidate/>",
                info={"bad-element": which},
            )
        if name == "candidate" and CANDIDATE not in self.store.capabilities:
            raise RpcError("protocol", "operation-not-supported", "no candidate datastore")
        return name

    def _ok(self) -> list[Any]:
        return [etree.Element(f"{NC}ok")]

    def _filtered(self, data: Any, operation: Any) -> list[Any]:
        selection = child(operation, "filter")
        if selection is None:
            return [data]
        if selection.get("type", "subtree") != "subtree":
            raise RpcError(
                "protocol",
                "operation-not-supported",
                f"{selection.get('type')} filters are not supported (no :xpath capability)",
                info={"bad-attribute": "type", "bad-element": "filter"},
            )
        out = data_element()
        for element in subtree_filter(data, selection):
            out.append(element)
        return [out]

    def _get(self, operation: Any) -> list[Any]:
        data = self.store.read("running")
        for element in self.store.state():
            data.append(element)
        return self._filtered(data, operation)

    def _get_config(self, operation: Any) -> list[Any]:
        return self._filtered(self.store.read(self._datastore(operation, "source")), operation)

    def _check_lock(self, name: str) -> None:
        holder = self.server.locks.get(name)
        if holder is not None and holder != self.id:
            raise RpcError(
                "protocol",
                "in-use",
                f"the {name} configuration is locked by session {holder}",
                info={"session-id": str(holder)},
            )

    def _edit_config(self, operation: Any) -> list[Any]:
        target = self._datastore(operation, "target")
        if target == "running" and not self.store.writable_running:
            raise RpcError(
                "protocol",
                "operation-not-supported",
                "the running configuration is not writable (no :writable-running): "
                "edit the candidate and commit",
            )
        self._check_lock(target)
        default_element = child(operation, "default-operation")
        default = text(default_element) if default_element is not None else "merge"
        if default not in ("merge", "replace", "none"):
            raise RpcError(
                "protocol",
                "invalid-value",
                f"default-operation {default!r}: merge, replace or none",
                info={"bad-element": "default-operation"},
            )
        config = child(operation, "config")
        if config is None:
            if child(operation, "url") is not None:
                raise RpcError("protocol", "operation-not-supported", "no :url capability")
            raise RpcError(
                "protocol", "missing-element", "<config> is missing", info={"bad-element": "config"}
            )
        data = self.store.read(target)
        apply_edit(data, config, default)
        self.store.write(target, data)
        return self._ok()

    def _lock(self, operation: Any) -> list[Any]:
        target = self._datastore(operation, "target")
        holder = self.server.locks.get(target)
        if holder is not None:
            raise RpcError(
                "protocol",
                "lock-denied",
                "Lock failed, lock is already held",
                info={"session-id": str(holder)},
            )
        if target == "candidate" and self.store.dirty:
            raise RpcError(
                "protocol",
                "lock-denied",
                "configuration database modified",
                info={"session-id": "0"},
            )
        self.server.locks[target] = self.id
        return self._ok()

    def _unlock(self, operation: Any) -> list[Any]:
        target = self._datastore(operation, "target")
        if self.server.locks.get(target) != self.id:
            raise RpcError(
                "protocol",
                "operation-failed",
                f"Unlock failed: this session holds no lock on {target}",
            )
        del self.server.locks[target]
        return self._ok()

    def _commit(self, operation: Any) -> list[Any]:
        if CANDIDATE not in self.store.capabilities:
            raise RpcError("protocol", "operation-not-supported", "no candidate to commit")
        if child(operation, "confirmed") is not None:
            raise RpcError("protocol", "operation-not-supported", "no :confirmed-commit capability")
        self._check_lock("running")
        self._check_lock("candidate")
        self.store.commit()
        return self._ok()

    def _discard_changes(self, operation: Any) -> list[Any]:
        self._check_lock("candidate")
        self.store.discard()
        return self._ok()

    def _close_session(self, operation: Any) -> list[Any]:
        self._close_after_reply = True
        return self._ok()

    def _kill_session(self, operation: Any) -> list[Any]:
        found = child(operation, "session-id")
        wanted = text(found) if found is not None else ""
        victim = self.server.sessions.get(int(wanted)) if wanted.isdigit() else None
        if victim is None or victim is self:
            why = "its own session" if victim is self else f"no session {wanted or '(none)'}"
            raise RpcError(
                "protocol",
                "invalid-value",
                f"kill-session: {why}",
                info={"bad-element": "session-id"},
            )
        victim.terminate()
        return self._ok()


def _document(element: Any) -> bytes:
    return bytes(etree.tostring(element, xml_declaration=True, encoding="UTF-8"))
