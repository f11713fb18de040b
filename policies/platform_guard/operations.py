"""Log retention everywhere, and what a production-shaped stack owes its data and its users.

Production-shaped means the stack's config says `<project>:stackProfile: production` (read from the
config the engine passes to the pack, never from the stack name); in other stacks the production
rules report themselves not applicable.
"""

from __future__ import annotations

from pulumi_policy import (
    Policy,
)

from .data import CLUSTERS_WITH_STORAGE_FLAG, RDS_CLUSTER, RDS_INSTANCE, REPLICATION_GROUP, is_replica
from .edge_cloudfront import DISTRIBUTION
from .props import (
    UNKNOWN,
    as_int,
    config_int,
    falsy_explicit,
    is_production,
    is_sequence,
    non_empty,
    truthy,
)
from .rule import Stack, Subject, resource_rule, stack_rule
from .stack_graph import linked

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

# --- cloudwatch-log-retention ----------------------------------------------------------------


def _log_retention(r: Subject) -> None:
    config = r.config
    production = is_production()
    minimum = config_int(
        config, "productionMinimumDays" if production else "minimumDays", 90 if production else 30
    )
    days = r.get(r.props, "retentionInDays")
    if days is not UNKNOWN:
        value = as_int(days)
        if not value:
            r.report(
                "retentionInDays is not set, so CloudWatch keeps these logs forever: storage cost grows "
                f"without bound and personal data outlives any need. Set a retention of at least {minimum} days."
            )
        elif value < minimum:
            scope = "a production stack" if production else "this stack"
            r.report(
                f"retentionInDays is {value}: {scope} keeps logs at least {minimum} days so that an "
                "incident noticed late can still be investigated."
            )


cloudwatch_log_retention = resource_rule(
    name="cloudwatch-log-retention",
    description=(
        "CloudWatch log groups set a retention: never unlimited, at least 30 days (90 in production) so "
        "that incidents can be investigated."
    ),
    types={LOG_GROUP},
    reads=["retentionInDays"],
    check=_log_retention,
    config={
        "minimumDays": {"type": "integer", "minimum": 1, "default": 30},
        "productionMinimumDays": {"type": "integer", "minimum": 1, "default": 90},
    },
)


# --- production rules ------------------------------------------------------------------------


def _primary_database(r: Subject) -> bool:
    """An RDS instance that is not a read replica, or a database cluster."""
    if r.type in CLUSTERS_WITH_STORAGE_FLAG:
        return True
    return r.type == RDS_INSTANCE and not is_replica(r)


def _multi_az(r: Subject) -> None:
    if _primary_database(r):
        flag = r.get(r.props, "multiAz")
        if flag is not UNKNOWN and not truthy(flag):
            r.report(
                "multiAz is not true: losing one availability zone takes the database down until it is "
                "restored. Set multi_az=True."
            )


prod_database_multi_az = resource_rule(
    name="prod-database-multi-az",
    description="In production, the primary RDS instance runs Multi-AZ with a synchronous standby.",
    types={RDS_INSTANCE},
    reads=["multiAz", "replicateSourceDb"],
    check=_multi_az,
    production_only=True,
)


def _backup_retention(r: Subject) -> None:
    minimum = config_int(r.config, "minimumDays", 7)
    if _primary_database(r):
        days = r.get(r.props, "backupRetentionPeriod")
        if days is not UNKNOWN and (as_int(days) or 0) < minimum:
            shown = as_int(days) if days is not None else "not set (AWS default 1)"
            r.report(
                f"backupRetentionPeriod is {shown}: point-in-time recovery reaches back fewer than "
                f"{minimum} days. Set backup_retention_period to {minimum} or more."
            )


prod_database_backup_retention = resource_rule(
    name="prod-database-backup-retention",
    description="In production, databases keep automated backups (point-in-time recovery) for at least 7 days.",
    types={RDS_INSTANCE, *CLUSTERS_WITH_STORAGE_FLAG},
    reads=["backupRetentionPeriod"],
    check=_backup_retention,
    production_only=True,
    config={"minimumDays": {"type": "integer", "minimum": 1, "default": 7}},
)


