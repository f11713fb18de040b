"""The VPC every tier lives in: public, private app and isolated data subnets per availability zone."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, service_trust_policy, type_token

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


@dataclass(frozen=True)
class NetworkArgs:
    cidr_block: str = "10.0.0.0/16"
    """IPv4 range of the VPC, /16 to /24. Default: 10.0.0.0/16."""
    az_count: int = 2
    """Availability zones to span, 2 or 3. Default: 2."""
    nat_strategy: Literal["single", "one-per-az"] = "single"
    """`single` NAT gateway for all app subnets, or `one-per-az`. Default: single."""
    interface_endpoints: Sequence[str] = ()
    """Interface endpoint services (e.g. `ecr.api`, `logs`) placed in the app subnets. Default: none."""
    flow_logs_retention_days: int = 90
    """Days CloudWatch keeps the VPC flow logs. Default: 90."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS key that encrypts the flow-log group (its policy must admit CloudWatch Logs).
    Default: None (CloudWatch Logs' own encryption)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags merged into every taggable child. Default: none."""

    def __post_init__(self) -> None:
        network = ipaddress.ip_network(self.cidr_block)
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"cidr_block {self.cidr_block!r}: the prefix must be /16 to /24")
        if self.az_count not in (2, 3):
            raise ValueError(f"az_count {self.az_count}: use 2 or 3")
        if self.nat_strategy not in ("single", "one-per-az"):
            raise ValueError(f"nat_strategy {self.nat_strategy!r}: use 'single' or 'one-per-az'")


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
        tags = args.tags

        zones = aws.get_availability_zones_output(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        az_names = zones.names.apply(lambda names: _first_zones(names, args.az_count))

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
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

        cidrs = plan_subnets(args.cidr_block, args.az_count)
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

        nat_count = args.az_count if args.nat_strategy == "one-per-az" else 1
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

        if args.interface_endpoints:
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
                        "cidr_blocks": [args.cidr_block],
                    }
                ],
                tags=merge_tags(tags, Name=f"{name}-endpoints"),
                opts=child,
            )
            for service in args.interface_endpoints:
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
            retention_in_days=args.flow_logs_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=merge_tags(args.tags, Name=f"{name}-flow-logs"),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=service_trust_policy("vpc-flow-logs.amazonaws.com"),
            tags=args.tags,
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
            tags=merge_tags(args.tags, Name=f"{name}-flow-log"),
            # Created before its role may write, the flow log starts in an error state.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )


def _first_zones(names: list[str], count: int) -> list[str]:
    if len(names) < count:
        raise pulumi.RunError(
            f"the region offers {len(names)} availability zones ({names}); azCount asks for {count}"
        )
    return sorted(names)[:count]
