"""The demo on real network software (``netweave serve --demo-real``, ``make demo-real``):
FRRouting routers in network namespaces (``netweave lab up --real`` in a child process, root
needed), seeded into the inventory with FRR workflows: an OSPF cost change with backup,
validation and roll-back, OSPF diagnostics, and an event rule running the diagnostics when a
router logs an OSPF adjacency leaving Full."""

from __future__ import annotations

import ctypes
import ipaddress
import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from netweave.core.automation import definitions
from netweave.core.events import records
from netweave.core.events.schemas import RuleCreate, RuleMatch
from netweave.core.inventory import credentials, devices, links, pools
from netweave.core.inventory.links import default_link_name
from netweave.core.inventory.schemas import (
    CredentialCreate,
    CredentialScope,
    CredentialUpdate,
    DeviceCreate,
    DeviceFilter,
    DeviceUpdate,
    LinkCreate,
    PoolCreate,
)
from netweave.core.runtime import Runtime
from netweave.db.models import Credential, Device, EventRule, Link, Pool
from netweave.netlab import missing_requirements, remove_lab

REAL_CREDENTIAL = "netlab"
REAL_POOL = "netlab-frr"
MANIFEST = "netlab-manifest.json"
REAL_START_TIMEOUT_S = 180.0
REAL_STOP_TIMEOUT_S = 40.0  # the child takes every router down first
ADJACENCY_RULE = "OSPF adjacency change"
PR_SET_PDEATHSIG = 1  # prctl(2)


@dataclass
class LabManifest:
    """What a real lab's manifest (``netweave lab up --real --manifest F``) says."""

    manifest: Path
    id: str
    host_address: str
    devices: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)

    @property
    def management(self) -> str:
        """The management network (a /24) the routers' SSH daemons are on."""
        return str(ipaddress.ip_network(f"{self.host_address}/24", strict=False))

    @classmethod
    def read(cls, path: Path) -> LabManifest:
        """Raises ValueError naming what is wrong with the file."""
        try:
            data = json.loads(path.read_text())  # written whole (a rename)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a readable manifest: {exc}") from exc
        if not isinstance(data, dict) or data.get("kind") != "netlab":
            raise ValueError(f"{path}: not a real lab's manifest (kind: netlab)")
        return cls(path, data["id"], data["host_address"], data["devices"], data["links"])


@dataclass
class RealDemoLab(LabManifest):
    """``netweave lab up --real`` in a child process, and what its manifest says."""

    process: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        """SIGTERM: the child takes its routers down; one that hangs is killed and what it
        left (namespaces, daemons) removed here."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=REAL_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        remove_lab(self.id)  # nothing left after a clean exit; the remains of a killed one
        self.manifest.unlink(missing_ok=True)


def _dies_with_parent() -> None:
    """In the lab's child: SIGTERM (it then takes its routers down) when the server dies,
    even by SIGKILL."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_real_lab(data_dir: Path, topology: str, syslog_port: int) -> RealDemoLab:
    """Start the FRR lab in a child process (FRR's logs as syslog to ``syslog_port`` on the
    lab's host address) and wait until its routers have converged and its manifest is out."""
    problem = missing_requirements()
    if problem:
        raise RuntimeError(f"the real lab cannot run here: {problem}")
    manifest = data_dir / MANIFEST
    manifest.unlink(missing_ok=True)
    log = (data_dir / "netlab.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "netweave.cli.main", "lab", "up", "--real",
         "--topology", topology, "--manifest", str(manifest), "--syslog", f":{syslog_port}"],
        stdout=log, stderr=subprocess.STDOUT, preexec_fn=_dies_with_parent,
    )  # fmt: skip
    deadline = time.monotonic() + REAL_START_TIMEOUT_S
    while not manifest.exists():
        if process.poll() is not None:
            raise RuntimeError(f"the real lab exited (code {process.returncode}); see {log.name}")
        if time.monotonic() > deadline:
            process.terminate()
            raise RuntimeError(f"the real lab did not start within {REAL_START_TIMEOUT_S:.0f} s")
        time.sleep(0.2)
    read = LabManifest.read(manifest)
    return RealDemoLab(
        manifest, read.id, read.host_address, read.devices, read.links, process=process
    )


def _upsert_credential(runtime: Runtime, session: Any, lab: LabManifest) -> None:
    """The routers' vtysh login, offered only to the lab's management network (a new /24
    at each start: the scope follows it)."""
    first = lab.devices[0]
    scope = CredentialScope(networks=[lab.management])
    row = session.scalar(select(Credential).where(Credential.name == REAL_CREDENTIAL))
    if row is None:
        credentials.create_credential(
            session,
            runtime.box,
            CredentialCreate(
                name=REAL_CREDENTIAL,
                description="vtysh login of the real lab's FRR routers",
                username=first["username"],
                password=first["password"],
                scope=scope,
            ),
        )
    else:
        credentials.update_credential(
            session,
            runtime.box,
            row.id,
            CredentialUpdate(username=first["username"], password=first["password"], scope=scope),
        )


def _device_data(device: dict[str, Any]) -> DeviceCreate:
    return DeviceCreate(
        name=device["name"],
        host=device["host"],
        port=int(device.get("port", 22)),
        platform=device["platform"],
        vendor=device.get("vendor") or "",
        model=device.get("model") or "",
        os_version=device.get("os_version") or "",
        site=device.get("site") or "",
        latitude=device.get("lat"),
        longitude=device.get("lon"),
        tags=["netlab", device["platform"]],
        credential=REAL_CREDENTIAL,
        custom_fields={"loopback": device["loopback"], "asn": device["asn"]},
    )


