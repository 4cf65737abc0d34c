"""Demo services and workflows (the same YAML ``netweave automation import`` takes)."""

from __future__ import annotations

from sqlalchemy import select

from netweave.core.automation import definitions
from netweave.core.events import records
from netweave.core.events.schemas import RuleCreate, RuleMatch
from netweave.core.runtime import Runtime
from netweave.core.schedules import tasks
from netweave.core.schedules.schemas import TaskCreate
from netweave.db.models import EventRule, Task

DEMO_AUTOMATIONS = """\
netweave: 1
automations:
  - name: Backup configuration
    kind: service
    type: config_backup
    description: Store the running configuration as a new version when it changed
    options: {targets: {pools: [lab-cisco_ios]}}
  - name: Show version
    kind: service
    type: netmiko_commands
    description: show version, parsed with ntc-templates
    inputs: {commands: [show version], parsing: textfsm}
    options: {targets: {pools: [lab-cisco_ios]}}
  - name: Push VLAN
    kind: service
    type: netmiko_config
    inputs:
      config: |
        vlan {{ vars.vlan | default(100) }}
        interface Vlan{{ vars.vlan | default(100) }}
         description {{ vars.vlan_name | default('users') }}
  - name: Validate VLAN
    kind: service
    type: netmiko_commands
    inputs: {commands: ["show running-config | include ^vlan"]}
    options:
      validation:
        - {kind: regex, match: "^vlan {{ vars.vlan | default(100) }}$", path: text}
  - name: Roll back configuration
    kind: service
    type: config_restore
    inputs: {from_step: backup}
  - name: VLAN change
    kind: workflow
    description: Back up, push a VLAN, check it took, roll back where it did not
    options: {targets: {pools: [lab-cisco_ios]}}
    graph:
      nodes:
        # the builder's auto-layout (cards 250 x 78 px): nothing overlaps, no edge hidden
        - {id: backup, ref: Backup configuration, x: 288, y: 80}
        - {id: push, ref: Push VLAN, x: 634, y: 80}
        - {id: validate, ref: Validate VLAN, x: 980, y: 80}
        - {id: rollback, ref: Roll back configuration, x: 1326, y: 212}
      edges:
        - {source: start, target: backup}
        - {source: backup, target: push}
        - {source: push, target: validate}
        - {source: push, target: rollback, kind: failure}
        - {source: validate, target: end}
        - {source: validate, target: rollback, kind: failure}
      layout: {start: {x: 60, y: 93}, end: {x: 1385, y: 93}}
  - name: Discover neighbors
    kind: service
    type: topology_discovery
    description: LLDP neighbors into inventory links
    inputs: {protocols: lldp}
  - name: Count neighbors
    kind: service
    type: python_snippet
    description: How many neighbors discovery found (fails a device with none)
    inputs:
      source: |
        found = results["discover"]["neighbors"]
        exports["neighbor_count"] = len(found)
        result["count"] = len(found)
        print(device["name"], "has", len(found), "neighbor(s)")
        success = len(found) > 0
  - name: Neighbor audit
    kind: workflow
    description: >-
      Discover each device's neighbors, count them (not on Junos), and run show version on
      every network device found among them (iteration devices); the report lists the counts
    options:
      targets: {pools: [lab-cisco_ios]}
      report: |
        Neighbor audit: {{ run.status }}
        {% for r in results if r.step == 'count' and r.result.count is defined -%}
        {{ r.device }}: {{ r.result.count }} neighbor(s)
        {% endfor -%}
    graph:
      nodes:
        - {id: discover, ref: Discover neighbors, x: 288, y: 80}
        - {id: count, ref: Count neighbors, x: 634, y: 20,
           skip_if: "device.platform == 'juniper_junos'"}
        # the neighbors that are network devices (LLDP capability S: a station, a server)
        - {id: neighbors, ref: Show version, x: 634, y: 180,
           iteration_devices: "results.discover.neighbors | rejectattr('capabilities', 'equalto',
             'S') | map(attribute='device') | select | list"}
      edges:
        - {source: start, target: discover}
        - {source: discover, target: count}
        - {source: discover, target: neighbors, kind: prerequisite}
        - {source: count, target: end}
        - {source: neighbors, target: end}
      layout: {start: {x: 60, y: 93}, end: {x: 980, y: 93}}
"""


def seed_automations(runtime: Runtime) -> int:
    """Create (or refresh) the demo services and workflows, a nightly backup task and a
    link-down syslog rule; how many services/workflows."""
    runtime.catalog.ensure_synced()
    with runtime.transaction() as session:
        rows = definitions.import_yaml(
            session, runtime.catalog, DEMO_AUTOMATIONS, "demo", replace=True, admin=True
        )
        count = len(rows)
        if session.scalar(select(Task.id).where(Task.name == "Nightly backup")) is None:
            tasks.create(
                session,
                TaskCreate(
                    name="Nightly backup",
                    automation="Backup configuration",
                    kind="cron",
                    cron="0 2 * * *",
                    timezone="UTC",
                    description="Every night at 02:00 UTC",
                ),
                "demo",
            )
        if session.scalar(select(EventRule.id).where(EventRule.name == "Link down")) is None:
            records.create_rule(
                session,
                RuleCreate(
                    name="Link down",
                    automation="Show version",
                    description="An interface went down: collect show version from the device",
                    match=RuleMatch(
                        max_severity=3,
                        regex=r"%LINK-3-UPDOWN: Interface (?P<interface>\S+), "
                        r"changed state to down",
                    ),
                ),
            )
    return count
