"""Public databases in every form: the flag, ingress rules written three ways, public subnets."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from platform_guard import BY_NAME
from tests.fixtures import Build
from tests.policy_harness import UNKNOWN, Res, check_resource, check_stack, engine_props

PUBLIC_FLAG = BY_NAME["database-not-publicly-accessible"]
INGRESS = BY_NAME["no-internet-ingress-to-database-ports"]
SUBNETS = BY_NAME["data-subnet-groups-private"]

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@pytest.mark.parametrize(
    ("type_", "flag"),
    [
        ("aws:rds/instance:Instance", True),
        ("aws:rds/clusterInstance:ClusterInstance", True),
        ("aws:neptune/clusterInstance:ClusterInstance", True),
        ("aws:docdb/clusterInstance:ClusterInstance", True),
        ("aws:redshift/cluster:Cluster", "true"),  # pulumi-aws 7 types some booleans as strings
        ("aws:redshiftserverless/workgroup:Workgroup", True),
        ("aws:dms/replicationInstance:ReplicationInstance", True),
        ("aws:lightsail/database:Database", True),
    ],
)
def test_every_database_with_the_flag_is_covered(type_: str, flag: object) -> None:
    assert check_resource(PUBLIC_FLAG, type_, {"publiclyAccessible": flag}).violations
    assert check_resource(PUBLIC_FLAG, type_, {"publiclyAccessible": False}).passed
    assert check_resource(PUBLIC_FLAG, type_, {}).passed


def test_a_flag_on_other_resources_is_not_this_rules_business() -> None:
    assert check_resource(PUBLIC_FLAG, "aws:ec2/instance:Instance", {"publiclyAccessible": True}).passed


def test_unknown_flag_is_not_judged_yet() -> None:
    outcome = check_resource(PUBLIC_FLAG, "aws:rds/instance:Instance", {"publiclyAccessible": UNKNOWN})
    assert not outcome.violations
    assert outcome.not_judged and "publiclyAccessible cannot be judged yet" in outcome.not_judged


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (
            SG_RULE,
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 0.0,
                "toPort": 65535.0,
                "cidrBlocks": ["0.0.0.0/0"],
            },
        ),
        (
            SG_RULE,
            {"type": "ingress", "protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "ipv6CidrBlocks": ["::/0"]},
        ),
        (INGRESS_RULE, {"ipProtocol": "tcp", "fromPort": 6379.0, "toPort": 6379.0, "cidrIpv4": "0.0.0.0/0"}),
        (INGRESS_RULE, {"ipProtocol": "-1", "cidrIpv6": "::/0"}),
        (
            INGRESS_RULE,
            {"ipProtocol": "6", "fromPort": 3000.0, "toPort": 6000.0, "cidrIpv4": "203.0.113.7/32"},
        ),
        (SG, {"ingress": [{"protocol": "all", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}]}),
    ],
)
def test_every_way_of_opening_a_database_port_is_flagged(type_: str, props: dict[str, object]) -> None:
    assert len(check_resource(INGRESS, type_, props).violations) == 1


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (
            SG_RULE,
            {"type": "egress", "protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]},
        ),
        (
            SG_RULE,
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 443.0,
                "toPort": 443.0,
                "cidrBlocks": ["0.0.0.0/0"],
            },
        ),
        (
            SG_RULE,
            {
                "type": "ingress",
                "protocol": "udp",
                "fromPort": 0.0,
                "toPort": 65535.0,
                "cidrBlocks": ["0.0.0.0/0"],
            },
        ),
        (
            INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrIpv4": "10.20.0.0/16"},
        ),
        (
            INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrIpv6": "fd00:ec2::/64"},
        ),
        (INGRESS_RULE, {"ipProtocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "prefixListId": "pl-1"}),
        (SG, {"egress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}]}),
    ],
)
def test_private_sources_other_ports_and_egress_pass(type_: str, props: dict[str, object]) -> None:
    assert check_resource(INGRESS, type_, props).passed


def test_message_names_the_rule_the_source_and_the_ports() -> None:
    outcome = check_resource(
        INGRESS,
        SG,
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"]},
                {"protocol": "tcp", "fromPort": 6000.0, "toPort": 6400.0, "cidrBlocks": ["198.51.100.0/24"]},
            ]
        },
    )
    assert outcome.messages == [outcome.messages[0]]
    assert outcome.messages[0].startswith(
        "ingress[1] allows tcp 6000-6400 from 198.51.100.0/24 (public address space)"
    )
    assert "6379 (Redis)" in outcome.messages[0]


def test_database_ports_are_configurable() -> None:
    rule = {
        "type": "ingress",
        "protocol": "tcp",
        "fromPort": 8080.0,
        "toPort": 8080.0,
        "cidrBlocks": ["0.0.0.0/0"],
    }
    assert check_resource(INGRESS, SG_RULE, rule).passed
    assert check_resource(INGRESS, SG_RULE, rule, config={"databasePorts": [8080.0]}).violations


def test_unknown_source_on_a_database_port_is_not_judged_yet() -> None:
    outcome = check_resource(
        INGRESS,
        SG,
        {"ingress": [{"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrBlocks": [UNKNOWN]}]},
    )
    assert not outcome.violations
    assert outcome.not_judged and "ingress[0].cidrBlocks[0]" in outcome.not_judged


def test_unknown_source_on_another_port_needs_no_judgement() -> None:
    assert check_resource(
        INGRESS,
        SG,
        {"ingress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": UNKNOWN}]},
    ).passed


def test_a_known_violation_is_reported_even_next_to_unknowns() -> None:
    outcome = check_resource(
        INGRESS,
        SG,
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": UNKNOWN, "toPort": UNKNOWN, "cidrBlocks": ["0.0.0.0/0"]},
                {"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrBlocks": ["0.0.0.0/0"]},
            ]
        },
    )
    assert len(outcome.violations) == 1 and outcome.messages[0].startswith("ingress[1]")
    assert outcome.not_judged and "ingress[0].fromPort" in outcome.not_judged


def test_real_security_group_registration_is_judged_as_the_engine_sends_it(
    build: Build,
) -> None:
    registered = build(
        lambda: aws.ec2.SecurityGroup(
            "db",
            vpc_id="vpc-0123",
            ingress=[{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_blocks": ["0.0.0.0/0"]}],
        )
    )
    props = engine_props(registered.named("db"))
    assert props["ingress"][0]["fromPort"] == 5432.0  # camelCase and floats, as on the wire
    assert check_resource(INGRESS, SG, props).violations


# --- data-subnet-groups-private ---------------------------------------------------------------

SUBNET = "aws:ec2/subnet:Subnet"
RDS_SUBNETS = "aws:rds/subnetGroup:SubnetGroup"
CACHE_SUBNETS = "aws:elasticache/subnetGroup:SubnetGroup"


def routed_stack(group_type: str, *, inline_route: bool, to_internet: bool) -> list[Res]:
    gateway = (
        ("igw", "aws:ec2/internetGateway:InternetGateway")
        if to_internet
        else ("nat", "aws:ec2/natGateway:NatGateway")
    )
    gateway_prop = "gatewayId" if to_internet else "natGatewayId"
    resources = [
        Res(gateway[0], gateway[1], {"vpcId": "vpc-1"}),
        Res("subnet-a", SUBNET, {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": False}),
    ]
    if inline_route:
        resources.append(
            Res(
                "rt",
                "aws:ec2/routeTable:RouteTable",
                {
                    "vpcId": "vpc-1",
                    "routes": [{"cidrBlock": "0.0.0.0/0", gateway_prop: f"{gateway[0]}-0abc"}],
                },
                deps={"routes": [gateway[0]]},
            )
        )
    else:
        resources += [
            Res("rt", "aws:ec2/routeTable:RouteTable", {"vpcId": "vpc-1"}),
            Res(
                "default-route",
                "aws:ec2/route:Route",
                {
                    "routeTableId": "rtb-1",
                    "destinationCidrBlock": "0.0.0.0/0",
                    gateway_prop: f"{gateway[0]}-0abc",
                },
                deps={"routeTableId": ["rt"], gateway_prop: [gateway[0]]},
            ),
        ]
    resources += [
        Res(
            "rta",
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            {"subnetId": "subnet-a", "routeTableId": "rtb-1"},
            deps={"subnetId": ["subnet-a"], "routeTableId": ["rt"]},
        ),
        Res("group", group_type, {"subnetIds": ["subnet-a"]}, deps={"subnetIds": ["subnet-a"]}),
    ]
    return resources


@pytest.mark.parametrize("group_type", [RDS_SUBNETS, CACHE_SUBNETS, "aws:redshift/subnetGroup:SubnetGroup"])
@pytest.mark.parametrize("inline_route", [True, False])
def test_subnets_routed_to_an_internet_gateway_are_public(group_type: str, inline_route: bool) -> None:
    outcome = check_stack(SUBNETS, routed_stack(group_type, inline_route=inline_route, to_internet=True))
    assert len(outcome.violations) == 1
    assert "routes to an internet gateway" in outcome.messages[0]
    assert outcome.urns == [Res("group", group_type).urn]


@pytest.mark.parametrize("inline_route", [True, False])
def test_subnets_behind_a_nat_gateway_are_private(inline_route: bool) -> None:
    assert check_stack(
        SUBNETS, routed_stack(RDS_SUBNETS, inline_route=inline_route, to_internet=False)
    ).passed


def test_a_database_without_subnet_group_lands_in_the_default_vpc() -> None:
    outcome = check_stack(SUBNETS, [Res("db", "aws:rds/instance:Instance", {"engine": "postgres"})])
    assert outcome.violations and "default VPC" in outcome.messages[0]


def test_a_read_replica_uses_its_sources_subnet_group() -> None:
    replica = Res("replica", "aws:rds/instance:Instance", {"replicateSourceDb": "db-primary"})
    assert check_stack(SUBNETS, [replica]).passed


def test_unknown_public_ip_mapping_is_not_judged_yet() -> None:
    resources = [
        Res("subnet-a", SUBNET, {"mapPublicIpOnLaunch": UNKNOWN}),
        Res("group", RDS_SUBNETS, {"subnetIds": [UNKNOWN]}, deps={"subnetIds": ["subnet-a"]}),
    ]
    outcome = check_stack(SUBNETS, resources)
    assert not outcome.violations and outcome.not_judged and "mapPublicIpOnLaunch" in outcome.not_judged


def test_subnets_from_outside_the_stack_cannot_be_judged() -> None:
    outcome = check_stack(SUBNETS, [Res("group", RDS_SUBNETS, {"subnetIds": ["subnet-0existing"]})])
    assert not outcome.violations
    assert outcome.not_judged and "not created by this stack" in outcome.not_judged
