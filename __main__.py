"""Wires the platform's components from validated settings and exports what operators need."""

from collections.abc import Callable

import pulumi

from components.bastion import Bastion, BastionArgs
from components.cache import Cache, CacheArgs
from components.database import Database, DatabaseArgs
from components.kms import KmsKey, KmsKeyArgs
from components.network import Network, NetworkArgs
from components.security_groups import WorkloadSecurityGroups, WorkloadSecurityGroupsArgs
from components.storage import Storage, StorageArgs
from settings import load_settings

settings = load_settings()
tags = settings.stack.tags
prefix = settings.stack.app_name
# Physical names that must be unique per account and region (KMS alias, RDS and ElastiCache ids)
# carry the stack, so staging and prod can share an account.
stack_id = f"{prefix}-{settings.stack.stack}"

kms = KmsKey(
    f"{prefix}-kms",
    KmsKeyArgs(
        alias=stack_id,
        description=f"{stack_id}: RDS, ElastiCache, S3, CloudWatch Logs and Secrets Manager",
        deletion_window_in_days=settings.data.kms_deletion_window_days,
        protect=settings.data.keep_data,
        tags=tags,
    ),
)

network = Network(
    f"{prefix}-network",
    NetworkArgs(
        cidr_block=settings.network.vpc_cidr,
        az_count=settings.network.az_count,
        nat_strategy=settings.network.nat_strategy,
        interface_endpoints=settings.network.interface_endpoints,
        flow_logs_retention_days=settings.network.flow_logs_retention_days,
        kms_key_arn=kms.key_arn,
        tags=tags,
    ),
)

workloads = WorkloadSecurityGroups(
    f"{prefix}-workloads", WorkloadSecurityGroupsArgs(vpc_id=network.vpc_id, tags=tags)
)

storage = Storage(
    f"{prefix}-storage",
    StorageArgs(
        kms_key_arn=kms.key_arn,
        cors_allowed_origins=list(settings.storage.cors_origins),
        ia_transition_days=settings.storage.ia_transition_days,
        glacier_transition_days=settings.storage.glacier_transition_days,
        noncurrent_expiration_days=settings.storage.noncurrent_expiration_days,
        log_expiration_days=settings.storage.log_expiration_days,
        replication_region=settings.storage.replication_region or None,
        keep_data=settings.data.keep_data,
        tags=tags,
    ),
)

# The bastion's security group must exist before the database admits it, and its command needs the
# database's address: the address is handed over once the database exists.
database_address: pulumi.Output[str]
resolve_database_address: Callable[[pulumi.Output[str]], None]
database_address, resolve_database_address = pulumi.deferred_output()
bastion = (
    Bastion(
        f"{prefix}-bastion",
        BastionArgs(
            vpc_id=network.vpc_id,
            vpc_cidr=network.vpc_cidr,
            subnet_id=network.app_subnet_ids.apply(lambda ids: ids[0]),
            kms_key_arn=kms.key_arn,
            database_address=database_address,
            instance_type=settings.bastion.instance_type,
            tags=tags,
        ),
    )
    if settings.bastion.enabled
    else None
)

database = Database(
    f"{prefix}-database",
    DatabaseArgs(
        identifier=stack_id,
        subnet_ids=network.data_subnet_ids,
        vpc_id=network.vpc_id,
        kms_key_arn=kms.key_arn,
        client_security_group_ids=[
            workloads.web_security_group_id,
            workloads.worker_security_group_id,
            *([bastion.security_group_id] if bastion else []),
        ],
        database_name=prefix.replace("-", "_"),
        engine_version=settings.database.engine_version,
        instance_class=settings.database.instance_class,
        allocated_storage_gb=settings.database.allocated_storage_gb,
        max_allocated_storage_gb=settings.database.max_allocated_storage_gb,
        multi_az=settings.database.multi_az,
        read_replica_count=settings.database.read_replica_count,
        backup_retention_days=settings.database.backup_retention_days,
        backup_window=settings.database.backup_window,
        maintenance_window=settings.database.maintenance_window,
        performance_insights=settings.database.performance_insights,
        monitoring_interval_seconds=settings.database.monitoring_interval_seconds,
        log_exports=settings.database.log_exports,
        log_retention_days=settings.observability.log_retention_days,
        slow_query_ms=settings.database.slow_query_ms,
        keep_data=settings.data.keep_data,
        tags=tags,
    ),
)
resolve_database_address(database.address)

cache = Cache(
    f"{prefix}-cache",
    CacheArgs(
        replication_group_id=stack_id,
        subnet_ids=network.data_subnet_ids,
        vpc_id=network.vpc_id,
        kms_key_arn=kms.key_arn,
        auth_token=settings.cache.auth_token,
        client_security_group_ids=[workloads.web_security_group_id, workloads.worker_security_group_id],
        engine=settings.cache.engine,
        engine_version=settings.cache.engine_version,
        node_type=settings.cache.node_type,
        replica_count=settings.cache.replica_count,
        automatic_failover=settings.cache.automatic_failover,
        multi_az=settings.cache.multi_az,
        snapshot_retention_days=settings.cache.snapshot_retention_days,
        maintenance_window=settings.cache.maintenance_window,
        log_retention_days=settings.observability.log_retention_days,
        keep_data=settings.data.keep_data,
        tags=tags,
    ),
)

pulumi.export("stackProfile", settings.stack.profile)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("vpcCidr", network.vpc_cidr)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("appSubnetIds", network.app_subnet_ids)
pulumi.export("dataSubnetIds", network.data_subnet_ids)
pulumi.export("kmsKeyArn", kms.key_arn)
pulumi.export("kmsKeyAlias", kms.alias_name)
pulumi.export("mediaBucketName", storage.media_bucket_name)
pulumi.export("staticBucketName", storage.static_bucket_name)
pulumi.export("logBucketName", storage.log_bucket_name)
pulumi.export("databaseAddress", database.address)
pulumi.export("databasePort", database.port)
pulumi.export("databaseName", database.database_name)
pulumi.export("databaseReaderAddresses", database.reader_addresses)
pulumi.export("databaseMasterSecretArn", database.master_secret_arn)
pulumi.export("cachePrimaryAddress", cache.primary_address)
pulumi.export("cacheReaderAddress", cache.reader_address)
pulumi.export("cacheAuthSecretArn", cache.auth_secret_arn)
if bastion:
    pulumi.export("bastionInstanceId", bastion.instance_id)
    pulumi.export("bastionPortForwardCommand", bastion.port_forward_command)
    pulumi.export("bastionSessionPolicyArn", bastion.session_policy_arn)
