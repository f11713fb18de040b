"""Data stores encrypted at rest and in transit."""

from __future__ import annotations

from .props import UNKNOWN, falsy_explicit, non_empty, truthy
from .rule import Subject, resource_rule

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
CLUSTERS_WITH_STORAGE_FLAG = frozenset(
    {RDS_CLUSTER, "aws:docdb/cluster:Cluster", "aws:neptune/cluster:Cluster"}
)
REDSHIFT_CLUSTER = "aws:redshift/cluster:Cluster"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"


def is_replica(r: Subject) -> bool:
    """A read replica: `replicateSourceDb` is set, even to a value preview does not know yet."""
    return r.is_set(r.props, "replicateSourceDb")


# --- database-storage-encrypted --------------------------------------------------------------


def _storage_encrypted(r: Subject) -> None:
    props = r.props
    fix = "Set storage_encrypted=True with the stack's KMS key (kms_key_id); it cannot be changed later without a snapshot restore."
    if r.type == RDS_INSTANCE:
        flag = r.get(props, "storageEncrypted")
        if flag is UNKNOWN:
            pass
        elif is_replica(r):
            # A replica inherits its source's encryption; only an explicit false is a mistake.
            if falsy_explicit(flag):
                r.report("storageEncrypted is false on a read replica. Leave it unset or true.")
        elif not truthy(flag):
            r.report(
                f"storageEncrypted is {'false' if flag is not None else 'not set (default false)'}. {fix}"
            )
    elif r.type in CLUSTERS_WITH_STORAGE_FLAG:
        flag = r.get(props, "storageEncrypted")
        mode = r.get(props, "engineMode")
        if flag is not UNKNOWN and not truthy(flag) and mode != "serverless":
            r.report(
                f"storageEncrypted is {'false' if flag is not None else 'not set (default false)'}. {fix}"
            )
    elif r.type == REDSHIFT_CLUSTER:
        flag = r.get(props, "encrypted")
        if flag is not UNKNOWN and falsy_explicit(flag):
            r.report("encrypted is false. Leave it at its default (true) and name the stack's KMS key.")


database_storage_encrypted = resource_rule(
    name="database-storage-encrypted",
    description=(
        "Database storage is encrypted at rest (RDS instances, Aurora/DocumentDB/Neptune clusters, "
        "Redshift), so snapshots, replicas and disks are unreadable without the KMS key."
    ),
    types={RDS_INSTANCE, *CLUSTERS_WITH_STORAGE_FLAG, REDSHIFT_CLUSTER},
    reads=["storageEncrypted", "encrypted"],
    check=_storage_encrypted,
)


# --- elasticache-encrypted-at-rest -----------------------------------------------------------


def _engine(r: Subject) -> str:
    engine = r.get(r.props, "engine")
    return str(engine).lower() if isinstance(engine, str) else "redis"


def _cache_at_rest(r: Subject) -> None:
    props = r.props
    if r.type == REPLICATION_GROUP and r.is_set(props, "globalReplicationGroupId"):
        pass  # a global datastore's secondary inherits encryption from the primary
    elif r.type == REPLICATION_GROUP:
        flag = r.get(props, "atRestEncryptionEnabled")
        engine = _engine(r)
        if flag is UNKNOWN:
            pass
        elif falsy_explicit(flag) or (flag is None and engine != "valkey"):
            state = "false" if flag is not None else f"not set (default false for {engine})"
            r.report(
                f"atRestEncryptionEnabled is {state}: session data and queued Celery messages land "
                "unencrypted in snapshots and swap. Set at_rest_encryption_enabled=True with the "
                "stack's KMS key; it only takes effect on a new replication group."
            )
    elif r.type == CACHE_CLUSTER:
        group = r.get(props, "replicationGroupId")
        engine = _engine(r)
        if group is not UNKNOWN and not non_empty(group) and engine in ("redis", "valkey"):
            r.report(
                f"a standalone {engine} cache cluster cannot encrypt at rest. Create an "
                "aws.elasticache.ReplicationGroup with at_rest_encryption_enabled=True instead."
            )


elasticache_encrypted_at_rest = resource_rule(
    name="elasticache-encrypted-at-rest",
    description=(
        "ElastiCache Redis/Valkey data is encrypted at rest: replication groups enable it, and no "
        "standalone Redis cluster (which cannot) is created."
    ),
    types={REPLICATION_GROUP, CACHE_CLUSTER},
    reads=["atRestEncryptionEnabled", "replicationGroupId"],
    check=_cache_at_rest,
)


# --- elasticache-transit-encryption-and-auth -------------------------------------------------


def _cache_transit(r: Subject) -> None:
    props = r.props
    if r.type == REPLICATION_GROUP and r.is_set(props, "globalReplicationGroupId"):
        pass  # a global datastore's secondary inherits transit encryption and AUTH from the primary
    elif r.type == REPLICATION_GROUP:
        transit = r.get(props, "transitEncryptionEnabled")
        mode = r.get(props, "transitEncryptionMode")
        if transit is not UNKNOWN and not truthy(transit):
            r.report(
                "transitEncryptionEnabled is not true: session cookies' data and task payloads cross "
                "the VPC in clear text. Set transit_encryption_enabled=True and connect with rediss://."
            )
        elif isinstance(mode, str) and mode.lower() == "preferred":
            r.report(
                "transitEncryptionMode is 'preferred', which still accepts unencrypted connections. "
                "Set it to 'required' (or leave it unset)."
            )
        token = r.get(props, "authToken")
        token_wo = r.get(props, "authTokenWo")
        groups = r.get(props, "userGroupIds")
        if any(v is UNKNOWN for v in (token, token_wo, groups)):
            pass
        elif not (non_empty(token) or non_empty(token_wo) or non_empty(groups)):
            r.report(
                "no AUTH: neither auth_token nor user_group_ids is set, so anything that reaches the "
                "port can read and write every key. Set auth_token from a Secrets Manager secret "
                "(transit encryption is required for it) or attach an RBAC user group."
            )
    elif r.type == CACHE_CLUSTER:
        group = r.get(props, "replicationGroupId")
        engine = _engine(r)
        if group is UNKNOWN or non_empty(group):
            pass  # a member of a replication group inherits the group's settings
        elif engine == "memcached":
            transit = r.get(props, "transitEncryptionEnabled")
            if transit is not UNKNOWN and not truthy(transit):
                r.report("transitEncryptionEnabled is not true on a Memcached cluster. Enable it.")
        else:
            r.report(
                f"a standalone {engine} cache cluster supports neither transit encryption nor AUTH. "
                "Use an aws.elasticache.ReplicationGroup with transit encryption and an auth token."
            )


elasticache_transit_encryption_and_auth = resource_rule(
    name="elasticache-transit-encryption-and-auth",
    description=(
        "ElastiCache encrypts traffic in transit (TLS required, not merely preferred) and requires "
        "authentication (AUTH token or RBAC user group), so reaching the port is not enough to use it."
    ),
    types={REPLICATION_GROUP, CACHE_CLUSTER},
    reads=["transitEncryptionEnabled", "transitEncryptionMode", "authToken", "userGroupIds"],
    check=_cache_transit,
)


POLICIES = [
    database_storage_encrypted,
    elasticache_encrypted_at_rest,
    elasticache_transit_encryption_and_auth,
]
