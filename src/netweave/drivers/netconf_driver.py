"""NETCONF over SSH (ncclient): one session per device on the ``netconf`` subsystem, kept
open in the session pool like a CLI session (stateful: locks and the candidate belong to
it, so jobs to one device queue on it, ``pinned``).

The ``netconf`` service type drives it through ``ServiceContext.session_call`` and
:meth:`NetconfSession.call`. Through the generic job API, each command is the XML of one
RPC (``<get-config><source><running/></source></get-config>``) and a configuration push
is one ``<config>`` loaded into the candidate and committed (or into running on devices
without a candidate). RPC errors come back as replies (``ok`` false, the device's
``error-message``s), never as session failures: the session stays usable."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lxml import etree
from ncclient import manager
from ncclient.operations import RaiseMode
from ncclient.operations.errors import MissingCapabilityError, TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import (
    AuthenticationError,
    SessionCloseError,
    SSHError,
    SSHUnknownHostError,
    TransportError,
)
from ncclient.xml_ import XMLError

from netweave.drivers.base import (
    BaseConnectionArgs,
    CommandOutput,
    ConfigOutcome,
    Driver,
    DriverError,
    DriverSession,
    QueueStrategy,
)
from netweave.drivers.failures import PhaseClock, failure, probe_connect, seconds
from netweave.drivers.host_keys import pinned_key
from netweave.drivers.jump import JumpChain

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
CANDIDATE = "urn:ietf:params:netconf:capability:candidate:1.0"
# what NetconfSession.call may run: the Manager methods of RFC 6241's operations
OPERATIONS = frozenset(
    {
        "get",
        "get_config",
        "edit_config",
        "commit",
        "discard_changes",
        "lock",
        "unlock",
        "validate",
        "dispatch",
    }
)


def safe_xml(text: str) -> Any:
    """Parse XML without entities, DTDs or network access (XXE-safe); a DOCTYPE is refused.
    ``ValueError`` with the parser's message when it is not well-formed."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True
    )
    try:
        root = etree.fromstring(text.strip().encode(), parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise ValueError("a DOCTYPE is not allowed")
    return root


def config_element(root: Any) -> Any:
    """``root`` as the ``<config>`` of an edit-config (wrapped unless it is one)."""
    if etree.QName(root).localname == "config":
        return root
    wrapper = etree.Element(f"{{{BASE_NS}}}config", nsmap={"nc": BASE_NS})
    wrapper.append(root)
    return wrapper


@dataclass
class NetconfReply:
    """One RPC's answer: ``xml`` as the device sent it, ``errors`` its ``<rpc-error>``s."""

    operation: str
    ok: bool
    xml: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    duration_seconds: float = 0.0

    @property
    def error(self) -> str:
        return "; ".join(e.get("message") or e.get("tag") or "rpc-error" for e in self.errors)


def _error_dict(error: RPCError) -> dict[str, Any]:
    return {
        "type": error.type,
        "tag": error.tag,
        "severity": error.severity,
        "path": (error.path or "").strip() or None,
        "message": (error.message or "").strip() or None,
        "info": error.info,
    }


class NetconfSession(DriverSession):
    def __init__(self, connection: Any, target: str) -> None:
        self.manager = connection
        self.target = target  # host:port, for error messages
        self.jump: JumpChain | None = None
        self.info = {"session_id": connection.session_id}

    @property
    def capabilities(self) -> list[str]:
        return list(self.manager.server_capabilities)

    def supports(self, capability: str) -> bool:
        """``capability``: a full URI, or ncclient's short form (``:candidate``)."""
        return capability in self.manager.server_capabilities

    def call(self, operation: str, timeout: float, **arguments: Any) -> NetconfReply:
        """Run one RPC (a Manager method in :data:`OPERATIONS`). An ``<rpc-error>`` or a
        capability the device lacks is a reply with ``ok`` false; a lost session or a
        timeout a :class:`DriverError` (the pool discards the session)."""
        if operation not in OPERATIONS:
            raise DriverError("invalid_request", f"not a NETCONF operation: {operation}")
        self.manager.timeout = timeout
        clock = PhaseClock(self.target, f"NETCONF {operation}")
        started = time.perf_counter()
        try:
            reply = getattr(self.manager, operation)(**arguments)
        except RPCError as exc:
            errors = [_error_dict(e) for e in getattr(exc, "errors", None) or [exc]]
            return NetconfReply(operation, False, "", errors, time.perf_counter() - started)
        except (MissingCapabilityError, XMLError) as exc:
            return NetconfReply(
                operation,
                False,
                "",
                [{"tag": "missing-capability", "message": f"{operation}: {exc}"}],
                time.perf_counter() - started,
            )
        except (TimeoutExpiredError, SessionCloseError, TransportError, OSError) as exc:
            if isinstance(exc, TimeoutExpiredError):
                raise failure(
                    "timeout",
                    f"timed out after {seconds(clock.elapsed())} s waiting for the reply to "
                    f"{operation}",
                    phase=clock.name,
                    elapsed=clock.elapsed(),
                ) from exc
            raise failure(
                "session_lost",
                f"session lost during {operation}: {exc}",
                phase=clock.name,
                elapsed=clock.elapsed(),
            ) from exc
        errors = [_error_dict(e) for e in reply.errors]
        return NetconfReply(
            operation,
            bool(reply.ok) and not errors,
            reply.xml,
            errors,
            time.perf_counter() - started,
        )

    # -- the generic job API ------------------------------------------------------------
    def run_commands(self, commands: list[str], options: dict[str, Any]) -> list[CommandOutput]:
        timeout = float(options.get("read_timeout", 30))
        outputs = []
        for command in commands:
            try:
                rpc = safe_xml(command)
            except ValueError as exc:
                outputs.append(CommandOutput(command, "", f"an RPC's XML is expected: {exc}", 1))
                continue
            reply = self.call("dispatch", timeout, rpc_command=rpc)
            outputs.append(
                CommandOutput(
                    command, reply.xml, reply.error, 0 if reply.ok else 1, reply.duration_seconds
                )
            )
        return outputs

    def push_config(self, lines: list[str], options: dict[str, Any]) -> ConfigOutcome:
        """The lines are one ``<config>``: candidate + commit where there is one (discarded
        when refused), else running."""
        timeout = float(options.get("read_timeout", 30))
        started = time.perf_counter()
        text = "\n".join(lines)
        outcome = ConfigOutcome(output="")
        try:
            config = config_element(safe_xml(text))
        except ValueError as exc:
            outcome.failed_line, outcome.error = text[:200], str(exc)
            return outcome
        candidate = self.supports(CANDIDATE)
        target = "candidate" if candidate else "running"
        reply = self.call("edit_config", timeout, target=target, config=config)
        if reply.ok and candidate:
            reply = self.call("commit", timeout)
        if not reply.ok and candidate:
            self.call("discard_changes", timeout)
        outcome.output = reply.xml
        if reply.ok:
            outcome.applied = list(lines)
        else:
            outcome.failed_line, outcome.error = text[:200], reply.error
            outcome.skipped = list(lines)
        outcome.duration_seconds = time.perf_counter() - started
        return outcome

    # -- lifecycle ------------------------------------------------------------------------
    def is_alive(self) -> bool:
        return bool(self.manager.connected)

    def keepalive(self) -> bool:
        transport = getattr(self.manager._session, "transport", None)
        if transport is None or not transport.is_active():
            return False
        transport.send_ignore()
        return True

    def settle(self) -> bool:
        return self.is_alive()

    def close(self) -> None:
        try:
            if self.manager.connected:
                self.manager.timeout = 5
                self.manager.close_session()
        except Exception:  # closing politely is best effort: cut it
            self.abort()
            return
        finally:
            if self.jump is not None:
                self.jump.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # already gone
            self.manager._session.close()
        if self.jump is not None:
            self.jump.close()


class NetconfDriver(Driver):
    name = "netconf"
    persistent = True
    checks_host_key = True
    default_queue_strategy: ClassVar[QueueStrategy] = "pinned"

    def connect(self, args: BaseConnectionArgs) -> DriverSession:
        target = f"{args.host}:{args.port}"
        pinned = pinned_key(args)  # connection_args.host_key: strict; else first sight
        jump = JumpChain.through(args)
        sock = jump.open(args.host, args.port) if jump is not None else None
        clock = PhaseClock(target, "connecting")
        try:
            connection = manager.connect(
                host=args.host,
                port=args.port,
                username=args.username,
                password=args.password.get_secret_value() if args.password else None,
                timeout=args.timeout,
                hostkey_verify=pinned is not None,
                hostkey_b64=pinned[1].get_base64() if pinned is not None else None,
                unknown_host_cb=lambda host, fingerprint: False,
                allow_agent=False,
                look_for_keys=False,
                sock=sock,
                device_params={"name": "default"},
                errors_params={"raise_mode": RaiseMode.NONE},
            )
        except Exception as exc:
            if jump is not None:
                jump.close()
            raise self._login_error(exc, clock, args) from exc
        session = NetconfSession(connection, target)
        session.jump = jump
        return session

    @staticmethod
    def _login_error(exc: Exception, clock: PhaseClock, args: BaseConnectionArgs) -> DriverError:
        took, target = seconds(clock.elapsed()), clock.target
        if isinstance(exc, SSHUnknownHostError):
            return failure(
                "host_key_mismatch",
                f"host key mismatch: {target} presented a host key that differs from the "
                f"known one (strict host key checking) after {took} s",
                phase="checking the host key",
                elapsed=clock.elapsed(),
            )
        if isinstance(exc, AuthenticationError):
            return failure(
                "auth_failed",
                f"authentication failed: {target} rejected the credentials after {took} s",
                phase="authenticating",
                elapsed=clock.elapsed(),
            )
        message = str(exc)
        if isinstance(exc, SSHError) and message.startswith("Could not open socket"):
            refused = probe_connect(args.host, args.port, min(args.timeout, 5))
            if refused is not None:
                return clock.error(refused)
        if isinstance(exc, SSHError) and "subsystem" in message:
            return failure(
                "error",
                f"{target} refused the netconf SSH subsystem (NETCONF not enabled on that "
                f"port?) after {took} s",
                phase="opening the netconf subsystem",
                elapsed=clock.elapsed(),
            )
        return clock.error(exc)
