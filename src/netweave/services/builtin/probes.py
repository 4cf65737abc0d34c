"""Ping and traceroute, from the device (NAPALM's ``ping()`` / ``traceroute()`` over its
pooled session) or from the worker (ICMP echo on a raw socket).

Who may run what: from the device, any destination (an operator can already run ``ping``
there with ``netmiko_commands``). From the worker, only the addresses of the step's target
devices: the worker reaches nothing NetWeave does not reach already, so neither type needs
to be privileged (a probe of arbitrary hosts from a NetWeave host would)."""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from netweave.services.base import (
    Service,
    ServiceContext,
    ServiceInputs,
    ServiceOutcome,
    Template,
)

ECHO_REPLY, UNREACHABLE, ECHO_REQUEST, TIME_EXCEEDED = 0, 3, 8, 11
WORKER_RULE = (
    "destination: from the worker, only a target device's address may be probed "
    "(probe other hosts from the device: source device)"
)


class ProbeInputs(ServiceInputs):
    source: Literal["device", "worker"] = Field(
        default="device",
        description="device: the device pings (NAPALM); worker: the NetWeave worker does, "
        "to a target device's own address only",
    )
    destination: Template = Field(
        min_length=1,
        max_length=255,
        description="Address or name; Jinja2 allowed, e.g. {{ device.host }} or {{ vars.peer }}",
    )
    timeout: int = Field(default=2, ge=1, le=30, description="Seconds to wait for each reply")
    source_interface: str | None = Field(
        default=None,
        max_length=100,
        description="source device only: the interface (or address) probes leave from",
    )
    vrf: str | None = Field(default=None, max_length=100, description="source device only")

    @field_validator("source_interface", "vrf")
    @classmethod
    def _device_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("source") == "worker":
            raise ValueError("only for probes from the device (source: device)")
        if value is not None and (not value.strip() or any(c.isspace() for c in value)):
            raise ValueError("one word: an interface name, an address or a VRF name")
        return value


class PingInputs(ProbeInputs):
    count: int = Field(default=5, ge=1, le=100, description="Echo requests")
    size: int = Field(default=100, ge=36, le=18024, description="Datagram size in bytes")
    max_loss_percent: float = Field(
        default=100,
        ge=0,
        le=100,
        description="Success when a reply came and at most this much was lost (0: none)",
    )


class TracerouteInputs(ProbeInputs):
    max_hops: int = Field(default=30, ge=1, le=255, description="Largest TTL tried")


def _target(ctx: ServiceContext, text: str) -> str:
    """The rendered destination; for the worker, its address — which must be a target
    device's (ValueError otherwise)."""
    destination = ctx.render(text).strip()
    if not destination or any(c.isspace() for c in destination):
        raise ValueError("destination: one address or name")
    return destination


def _worker_address(ctx: ServiceContext, destination: str) -> str:
    address = _resolve(destination)
    allowed = {_resolve(d.host) for d in ([ctx.device] if ctx.device else []) + ctx.devices}
    if address is None or address not in allowed:
        raise ValueError(WORKER_RULE)
    return address


def _resolve(host: str) -> str | None:
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    try:
        return str(socket.getaddrinfo(host, None, socket.AF_INET)[0][4][0])
    except (OSError, IndexError):
        return None


def _probe(
    ctx: ServiceContext,
    inputs: Any,
    from_worker: Callable[[str, Any], dict[str, Any]],
    from_device: Callable[[ServiceContext, str, Any], dict[str, Any]],
) -> dict[str, Any]:
    """The probe's result from where ``inputs.source`` says (an ``error`` key: it failed)."""
    try:
        destination = _target(ctx, inputs.destination)
        address = _worker_address(ctx, destination) if inputs.source == "worker" else ""
    except ValueError as exc:
        return {"source": inputs.source, "error": str(exc)}
    if inputs.source == "worker":
        result = from_worker(address, inputs)
    else:
        result = from_device(ctx, destination, inputs)
    return {"source": inputs.source, "destination": destination, **result}


