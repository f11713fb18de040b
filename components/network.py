"""The VPC every tier lives in: public, private app and isolated data subnets per availability zone."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, service_trust_policy, type_token
from .config_base import Problem, ValidatedConfig, between, collect, one_of
from .handles import Placement, StackWide
from .observability.config import LOG_RETENTION_DAYS

NAT_STRATEGIES = ("single", "one-per-az")
# The interface endpoints the platform's tasks and bastion may use instead of the NAT gateway.
INTERFACE_ENDPOINTS = (
    "ecr.api",
    "ecr.dkr",
    "logs",
    "secretsmanager",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "kms",
    "sts",
    "monitoring",
    "xray",
)
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# AWS takes VPCs of /16 to /28; plan_subnets cuts 16 blocks, which for a /24 are /28, the smallest subnet.
VPC_PREFIXES = (16, 24)
TIERS = ("public", "app", "data")
# The VPC range is cut into 16 equal blocks; tier t in AZ a takes block 4*t + a. Blocks 3, 7, 11 and
# 12-15 stay free for a fourth AZ or another tier, so growing the network never renumbers a subnet.
BLOCKS_PER_TIER = 4
SUBNET_BITS = 4


def plan_subnets(vpc_cidr: str, az_count: int) -> dict[str, list[str]]:
    """Subnet CIDRs per tier, one per AZ, carved deterministically from the VPC range."""
    blocks = list(ipaddress.ip_network(vpc_cidr).subnets(prefixlen_diff=SUBNET_BITS))
    return {
        tier: [str(blocks[BLOCKS_PER_TIER * index + az]) for az in range(az_count)]
        for index, tier in enumerate(TIERS)
    }


def vpc_cidr_problem(cidr: str) -> str | None:
    """Why this range cannot be the VPC's, or None."""
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        return "expected an IPv4 network with no host bits set, e.g. 10.20.0.0/16"
    private = isinstance(network, ipaddress.IPv4Network) and any(network.subnet_of(p) for p in PRIVATE_RANGES)
    if private and VPC_PREFIXES[0] <= network.prefixlen <= VPC_PREFIXES[1]:
        return None
    return (
        "expected an RFC 1918 range (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) "
        "with a prefix from /16 to /24, e.g. 10.20.0.0/16"
    )


