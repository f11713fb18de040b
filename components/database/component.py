"""RDS PostgreSQL in the isolated data subnets: a primary (Multi-AZ per settings) and read replicas.

Nothing reaches it but the security groups handed in (the web and worker tasks, the bastion), on
5432 only, and only over TLS (`rds.force_ssl`). It has no public endpoint in any configuration:
developers reach it through the bastion's SSM port forwarding.

Credentials: the application logs in with IAM database authentication (a 15-minute token per new
connection, from the task role), so no password reaches a task and nothing a task holds can expire
under it. The master password is only for humans: RDS can't create read replicas of a source whose
master password Secrets Manager manages, so the instance gets a bootstrap password through the
write-only `password_wo` input and an empty secret under the stack key for the real one, which the
first-deploy checklist sets (README). Logs go to CloudWatch log groups the stack creates first, so they have a retention and the
stack key instead of the never-expiring groups RDS would create on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .._base import merge_tags, service_trust_policy, type_token
from .._data_store import admit_client, client_group_ids, client_only_security_group
from ..handles import DatabaseEndpoint, Placement, StackWide, WorkloadGroups
from .config import PORT, DatabaseConfig
from .values import (
    CA_CERTIFICATE,
    DEFAULT_DATABASE_NAME,
    ENHANCED_MONITORING_POLICY,
    instance_identifiers,
    parameters,
    secret_arn,
)

IDENTIFIER_PATTERN = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,50}[a-z0-9]$")
DATABASE_NAME_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,62}$")


@dataclass(frozen=True)
class DatabaseArgs:
    config: DatabaseConfig
    """What the operator set (engine, class, storage, availability, backups, monitoring, snapshot). Required."""
    placement: Placement
    """The network's placement: the store goes into its isolated data subnets. Required."""
    stack: StackWide
    """The stack's shared values: its KMS key (storage, Performance Insights, the master secret and
    the log groups); its log retention for the exported log groups; with `keep_data`, deletion
    protection, a final snapshot, Pulumi `protect` on the instances and the longest recovery window
    for a deleted master secret; `tags`. Required."""
    identifier: str | None = None
    """RDS identifier of the primary, unique in the account and region (e.g. `epicvibe-prod`);
    replicas are `<identifier>-replica-<n>`. Set, not generated, because the log groups named after
    it must exist before the instance. Default: the stack's physical name."""
    clients: WorkloadGroups | None = None
    """The workloads' groups, admitted on 5432 (web, then worker). More can be admitted after
    construction with `Database.admit` (the bastion, which needs the database's address first).
    Default: none."""
    database_name: str | None = None
    """Database created on a new primary. Default: "app". Must stay unset with a snapshot to restore:
    a restored PostgreSQL keeps the snapshot's databases (RDS takes DBName on restore only for Oracle
    and SQL Server), and the name is then the one RDS reports for the restored instance."""
    master_username: str = "postgres"
    """Master user of a new primary (a restored one keeps the snapshot's), for humans only (see the
    module docstring). Default: "postgres"."""
    app_username: str = "app"
    """Database user the application logs in as with IAM tokens (`GRANT rds_iam`). Default: "app"."""
    managed_master_password: bool = False
    """Let RDS generate and rotate the master password in Secrets Manager. Refused with read
    replicas: RDS can't create a replica of such a source. Default: False (bootstrap password,
    then the stack's own master secret)."""

    @property
    def primary_identifier(self) -> str:
        """`identifier`, or the stack's physical name."""
        return self.identifier or self.stack.physical_name

    def __post_init__(self) -> None:
        if not IDENTIFIER_PATTERN.match(self.primary_identifier):
            raise ValueError(
                f"identifier {self.primary_identifier!r}: use 2 to 52 lower-case letters, digits and single hyphens, "
                "starting with a letter (room is left for the '-replica-<n>' suffix)"
            )
        if self.config.restores:
            if self.database_name is not None:
                raise ValueError(
                    f"database_name {self.database_name!r} with config.snapshot_identifier: RDS cannot create "
                    "or rename a PostgreSQL database on restore; leave database_name unset, the snapshot's "
                    "databases are kept"
                )
        elif not DATABASE_NAME_PATTERN.match(self.database_name or DEFAULT_DATABASE_NAME):
            raise ValueError(
                f"database_name {self.database_name!r}: use letters, digits and underscores, starting with a letter"
            )
        if self.managed_master_password and self.config.read_replica_count:
            raise ValueError(
                f"managed_master_password with config.read_replica_count {self.config.read_replica_count}: "
                "RDS can't create a read replica of a source whose master password Secrets Manager manages; "
                "keep managed_master_password False (the app logs in with IAM tokens anyway)"
            )
        if not DATABASE_NAME_PATTERN.match(self.app_username) or self.app_username == self.master_username:
            raise ValueError(
                f"app_username {self.app_username!r}: a user name other than the master's, letters, "
                "digits and underscores"
            )