def _deletion_protection(r: Subject) -> None:
    if _primary_database(r):
        flag = r.get(r.props, "deletionProtection")
        if flag is not UNKNOWN and not truthy(flag):
            r.report(
                "deletionProtection is not true: one API call or console click deletes the database. "
                "Set deletion_protection=True."
            )


prod_database_deletion_protection = resource_rule(
    name="prod-database-deletion-protection",
    description="In production, databases have AWS deletion protection on.",
    types={RDS_INSTANCE, *CLUSTERS_WITH_STORAGE_FLAG},
    reads=["deletionProtection"],
    check=_deletion_protection,
    production_only=True,
)


def _final_snapshot(r: Subject) -> None:
    if _primary_database(r):
        skip = r.get(r.props, "skipFinalSnapshot")
        name = r.get(r.props, "finalSnapshotIdentifier")
        if skip is not UNKNOWN and truthy(skip):
            r.report("skipFinalSnapshot is true: deleting the database keeps no copy of its data.")
        elif skip is not UNKNOWN and name is not UNKNOWN and not non_empty(name):
            r.report(
                "no finalSnapshotIdentifier: with skipFinalSnapshot false AWS requires one, so the final "
                "snapshot cannot be taken. Name it (e.g. '<db>-final')."
            )


prod_database_final_snapshot = resource_rule(
    name="prod-database-final-snapshot",
    description="In production, deleting a database takes a final snapshot (skipFinalSnapshot false, identifier set).",
    types={RDS_INSTANCE, *CLUSTERS_WITH_STORAGE_FLAG},
    reads=["skipFinalSnapshot", "finalSnapshotIdentifier"],
    check=_final_snapshot,
    production_only=True,
)


STATEFUL_TYPES = frozenset(
    {
        RDS_INSTANCE,
        *CLUSTERS_WITH_STORAGE_FLAG,
        REPLICATION_GROUP,
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:dynamodb/table:Table",
        "aws:efs/fileSystem:FileSystem",
    }
)


def _protected(r: Subject) -> None:
    if r.type == RDS_INSTANCE and not _primary_database(r):
        return  # a replica is rebuilt from its source
    if not r.args.opts.protect:
        r.report(
            "the resource holds data but is not `protect`ed: a refactor that renames it, or a "
            "`pulumi destroy`, deletes it. Set opts=ResourceOptions(protect=True)."
        )


prod_stateful_resources_protected = resource_rule(
    name="prod-stateful-resources-protected",
    description=(
        "In production, resources that hold data (RDS instances and clusters, ElastiCache replication "
        "groups, S3 buckets, DynamoDB tables, EFS) carry Pulumi's `protect` option."
    ),
    types=STATEFUL_TYPES,
    reads=[],
    check=_protected,
    production_only=True,
)


def _automatic_failover(r: Subject) -> None:
    flag = r.get(r.props, "automaticFailoverEnabled")
    if flag is not UNKNOWN and not truthy(flag):
        r.report(
            "automaticFailoverEnabled is not true: if the primary node fails, sessions and the Celery "
            "broker stay down until someone intervenes. Enable it with at least one replica in another AZ."
        )


prod_redis_automatic_failover = resource_rule(
    name="prod-redis-automatic-failover",
    description="In production, ElastiCache replication groups fail over automatically to a replica.",
    types={REPLICATION_GROUP},
    reads=["automaticFailoverEnabled"],
    check=_automatic_failover,
    production_only=True,
)


def _waf(r: Subject) -> None:
    acl = r.get(r.props, "webAclId")
    if acl is not UNKNOWN and not non_empty(acl):
        r.report(
            "no web ACL: the distribution forwards every request, including known exploit patterns and "
            "floods, to the application. Attach the WAFv2 web ACL (web_acl_id)."
        )


