"""What Junos configuration mode accepts in a ``set`` path: the statement hierarchy the lab
knows (as data) and the values its leaves take. Junos checks these at entry and prints a
caret under the offending word with ``syntax error.`` or ``Value N is not within range
(low..high) at 'N'``; hierarchies the lab does not model are accepted as they are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from netweave.lab import config_values as values
from netweave.lab.interface_names import junos_interface_name_valid

SYNTAX_ERROR = "syntax error."


@dataclass(frozen=True)
class JunosRejection:
    token: int  # which word of the path (after ``set``) the parser stopped at
    message: str


# A value check: None when accepted, else the message Junos prints.
ValueCheck = Callable[[str], str | None]


def ranged(low: int, high: int) -> ValueCheck:
    def check(text: str) -> str | None:
        if not text.isdigit():
            return SYNTAX_ERROR
        if not low <= int(text) <= high:
            return f"Value {text} is not within range ({low}..{high}) at '{text}'"
        return None

    return check


def _asn(text: str) -> str | None:
    if text.isdigit() and values.asn(text) is None:
        return f"Value {text} is not within range (1..4294967295) at '{text}'"
    return None if values.asn(text) is not None else SYNTAX_ERROR


def _ipv4(text: str) -> str | None:
    return None if values.ipv4(text) is not None else SYNTAX_ERROR


def _ipv4_prefix(text: str) -> str | None:
    return None if values.ipv4_prefix(text) is not None else SYNTAX_ERROR


def _interface_name(text: str) -> str | None:
    return None if junos_interface_name_valid(text) else SYNTAX_ERROR


def _anything(text: str) -> str | None:
    return None


@dataclass(frozen=True)
class Node:
    """A statement: ``keywords`` it may contain; or, with ``value``, an identifier/value
    word first (checked), then ``keywords`` after it. ``open_``: not modelled, anything
    below is accepted."""

    keywords: dict[str, Node] = field(default_factory=dict)
    value: ValueCheck | None = None
    open_: bool = False


OPEN = Node(open_=True)
LEAF = Node()


def _named(children: dict[str, Node]) -> dict[str, Node]:
    return {name.replace("_", "-"): child for name, child in children.items()}


def value(check: ValueCheck = _anything, /, **children: Node) -> Node:
    """A word checked by ``check``, then the statements ``children`` (``_`` → ``-``)."""
    return Node(keywords=_named(children), value=check)


def keywords(**children: Node) -> Node:
    return Node(keywords=_named(children))


VLAN_ID = value(ranged(1, 4094))
_INET = keywords(
    address=value(_ipv4_prefix, primary=LEAF, preferred=LEAF),
    filter=OPEN,
    mtu=value(ranged(256, 9192)),
)
_UNIT = value(
    ranged(0, 16385),
    description=value(),
    disable=LEAF,
    vlan_id=VLAN_ID,
    family=keywords(
        inet=_INET, inet6=OPEN, iso=OPEN, mpls=OPEN, ethernet_switching=OPEN, bridge=OPEN
    ),
)
_INTERFACE = value(
    _interface_name,
    description=value(),
    unit=_UNIT,
    disable=LEAF,
    mtu=value(ranged(256, 9216)),
    speed=value(),
    encapsulation=value(),
    vlan_tagging=LEAF,
    flexible_vlan_tagging=LEAF,
    native_vlan_id=VLAN_ID,
    traps=LEAF,
    no_traps=LEAF,
    gigether_options=OPEN,
    ether_options=OPEN,
    aggregated_ether_options=OPEN,
    hold_time=OPEN,
    apply_groups=value(),
)
_VLAN = value(
    description=value(), vlan_id=VLAN_ID, l3_interface=value(), interface=value(), vlan_id_list=OPEN
)
_BGP_NEIGHBOR = value(_ipv4, description=value(), peer_as=value(_asn), local_address=value(_ipv4))
_BGP_GROUP = value(
    type=value(),
    neighbor=_BGP_NEIGHBOR,
    peer_as=value(_asn),
    local_address=value(_ipv4),
    export=value(),
    **{"import": value()},
)
SCHEMA = keywords(
    system=keywords(
        host_name=value(),
        domain_name=value(),
        domain_search=value(),
        time_zone=value(),
        name_server=OPEN,
        services=OPEN,
        ntp=OPEN,
        syslog=OPEN,
        login=OPEN,
        root_authentication=OPEN,
        location=OPEN,
    ),
    interfaces=_INTERFACE,
    vlans=_VLAN,
    routing_options=keywords(
        autonomous_system=value(_asn, asdot_notation=LEAF, loops=value(ranged(1, 10))),
        router_id=value(_ipv4),
        static=keywords(route=value(_ipv4_prefix, next_hop=value(_ipv4), discard=LEAF)),
        rib=OPEN,
        forwarding_table=OPEN,
        graceful_restart=OPEN,
        maximum_paths=OPEN,
        aggregate=OPEN,
        generate=OPEN,
        interface_routes=OPEN,
        rib_groups=OPEN,
    ),
    protocols=keywords(
        bgp=keywords(group=_BGP_GROUP, local_as=value(_asn)),
        ospf=OPEN,
        ospf3=OPEN,
        isis=OPEN,
        lldp=OPEN,
        lldp_med=OPEN,
        mpls=OPEN,
        rsvp=OPEN,
        ldp=OPEN,
        rstp=OPEN,
        mstp=OPEN,
        vstp=OPEN,
        igmp_snooping=OPEN,
        pim=OPEN,
        router_advertisement=OPEN,
    ),
    policy_options=OPEN,
    firewall=OPEN,
    snmp=OPEN,
    routing_instances=OPEN,
    security=OPEN,
    chassis=OPEN,
    class_of_service=OPEN,
    groups=OPEN,
)


def check_set_path(words: list[str]) -> JunosRejection | None:
    """``words``: the path after ``set`` (a quoted string is one word)."""
    if not words:
        return JunosRejection(0, SYNTAX_ERROR)
    node, position = SCHEMA, 0
    while not node.open_:
        if node.value is not None:
            if position >= len(words):
                return JunosRejection(position, SYNTAX_ERROR)
            problem = node.value(words[position])
            if problem is not None:
                return JunosRejection(position, problem)
            position += 1
        if position >= len(words):
            return JunosRejection(position, SYNTAX_ERROR) if position == 1 else None
        child = node.keywords.get(words[position])
        if child is None:
            return JunosRejection(position, SYNTAX_ERROR)
        node, position = child, position + 1
    return None
