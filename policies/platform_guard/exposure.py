"""Public databases, in every form: the flag, the security group, the subnets."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource

from .props import UNKNOWN, Judge, as_int, config_list, module_of, non_empty, truthy
from .rule import Stack, Subject, resource_rule, stack_rule
from .stack_graph import label, linked

# --- database-not-publicly-accessible --------------------------------------------------------

# Every AWS data store whose resource has a `publiclyAccessible` flag.
PUBLIC_FLAG_MODULES = frozenset(
    {"rds", "docdb", "neptune", "redshift", "redshiftserverless", "dms", "timestreaminfluxdb", "mq"}
)
PUBLIC_FLAG_TYPES = frozenset({"aws:lightsail/database:Database"})


def _publicly_accessible(r: Subject) -> None:
    flag = r.prop("publiclyAccessible")
    if flag is not UNKNOWN and truthy(flag):
        r.report(
            "publiclyAccessible is true: AWS gives it a public IP and its endpoint resolves to that IP "
            "from anywhere, so one permissive security-group rule exposes the data. Set "
            "publicly_accessible=False and reach it through a bastion or SSM port forwarding."
        )


def _has_public_flag(type_token: str) -> bool:
    return module_of(type_token) in PUBLIC_FLAG_MODULES or type_token in PUBLIC_FLAG_TYPES


class _PublicFlagTypes(frozenset[str]):
    """Every type token of the modules above: membership is decided by module, not by a list."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and _has_public_flag(item)


database_not_publicly_accessible = resource_rule(
    name="database-not-publicly-accessible",
    description=(
        "Databases (RDS and Aurora instances, DocumentDB, Neptune, Redshift, DMS, Lightsail, MQ) stay "
        "off the internet: no publiclyAccessible flag, so the endpoint never resolves to a public IP."
    ),
    types=_PublicFlagTypes(PUBLIC_FLAG_TYPES),
    reads=["publiclyAccessible"],
    check=_publicly_accessible,
)


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
        "databasePorts": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 65535},
            "description": "TCP ports that must not be reachable from the internet.",
            "default": sorted(DATABASE_PORTS),
        }
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
        "adminPorts": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 65535},
            "description": "TCP ports of administration services that must not be reachable from the internet.",
            "default": sorted(ADMIN_PORTS),
        }
    },
)


# --- data-subnet-groups-private --------------------------------------------------------------

SUBNET = "aws:ec2/subnet:Subnet"
SUBNET_GROUP_TYPES = frozenset(
    {
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:elasticache/subnetGroup:SubnetGroup",
        "aws:redshift/subnetGroup:SubnetGroup",
        "aws:docdb/subnetGroup:SubnetGroup",
        "aws:neptune/subnetGroup:SubnetGroup",
        "aws:memorydb/subnetGroup:SubnetGroup",
        "aws:dms/replicationSubnetGroup:ReplicationSubnetGroup",
    }
)
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"

# Data stores that need a subnet group, and the property naming it. Without one AWS places them in
# the default VPC, whose subnets are public.
NEEDS_SUBNET_GROUP = {
    "aws:rds/instance:Instance": "dbSubnetGroupName",
    "aws:rds/cluster:Cluster": "dbSubnetGroupName",
    "aws:elasticache/replicationGroup:ReplicationGroup": "subnetGroupName",
}


VPC = "aws:ec2/vpc:Vpc"
MAIN_ROUTE_TABLE_ASSOCIATION = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"


def _to_internet(resource: Any, prop: str, value: Any) -> bool:
    if linked(resource, prop, {INTERNET_GATEWAY}):
        return True
    return isinstance(value, str) and value.startswith("igw-")