def seed_real_inventory(runtime: Runtime, lab: LabManifest) -> int:
    """Upsert the routers (platform frr), the cables between them and a pool of them."""
    with runtime.transaction() as session:
        _upsert_credential(runtime, session, lab)
        existing = {d.name: d.id for d in session.scalars(select(Device))}
        for device in lab.devices:
            data = _device_data(device)
            if device["name"] in existing:
                devices.update_device(
                    session, existing[device["name"]], DeviceUpdate(**data.model_dump())
                )
            else:
                devices.create_device(session, data)
        link_names = set(session.scalars(select(Link.name)))
        for cable in lab.links:
            name = default_link_name(
                cable["source"],
                cable["source_interface"],
                cable["destination"],
                cable["destination_interface"],
            )
            if name not in link_names:
                links.create_link(session, LinkCreate(name=name, description="veth cable", **cable))
        if session.scalar(select(Pool.id).where(Pool.name == REAL_POOL)) is None:
            pools.create_pool(
                session,
                PoolCreate(
                    name=REAL_POOL, device_filter=DeviceFilter(platform="frr", tags=["netlab"])
                ),
            )
    return len(lab.devices)


REAL_AUTOMATIONS = """\
netweave: 1
automations:
  - name: Backup FRR configuration
    kind: service
    type: config_backup
    description: Store the router's running configuration as a new version when it changed
    options: {targets: {pools: [netlab-frr]}}
  - name: Push OSPF cost
    kind: service
    type: netmiko_config
    inputs:
      config: |
        interface {{ vars.interface | default('eth1') }}
         ip ospf cost {{ vars.cost | default(20) }}
  - name: Check OSPF adjacency
    kind: service
    type: netmiko_commands
    description: The OSPF adjacency on the interface is still Full
    inputs: {commands: [show ip ospf neighbor]}
    options:
      validation:
        - {kind: regex, path: text,
           match: "Full/.*\\\\s{{ vars.interface | default('eth1') }}:"}
  - name: Roll back FRR configuration
    kind: service
    type: config_restore
    inputs: {from_step: backup}
  - name: OSPF cost change
    kind: workflow
    description: >-
      Back up, set the OSPF cost of an interface (vars cost, interface), check the adjacency
      is still Full, roll back where the push or the check failed
    options: {targets: {pools: [netlab-frr]}}
    graph:
      nodes:
        - {id: backup, ref: Backup FRR configuration, x: 288, y: 80}
        - {id: push, ref: Push OSPF cost, x: 634, y: 80}
        - {id: validate, ref: Check OSPF adjacency, x: 980, y: 80}
        - {id: rollback, ref: Roll back FRR configuration, x: 1326, y: 212}
      edges:
        - {source: start, target: backup}
        - {source: backup, target: push}
        - {source: push, target: validate}
        - {source: push, target: rollback, kind: failure}
        - {source: validate, target: end}
        - {source: validate, target: rollback, kind: failure}
      layout: {start: {x: 60, y: 93}, end: {x: 1385, y: 93}}
  - name: OSPF neighbors
    kind: service
    type: netmiko_commands
    inputs: {commands: [show ip ospf neighbor], parsing: textfsm}
  - name: Routing table
    kind: service
    type: netmiko_commands
    inputs: {commands: [show ip route], parsing: textfsm}
  - name: OSPF diagnostics
    kind: workflow
    description: show ip ospf neighbor and show ip route, stored with their parsed form
    options: {targets: {pools: [netlab-frr]}}
    graph:
      nodes:
        - {id: neighbors, ref: OSPF neighbors, x: 288, y: 80}
        - {id: routes, ref: Routing table, x: 634, y: 80}
      edges:
        - {source: start, target: neighbors}
        - {source: neighbors, target: routes}
        - {source: routes, target: end}
      layout: {start: {x: 60, y: 93}, end: {x: 980, y: 93}}
"""

# FRR 8.4 (log-adjacency-changes detail): "AdjChg: Nbr 198.18.255.2, NbrIP 198.18.0.1 (default)
# on eth1:198.18.0.0: Full -> Deleted (KillNbr)"; an adjacency coming up is not an incident
ADJACENCY_DOWN = (
    r"AdjChg: Nbr (?P<neighbor>[0-9.]+)[^:]* on (?P<interface>[^:\s]+)\S*: "
    r"Full -> (?P<state>\S+)"
)


def seed_real_automations(runtime: Runtime) -> int:
    """Create (or refresh) the FRR services and workflows and the adjacency rule; how many
    services/workflows."""
    runtime.catalog.ensure_synced()
    with runtime.transaction() as session:
        rows = definitions.import_yaml(
            session, runtime.catalog, REAL_AUTOMATIONS, "demo", replace=True, admin=True
        )
        if session.scalar(select(EventRule.id).where(EventRule.name == ADJACENCY_RULE)) is None:
            records.create_rule(
                session,
                RuleCreate(
                    name=ADJACENCY_RULE,
                    automation="OSPF diagnostics",
                    description="An OSPF adjacency left Full: diagnose the router that logged it",
                    match=RuleMatch(program="ospfd", regex=ADJACENCY_DOWN),
                ),
            )
    return len(rows)
