"""Security groups that identify the workloads, created before the tiers that admit them.

The database and cache admit connections only from the security groups they are handed, and the
app tier needs their endpoints: creating the workloads' groups first breaks that cycle, and keeps
"who may reach the data tier" a list of named groups rather than address ranges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, type_token


@dataclass(frozen=True)
class WorkloadSecurityGroupsArgs:
    vpc_id: pulumi.Input[str]
    """VPC the groups belong to. Required."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags merged into every taggable child. Default: none."""


class WorkloadSecurityGroups(pulumi.ComponentResource):
    """One group per workload: `web` (gunicorn tasks) and `worker` (Celery tasks and one-off tasks
    such as migrations). They have no ingress of their own; the app tier admits the load balancer
    into `web`. Egress is open because tasks call AWS APIs and third-party services over HTTPS."""

    web_security_group_id: pulumi.Output[str]
    worker_security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: WorkloadSecurityGroupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(type_token("security_groups", "WorkloadSecurityGroups"), name, None, opts)
        groups = {
            role: aws.ec2.SecurityGroup(
                f"{name}-{role}",
                description=description,
                vpc_id=args.vpc_id,
                egress=[
                    {
                        "description": "Outbound to AWS APIs, the data tier and third parties",
                        "protocol": "-1",
                        "from_port": 0,
                        "to_port": 0,
                        "cidr_blocks": ["0.0.0.0/0"],
                    }
                ],
                tags=merge_tags(args.tags, Name=f"{name}-{role}", Workload=role),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for role, description in (
                ("web", "Django web tasks (gunicorn)"),
                ("worker", "Celery worker, beat and one-off tasks such as migrations"),
            )
        }
        self.web_security_group_id = groups["web"].id
        self.worker_security_group_id = groups["worker"].id
        self.register_outputs(
            {
                "web_security_group_id": self.web_security_group_id,
                "worker_security_group_id": self.worker_security_group_id,
            }
        )
