"""What the data stores share: a security group that admits one port from named client groups only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from ._base import merge_tags
from .handles import WorkloadGroups


def client_group_ids(clients: WorkloadGroups | None) -> list[pulumi.Input[str]]:
    """The workloads' groups in the order their ingress rules are numbered: web, then worker."""
    if clients is None:
        return []
    return [clients.web_security_group_id, clients.worker_security_group_id]


def client_only_security_group(
    name: str,
    *,
    service: str,
    description: str,
    vpc_id: pulumi.Input[str],
    port: int,
    client_security_group_ids: Sequence[pulumi.Input[str]],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """`{name}-sg` admitting `port` from each client security group, and from nothing else.

    One rule resource per client instead of inline rules: adding or removing a client changes one
    rule, and nothing else may add rules inline behind the owning component's back. No address range
    is ever admitted, so the store stays unreachable from the internet whatever the subnets do.
    """
    security_group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        description=description,
        vpc_id=vpc_id,
        tags=merge_tags(tags, Name=f"{name}-sg"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for index, client in enumerate(client_security_group_ids):
        admit_client(
            name, index, security_group, client, service=service, port=port, tags=tags, parent=parent
        )
    return security_group


def admit_client(
    name: str,
    index: int,
    security_group: aws.ec2.SecurityGroup,
    client_security_group_id: pulumi.Input[str],
    *,
    service: str,
    port: int,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.vpc.SecurityGroupIngressRule:
    """`{name}-ingress-{index}`: `port` from one client security group. The index keeps a rule's
    name (and URN) whether the client was listed at construction or admitted afterwards."""
    return aws.vpc.SecurityGroupIngressRule(
        f"{name}-ingress-{index}",
        security_group_id=security_group.id,
        referenced_security_group_id=client_security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=f"{service} from a client workload",
        tags=merge_tags(tags, Name=f"{name}-ingress-{index}"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