class Ping(Service[PingInputs]):
    title = "Ping"
    description = "ICMP echo from the device (NAPALM) or from the worker; loss and round trips."
    Inputs = PingInputs
    driver = "napalm"

    def run(self, ctx: ServiceContext, inputs: PingInputs) -> ServiceOutcome:
        result = _probe(ctx, inputs, _worker_ping, _device_ping)
        if "error" in result:
            return ServiceOutcome(False, result)
        success = result["received"] > 0 and result["loss_percent"] <= inputs.max_loss_percent
        return ServiceOutcome(success, result)


class Traceroute(Service[TracerouteInputs]):
    title = "Traceroute"
    description = "The hops to a destination, from the device (NAPALM) or from the worker."
    Inputs = TracerouteInputs
    driver = "napalm"

    def run(self, ctx: ServiceContext, inputs: TracerouteInputs) -> ServiceOutcome:
        result = _probe(ctx, inputs, _worker_traceroute, _device_traceroute)
        return ServiceOutcome("error" not in result and result["reached"], result)


# -- from the device ----------------------------------------------------------------------
def _summary(sent: int, rtts: list[float | None]) -> dict[str, Any]:
    answered = [r for r in rtts if r is not None]
    received = len(answered)
    return {
        "sent": sent,
        "received": received,
        "loss_percent": round(100 * (sent - received) / sent, 2) if sent else 100.0,
        "rtt_ms": {
            "min": round(min(answered), 3) if answered else None,
            "avg": round(sum(answered) / received, 3) if answered else None,
            "max": round(max(answered), 3) if answered else None,
        },
    }


def _device_ping(ctx: ServiceContext, destination: str, inputs: PingInputs) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "destination": destination,
        "count": inputs.count,
        "timeout": inputs.timeout,
        "size": inputs.size,
    }
    if inputs.vrf:
        arguments["vrf"] = inputs.vrf
    if inputs.source_interface:
        arguments["source_interface"] = inputs.source_interface
    wait = inputs.count * inputs.timeout + 30.0
    answer = ctx.session_call(lambda s: s.probe("ping", wait, **arguments), driver="napalm")
    if "success" not in answer:
        return {"error": str(answer.get("error", answer)).strip()[:2000]}
    found = answer["success"]
    sent = int(found.get("probes_sent", 0))
    received = sent - int(found.get("packet_loss", 0))
    summary = _summary(sent, [0.0] * received)
    if received:
        summary["rtt_ms"] = {key: float(found.get(f"rtt_{key}", 0.0)) for key in _RTT_KEYS}
    summary["probes"] = [
        {"sequence": n, "address": p.get("ip_address"), "rtt_ms": p.get("rtt")}
        for n, p in enumerate(found.get("results") or [], start=1)
    ]
    return summary


_RTT_KEYS = ("min", "avg", "max")


def _device_traceroute(
    ctx: ServiceContext, destination: str, inputs: TracerouteInputs
) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "destination": destination,
        "ttl": inputs.max_hops,
        "timeout": inputs.timeout,
    }
    if inputs.vrf:
        arguments["vrf"] = inputs.vrf
    if inputs.source_interface:
        arguments["source"] = inputs.source_interface
    wait = max(inputs.max_hops * inputs.timeout * 3 + 30.0, 100.0)
    answer = ctx.session_call(lambda s: s.probe("traceroute", wait, **arguments), driver="napalm")
    if "success" not in answer:
        return {"error": str(answer.get("error", answer)).strip()[:2000]}
    hops: list[dict[str, Any]] = []
    found: dict[Any, Any] = answer["success"]
    for number in sorted(found, key=int):
        probes: dict[Any, Any] = found[number].get("probes") or {}
        hops.append(
            {
                "hop": int(number),
                "probes": [
                    {
                        "address": probe.get("ip_address") or None,
                        "host_name": probe.get("host_name") or None,
                        "rtt_ms": probe.get("rtt") if probe.get("ip_address") else None,
                    }
                    for _, probe in sorted(probes.items(), key=lambda item: int(item[0]))
                ],
            }
        )
    reached = bool(hops) and any(p["address"] == destination for p in hops[-1]["probes"])
    return {"reached": reached, "hops": hops}


