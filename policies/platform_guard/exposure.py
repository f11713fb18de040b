"""Public databases, in every form: the flag, the security group, the subnets."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .props import UNKNOWN, Judge, as_int, config_list, module_of, non_empty, truthy
from .stack_graph import label, linked

# --- database-not-publicly-accessible --------------------------------------------------------

# Every AWS data store whose resource has a `publiclyAccessible` flag.
PUBLIC_FLAG_MODULES = frozenset(
    {"rds", "docdb", "neptune", "redshift", "redshiftserverless", "dms", "timestreaminfluxdb", "mq"}
)
PUBLIC_FLAG_TYPES = frozenset({"aws:lightsail/database:Database"})


def _publicly_accessible(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if (
        module_of(args.resource_type) not in PUBLIC_FLAG_MODULES
        and args.resource_type not in PUBLIC_FLAG_TYPES
    ):
        return
    judge = Judge(args.name)
    flag = judge.get(args.props, "publiclyAccessible")
    if flag is not UNKNOWN and truthy(flag):
        report(
            "publiclyAccessible is true: AWS gives it a public IP and its endpoint resolves to that IP "
            "from anywhere, so one permissive security-group rule exposes the data. Set "
            "publicly_accessible=False and reach it through a bastion or SSM port forwarding.",
            None,
        )
    judge.settle()


database_not_publicly_accessible = ResourceValidationPolicy(
    name="database-not-publicly-accessible",
    description=(
        "Databases (RDS and Aurora instances, DocumentDB, Neptune, Redshift, DMS, Lightsail, MQ) stay "
        "off the internet: no publiclyAccessible flag, so the endpoint never resolves to a public IP."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_publicly_accessible,
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

PRIVATE_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("fc00::/7"),  # IPv6 unique local addresses
)

ALL_PROTOCOLS = frozenset({"-1", "all"})
TCP_PROTOCOLS = frozenset({"tcp", "6"})

SECURITY_GROUP_TYPES = frozenset(
    {"aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"}
)
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def is_private_cidr(cidr: str) -> bool:
    """Inside RFC 1918 (IPv4) or unique-local fc00::/7 (IPv6). Anything else, or anything that does
    not parse, is reachable from the internet as far as this pack is concerned."""
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    return any(
        network.version == private.version and network.subnet_of(private)  # type: ignore[arg-type]
        for private in PRIVATE_NETWORKS
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


def _ingress_of(args: ResourceValidationArgs, judge: Judge) -> list[Ingress]:
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


def _database_ingress(args: ResourceValidationArgs, report: ReportViolation) -> None:
    judge = Judge(args.name)
    ports = [int(p) for p in config_list(args.get_config(), "databasePorts", DATABASE_PORTS)]
    for rule in _ingress_of(args, judge):
        public = [str(c) for c in rule.cidrs if c is not UNKNOWN and not is_private_cidr(str(c))]
        some_unknown = any(c is UNKNOWN for c in rule.cidrs)
        reached = covered_ports(rule.protocol, rule.from_port, rule.to_port, ports)
        if reached is UNKNOWN:
            if public or some_unknown:
                for what in rule.judge.unknown:
                    judge.note(what)
            continue
        if not reached:
            continue
        if some_unknown:
            for what in rule.judge.unknown:
                judge.note(what)
        if not public:
            continue
        named = ", ".join(f"{p} ({DATABASE_PORTS.get(p, 'database')})" for p in reached[:6])
        more = f" and {len(reached) - 6} more" if len(reached) > 6 else ""
        sources = ", ".join(_describe_source(c) for c in public)
        span = (
            "all protocols and ports"
            if _protocol(rule.protocol) in ALL_PROTOCOLS
            else f"tcp {as_int(rule.from_port)}-{as_int(rule.to_port)}"
        )
        report(
            f"{rule.where} allows {span} from {sources}, which reaches {named}{more}. Admit the "
            "clients' security groups instead (source_security_group_id / referenced_security_group_id); "
            "developers connect through the bastion or SSM port forwarding, not from the internet.",
            None,
        )
    judge.settle()


no_internet_ingress_to_database_ports = ResourceValidationPolicy(
    name="no-internet-ingress-to-database-ports",
    description=(
        "No security-group ingress (inline rules, SecurityGroupRule, vpc.SecurityGroupIngressRule) lets an "
        "address outside private space (RFC 1918, fc00::/7) reach a database or cache port, whether "
        "through the exact port, a port range covering it, or protocol -1."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "databasePorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 65535},
                "description": "TCP ports that must not be reachable from the internet.",
                "default": sorted(DATABASE_PORTS),
            }
        }
    ),
    validate=_database_ingress,
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


def _public_subnets(args: StackValidationArgs, judge: Judge) -> dict[str, str]:
    """subnet URN -> why it is public (maps public IPs, or routes to an internet gateway)."""
    resources = args.resources
    reasons: dict[str, str] = {}
    for subnet in (r for r in resources if r.resource_type == SUBNET):
        flag = judge.get(subnet.props, "mapPublicIpOnLaunch", label=f"{label(subnet)} mapPublicIpOnLaunch")
        if flag is not UNKNOWN and truthy(flag):
            reasons[subnet.urn] = f"subnet '{subnet.name}' maps public IPs on launch"

    def to_internet(resource: Any, prop: str, value: Any) -> bool:
        if linked(resource, prop, {INTERNET_GATEWAY}):
            return True
        return isinstance(value, str) and value.startswith("igw-")

    internet_tables: set[str] = set()
    for route in (r for r in resources if r.resource_type == ROUTE):
        gateway = judge.get(route.props, "gatewayId", label=f"{label(route)} gatewayId")
        if to_internet(route, "gatewayId", gateway):
            internet_tables.update(t.urn for t in linked(route, "routeTableId", {ROUTE_TABLE}))
    for table in (r for r in resources if r.resource_type == ROUTE_TABLE):
        if linked(table, "routes", {INTERNET_GATEWAY}):
            internet_tables.add(table.urn)
            continue
        for _, route in judge.items(table.props, "routes", label=f"{label(table)} routes"):
            if route is not UNKNOWN and to_internet(table, "routes", judge.get(route, "gatewayId")):
                internet_tables.add(table.urn)
    for association in (r for r in resources if r.resource_type == ROUTE_TABLE_ASSOCIATION):
        tables = [t for t in linked(association, "routeTableId", {ROUTE_TABLE}) if t.urn in internet_tables]
        if not tables:
            continue
        for subnet in linked(association, "subnetId", {SUBNET}):
            reasons.setdefault(
                subnet.urn, f"subnet '{subnet.name}' routes to an internet gateway ('{tables[0].name}')"
            )
    return reasons


def _subnet_groups(args: StackValidationArgs, report: ReportViolation) -> None:
    judge = Judge()
    public = _public_subnets(args, judge)
    for group in (r for r in args.resources if r.resource_type in SUBNET_GROUP_TYPES):
        subnets = linked(group, "subnetIds", {SUBNET})
        if not subnets:
            ids = judge.get(group.props, "subnetIds", label=f"{label(group)} subnetIds")
            if non_empty(ids) and ids is not UNKNOWN:
                judge.outside(f"the subnets of {label(group)}")
            continue
        exposed = [public[s.urn] for s in subnets if s.urn in public]
        if exposed:
            users = [
                f"'{r.name}'"
                for r in args.resources
                if any(d.urn == group.urn for deps in r.property_dependencies.values() for d in deps)
            ]
            used_by = f" (used by {', '.join(users)})" if users else ""
            report(
                f"subnet group '{group.name}'{used_by} spans public subnets: {'; '.join(exposed)}. "
                "Build data-store subnet groups on isolated subnets with no route to an internet "
                "gateway and no public IP mapping.",
                group.urn,
            )
    for store in (r for r in args.resources if r.resource_type in NEEDS_SUBNET_GROUP):
        if store.resource_type == "aws:rds/instance:Instance" and judge.is_set(
            store.props, "replicateSourceDb"
        ):
            continue  # a same-region replica lives in its source's subnet group
        group_name = judge.get(
            store.props, NEEDS_SUBNET_GROUP[store.resource_type], label=f"{label(store)} subnet group"
        )
        if group_name is None or (isinstance(group_name, str) and not group_name.strip()):
            report(
                f"{label(store)} names no subnet group, so AWS places it in the default VPC, whose "
                "subnets are public. Give it a subnet group on isolated data subnets.",
                store.urn,
            )
    judge.settle()


data_subnet_groups_private = StackValidationPolicy(
    name="data-subnet-groups-private",
    description=(
        "Database and cache subnet groups are built only on private subnets: none that maps public "
        "IPs or routes to an internet gateway, and no data store falls back to the default VPC."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_subnet_groups,
)


POLICIES = [
    database_not_publicly_accessible,
    no_internet_ingress_to_database_ports,
    data_subnet_groups_private,
]
