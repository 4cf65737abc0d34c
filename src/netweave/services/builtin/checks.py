"""Checks: data validation of an earlier step's result, reachability (ICMP ping or TCP)."""

from __future__ import annotations

import os
import socket
import struct
import time
from typing import Literal

from pydantic import Field

from netweave.services.base import Service, ServiceContext, ServiceInputs, ServiceOutcome
from netweave.services.builtin.matching import Check, evaluate


class ValidationInputs(ServiceInputs):
    step: str = Field(min_length=1, description="The earlier step whose result is checked")
    checks: list[Check] = Field(min_length=1, description="All must pass")


class DataValidation(Service[ValidationInputs]):
    title = "Data validation"
    description = "Check an earlier step's result: text, regex or dict match, optionally negated."
    Inputs = ValidationInputs

    def run(self, ctx: ServiceContext, inputs: ValidationInputs) -> ServiceOutcome:
        data = ctx.result(inputs.step)
        if data is None:
            return ServiceOutcome(False, {"error": f"step: no result for {inputs.step!r}"})
        verdicts = [evaluate(check, data, ctx.render) for check in inputs.checks]
        return ServiceOutcome(
            all(ok for ok, _ in verdicts),
            {"checks": [{"passed": ok, "detail": detail} for ok, detail in verdicts]},
        )


class ReachabilityInputs(ServiceInputs):
    kind: Literal["tcp", "ping"] = Field(default="tcp", description="TCP connect or ICMP echo")
    port: int | None = Field(default=None, ge=1, le=65535, description="TCP port (default SSH)")
    count: int = Field(default=3, ge=1, le=20)
    timeout: float = Field(default=2, gt=0, le=30, description="Seconds per probe")
    min_success: int = Field(default=1, ge=1, description="Answers needed to succeed")


class Reachability(Service[ReachabilityInputs]):
    title = "Reachability"
    description = "ICMP ping or TCP connect to the device, with round-trip times."
    Inputs = ReachabilityInputs

    def run(self, ctx: ServiceContext, inputs: ReachabilityInputs) -> ServiceOutcome:
        assert ctx.device is not None
        host = ctx.device.host
        port = inputs.port or ctx.device.port
        times: list[float | None] = []
        error = None
        for sequence in range(inputs.count):
            try:
                if inputs.kind == "tcp":
                    times.append(tcp_probe(host, port, inputs.timeout))
                else:
                    times.append(icmp_probe(host, inputs.timeout, sequence))
            except PermissionError:
                error = "ICMP is not permitted on this worker; use kind=tcp"
                break
        answered = [t for t in times if t is not None]
        return ServiceOutcome(
            error is None and len(answered) >= inputs.min_success,
            {
                "kind": inputs.kind,
                "target": f"{host}:{port}" if inputs.kind == "tcp" else host,
                "sent": len(times),
                "received": len(answered),
                "rtt_ms": [round(t * 1000, 2) if t is not None else None for t in times],
                "error": error,
            },
        )


def tcp_probe(host: str, port: int, timeout: float) -> float | None:
    started = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return time.perf_counter() - started
    except OSError:
        return None


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def icmp_probe(host: str, timeout: float, sequence: int) -> float | None:
    """One echo request: an unprivileged ICMP datagram socket where the kernel allows it,
    else a raw socket (needs CAP_NET_RAW). PermissionError when neither is allowed."""
    ident = os.getpid() & 0xFFFF
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        raw = False
    except PermissionError:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        raw = True
    payload = b"netweave" + struct.pack("!d", time.time())
    header = struct.pack("!BBHHH", 8, 0, 0, ident, sequence)
    packet = struct.pack("!BBHHH", 8, 0, _checksum(header + payload), ident, sequence) + payload
    with sock:
        sock.settimeout(timeout)
        started = time.perf_counter()
        address = socket.gethostbyname(host)
        sock.sendto(packet, (address, 0))
        deadline = started + timeout
        while (left := deadline - time.perf_counter()) > 0:
            sock.settimeout(left)
            try:
                data, source = sock.recvfrom(1024)
            except TimeoutError:
                return None
            icmp = data[(data[0] & 0x0F) * 4 :] if raw else data
            kind, _, _, _, seq = struct.unpack("!BBHHH", icmp[:8])
            if kind == 0 and seq == sequence and source[0] == address:
                return time.perf_counter() - started
    return None