def _public_subnets(stack: Stack) -> dict[str, str]:
    """subnet URN -> why it is public: it maps public IPs, or its route table (the one explicitly
    associated, else its VPC's main table) routes to an internet gateway. The main table is the VPC's
    default route table (routes added to `vpc.default_route_table_id`, or a DefaultRouteTable) unless
    a MainRouteTableAssociation replaces it."""
    reasons: dict[str, str] = {}
    subnets = stack.of_type({SUBNET})
    for subnet in subnets:
        flag = stack.prop(subnet, "mapPublicIpOnLaunch")
        if flag is not UNKNOWN and truthy(flag):
            reasons[subnet.urn] = f"subnet '{subnet.name}' maps public IPs on launch"
    internet_tables, internet_main = _tables_reaching_the_internet(stack)
    associated = _subnets_with_an_internet_table(stack, internet_tables, reasons)
    for subnet in subnets:
        if subnet.urn in associated:
            continue
        for vpc in linked(subnet, "vpcId", {VPC}):
            if vpc.urn in internet_main:
                reasons.setdefault(
                    subnet.urn,
                    f"subnet '{subnet.name}' has no route table association, so it uses "
                    f"{internet_main[vpc.urn]}, which routes to an internet gateway",
                )
    return reasons


def _inline_route_out(stack: Stack, table: PolicyResource) -> bool:
    """Whether a route table's own `routes` reach an internet gateway."""
    return bool(linked(table, "routes", {INTERNET_GATEWAY})) or any(
        route is not UNKNOWN and _to_internet(table, "routes", stack.get(route, "gatewayId"))
        for _, route in stack.items(table.props, "routes", label=f"{label(table)} routes")
    )


def _tables_reaching_the_internet(stack: Stack) -> tuple[set[str], dict[str, str]]:
    """(URNs of the route tables that route to an internet gateway, VPC URN -> why its main table
    does)."""
    internet_tables: set[str] = set()
    internet_main: dict[str, str] = {}
    for route in stack.of_type({ROUTE}):
        if not _to_internet(route, "gatewayId", stack.prop(route, "gatewayId")):
            continue
        internet_tables.update(
            t.urn for t in linked(route, "routeTableId", {ROUTE_TABLE, DEFAULT_ROUTE_TABLE})
        )
        for vpc in linked(route, "routeTableId", {VPC}):  # routeTableId=vpc.default_route_table_id
            internet_main[vpc.urn] = f"the main route table of VPC '{vpc.name}' (route '{route.name}')"
    internet_tables.update(
        table.urn
        for table in stack.of_type({ROUTE_TABLE, DEFAULT_ROUTE_TABLE})
        if _inline_route_out(stack, table)
    )
    for table in stack.of_type({DEFAULT_ROUTE_TABLE}):
        for vpc in linked(table, "defaultRouteTableId", {VPC}):
            if table.urn in internet_tables:
                internet_main[vpc.urn] = f"the default route table '{table.name}' of VPC '{vpc.name}'"
    for association in stack.of_type({MAIN_ROUTE_TABLE_ASSOCIATION}):
        tables = linked(association, "routeTableId", {ROUTE_TABLE, DEFAULT_ROUTE_TABLE})
        for vpc in linked(association, "vpcId", {VPC}):
            if any(t.urn in internet_tables for t in tables):
                internet_main[vpc.urn] = f"route table '{tables[0].name}', made main of VPC '{vpc.name}'"
            elif tables:
                internet_main.pop(vpc.urn, None)
    return internet_tables, internet_main


def _subnets_with_an_internet_table(
    stack: Stack, internet_tables: set[str], reasons: dict[str, str]
) -> set[str]:
    """URNs of the subnets with an explicit route table association; those whose table reaches the
    internet get their reason in `reasons`."""
    associated: set[str] = set()
    for association in stack.of_type({ROUTE_TABLE_ASSOCIATION}):
        tables = linked(association, "routeTableId", {ROUTE_TABLE, DEFAULT_ROUTE_TABLE})
        for subnet in linked(association, "subnetId", {SUBNET}):
            associated.add(subnet.urn)
            exposed = [t for t in tables if t.urn in internet_tables]
            if exposed:
                reasons.setdefault(
                    subnet.urn, f"subnet '{subnet.name}' routes to an internet gateway ('{exposed[0].name}')"
                )
    return associated


