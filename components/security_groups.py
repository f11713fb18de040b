"""Security groups that identify the workloads, created before the tiers that admit them.

The database and cache admit connections only from the security groups they are handed, and the
app tier needs their endpoints: creating the workloads' groups first breaks that cycle, and keeps
"who may reach the data tier" a list of named groups rather than address ranges.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, type_token
from .config_base import Problem, ValidatedConfig
from .handles import Placement, WorkloadGroups


def egress_destination(entry: str) -> tuple[str, int] | None:
    """`<IPv4 range>:<TCP port>` as (range, port), or None when it is not one."""
    cidr, _, port = entry.rpartition(":")
    try:
        network = ipaddress.ip_network(cidr, strict=True)
        number = int(port, 10)
    except ValueError:
        return None
    if network.version != 4 or not 1 <= number <= 65535:
        return None
    return str(network), number


@dataclass(frozen=True, kw_only=True)
class WorkloadSecurityGroupsConfig(ValidatedConfig):
    """What an operator sets for the workloads' security groups."""

    extra_egress: tuple[str, ...]
    """`<IPv4 range>:<TCP port>` destinations the workloads may reach besides HTTPS and the data
    tier, e.g. "0.0.0.0/0:587" for SMTP submission."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        return [
            Problem(
                field="extra_egress",
                value=entry,
                fix=f"entry {entry!r}: expected '<IPv4 range>:<TCP port>' such as '0.0.0.0/0:587' "
                "(SMTP submission); HTTPS and the data tier are always allowed",
            )
            for entry in values["extra_egress"]
            if egress_destination(entry) is None
        ]

    @property
    def destinations(self) -> tuple[tuple[str, int], ...]:
        """(IPv4 range, TCP port) of each extra destination."""
        return tuple(d for d in map(egress_destination, self.extra_egress) if d is not None)


@dataclass(frozen=True)
class WorkloadSecurityGroupsArgs:
    placement: Placement
    """The network's placement; the groups belong to its VPC. Required."""
    config: WorkloadSecurityGroupsConfig = field(
        default_factory=lambda: WorkloadSecurityGroupsConfig(extra_egress=())
    )
    """What the operator set. Default: no extra egress."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags merged into every taggable child. Default: none."""


class WorkloadSecurityGroups(pulumi.ComponentResource):
    """One group per workload: `web` (gunicorn tasks) and `worker` (Celery tasks and one-off tasks
    such as migrations). They have no ingress of their own; the app tier admits the load balancer
    into `web`. Egress is HTTPS (AWS APIs, image pulls, third parties), the data tier by security
    group (`allow_egress_to`, once it exists) and the listed extras; nothing else leaves. DNS to the
    VPC resolver is not subject to security groups."""

    web_security_group_id: pulumi.Output[str]
    worker_security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: WorkloadSecurityGroupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(type_token("security_groups", "WorkloadSecurityGroups"), name, None, opts)
        self._tags = args.tags
        # No inline rules: each rule is its own resource, so rules added later (the data tier's) are
        # not removed by the next update of the group; the provider drops AWS's default allow-all.
        groups = {
            role: aws.ec2.SecurityGroup(
                f"{name}-{role}",
                description=description,
                vpc_id=args.placement.vpc_id,
                tags=merge_tags(args.tags, Name=f"{name}-{role}", Workload=role),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for role, description in (
                ("web", "Django web tasks (gunicorn)"),
                ("worker", "Celery worker, beat and one-off tasks such as migrations"),
            )
        }
        self._groups = groups
        self._name = name
        destinations = [
            ("https", "0.0.0.0/0", 443),
            *[(f"extra-{i}", c, p) for i, (c, p) in enumerate(args.config.destinations)],
        ]
        for role, group in groups.items():
            for label, cidr, port in destinations:
                aws.vpc.SecurityGroupEgressRule(
                    f"{name}-{role}-to-{label}",
                    security_group_id=group.id,
                    description=f"To {cidr} on TCP {port}",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                    tags=merge_tags(args.tags, Name=f"{name}-{role}-to-{label}"),
                    opts=pulumi.ResourceOptions(parent=self),
                )
        self.web_security_group_id = groups["web"].id
        self.worker_security_group_id = groups["worker"].id
        self.register_outputs(
            {
                "web_security_group_id": self.web_security_group_id,
                "worker_security_group_id": self.worker_security_group_id,
            }
        )

    def allow_egress_to(self, label: str, security_group_id: pulumi.Input[str], port: int) -> None:
        """Let both workloads reach a data store's security group on its port (its ingress side is
        the store's own rule). Called once the store exists, which needs these groups first."""
        for role, group in self._groups.items():
            aws.vpc.SecurityGroupEgressRule(
                f"{self._name}-{role}-to-{label}",
                security_group_id=group.id,
                description=f"To the {label} on TCP {port}",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=security_group_id,
                tags=merge_tags(self._tags, Name=f"{self._name}-{role}-to-{label}"),
                opts=pulumi.ResourceOptions(parent=self),
            )

    @property
    def groups(self) -> WorkloadGroups:
        return WorkloadGroups(
            web_security_group_id=self.web_security_group_id,
            worker_security_group_id=self.worker_security_group_id,
        )
