"""ElastiCache (Redis or Valkey) for Django sessions and cache and as the Celery broker.

A replication group with cluster mode disabled (Celery's Redis transport cannot use cluster mode),
in the isolated data subnets, admitting 6379 only from the security groups handed in. Traffic is
TLS only (`transit_encryption_mode=required`) and authenticated with an AUTH token that comes from
the stack's secret config; the token is also stored in Secrets Manager, encrypted with the stack
key, which is where the app's tasks read it. Data at rest is encrypted with the stack key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .._base import merge_tags, type_token
from .._data_store import client_group_ids, client_only_security_group
from ..handles import CacheEndpoint, Placement, StackWide, WorkloadGroups
from .config import CacheConfig

PORT = 6379
# ElastiCache replication group ids: up to 40 lower-case letters, digits and single hyphens.
GROUP_ID_PATTERN = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,38}[a-z0-9]$")


@dataclass(frozen=True)
class CacheArgs:
    config: CacheConfig
    """What the operator set (engine, size, replicas, windows, the AUTH token). Required."""
    placement: Placement
    """The network's placement: the store goes into its isolated data subnets. Required."""
    stack: StackWide
    """The stack's shared values: its KMS key (data at rest, the auth secret and the slow-log group);
    its log retention for the slow-log group; with `keep_data`, a final snapshot on deletion, Pulumi
    `protect` on the replication group and the longest recovery window for a deleted auth secret;
    `tags`. Required."""
    replication_group_id: str | None = None
    """Replication group id, unique in the account and region, e.g. `epicvibe-prod`. Default: the
    stack's physical name."""
    clients: WorkloadGroups | None = None
    """The workloads' groups, admitted on 6379 (web, then worker). Default: none (nothing can connect)."""

    @property
    def group_id(self) -> str:
        """`replication_group_id`, or the stack's physical name."""
        return self.replication_group_id or self.stack.physical_name

    def __post_init__(self) -> None:
        if not GROUP_ID_PATTERN.match(self.group_id):
            raise ValueError(
                f"replication_group_id {self.group_id!r}: use 2 to 40 lower-case letters, "
                "digits and single hyphens, starting with a letter"
            )


class Cache(pulumi.ComponentResource):
    primary_address: pulumi.Output[str]
    reader_address: pulumi.Output[str]
    port: pulumi.Output[int]
    auth_secret_arn: pulumi.Output[str]
    auth_secret_name: pulumi.Output[str]
    """Name of the AUTH token's secret: known in a preview, unlike its ARN."""
    security_group_id: pulumi.Output[str]
    replication_group_id: pulumi.Output[str]
    url_template: pulumi.Output[str]
    """`rediss://:{auth_token}@<primary>:6379/0`: the app substitutes the (URL-quoted) token."""

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("cache", "Cache"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.stack.tags
        config = args.config

        security_group = client_only_security_group(
            name,
            service=config.engine,
            description=f"{config.engine} {args.group_id}: {PORT} from the listed client security groups only",
            vpc_id=args.placement.vpc_id,
            port=PORT,
            client_security_group_ids=client_group_ids(args.clients),
            tags=tags,
            parent=self,
        )

        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            description=f"Data subnets of {args.group_id}",
            subnet_ids=args.placement.data_subnet_ids,
            tags=merge_tags(tags, Name=f"{name}-subnets"),
            opts=child,
        )

        secret = aws.secretsmanager.Secret(
            f"{name}-auth-token",
            description=f"AUTH token of the {config.engine} replication group {args.group_id}",
            kms_key_id=args.stack.kms_key_arn,
            # A deleted secret can be restored for this long; staging stacks can be rebuilt sooner.
            recovery_window_in_days=args.stack.secret_recovery_window_days,
            tags=merge_tags(tags, Name=f"{name}-auth-token"),
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-auth-token-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(config.auth_token),
            opts=child,
        )

        slow_log = aws.cloudwatch.LogGroup(
            f"{name}-slow-log",
            name=f"/aws/elasticache/{args.group_id}/slow-log",
            retention_in_days=args.stack.log_retention_days,
            kms_key_id=args.stack.kms_key_arn,
            tags=merge_tags(tags, Name=f"{name}-slow-log"),
            opts=child,
        )

        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            replication_group_id=args.group_id,
            description=f"Django sessions and cache, Celery broker ({args.group_id})",
            engine=config.engine,
            engine_version=config.engine_version,
            node_type=config.node_type,
            port=PORT,
            # Cluster mode stays off (the config accepts nothing else): Celery's Redis transport
            # fails on cluster mode (CROSSSLOT).
            cluster_mode=config.cluster_mode,
            num_cache_clusters=1 + config.replica_count,
            automatic_failover_enabled=config.automatic_failover,
            multi_az_enabled=config.multi_az,
            subnet_group_name=subnet_group.name,
            security_group_ids=[security_group.id],
            at_rest_encryption_enabled=True,
            kms_key_id=args.stack.kms_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=pulumi.Output.secret(config.auth_token),
            auto_minor_version_upgrade=True,
            snapshot_retention_limit=config.snapshot_retention_days,
            maintenance_window=config.maintenance_window,
            final_snapshot_identifier=f"{args.group_id}-final" if args.stack.keep_data else None,
            log_delivery_configurations=[
                {
                    "destination": slow_log.name,
                    "destination_type": "cloudwatch-logs",
                    "log_format": "json",
                    "log_type": "slow-log",
                }
            ],
            tags=merge_tags(tags, Name=args.group_id),
            opts=pulumi.ResourceOptions(parent=self, protect=args.stack.keep_data),
        )

        self.primary_address = group.primary_endpoint_address
        self.node_count = 1 + args.config.replica_count
        self.reader_address = group.reader_endpoint_address
        self.port = group.port.apply(lambda port: int(port or PORT))
        self.auth_secret_arn = secret.arn
        self.auth_secret_name = secret.name
        self.security_group_id = security_group.id
        self.replication_group_id = group.replication_group_id
        self.url_template = pulumi.Output.concat(
            "rediss://:{auth_token}@", group.primary_endpoint_address, f":{PORT}/0"
        )
        self.register_outputs(
            {
                "primary_address": self.primary_address,
                "reader_address": self.reader_address,
                "port": self.port,
                "auth_secret_arn": self.auth_secret_arn,
                "auth_secret_name": self.auth_secret_name,
                "security_group_id": self.security_group_id,
                "replication_group_id": self.replication_group_id,
                "url_template": self.url_template,
            }
        )

    @property
    def endpoint(self) -> CacheEndpoint:
        """How the application reaches Redis, and how alarms name it."""
        return CacheEndpoint(
            primary_address=self.primary_address,
            reader_address=self.reader_address,
            port=self.port,
            auth_secret_arn=self.auth_secret_arn,
            auth_secret_name=self.auth_secret_name,
            replication_group_id=self.replication_group_id,
            node_count=self.node_count,
        )