class Database(pulumi.ComponentResource):
    address: pulumi.Output[str]
    port: pulumi.Output[int]
    endpoint: pulumi.Output[str]
    reader_addresses: pulumi.Output[list[str]]
    replica_addresses: list[pulumi.Output[str]]
    """The replicas' host names, one Output each: how many there are is known before they exist."""
    master_secret_arn: pulumi.Output[str]
    resource_ids: pulumi.Output[list[str]]
    """DbiResourceId of the primary and each replica, for `rds-db:connect` grants."""
    app_username: str
    security_group_id: pulumi.Output[str]
    instance_identifier: pulumi.Output[str]
    replica_identifiers: pulumi.Output[list[str]]
    database_name: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("database", "Database"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.stack.tags
        config = args.config

        security_group = client_only_security_group(
            name,
            service="PostgreSQL",
            description=f"PostgreSQL {args.primary_identifier}: {PORT} from the listed client security groups only",
            vpc_id=args.placement.vpc_id,
            port=PORT,
            client_security_group_ids=client_group_ids(args.clients),
            tags=tags,
            parent=self,
        )

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            description=f"Data subnets of {args.primary_identifier}",
            subnet_ids=args.placement.data_subnet_ids,
            tags=merge_tags(tags, Name=f"{name}-subnets"),
            opts=child,
        )
        parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            family=f"postgres{config.major_version}",
            description=f"{args.primary_identifier}: TLS only, slow-query logging",
            parameters=parameters(config),
            tags=merge_tags(tags, Name=f"{name}-params"),
            # Autonamed, so that a new major version's group is created before the old one goes.
            opts=child,
        )

        monitoring_role_arn: pulumi.Output[str] | None = None
        # RDS checks the role's permissions when the instance is created (ENHANCED_MONITORING errors).
        monitoring_ready: list[pulumi.Resource] = []
        if config.monitoring_interval_seconds:
            monitoring_role = aws.iam.Role(
                f"{name}-monitoring-role",
                description=f"Enhanced monitoring of {args.primary_identifier}",
                assume_role_policy=service_trust_policy("monitoring.rds.amazonaws.com"),
                tags=tags,
                opts=child,
            )
            monitoring_ready.append(
                aws.iam.RolePolicyAttachment(
                    f"{name}-monitoring-policy",
                    role=monitoring_role.name,
                    policy_arn=ENHANCED_MONITORING_POLICY,
                    opts=child,
                )
            )
            monitoring_role_arn = monitoring_role.arn

        identifiers = instance_identifiers(args.primary_identifier, config.read_replica_count)
        log_groups: dict[str, list[pulumi.Resource]] = {}
        for instance_index, identifier in enumerate(identifiers):
            role = "primary" if instance_index == 0 else f"replica-{instance_index}"
            log_groups[identifier] = [
                aws.cloudwatch.LogGroup(
                    f"{name}-{role}-{log}-logs",
                    name=f"/aws/rds/instance/{identifier}/{log}",
                    retention_in_days=args.stack.log_retention_days,
                    kms_key_id=args.stack.kms_key_arn,
                    tags=merge_tags(tags, Name=f"{identifier}-{log}"),
                    opts=child,
                )
                for log in config.log_exports
            ]

        # What the primary and its replicas share: same security, same parameters, same insight.
        common: dict[str, Any] = {
            "instance_class": config.instance_class,
            "vpc_security_group_ids": [security_group.id],
            "parameter_group_name": parameter_group.name,
            "publicly_accessible": False,
            "port": PORT,
            "storage_type": "gp3",
            "max_allocated_storage": config.max_allocated_storage_gb,
            "storage_encrypted": True,
            "kms_key_id": args.stack.kms_key_arn,
            "ca_cert_identifier": CA_CERTIFICATE,
            "iam_database_authentication_enabled": True,
            "auto_minor_version_upgrade": True,
            "copy_tags_to_snapshot": True,
            "performance_insights_enabled": config.performance_insights,
            "performance_insights_kms_key_id": args.stack.kms_key_arn
            if config.performance_insights
            else None,
            "performance_insights_retention_period": 7 if config.performance_insights else None,
            "monitoring_interval": config.monitoring_interval_seconds,
            "monitoring_role_arn": monitoring_role_arn,
            "enabled_cloudwatch_logs_exports": list(config.log_exports),
            "maintenance_window": config.maintenance_window,
            "deletion_protection": args.stack.keep_data,
        }
        master_secret: aws.secretsmanager.Secret | None = None
        master_password: dict[str, Any]
        if args.managed_master_password:
            master_password = {
                "manage_master_user_password": True,
                "master_user_secret_kms_key_id": args.stack.kms_key_arn,
            }
        else:
            # Write-only: sent to RDS at creation and never diffed again. Pulumi still records its
            # first value (encrypted) in the state's inputs, so it is a bootstrap value to be replaced
            # at once (README, first deploy); the real one lives only in the secret below.
            bootstrap = aws.secretsmanager.get_random_password_output(
                password_length=40, exclude_punctuation=True, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            master_password = {
                "password_wo": pulumi.Output.secret(bootstrap.random_password),
                "password_wo_version": 1,
            }
            master_secret = aws.secretsmanager.Secret(
                f"{name}-master-secret",
                description=f"Master user of {args.primary_identifier} (humans only; set after the first deploy)",
                kms_key_id=args.stack.kms_key_arn,
                recovery_window_in_days=args.stack.secret_recovery_window_days,
                tags=merge_tags(tags, Name=f"{args.primary_identifier}-master"),
                opts=child,
            )

        primary = aws.rds.Instance(
            f"{name}-primary",
            identifier=args.primary_identifier,
            engine="postgres",
            engine_version=config.engine_version,
            allow_major_version_upgrade=False,
            # A restore takes the master user and databases from the snapshot: a DB name is refused,
            # and a user name that differs from the snapshot's would replace the instance next update.
            snapshot_identifier=config.snapshot_identifier,
            db_name=None if config.restores else args.database_name or DEFAULT_DATABASE_NAME,
            username=None if config.restores else args.master_username,
            **master_password,
            db_subnet_group_name=subnet_group.name,
            allocated_storage=config.allocated_storage_gb,
            multi_az=config.multi_az,
            backup_retention_period=config.backup_retention_days,
            backup_window=config.backup_window,
            delete_automated_backups=not args.stack.keep_data,
            skip_final_snapshot=not args.stack.keep_data,
            final_snapshot_identifier=f"{args.primary_identifier}-final" if args.stack.keep_data else None,
            tags=merge_tags(tags, Name=args.primary_identifier, Role="primary"),
            **common,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.stack.keep_data,
                depends_on=[*log_groups[args.primary_identifier], *monitoring_ready],
                # The snapshot only seeds a new primary: editing the setting later must not replace
                # (and empty) a database that has lived since.
                ignore_changes=["snapshot_identifier"] if config.restores else None,
            ),
        )

        replicas = [
            aws.rds.Instance(
                f"{name}-replica-{index}",
                identifier=identifier,
                # Same region: the source's identifier. The replica inherits the source's subnet
                # group, so it lands in the data subnets too; it keeps no backups of its own.
                replicate_source_db=primary.identifier,
                backup_retention_period=0,
                skip_final_snapshot=True,
                tags=merge_tags(tags, Name=identifier, Role="replica"),
                **common,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.stack.keep_data,
                    depends_on=[*log_groups[identifier], *monitoring_ready],
                ),
            )
            for index, identifier in enumerate(identifiers[1:], start=1)
        ]

        self.address = primary.address
        self.port = primary.port
        self.endpoint = primary.endpoint
        self.reader_addresses = pulumi.Output.all(*[r.address for r in replicas]).apply(list)
        self.replica_addresses = [r.address for r in replicas]
        self.master_secret_arn = (
            master_secret.arn if master_secret is not None else primary.master_user_secrets.apply(secret_arn)
        )
        self.resource_ids = pulumi.Output.all(primary.resource_id, *[r.resource_id for r in replicas]).apply(
            list
        )
        self.app_username = args.app_username
        self.security_group_id = security_group.id
        self.instance_identifier = primary.identifier
        self.replica_identifiers = pulumi.Output.all(*[r.identifier for r in replicas]).apply(list)
        # Restored: the name RDS reports; an instance created without one has only PostgreSQL's own
        # `postgres` database, which is then where the data is.
        self.database_name = (
            primary.db_name.apply(lambda name: name or "postgres")
            if config.restores
            else pulumi.Output.from_input(args.database_name or DEFAULT_DATABASE_NAME)
        )
        self._name = name
        self._tags = tags
        self._security_group = security_group
        self._client_count = len(client_group_ids(args.clients))
        self.register_outputs(
            {
                "address": self.address,
                "port": self.port,
                "endpoint": self.endpoint,
                "reader_addresses": self.reader_addresses,
                "master_secret_arn": self.master_secret_arn,
                "resource_ids": self.resource_ids,
                "app_username": self.app_username,
                "security_group_id": self.security_group_id,
                "instance_identifier": self.instance_identifier,
                "replica_identifiers": self.replica_identifiers,
                "database_name": self.database_name,
            }
        )

    def admit(self, client_security_group_id: pulumi.Input[str]) -> aws.vpc.SecurityGroupIngressRule:
        """Admit one more client security group on 5432, after construction: for a client that needs
        the database's address before it exists (the bastion's port-forwarding command). The rule is
        `{name}-ingress-<n>`, numbered after the clients listed in the args, exactly as if it had been
        listed there."""
        rule = admit_client(
            self._name,
            self._client_count,
            self._security_group,
            client_security_group_id,
            service="PostgreSQL",
            port=PORT,
            tags=self._tags,
            parent=self,
        )
        self._client_count += 1
        return rule

    @property
    def connection(self) -> DatabaseEndpoint:
        """How the application reaches the database, and how alarms name it."""
        return DatabaseEndpoint(
            address=self.address,
            port=self.port,
            name=self.database_name,
            reader_addresses=self.replica_addresses,
            resource_ids=self.resource_ids,
            app_username=self.app_username,
            instance_identifier=self.instance_identifier,
            replica_identifiers=[self.replica_identifiers[i] for i in range(len(self.replica_addresses))],
        )
