"""An eNMS migration folder written the way eNMS writes one (one YAML file per object
type, ``!!bool "false"`` / ``!!int "1"`` tags), around the lab's devices: shared by the
core, CLI, API and browser tests of the folder import."""

from __future__ import annotations

import base64
import io
import tarfile
import zipfile
from pathlib import Path

from argon2 import PasswordHasher

from netweave.lab import LabThread

ALICE_PASSWORD = "alice-in-enms-2024"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def enms_files(lab: LabThread) -> dict[str, str]:
    ios = [d for d in lab.devices if d.spec.platform == "cisco_ios"]
    eos = next(d for d in lab.devices if d.spec.platform == "arista_eos")
    devices = ""
    for device in [*ios, eos]:
        netmiko = device.spec.platform
        devices += f"""
- name: enms-{device.name}
  ip_address: {device.host}
  port: !!int "{device.port}"
  netmiko_driver: {netmiko}
  vendor: {"Cisco" if netmiko == "cisco_ios" else "Arista"}
  location: paris
  latitude: !!float "48.85"
  longitude: "2.35"
  username: netweave
  password: netweave
  enable_password: netweave
  icon: router
"""
    devices += """
- name: edge-lyon
  ip_address: 10.9.9.9
  operating_system: IOS-XE
  username: ops
  password: other
  location: lyon
"""
    hashed = b64(PasswordHasher().hash(ALICE_PASSWORD))
    step_names = ("show version", "bad command", "recover")
    positions = ", ".join(
        f'"[Check] {name}": [{100 * i}, {50 * i}]' for i, name in enumerate(step_names, start=1)
    )
    return {
        "device.yaml": devices,
        "link.yaml": f"""
- name: ios-to-eos
  source: enms-{ios[0].name}
  destination: enms-{eos.name}
  description: uplink
  color: "#ff0000"
""",
        "pool.yaml": """
- name: Lab IOS
  description: the lab's IOS routers
  manually_defined: !!bool "false"
  device_name: lab-ios
  device_name_match: inclusion
  device_name_invert: !!bool "false"
  device_netmiko_driver: cisco_ios
  device_netmiko_driver_match: equality
  device_netmiko_driver_invert: !!bool "false"
  device_vendor: ""
  device_vendor_match: inclusion
  device_vendor_invert: !!bool "false"
- name: Paris
  device_location: ^par.*$
  device_location_match: regex
  device_location_invert: !!bool "false"
- name: Not Lyon
  device_location: lyon
  device_location_match: equality
  device_location_invert: !!bool "true"
- name: Core or edge
  device_name: ^(core|edge)-[0-9]+$
  device_name_match: regex
  device_name_invert: !!bool "false"
""",
        "credential.yaml": f"""
- name: lab-admin
  description: the lab's login
  subtype: password
  username: netweave
  password: {b64("netweave")}
  enable_password: {b64("netweave")}
  device_pools: [Lab IOS, Paris]
  priority: !!int "10"
- name: broken
  subtype: password
  username: x
  password: "%%% not base64 %%%"
""",
        "user.yaml": f"""
- name: alice
  email: alice@example.net
  is_admin: !!bool "true"
  password: {hashed}
- name: bob
  email: bob@example.net
  is_admin: !!bool "false"
  password: {b64("pbkdf2_sha256$260000$salt$hash")}
""",
        "service.yaml": f"""
- name: "[Shared] Start"
  scoped_name: Start
  type: swiss_army_knife_service
- name: "[Shared] End"
  scoped_name: End
  type: swiss_army_knife_service
- name: "[Check] show version"
  scoped_name: show version
  type: netmiko_commands_service
  commands: show version
  validation_method: text
  content_match: uptime is
  content_match_regex: !!bool "false"
  negative_logic: !!bool "false"
  number_of_retries: !!int "1"
  positions: {{"Check": [100, 50]}}
- name: "[Check] bad command"
  scoped_name: bad command
  type: netmiko_validation_service
  command: show nonsense please
  number_of_retries: !!int "0"
- name: "[Check] recover"
  scoped_name: recover
  type: netmiko_commands_service
  commands: "show clock\\nshow version"
  validation_method: text
  content_match: "uptime is \\\\d+"
  content_match_regex: !!bool "true"
- name: Facts
  scoped_name: Facts
  type: napalm_getters_service
  getters: [get_facts, get_interfaces]
  validation_method: dict_included
  dict_match: {{"get_facts": {{"vendor": "Cisco"}}}}
  pools: [Lab IOS]
- name: Reach
  scoped_name: Reach
  type: ping_service
  protocol: TCP
  ports: "22"
  count: !!int "2"
- name: Notify
  scoped_name: Notify
  type: rest_call_service
  call_type: POST
  rest_url: https://hooks.example.net/enms/{{{{ device.name }}}}
  payload: {{"text": "done"}}
  headers: {{"X-Token": "s3cret"}}
  username: hookuser
  password: hookpass
  waiting_time: !!int "5"
  credentials: device
  conversion_method: none
- name: Snippet
  scoped_name: Snippet
  type: python_snippet_service
  source_code: "result = 42"
- name: Check
  scoped_name: Check
  type: workflow
  description: show version, then a command that fails and its recovery
  run_method: per_device
  devices: [enms-{ios[0].name}]
  services: ["[Shared] Start", "[Shared] End", "[Check] show version", "[Check] bad command",
             "[Check] recover"]
  positions: {{"[Shared] Start": [0, 0], "[Shared] End": [500, 0], {positions}}}
- name: Broken flow
  scoped_name: Broken flow
  type: workflow
  services: ["[Shared] Start", "[Shared] End", Snippet]
""",
        "workflow_edge.yaml": """
- name: e1
  workflow: Check
  subtype: success
  source: "[Shared] Start"
  destination: "[Check] show version"
- name: e2
  workflow: Check
  subtype: success
  source: "[Check] show version"
  destination: "[Check] bad command"
- name: e3
  workflow: Check
  subtype: success
  source: "[Check] bad command"
  destination: "[Shared] End"
- name: e4
  workflow: Check
  subtype: failure
  source: "[Check] bad command"
  destination: "[Check] recover"
- name: e5
  workflow: Check
  subtype: success
  source: "[Check] recover"
  destination: "[Shared] End"
- name: e6
  workflow: Check
  subtype: prerequisite
  source: "[Check] show version"
  destination: "[Check] recover"
- name: e7
  workflow: Broken flow
  subtype: success
  source: "[Shared] Start"
  destination: Snippet
""",
        "task.yaml": f"""
- name: Nightly check
  service: Check
  scheduling_mode: crontab
  crontab_expression: "0 2 * * *"
  is_active: !!bool "true"
- name: Hourly versions
  service: "[Check] show version"
  scheduling_mode: standard
  frequency: !!int "1"
  frequency_unit: hours
  start_date: "01/01/2025 00:00:00"
  devices: [enms-{ios[1].name}]
  pools: [Lab IOS]
  is_active: !!bool "false"
- name: Snippet task
  service: Snippet
  scheduling_mode: standard
  frequency: !!int "10"
  frequency_unit: minutes
""",
    }


def write_folder(path: Path, lab: LabThread) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in enms_files(lab).items():
        (path / name).write_text(text)
    return path


def zipped(files: dict[str, str], folder: str = "migration") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"{folder}/{name}" if folder else name, text)
    return out.getvalue()


def tarred(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"migration/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()
