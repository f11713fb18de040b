"""Public databases, in every form: the flag, the security group (exposure_ingress.py), the subnets,
a listener on a public load balancer."""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource

from .exposure_ingress import (
    DATABASE_PORTS,
    no_internet_ingress_to_admin_ports,
    no_internet_ingress_to_database_ports,
)
from .props import PORT, UNKNOWN, as_int, config_list, list_setting, module_of, non_empty, truthy
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
        "databasePorts": list_setting(
            PORT,
            "Ports that must not be published on an internet-facing load balancer.",
            sorted(DATABASE_PORTS),
        )
    },
)


POLICIES = [
    database_not_publicly_accessible,
    no_internet_ingress_to_database_ports,
    no_internet_ingress_to_admin_ports,
    data_subnet_groups_private,
    no_database_ports_on_public_load_balancers,
]