@dataclass(frozen=True, kw_only=True)
class NetworkConfig(ValidatedConfig):
    """What an operator sets for the VPC."""

    vpc_cidr: str
    """Private IPv4 range of the VPC (RFC 1918), /16 to /24, e.g. "10.20.0.0/16"."""
    az_count: int
    """Availability zones the subnets span, 2 or 3."""
    nat_strategy: Literal["single", "one-per-az"]
    """`single`: one NAT gateway for every app subnet; `one-per-az`: one per zone, none shared."""
    interface_endpoints: tuple[str, ...]
    """AWS services reached through interface endpoints in the app subnets (e.g. "ecr.api", "logs")
    instead of the NAT gateway; empty: none."""
    flow_logs_retention_days: int
    """Days CloudWatch Logs keeps the VPC flow logs; one of the values CloudWatch Logs accepts."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        cidr = values["vpc_cidr"]
        endpoints = values["interface_endpoints"]
        unknown = [service for service in endpoints if service not in INTERFACE_ENDPOINTS]
        return collect(
            Problem(field="vpc_cidr", value=cidr, fix=fix) if (fix := vpc_cidr_problem(cidr)) else None,
            between("az_count", values["az_count"], 2, 3),
            one_of("nat_strategy", values["nat_strategy"], NAT_STRATEGIES),
            Problem(
                field="interface_endpoints",
                value=endpoints,
                fix=f"unknown entries {unknown}; allowed: {', '.join(INTERFACE_ENDPOINTS)}",
            )
            if unknown
            else None,
            # Two endpoints for one service would collide on their child's name and private DNS.
            Problem(field="interface_endpoints", value=endpoints, fix="entries must not repeat")
            if len(set(endpoints)) != len(endpoints)
            else None,
            one_of("flow_logs_retention_days", values["flow_logs_retention_days"], LOG_RETENTION_DAYS),
        )


@dataclass(frozen=True)
class NetworkArgs:
    config: NetworkConfig
    """What the operator set. Required."""
    stack: StackWide
    """The stack's shared values: its KMS key encrypts the flow-log group (the key policy admits
    CloudWatch Logs); `tags`. Required."""


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    availability_zones: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]
    app_subnet_ids: pulumi.Output[list[str]]
    data_subnet_ids: pulumi.Output[list[str]]
    app_route_table_ids: pulumi.Output[list[str]]
    data_route_table_id: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("network", "Network"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.stack.tags
        config = args.config

        zones = aws.get_availability_zones_output(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        az_names = zones.names.apply(lambda names: _first_zones(names, config.az_count))

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=config.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=merge_tags(tags, Name=f"{name}-vpc"),
            opts=child,
        )
        # AWS creates a default security group that allows all traffic between its members; one left
        # open is where ad-hoc resources end up. Adopting it with no rules closes it.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=merge_tags(tags, Name=f"{name}-default-closed"),
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=merge_tags(tags, Name=f"{name}-igw"), opts=child
        )

        cidrs = plan_subnets(config.vpc_cidr, config.az_count)
        subnets: dict[str, list[aws.ec2.Subnet]] = {}
        for tier in TIERS:
            subnets[tier] = [
                aws.ec2.Subnet(
                    f"{name}-{tier}-{az}",
                    vpc_id=vpc.id,
                    cidr_block=cidr,
                    availability_zone=az_names[az],
                    # No tier maps public IPs, the public one included: NAT gateways and load
                    # balancers bring their own addresses, and nothing else belongs on the internet.
                    map_public_ip_on_launch=False,
                    tags=merge_tags(tags, Name=f"{name}-{tier}-{az}", Tier=tier),
                    opts=child,
                )
                for az, cidr in enumerate(cidrs[tier])
            ]

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            tags=merge_tags(tags, Name=f"{name}-public", Tier="public"),
            opts=child,
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        for az, subnet in enumerate(subnets["public"]):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{az}-rta", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child
            )

        nat_count = config.az_count if config.nat_strategy == "one-per-az" else 1
        nat_gateways = []
        for index in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-{index}-eip",
                domain="vpc",
                tags=merge_tags(tags, Name=f"{name}-nat-{index}"),
                opts=child,
            )
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=subnets["public"][index].id,
                    tags=merge_tags(tags, Name=f"{name}-nat-{index}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        # One app route table per AZ, so switching to one-per-az NAT only changes routes.
        app_route_tables = []
        for az, subnet in enumerate(subnets["app"]):
            table = aws.ec2.RouteTable(
                f"{name}-app-{az}-rt",
                vpc_id=vpc.id,
                tags=merge_tags(tags, Name=f"{name}-app-{az}", Tier="app"),
                opts=child,
            )
            aws.ec2.Route(
                f"{name}-app-{az}-default",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat_gateways[az % nat_count].id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-app-{az}-rta", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
            app_route_tables.append(table)

        # The data tier's table has only the implicit local route: no path to or from the internet.
        data_rt = aws.ec2.RouteTable(
            f"{name}-data-rt",
            vpc_id=vpc.id,
            tags=merge_tags(tags, Name=f"{name}-data", Tier="data"),
            opts=child,
        )
        for az, subnet in enumerate(subnets["data"]):
            aws.ec2.RouteTableAssociation(
                f"{name}-data-{az}-rta", subnet_id=subnet.id, route_table_id=data_rt.id, opts=child
            )

        private_route_table_ids = [t.id for t in app_route_tables] + [data_rt.id]
        aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=vpc.id,
            service_name=pulumi.Output.concat("com.amazonaws.", region, ".s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=private_route_table_ids,
            tags=merge_tags(tags, Name=f"{name}-s3"),
            opts=child,
        )

        if config.interface_endpoints:
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints-sg",
                description="HTTPS from inside the VPC to AWS interface endpoints",
                vpc_id=vpc.id,
                ingress=[
                    {
                        "description": "HTTPS from the VPC",
                        "protocol": "tcp",
                        "from_port": 443,
                        "to_port": 443,
                        "cidr_blocks": [config.vpc_cidr],
                    }
                ],
                tags=merge_tags(tags, Name=f"{name}-endpoints"),
                opts=child,
            )
            for service in config.interface_endpoints:
                aws.ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}-endpoint",
                    vpc_id=vpc.id,
                    service_name=pulumi.Output.concat("com.amazonaws.", region, f".{service}"),
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=[s.id for s in subnets["app"]],
                    security_group_ids=[endpoint_sg.id],
                    tags=merge_tags(tags, Name=f"{name}-{service}"),
                    opts=child,
                )

        self._flow_logs(name, args, vpc, child)

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.availability_zones = az_names
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["public"]])
        self.app_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["app"]])
        self.data_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["data"]])
        self.app_route_table_ids = pulumi.Output.all(*[t.id for t in app_route_tables])
        self.data_route_table_id = data_rt.id
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "availability_zones": self.availability_zones,
                "public_subnet_ids": self.public_subnet_ids,
                "app_subnet_ids": self.app_subnet_ids,
                "data_subnet_ids": self.data_subnet_ids,
                "app_route_table_ids": self.app_route_table_ids,
                "data_route_table_id": self.data_route_table_id,
            }
        )

    def _flow_logs(
        self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc, child: pulumi.ResourceOptions
    ) -> None:
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            retention_in_days=args.config.flow_logs_retention_days,
            kms_key_id=args.stack.kms_key_arn,
            tags=merge_tags(args.stack.tags, Name=f"{name}-flow-logs"),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=service_trust_policy("vpc-flow-logs.amazonaws.com"),
            tags=args.stack.tags,
            opts=child,
        )
        # What the VPC User Guide lists for the flow-logs role, scoped to this group where the action
        # has a resource type; DescribeLogGroups is authorised on the account's group namespace only.
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogGroup",
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:*"],
                            },
                            {
                                "Effect": "Allow",
                                "Action": "logs:DescribeLogGroups",
                                "Resource": arn.split(":log-group:")[0] + ":log-group:*",
                            },
                        ],
                    }
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=merge_tags(args.stack.tags, Name=f"{name}-flow-log"),
            # Created before its role may write, the flow log starts in an error state.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    @property
    def placement(self) -> Placement:
        """The VPC and its private subnets, for the components placed in them."""
        return Placement(
            vpc_id=self.vpc_id,
            vpc_cidr=self.vpc_cidr,
            app_subnet_ids=self.app_subnet_ids,
            data_subnet_ids=self.data_subnet_ids,
        )


def _first_zones(names: list[str], count: int) -> list[str]:
    if len(names) < count:
        raise pulumi.RunError(
            f"the region offers {len(names)} availability zones ({names}); azCount asks for {count}"
        )
    return sorted(names)[:count]