prod_cloudfront_waf = resource_rule(
    name="prod-cloudfront-waf",
    description="In production, the CloudFront distribution has a WAF web ACL attached.",
    types={DISTRIBUTION},
    reads=["webAclId"],
    check=_waf,
    production_only=True,
)


POLICIES: list[Policy] = [
    cloudwatch_log_retention,
    prod_database_multi_az,
    prod_database_backup_retention,
    prod_database_deletion_protection,
    prod_database_final_snapshot,
    prod_stateful_resources_protected,
    prod_redis_automatic_failover,
    prod_cloudfront_waf,
]


# --- prod-aurora-multiple-instances ----------------------------------------------------------

CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"


def _aurora_instances(stack: Stack) -> None:
    members: dict[str, int] = {}
    by_identifier = {
        identifier: cluster.urn
        for cluster in stack.of_type({RDS_CLUSTER})
        if isinstance(identifier := stack.get(cluster.props, "clusterIdentifier"), str) and identifier
    }
    for instance in stack.of_type({CLUSTER_INSTANCE}):
        clusters = {c.urn for c in linked(instance, "clusterIdentifier", {RDS_CLUSTER})}
        named = stack.get(instance.props, "clusterIdentifier")
        if not clusters and isinstance(named, str) and named in by_identifier:
            clusters = {by_identifier[named]}  # the identifier written as a plain string
        for urn in clusters:
            members[urn] = members.get(urn, 0) + 1
    for cluster in stack.of_type({RDS_CLUSTER}):
        engine = stack.prop(cluster, "engine")
        mode = stack.prop(cluster, "engineMode")
        if not (isinstance(engine, str) and engine.startswith("aurora")) or mode == "serverless":
            continue  # Multi-AZ DB clusters (non-Aurora) always run three instances; v1 serverless has none
        count = members.get(cluster.urn, 0)
        if count < 2:
            stack.report(
                f"Aurora cluster '{cluster.name}' has {count} instance{'s' if count != 1 else ''} in this "
                "stack: when the writer fails there is no reader to promote, and the database is down until "
                "a new instance is created. Add a second aws.rds.ClusterInstance (another AZ).",
                cluster,
            )


prod_aurora_multiple_instances = stack_rule(
    name="prod-aurora-multiple-instances",
    description="In production, every Aurora cluster has at least two instances, so a failover has somewhere to go.",
    types={RDS_CLUSTER},
    reads=["engine", "engineMode"],
    check=_aurora_instances,
    production_only=True,
)


# --- prod-bucket-versioning-not-suspended ----------------------------------------------------

VERSIONING_TYPES = frozenset(
    {"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"}
)
BUCKETS = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})


def _versioning(r: Subject) -> None:
    if r.type in VERSIONING_TYPES:
        status = r.get(r.prop("versioningConfiguration"), "status", label="versioningConfiguration.status")
        where = "versioningConfiguration.status"
    else:
        block = r.prop("versioning")
        if is_sequence(block):
            block = block[0] if block else None
        enabled = r.get(block, "enabled", label="versioning.enabled")
        status = "Suspended" if falsy_explicit(enabled) and non_empty(block) else None
        where = "versioning.enabled"
    if isinstance(status, str) and status in ("Suspended", "Disabled"):
        r.report(
            f"{where} is {status}: overwritten or deleted objects are gone for good, so one bad deploy or "
            "leaked key destroys user uploads. Keep versioning Enabled with a lifecycle rule that expires "
            "noncurrent versions."
        )


prod_bucket_versioning_not_suspended = resource_rule(
    name="prod-bucket-versioning-not-suspended",
    description="In production, no bucket has versioning suspended or disabled once declared.",
    types=VERSIONING_TYPES | BUCKETS,
    reads=["versioningConfiguration", "versioning"],
    check=_versioning,
    production_only=True,
)


POLICIES += [prod_aurora_multiple_instances, prod_bucket_versioning_not_suspended]
