"""Public databases and hosts through their security groups: no ingress from the internet to
database or cache ports, nor to administration ports (SSH, RDP)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from .props import PORT, UNKNOWN, Judge, as_int, config_list, list_setting
from .rule import Subject, resource_rule

# --- no-internet-ingress-to-database-ports ---------------------------------------------------

DATABASE_PORTS: dict[int, str] = {
    1433: "SQL Server",
    1521: "Oracle",
    2483: "Oracle",
    2484: "Oracle (TLS)",
    3306: "MySQL/Aurora",
    5432: "PostgreSQL",
    5439: "Redshift",
    5984: "CouchDB",
    6379: "Redis",
    7000: "Cassandra",
    8182: "Neptune",
    9042: "Cassandra",
    9200: "Elasticsearch/OpenSearch",
    9300: "Elasticsearch",
    11211: "Memcached",
    27017: "MongoDB/DocumentDB",
    27018: "MongoDB",
}

ALL_PROTOCOLS = frozenset({"-1", "all"})
TCP_PROTOCOLS = frozenset({"tcp", "6"})

SECURITY_GROUP_TYPES = frozenset(
    {"aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"}
)
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def is_private_cidr(cidr: str) -> bool:
    """Not reachable from the internet: every address of the range is outside the globally routed
    space, by the IANA special-purpose registries as Python's `ipaddress` records them (RFC 1918,
    100.64.0.0/10 shared address space, link-local, loopback, fc00::/7...). Anything that does not
    parse is treated as reachable."""
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    # Special-purpose blocks are aligned CIDRs no wider than a /8 (IPv4) or /7 (IPv6); a wider range
    # whose two ends are special (0.0.0.0/1: "this network" to loopback) still spans global space.
    if network.prefixlen < (8 if network.version == 4 else 7):
        return False
    if any(network.overlaps(doc) for doc in DOCUMENTATION_NETWORKS if doc.version == network.version):
        return False
    # Both ends non-global is not enough (::/80 runs from the unspecified address through global
    # space to the IPv4-mapped block): the whole range must sit inside one special-purpose block.
    return any(network.subnet_of(block) for block in _non_global_blocks(network.version))


def _non_global_blocks(version: int) -> list[Any]:
    """The special-purpose blocks `ipaddress` keeps from the IANA registries, plus RFC 6598's shared
    address space (which `ipaddress` tests inline), less any block with global addresses in it."""
    if version == 4:
        blocks = [*ipaddress._IPv4Constants._private_networks, ipaddress.ip_network("100.64.0.0/10")]  # type: ignore[attr-defined]
    else:
        blocks = list(ipaddress._IPv6Constants._private_networks)  # type: ignore[attr-defined]
    return [b for b in blocks if not b.network_address.is_global and not b.broadcast_address.is_global]


# RFC 5737 / RFC 3849 documentation ranges are not routed, but they stand for real public addresses
# in examples and tests; a rule written with one means "some address on the internet".
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


def _protocol(value: Any) -> str:
    if isinstance(value, float):
        value = int(value)
    return str(value).strip().lower()


def covered_ports(protocol: Any, from_port: Any, to_port: Any, ports: list[int]) -> list[int] | Any:
    """Which of `ports` a rule opens: all of them for protocol -1, those in [from, to] for TCP,
    none for UDP/ICMP. UNKNOWN when the ports cannot be known yet."""
    if protocol is UNKNOWN:
        return UNKNOWN
    proto = _protocol(protocol)
    if proto in ALL_PROTOCOLS:
        return list(ports)
    if proto not in TCP_PROTOCOLS:
        return []
    if from_port is UNKNOWN or to_port is UNKNOWN:
        return UNKNOWN
    low, high = as_int(from_port), as_int(to_port)
    if low is None and high is None:
        return []
    low = high if low is None else low
    high = low if high is None else high
    assert low is not None and high is not None
    if low > high:
        low, high = high, low
    return [p for p in ports if low <= p <= high]


@dataclass
class Ingress:
    """One ingress rule, read with its own Judge: an unknown source only matters when the ports it
    would open include a database port, and unknown ports only when some source is public."""

    where: str
    protocol: Any
    from_port: Any
    to_port: Any
    cidrs: list[Any] = field(default_factory=list)
    judge: Judge = field(default_factory=Judge)


def _ingress_of(args: Any, judge: Judge) -> list[Ingress]:
    props = args.props
    if args.resource_type in SECURITY_GROUP_TYPES:
        rules = []
        for index, rule in judge.items(props, "ingress"):
            if rule is UNKNOWN:
                continue
            where = f"ingress[{index}]"
            scratch = Judge()
            cidrs = [c for _, c in scratch.items(rule, "cidrBlocks", label=f"{where}.cidrBlocks")]
            cidrs += [c for _, c in scratch.items(rule, "ipv6CidrBlocks", label=f"{where}.ipv6CidrBlocks")]
            rules.append(
                Ingress(
                    where,
                    scratch.get(rule, "protocol", label=f"{where}.protocol"),
                    scratch.get(rule, "fromPort", label=f"{where}.fromPort"),
                    scratch.get(rule, "toPort", label=f"{where}.toPort"),
                    cidrs,
                    scratch,
                )
            )
        return rules
    scratch = Judge()
    if args.resource_type == SECURITY_GROUP_RULE:
        kind = judge.get(props, "type")
        if kind is UNKNOWN or str(kind).lower() != "ingress":
            return []
        cidrs = [c for _, c in scratch.items(props, "cidrBlocks")]
        cidrs += [c for _, c in scratch.items(props, "ipv6CidrBlocks")]
        protocol = scratch.get(props, "protocol")
    elif args.resource_type == INGRESS_RULE:
        cidrs = [scratch.get(props, "cidrIpv4"), scratch.get(props, "cidrIpv6")]
        cidrs = [c for c in cidrs if c is not None]
        protocol = scratch.get(props, "ipProtocol")
    else:
        return []
    return [
        Ingress(
            "rule", protocol, scratch.get(props, "fromPort"), scratch.get(props, "toPort"), cidrs, scratch
        )
    ]


def _describe_source(cidr: str) -> str:
    if cidr.strip() in ("0.0.0.0/0", "::/0"):
        return f"{cidr} (the whole internet)"
    return f"{cidr} (public address space)"


def _ingress_findings(r: Subject, ports: list[int], names: dict[int, str], fix: str) -> None:
    for rule in _ingress_of(r.args, r):
        public = [str(c) for c in rule.cidrs if c is not UNKNOWN and not is_private_cidr(str(c))]
        some_unknown = any(c is UNKNOWN for c in rule.cidrs)
        reached = covered_ports(rule.protocol, rule.from_port, rule.to_port, ports)
        if reached is UNKNOWN:
            if public or some_unknown:
                for what in rule.judge.unknown:
                    r.note(what)
            continue
        if not reached:
            continue
        if some_unknown:
            for what in rule.judge.unknown:
                r.note(what)
        if not public:
            continue
        named = ", ".join(f"{p} ({names.get(p, 'service')})" for p in reached[:6])
        more = f" and {len(reached) - 6} more" if len(reached) > 6 else ""
        sources = ", ".join(_describe_source(c) for c in public)
        span = (
            "all protocols and ports"
            if _protocol(rule.protocol) in ALL_PROTOCOLS
            else f"tcp {as_int(rule.from_port)}-{as_int(rule.to_port)}"
        )
        r.report(f"{rule.where} allows {span} from {sources}, which reaches {named}{more}. {fix}")


def _database_ingress(r: Subject) -> None:
    ports = [int(p) for p in config_list(r.config, "databasePorts", DATABASE_PORTS)]
    _ingress_findings(
        r,
        ports,
        DATABASE_PORTS,
        "Admit the clients' security groups instead (source_security_group_id / "
        "referenced_security_group_id); developers connect through the bastion or SSM port forwarding, "
        "not from the internet.",
    )


INGRESS_TYPES = SECURITY_GROUP_TYPES | {SECURITY_GROUP_RULE, INGRESS_RULE}

no_internet_ingress_to_database_ports = resource_rule(
    name="no-internet-ingress-to-database-ports",
    description=(
        "No security-group ingress (inline rules, SecurityGroupRule, vpc.SecurityGroupIngressRule) lets an "
        "internet address (anything globally routed; RFC 1918, 100.64.0.0/10 and the other special-purpose "
        "ranges are not) reach a database or cache port, through the exact port, a range or protocol -1."
    ),
    types=INGRESS_TYPES,
    reads=["ingress", "cidrBlocks", "ipv6CidrBlocks", "cidrIpv4", "cidrIpv6", "fromPort", "toPort"],
    check=_database_ingress,
    config={
        "databasePorts": list_setting(
            PORT, "TCP ports that must not be reachable from the internet.", sorted(DATABASE_PORTS)
        )
    },
)


# --- no-internet-ingress-to-admin-ports ------------------------------------------------------

ADMIN_PORTS: dict[int, str] = {
    22: "SSH",
    23: "Telnet",
    3389: "RDP",
    5985: "WinRM",
    5986: "WinRM (TLS)",
    5900: "VNC",
    2375: "Docker API",
    2376: "Docker API (TLS)",
}


def _admin_ingress(r: Subject) -> None:
    ports = [int(p) for p in config_list(r.config, "adminPorts", ADMIN_PORTS)]
    _ingress_findings(
        r,
        ports,
        ADMIN_PORTS,
        "Remove the rule: administrators reach instances through SSM Session Manager (no open port), "
        "or from a named office range.",
    )


no_internet_ingress_to_admin_ports = resource_rule(
    name="no-internet-ingress-to-admin-ports",
    description="No security-group ingress opens an administration port (SSH, RDP, WinRM, VNC, Telnet, Docker) to the internet.",
    types=INGRESS_TYPES,
    reads=["ingress", "cidrBlocks", "ipv6CidrBlocks", "cidrIpv4", "cidrIpv6", "fromPort", "toPort"],
    check=_admin_ingress,
    config={
        "adminPorts": list_setting(
            PORT,
            "TCP ports of administration services that must not be reachable from the internet.",
            sorted(ADMIN_PORTS),
        )
    },
)
