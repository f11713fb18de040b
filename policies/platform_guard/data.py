"""Data stores encrypted at rest and in transit."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .props import UNKNOWN, Judge, falsy_explicit, non_empty, truthy

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
CLUSTERS_WITH_STORAGE_FLAG = frozenset(
    {RDS_CLUSTER, "aws:docdb/cluster:Cluster", "aws:neptune/cluster:Cluster"}
)
REDSHIFT_CLUSTER = "aws:redshift/cluster:Cluster"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"


def is_replica(judge: Judge, args: ResourceValidationArgs) -> bool:
    """A read replica: `replicateSourceDb` is set, even to a value preview does not know yet."""
    return judge.is_set(args.props, "replicateSourceDb")


# --- database-storage-encrypted --------------------------------------------------------------


def _storage_encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    judge = Judge(args.name)
    props = args.props
    fix = "Set storage_encrypted=True with the stack's KMS key (kms_key_id); it cannot be changed later without a snapshot restore."
    if args.resource_type == RDS_INSTANCE:
        flag = judge.get(props, "storageEncrypted")
        if flag is UNKNOWN:
            pass
        elif is_replica(judge, args):
            # A replica inherits its source's encryption; only an explicit false is a mistake.
            if falsy_explicit(flag):
                report("storageEncrypted is false on a read replica. Leave it unset or true.", None)
        elif not truthy(flag):
            report(
                f"storageEncrypted is {'false' if flag is not None else 'not set (default false)'}. {fix}",
                None,
            )
    elif args.resource_type in CLUSTERS_WITH_STORAGE_FLAG:
        flag = judge.get(props, "storageEncrypted")
        mode = judge.get(props, "engineMode")
        if flag is not UNKNOWN and not truthy(flag) and mode != "serverless":
            report(
                f"storageEncrypted is {'false' if flag is not None else 'not set (default false)'}. {fix}",
                None,
            )
    elif args.resource_type == REDSHIFT_CLUSTER:
        flag = judge.get(props, "encrypted")
        if flag is not UNKNOWN and falsy_explicit(flag):
            report("encrypted is false. Leave it at its default (true) and name the stack's KMS key.", None)
    judge.settle()


database_storage_encrypted = ResourceValidationPolicy(
    name="database-storage-encrypted",
    description=(
        "Database storage is encrypted at rest (RDS instances, Aurora/DocumentDB/Neptune clusters, "
        "Redshift), so snapshots, replicas and disks are unreadable without the KMS key."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_storage_encrypted,
)


# --- elasticache-encrypted-at-rest -----------------------------------------------------------


def _engine(judge: Judge, args: ResourceValidationArgs) -> str:
    engine = judge.get(args.props, "engine")
    return str(engine).lower() if isinstance(engine, str) else "redis"


def _cache_at_rest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    judge = Judge(args.name)
    props = args.props
    if args.resource_type == REPLICATION_GROUP and judge.is_set(props, "globalReplicationGroupId"):
        pass  # a global datastore's secondary inherits encryption from the primary
    elif args.resource_type == REPLICATION_GROUP:
        flag = judge.get(props, "atRestEncryptionEnabled")
        engine = _engine(judge, args)
        if flag is UNKNOWN:
            pass
        elif falsy_explicit(flag) or (flag is None and engine != "valkey"):
            state = "false" if flag is not None else f"not set (default false for {engine})"
            report(
                f"atRestEncryptionEnabled is {state}: session data and queued Celery messages land "
                "unencrypted in snapshots and swap. Set at_rest_encryption_enabled=True with the "
                "stack's KMS key; it only takes effect on a new replication group.",
                None,
            )
    elif args.resource_type == CACHE_CLUSTER:
        group = judge.get(props, "replicationGroupId")
        engine = _engine(judge, args)
        if group is not UNKNOWN and not non_empty(group) and engine in ("redis", "valkey"):
            report(
                f"a standalone {engine} cache cluster cannot encrypt at rest. Create an "
                "aws.elasticache.ReplicationGroup with at_rest_encryption_enabled=True instead.",
                None,
            )
    judge.settle()


elasticache_encrypted_at_rest = ResourceValidationPolicy(
    name="elasticache-encrypted-at-rest",
    description=(
        "ElastiCache Redis/Valkey data is encrypted at rest: replication groups enable it, and no "
        "standalone Redis cluster (which cannot) is created."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_cache_at_rest,
)


# --- elasticache-transit-encryption-and-auth -------------------------------------------------


def _cache_transit(args: ResourceValidationArgs, report: ReportViolation) -> None:
    judge = Judge(args.name)
    props = args.props
    if args.resource_type == REPLICATION_GROUP and judge.is_set(props, "globalReplicationGroupId"):
        pass  # a global datastore's secondary inherits transit encryption and AUTH from the primary
    elif args.resource_type == REPLICATION_GROUP:
        transit = judge.get(props, "transitEncryptionEnabled")
        mode = judge.get(props, "transitEncryptionMode")
        if transit is not UNKNOWN and not truthy(transit):
            report(
                "transitEncryptionEnabled is not true: session cookies' data and task payloads cross "
                "the VPC in clear text. Set transit_encryption_enabled=True and connect with rediss://.",
                None,
            )
        elif isinstance(mode, str) and mode.lower() == "preferred":
            report(
                "transitEncryptionMode is 'preferred', which still accepts unencrypted connections. "
                "Set it to 'required' (or leave it unset).",
                None,
            )
        token = judge.get(props, "authToken")
        token_wo = judge.get(props, "authTokenWo")
        groups = judge.get(props, "userGroupIds")
        if any(v is UNKNOWN for v in (token, token_wo, groups)):
            pass
        elif not (non_empty(token) or non_empty(token_wo) or non_empty(groups)):
            report(
                "no AUTH: neither auth_token nor user_group_ids is set, so anything that reaches the "
                "port can read and write every key. Set auth_token from a Secrets Manager secret "
                "(transit encryption is required for it) or attach an RBAC user group.",
                None,
            )
    elif args.resource_type == CACHE_CLUSTER:
        group = judge.get(props, "replicationGroupId")
        engine = _engine(judge, args)
        if group is UNKNOWN or non_empty(group):
            pass  # a member of a replication group inherits the group's settings
        elif engine == "memcached":
            transit = judge.get(props, "transitEncryptionEnabled")
            if transit is not UNKNOWN and not truthy(transit):
                report("transitEncryptionEnabled is not true on a Memcached cluster. Enable it.", None)
        else:
            report(
                f"a standalone {engine} cache cluster supports neither transit encryption nor AUTH. "
                "Use an aws.elasticache.ReplicationGroup with transit encryption and an auth token.",
                None,
            )
    judge.settle()


elasticache_transit_encryption_and_auth = ResourceValidationPolicy(
    name="elasticache-transit-encryption-and-auth",
    description=(
        "ElastiCache encrypts traffic in transit (TLS required, not merely preferred) and requires "
        "authentication (AUTH token or RBAC user group), so reaching the port is not enough to use it."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_cache_transit,
)


POLICIES = [
    database_storage_encrypted,
    elasticache_encrypted_at_rest,
    elasticache_transit_encryption_and_auth,
]