def _subnet_groups(stack: Stack) -> None:
    public = _public_subnets(stack)
    for group in stack.of_type(SUBNET_GROUP_TYPES):
        subnets = linked(group, "subnetIds", {SUBNET})
        if not subnets:
            ids = stack.prop(group, "subnetIds")
            if non_empty(ids) and ids is not UNKNOWN:
                stack.outside(f"the subnets of {label(group)}")
            continue
        exposed = [public[s.urn] for s in subnets if s.urn in public]
        if exposed:
            users = [
                f"'{r.name}'"
                for r in stack.resources
                if any(d.urn == group.urn for deps in r.property_dependencies.values() for d in deps)
            ]
            used_by = f" (used by {', '.join(users)})" if users else ""
            stack.report(
                f"subnet group '{group.name}'{used_by} spans public subnets: {'; '.join(exposed)}. "
                "Build data-store subnet groups on isolated subnets with no route to an internet "
                "gateway and no public IP mapping.",
                group,
            )
    for store in stack.of_type(NEEDS_SUBNET_GROUP):
        if store.resource_type == "aws:rds/instance:Instance" and stack.is_set(
            store.props, "replicateSourceDb"
        ):
            continue  # a same-region replica lives in its source's subnet group
        group_name = stack.get(
            store.props, NEEDS_SUBNET_GROUP[store.resource_type], label=f"{label(store)} subnet group"
        )
        if group_name is None or (isinstance(group_name, str) and not group_name.strip()):
            stack.report(
                f"{label(store)} names no subnet group, so AWS places it in the default VPC, whose "
                "subnets are public. Give it a subnet group on isolated data subnets.",
                store,
            )


data_subnet_groups_private = stack_rule(
    name="data-subnet-groups-private",
    description=(
        "Database and cache subnet groups are built only on private subnets: none that maps public IPs or "
        "routes to an internet gateway, through its own route table or the VPC's main one, and no data "
        "store falls back to the default VPC."
    ),
    types=SUBNET_GROUP_TYPES,
    reads=["subnetIds"],
    check=_subnet_groups,
)


# --- no-database-ports-on-public-load-balancers ----------------------------------------------

LOAD_BALANCERS = frozenset({"aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"})
LISTENERS = frozenset({"aws:lb/listener:Listener", "aws:alb/listener:Listener"})


def _public_database_listeners(stack: Stack) -> None:
    ports = {int(p) for p in config_list(stack.config, "databasePorts", DATABASE_PORTS)}
    for listener in stack.of_type(LISTENERS):
        port = as_int(stack.prop(listener, "port"))
        if port not in ports:
            continue
        for balancer in linked(listener, "loadBalancerArn", LOAD_BALANCERS):
            internal = stack.prop(balancer, "internal")
            if internal is UNKNOWN or truthy(internal):
                continue
            kind = stack.prop(balancer, "loadBalancerType") or "application"
            stack.report(
                f"listener '{listener.name}' publishes port {port} ({DATABASE_PORTS.get(port, 'database')}) "
                f"on internet-facing {kind} load balancer '{balancer.name}': the database behind it is "
                "public. Make the load balancer internal (internal=True) or remove the listener; clients "
                "inside the VPC reach the database directly.",
                listener,
            )


no_database_ports_on_public_load_balancers = stack_rule(
    name="no-database-ports-on-public-load-balancers",
    description="No internet-facing load balancer (NLB or ALB) listens on a database or cache port.",
    types=LISTENERS | LOAD_BALANCERS,
    reads=["port", "internal"],
    check=_public_database_listeners,
    config={
        "databasePorts": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 65535},
            "description": "Ports that must not be published on an internet-facing load balancer.",
            "default": sorted(DATABASE_PORTS),
        }
    },
)


POLICIES = [
    database_not_publicly_accessible,
    no_internet_ingress_to_database_ports,
    no_internet_ingress_to_admin_ports,
    data_subnet_groups_private,
    no_database_ports_on_public_load_balancers,
]
