"""Wires the platform's components from validated settings and exports what operators need."""

import pulumi

from components.network import Network, NetworkArgs
from components.security_groups import WorkloadSecurityGroups, WorkloadSecurityGroupsArgs
from settings import load_settings

settings = load_settings()
tags = settings.stack.tags
prefix = settings.stack.app_name

network = Network(
    f"{prefix}-network",
    NetworkArgs(
        cidr_block=settings.network.vpc_cidr,
        az_count=settings.network.az_count,
        nat_strategy=settings.network.nat_strategy,
        interface_endpoints=settings.network.interface_endpoints,
        flow_logs_retention_days=settings.network.flow_logs_retention_days,
        tags=tags,
    ),
)

workloads = WorkloadSecurityGroups(
    f"{prefix}-workloads", WorkloadSecurityGroupsArgs(vpc_id=network.vpc_id, tags=tags)
)

pulumi.export("stackProfile", settings.stack.profile)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("vpcCidr", network.vpc_cidr)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("appSubnetIds", network.app_subnet_ids)
pulumi.export("dataSubnetIds", network.data_subnet_ids)