# -- from the worker ----------------------------------------------------------------------
def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


class _Icmp:
    """ICMP echo on a raw socket (root or CAP_NET_RAW: it also sees time-exceeded answers),
    else on an unprivileged ICMP datagram socket (ping only)."""

    def __init__(self, need_raw: bool) -> None:
        try:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            self.raw = True
        except PermissionError:
            if need_raw:
                raise
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
            self.raw = False
        self.ident = int.from_bytes(os.urandom(2), "big")

    def close(self) -> None:
        self.sock.close()

    def echo(
        self, address: str, sequence: int, timeout: float, size: int, ttl: int | None = None
    ) -> tuple[float | None, str | None, int | None]:
        """(round trip in seconds, who answered, ICMP type) — (None, None, None) on timeout."""
        payload = (b"netweave" * (size // 8 + 1))[: max(size - 28, 8)]
        header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, self.ident, sequence)
        checksum = _checksum(header + payload)
        packet = struct.pack("!BBHHH", ECHO_REQUEST, 0, checksum, self.ident, sequence) + payload
        if ttl is not None:
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        started = time.perf_counter()
        self.sock.sendto(packet, (address, 0))
        deadline = started + timeout
        while (left := deadline - time.perf_counter()) > 0:
            self.sock.settimeout(left)
            try:
                data, (responder, _) = self.sock.recvfrom(65535)
            except TimeoutError:
                break
            icmp = data[(data[0] & 0x0F) * 4 :] if self.raw else data
            if len(icmp) < 8:
                continue
            kind, _, _, ident, seq = struct.unpack("!BBHHH", icmp[:8])
            if kind == ECHO_REPLY and seq == sequence and (ident == self.ident or not self.raw):
                return time.perf_counter() - started, responder, kind
            if kind in (TIME_EXCEEDED, UNREACHABLE) and self.raw and len(icmp) >= 36:
                inner = icmp[8:]
                quoted = inner[(inner[0] & 0x0F) * 4 :][:8]
                if len(quoted) == 8:
                    _, _, _, ident, seq = struct.unpack("!BBHHH", quoted)
                    if ident == self.ident and seq == sequence:
                        return time.perf_counter() - started, responder, kind
        return None, None, None


def _worker_ping(address: str, inputs: PingInputs) -> dict[str, Any]:
    try:
        icmp = _Icmp(need_raw=False)
    except PermissionError:
        return {"error": "ICMP is not permitted on this worker (needs CAP_NET_RAW)"}
    probes: list[dict[str, Any]] = []
    try:
        for sequence in range(1, inputs.count + 1):
            rtt, responder, kind = icmp.echo(address, sequence, inputs.timeout, inputs.size)
            answered = kind == ECHO_REPLY and rtt is not None
            probes.append(
                {
                    "sequence": sequence,
                    "address": responder if answered else None,
                    "rtt_ms": round(rtt * 1000, 3) if answered and rtt is not None else None,
                }
            )
    except OSError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        icmp.close()
    summary = _summary(inputs.count, [p["rtt_ms"] for p in probes])
    summary["probes"] = probes
    return summary


def _worker_traceroute(address: str, inputs: TracerouteInputs) -> dict[str, Any]:
    try:
        icmp = _Icmp(need_raw=True)
    except PermissionError:
        return {"error": "traceroute from the worker needs a raw socket (CAP_NET_RAW)"}
    hops: list[dict[str, Any]] = []
    reached = False
    sequence = 0
    try:
        for ttl in range(1, inputs.max_hops + 1):
            probes = []
            for _ in range(3):
                sequence += 1
                rtt, responder, kind = icmp.echo(address, sequence, inputs.timeout, 64, ttl)
                reached = reached or kind == ECHO_REPLY
                probes.append(
                    {
                        "address": responder,
                        "host_name": None,
                        "rtt_ms": round(rtt * 1000, 3) if rtt is not None else None,
                    }
                )
            hops.append({"hop": ttl, "probes": probes})
            if reached:
                break
    except OSError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        icmp.close()
    return {"reached": reached, "hops": hops}
