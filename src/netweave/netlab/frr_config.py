"""Each router's first configuration, as FRR's integrated ``frr.conf``: addresses on the
interfaces (zebra), OSPF point-to-point adjacencies with fast timers on every cable (ospfd),
an eBGP session per cable announcing the router's loopback (bgpd), and logging to a file the
lab forwards as syslog."""

from __future__ import annotations

from netweave.netlab.topology import Plan, PlannedRouter

HELLO_S = 1
DEAD_S = 12  # a cable pulled is seen at once (carrier loss); a loaded machine must not
# make adjacencies flap because a few hellos came late


def frr_conf(plan: Plan, router: PlannedRouter, log_file: str) -> str:
    lines = [
        "frr defaults traditional",
        f"hostname {router.name}",
        f"log file {log_file} informational",
        "log timestamp precision 3",
        "service integrated-vtysh-config",
        "!",
        "interface lo",
        f" ip address {router.loopback}",
        "exit",
        "!",
    ]
    for interface in router.interfaces:
        lines += [
            f"interface {interface.name}",
            f" description to {interface.peer_router} {interface.peer_interface}",
            f" ip address {interface.address}",
        ]
        if plan.ospf:
            lines += [
                " ip ospf network point-to-point",
                f" ip ospf hello-interval {HELLO_S}",
                f" ip ospf dead-interval {DEAD_S}",
                " ip ospf retransmit-interval 1",  # a first exchange lost at start-up: 1 s, not 5
                f" ip ospf cost {interface.cost}",
            ]
        lines += ["exit", "!"]
    if plan.ospf:
        lines += [
            "router ospf",
            f" ospf router-id {router.router_id}",
            " log-adjacency-changes detail",
            f" network {router.loopback} area 0",
        ]
        lines += [f" network {i.address} area 0" for i in router.interfaces]
        lines += ["exit", "!"]
    if plan.bgp:
        lines += [
            f"router bgp {router.asn}",
            f" bgp router-id {router.router_id}",
            " bgp log-neighbor-changes",
            " no bgp ebgp-requires-policy",
            " timers bgp 3 9",
        ]
        for interface in router.interfaces:
            peer = plan.router(interface.peer_router)
            lines.append(f" neighbor {interface.peer_address} remote-as {peer.asn}")
            lines.append(f" neighbor {interface.peer_address} description {peer.name}")
        lines += [
            " !",
            " address-family ipv4 unicast",
            f"  network {router.loopback}",
            " exit-address-family",
            "exit",
            "!",
        ]
    lines.append("end")
    return "\n".join(lines) + "\n"
