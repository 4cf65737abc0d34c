"""The demo: a device lab in a child process, seeded into the inventory."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from netweave.cli.demo_network import demo_links
from netweave.core.access import tokens
from netweave.core.access.schemas import ApiKeyCreate
from netweave.core.inventory import credentials, devices, links, pools
from netweave.core.inventory.schemas import (
    CredentialCreate,
    CredentialScope,
    DeviceCreate,
    DeviceFilter,
    DeviceUpdate,
    PoolCreate,
)
from netweave.core.runtime import Runtime
from netweave.db.models import ApiKey, Device, Link, Pool, Role, User
from netweave.lab import LabDeviceSpec, read_manifest

LAB_CREDENTIAL = "lab"
DEMO_KEY_NAME = "demo"
LAB_START_TIMEOUT_S = 60.0


@dataclass
class DemoLab:
    process: subprocess.Popen[bytes]
    specs: list[LabDeviceSpec]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_lab(data_dir: Path, count: int, base_port: int, delay: float) -> DemoLab:
    """Run ``netweave lab up`` as a child process (its own GIL) and wait for its manifest."""
    manifest = data_dir / "lab-manifest.json"
    manifest.unlink(missing_ok=True)
    log = (data_dir / "lab.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netweave.lab",
            "up",
            "--devices",
            str(count),
            "--address-mode",
            "addresses",
            "--base-port",
            str(base_port),
            "--delay",
            str(delay),
            "--manifest",
            str(manifest),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + LAB_START_TIMEOUT_S
    while not manifest.exists():
        if process.poll() is not None:
            raise RuntimeError(f"the device lab exited (code {process.returncode}); see {log.name}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the device lab did not start within 60 s")
        time.sleep(0.1)
    time.sleep(0.1)  # let the writer finish the file
    return DemoLab(process, read_manifest(manifest))


def _ensure_credential(session: Session, runtime: Runtime, spec: LabDeviceSpec) -> None:
    try:
        credentials.credential_by_name(session, LAB_CREDENTIAL)
    except Exception:
        credentials.create_credential(
            session,
            runtime.box,
            CredentialCreate(
                name=LAB_CREDENTIAL,
                description="Login of the simulated lab devices",
                username=spec.username,
                password=spec.password,
                enable_secret=spec.enable_secret,
                scope=_lab_scope(spec.host),
            ),
        )


def _lab_scope(host: str) -> CredentialScope:
    """Credential scopes: the lab's login is offered only to the lab's addresses."""
    try:
        network = str(ipaddress.ip_network(host))
    except ValueError:
        return CredentialScope(networks=["127.0.0.0/8"], hosts=[host])
    return CredentialScope(networks=sorted({"127.0.0.0/8", network}))


def _device_data(spec: LabDeviceSpec) -> DeviceCreate:
    return DeviceCreate(
        name=spec.name,
        host=spec.host,
        port=spec.port,
        platform=spec.platform,
        vendor=spec.vendor or "",
        model=spec.model or "",
        os_version=spec.os_version or "",
        site=spec.site or "",
        latitude=spec.lat,
        longitude=spec.lon,
        tags=["lab", spec.platform],
        credential=LAB_CREDENTIAL,
        custom_fields={"eapi_port": spec.eapi_port} if spec.eapi_port else {},
    )


def seed_inventory(runtime: Runtime, specs: list[LabDeviceSpec]) -> int:
    """Upsert the lab devices, their links (see demo_network) and one pool per platform."""
    with runtime.transaction() as session:
        _ensure_credential(session, runtime, specs[0])
        existing = {d.name: d.id for d in session.scalars(select(Device))}
        for spec in specs:
            data = _device_data(spec)
            if spec.name in existing:
                devices.update_device(
                    session, existing[spec.name], DeviceUpdate(**data.model_dump())
                )
            else:
                devices.create_device(session, data)
        link_names = set(session.scalars(select(Link.name)))
        for link in demo_links(specs):  # site routers, their access devices, a backbone
            if link.name not in link_names:
                links.create_link(session, link)
        pool_names = set(session.scalars(select(Pool.name)))
        for platform in sorted({s.platform for s in specs}):
            name = f"lab-{platform}"
            if name not in pool_names:
                pools.create_pool(
                    session,
                    PoolCreate(
                        name=name, device_filter=DeviceFilter(platform=platform, tags=["lab"])
                    ),
                )
    return len(specs)


def issue_demo_key(runtime: Runtime) -> str:
    """A fresh admin API key for this demo run; earlier demo keys are revoked."""
    with runtime.transaction() as session:
        admin = session.scalar(
            select(User).where(User.role == Role.admin.value).order_by(User.id).limit(1)
        )
        assert admin is not None
        owner = tokens.Principal(admin.id, admin.username, Role.admin, "cli")
        for old in session.scalars(
            select(ApiKey).where(
                ApiKey.user_id == admin.id,
                ApiKey.name == DEMO_KEY_NAME,
                ApiKey.revoked_at.is_(None),
            )
        ):
            tokens.revoke_api_key(session, owner, old.id)
        _, key = tokens.create_api_key(session, owner, ApiKeyCreate(name=DEMO_KEY_NAME))
    return key
