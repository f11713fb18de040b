"""What one component hands another: small frozen records of the values a consumer may use.

A producer builds its handle once (`database.endpoint_handle`, `storage.buckets`, ...); a consumer takes
the handle instead of a dozen loose ids, so a new consumer cannot pick the wrong id of the right type
(the static bucket's name where the media bucket's belongs), and adding a value to a handle does not
ripple through every argument list. A leaf module: it imports nothing from the components.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi


@dataclass(frozen=True, kw_only=True)
class StackWide:
    """What every component of one stack shares: its key, whether it keeps its data, how long its
    logs are kept, its tags. Built once, right after the stack's KMS key."""

    physical_name: str
    """`<appName>-<stack>`: the name of what must be unique per account and region (KMS alias, ECR
    repository, RDS and ElastiCache ids), so the stacks of one application can share an account.
    Required."""
    kms_key_arn: pulumi.Input[str]
    """The stack's KMS key (`KmsKey.key_arn`): data at rest, secrets and log groups in the stack's
    region. Required."""
    keep_data: bool = False
    """The stack keeps its data: deletion protection, final snapshots and Pulumi `protect` on the
    stateful children (instances, buckets, secrets, keys). Default: False."""
    log_retention_days: int = 30
    """Days CloudWatch keeps the stack's log groups (a value CloudWatch Logs accepts). Default: 30."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags merged into every taggable child. Default: none."""

    @property
    def secret_recovery_window_days(self) -> int:
        """Days a deleted secret stays restorable: a stack that keeps its data keeps it the longest
        Secrets Manager allows (30), any other the shortest (7)."""
        return 30 if self.keep_data else 7


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where private resources go: the VPC and its private subnets."""

    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    app_subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets with egress (NAT or VPC endpoints): tasks, the ALB, the bastion."""
    data_subnet_ids: pulumi.Input[Sequence[str]]
    """Isolated subnets without a route out: the database and the cache."""


@dataclass(frozen=True, kw_only=True)
class WorkloadGroups:
    """The tasks' security groups, one per kind of workload."""

    web_security_group_id: pulumi.Input[str]
    worker_security_group_id: pulumi.Input[str]
    """The worker's and the beat's (neither takes inbound traffic)."""


@dataclass(frozen=True, kw_only=True)
class DatabaseEndpoint:
    """How the application reaches PostgreSQL, and how alarms name it."""

    address: pulumi.Input[str]
    port: pulumi.Input[int]
    name: pulumi.Input[str]
    """The database the application uses."""
    reader_addresses: Sequence[pulumi.Input[str]]
    """One per read replica, in replica order (known in number before deployment)."""
    resource_ids: pulumi.Input[Sequence[str]]
    """DbiResourceIds of the primary and the replicas: what `rds-db:connect` grants name."""
    app_username: str
    """The login the application's IAM database authentication uses."""
    instance_identifier: pulumi.Input[str]
    replica_identifiers: Sequence[pulumi.Input[str]]


@dataclass(frozen=True, kw_only=True)
class CacheEndpoint:
    """How the application reaches Redis, and how alarms name it."""

    primary_address: pulumi.Input[str]
    reader_address: pulumi.Input[str]
    port: pulumi.Input[int]
    auth_secret_arn: pulumi.Input[str]
    auth_secret_name: pulumi.Input[str]
    replication_group_id: pulumi.Input[str]
    node_count: int
    """Primary plus replicas (known before deployment)."""


@dataclass(frozen=True, kw_only=True)
class Buckets:
    """The content and log buckets, as their consumers need them."""

    media_name: pulumi.Input[str]
    media_arn: pulumi.Input[str]
    media_regional_domain_name: pulumi.Input[str]
    static_name: pulumi.Input[str]
    static_regional_domain_name: pulumi.Input[str]
    log_name: pulumi.Input[str]
    media_signing: Any = None
    """The storage's `MediaSigning` when private media is signed; None otherwise."""


@dataclass(frozen=True, kw_only=True)
class AlbTarget:
    """The internal load balancer as CloudFront, the web service and the alarms see it."""

    arn: pulumi.Input[str]
    arn_suffix: pulumi.Input[str]
    dns_name: pulumi.Input[str]
    https: bool
    """Whether the listener CloudFront uses is HTTPS (a certificate exists or is created)."""
    origin_domain_name: str | None
    """The name CloudFront connects to when `https` (the certificate's); None otherwise."""
    idle_timeout_seconds: int
    """Servers behind it keep idle connections open longer, so it never reuses a closed one."""
    target_group_arn: pulumi.Input[str]
    target_group_arn_suffix: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class Site:
    """The public site as the application and the alarms need it."""

    url: pulumi.Input[str]
    """https://<host>: the origin of CSRF checks and direct uploads."""
    host: pulumi.Input[str]
    origin_host: pulumi.Input[str]
    """The Host header the ALB receives from CloudFront."""
    distribution_id: pulumi.Input[str]
    distribution_arn: pulumi.Input[str]
    waf_metric_name: str | None
    """None without a WAF."""


@dataclass(frozen=True, kw_only=True)
class RunningServices:
    """The ECS cluster and services, as alarms and dashboards name them."""

    cluster_name: pulumi.Input[str]
    web_service_name: pulumi.Input[str]
    worker_service_name: pulumi.Input[str]
    web_scales_to_zero: bool = False
    """The web service is scaled to zero on a schedule (nightly scale-down). Default: False."""
    web_wanted_slots: frozenset[tuple[int, int]] | None = None
    """UTC (ISO weekday, hour) slots in which the schedule wants web tasks
    (`schedule_window.wanted_slots`). Default: None (unknown: alarms read DesiredTaskCount)."""
