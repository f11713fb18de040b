"""The network component: tiers per AZ, no public IPs, an isolated data tier, NAT per strategy."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.network import INTERFACE_ENDPOINTS, Network, NetworkArgs, NetworkConfig, plan_subnets
from offline.engine import ProgramRun
from tests._handles import stack_wide

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
NAT = "aws:ec2/natGateway:NatGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"


def subnets_by_tier(run: ProgramRun) -> dict[str, list[dict]]:
    tiers: dict[str, list[dict]] = {}
    for subnet in run.of_type(SUBNET):
        tiers.setdefault(subnet.inputs["tags"]["Tier"], []).append(subnet.inputs)
    return tiers


def run_id(run: ProgramRun, name: str) -> str:
    # The mock engine answers a registration with the resource's id; routes carry it as routeTableId.
    resource = run.named(name)
    return next(
        r.inputs["routeTableId"]
        for r in run.resources
        if resource.urn in r.dependencies and "routeTableId" in r.inputs
    )


@pytest.mark.parametrize(("stack", "azs"), [("staging", 2), ("prod", 2)])
def test_each_tier_has_one_subnet_per_az(stack_runs: dict[str, ProgramRun], stack: str, azs: int) -> None:
    tiers = subnets_by_tier(stack_runs[stack])
    assert {tier: len(subnets) for tier, subnets in tiers.items()} == {"public": azs, "app": azs, "data": azs}
    for subnets in tiers.values():
        assert len({s["availabilityZone"] for s in subnets}) == azs


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_no_subnet_maps_public_ips(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    subnets = stack_runs[stack].of_type(SUBNET)
    assert subnets
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_data_tier_has_no_route_to_the_internet(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    data_table = run.named("epicvibe-network-data-rt")
    data_table_id = run_id(run, "epicvibe-network-data-rt")
    assert "routes" not in data_table.inputs or not data_table.inputs["routes"]
    assert [r.name for r in run.of_type(ROUTE) if r.inputs["routeTableId"] == data_table_id] == []
    data_subnet_urns = {s.urn for s in run.of_type(SUBNET) if s.inputs["tags"]["Tier"] == "data"}
    associations = [a for a in run.of_type(ASSOCIATION) if set(a.dependencies) & data_subnet_urns]
    assert len(associations) == len(data_subnet_urns)
    assert all(a.inputs["routeTableId"] == data_table_id for a in associations)


@pytest.mark.parametrize(("stack", "nat_count"), [("staging", 1), ("prod", 2)])
def test_nat_gateways_follow_the_strategy(
    stack_runs: dict[str, ProgramRun], stack: str, nat_count: int
) -> None:
    run = stack_runs[stack]
    nats = run.of_type(NAT)
    assert len(nats) == nat_count
    public_subnet_ids = set(run.stack_outputs["publicSubnetIds"])
    assert {n.inputs["subnetId"] for n in nats} <= public_subnet_ids
    app_defaults = [r for r in run.of_type(ROUTE) if r.name.startswith("epicvibe-network-app-")]
    assert len(app_defaults) == len(run.stack_outputs["appSubnetIds"])
    assert all(
        r.inputs["destinationCidrBlock"] == "0.0.0.0/0" and "natGatewayId" in r.inputs for r in app_defaults
    )
    assert len({r.inputs["natGatewayId"] for r in app_defaults}) == nat_count


def test_one_nat_per_az_on_staging_when_configured(run_stack: Callable[..., ProgramRun]) -> None:
    assert len(run_stack("staging", natStrategy="one-per-az").of_type(NAT)) == 2


def test_only_the_public_tier_routes_to_the_internet_gateway(stack_runs: dict[str, ProgramRun]) -> None:
    igw_routes = [r for r in stack_runs["prod"].of_type(ROUTE) if "gatewayId" in r.inputs]
    assert [r.name for r in igw_routes] == ["epicvibe-network-public-default"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_s3_gateway_endpoint_serves_every_private_route_table(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    s3 = run.named("epicvibe-network-s3-endpoint").inputs
    assert s3["vpcEndpointType"] == "Gateway"
    assert s3["serviceName"] == "com.amazonaws.eu-west-1.s3"
    private_tables = {r.urn for r in run.of_type(ROUTE_TABLE) if r.inputs["tags"]["Tier"] in ("app", "data")}
    assert private_tables <= set(run.named("epicvibe-network-s3-endpoint").dependencies)
    assert len(s3["routeTableIds"]) == len(private_tables)


def test_interface_endpoints_follow_config_and_admit_only_https_from_the_vpc(
    stack_runs: dict[str, ProgramRun], run_stack: Callable[..., ProgramRun]
) -> None:
    # Neither stack needs interface endpoints at its traffic (docs/cost.md); prod with four of them.
    prod = run_stack(
        "prod", interfaceEndpoints='["ecr.api", "ecr.dkr", "logs", "secretsmanager"]', azCount="3"
    )
    staging = stack_runs["staging"]
    interface = [e.inputs for e in prod.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    services = sorted(e["serviceName"].removeprefix("com.amazonaws.eu-west-1.") for e in interface)
    assert services == ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]
    assert all(e["privateDnsEnabled"] is True and len(e["subnetIds"]) == 3 for e in interface)
    sg = prod.named("epicvibe-network-endpoints-sg").inputs
    assert sg["ingress"] == [
        {
            "description": "HTTPS from the VPC",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrBlocks": ["10.10.0.0/16"],
        }
    ]
    assert [e for e in staging.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"] == []


def test_default_security_group_is_emptied(stack_runs: dict[str, ProgramRun]) -> None:
    default_sg = stack_runs["prod"].named("epicvibe-network-default-sg").inputs
    assert default_sg["ingress"] == [] and default_sg["egress"] == []


def test_flow_logs_go_to_a_log_group_with_retention_and_a_scoped_role(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["prod"]
    assert run.named("epicvibe-network-flow-logs").inputs["retentionInDays"] == 365
    flow = run.named("epicvibe-network-flow-log").inputs
    assert flow["trafficType"] == "ALL" and flow["logDestinationType"] == "cloud-watch-logs"
    policy = json.loads(run.named("epicvibe-network-flow-logs-policy").inputs["policy"])
    resources = policy["Statement"][0]["Resource"]
    assert all(
        r.startswith("arn:aws:logs:eu-west-1:123456789012:log-group:epicvibe-network-flow-logs")
        for r in resources
    )
    trust = json.loads(run.named("epicvibe-network-flow-logs-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_child_is_parented_named_and_tagged(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    network = run.named("epicvibe-network")
    assert network.type == "django-platform:network:Network"
    children = run.children_of(network)
    assert len(children) > 20
    assert all(c.name.startswith("epicvibe-network-") for c in children)
    for child in children:
        if "tags" in child.inputs:
            assert child.inputs["tags"]["Stack"] == stack, child.name
            assert child.inputs["tags"]["ManagedBy"] == "pulumi", child.name


@given(
    prefix=st.integers(min_value=16, max_value=24), azs=st.sampled_from([2, 3]), second=st.integers(0, 255)
)
def test_subnet_plan_is_disjoint_and_inside_the_vpc(prefix: int, azs: int, second: int) -> None:
    vpc = ipaddress.ip_network(f"10.{second}.0.0/{prefix}", strict=False)
    plan = plan_subnets(str(vpc), azs)
    cidrs = [ipaddress.ip_network(c) for tier in plan.values() for c in tier]
    assert len(cidrs) == 3 * azs
    assert all(c.subnet_of(vpc) and c.prefixlen == prefix + 4 for c in cidrs)  # type: ignore[arg-type]
    assert all(not a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])


def network_config(**overrides: object) -> NetworkConfig:
    values: dict = {
        "vpc_cidr": "10.0.0.0/16",
        "az_count": 2,
        "nat_strategy": "single",
        "interface_endpoints": (),
        "flow_logs_retention_days": 90,
        **overrides,
    }
    return NetworkConfig(**values)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"vpc_cidr": "10.0.0.0/12"}, "vpc_cidr '10.0.0.0/12': .*prefix from /16 to /24"),
        ({"vpc_cidr": "10.0.0.0/25"}, "vpc_cidr '10.0.0.0/25': .*prefix from /16 to /24"),
        ({"vpc_cidr": "100.64.0.0/16"}, "vpc_cidr '100.64.0.0/16': expected an RFC 1918 range"),
        ({"vpc_cidr": "fd00::/56"}, "vpc_cidr 'fd00::/56': expected an RFC 1918 range"),
        ({"vpc_cidr": "10.0.0.1/16"}, "vpc_cidr '10.0.0.1/16': expected an IPv4 network with no host bits"),
        ({"az_count": 1}, "az_count 1: expected a whole number from 2 to 3"),
        ({"az_count": 4}, "az_count 4: expected a whole number from 2 to 3"),
        ({"nat_strategy": "many"}, "nat_strategy 'many': allowed: 'single', 'one-per-az'"),
        ({"interface_endpoints": ("logs", "dynamodb")}, r"unknown entries \['dynamodb'\]; allowed: ecr.api"),
        ({"interface_endpoints": ("logs", "logs")}, "interface_endpoints .*: entries must not repeat"),
        ({"flow_logs_retention_days": 10}, "flow_logs_retention_days 10: allowed: 1, 3, 5, 7, 14"),
    ],
)
def test_network_config_refuses_each_bad_value_naming_field_value_and_fix(
    overrides: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        network_config(**overrides)


def test_network_config_reports_every_problem_at_once() -> None:
    values = {
        "vpc_cidr": "8.8.8.0/24",
        "az_count": 9,
        "nat_strategy": "many",
        "interface_endpoints": ("s3",),
        "flow_logs_retention_days": 0,
    }
    assert [problem.field for problem in NetworkConfig.problems(values)] == list(values)


@pytest.mark.parametrize("nat_strategy", ["single", "one-per-az"])
def test_network_config_accepts_both_strategies_and_every_endpoint(nat_strategy: str) -> None:
    config = network_config(
        vpc_cidr="172.16.0.0/24",
        az_count=3,
        nat_strategy=nat_strategy,
        interface_endpoints=INTERFACE_ENDPOINTS,
    )
    assert config.nat_strategy == nat_strategy


@pulumi.runtime.test
def test_component_outputs_resolve() -> pulumi.Output:
    network = Network(
        "unit", NetworkArgs(config=network_config(vpc_cidr="192.168.0.0/20", az_count=3), stack=stack_wide())
    )

    def check(values: list) -> None:
        cidr, azs, app, data = values
        assert cidr == "192.168.0.0/20"
        assert len(azs) == 3 and len(set(azs)) == 3
        assert len(app) == 3 and len(data) == 3
        assert not set(app) & set(data)

    return pulumi.Output.all(
        network.vpc_cidr, network.availability_zones, network.app_subnet_ids, network.data_subnet_ids
    ).apply(check)
