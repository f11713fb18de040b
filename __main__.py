"""Wires the platform's components from validated settings and exports what operators need."""

import pulumi

from components.bastion import Bastion, BastionArgs
from components.cache import PORT as cache_port
from components.cache import Cache, CacheArgs
from components.database import PORT as database_port
from components.database import Database, DatabaseArgs
from components.django_service import DjangoServices, DjangoServicesArgs
from components.edge import Edge, EdgeArgs
from components.kms import KmsKey, KmsKeyArgs
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.network import Network, NetworkArgs
from components.observability import Observability, ObservabilityArgs
from components.registry import Registry, RegistryArgs
from components.security_groups import WorkloadSecurityGroups, WorkloadSecurityGroupsArgs
from components.storage import Storage, StorageArgs
from settings import load_settings
from stack_outputs import export_stack_outputs

settings = load_settings()
tags = settings.stack.tags
prefix = settings.stack.app_name
# Physical names that must be unique per account and region (KMS alias, ECR repository, RDS and
# ElastiCache ids) carry the stack, so staging and prod can share an account.
stack_id = settings.stack.physical_name()

kms = KmsKey(
    f"{prefix}-kms",
    KmsKeyArgs(
        alias=stack_id,
        config=settings.kms,
        description=f"{stack_id}: RDS, ElastiCache, S3, CloudWatch Logs and Secrets Manager",
        protect=settings.data.keep_data,
        tags=tags,
    ),
)

# The releases the deploy workflow builds are pushed here, then deployed by digest (docs/delivery.md).
registry = (
    Registry(
        f"{prefix}-registry",
        RegistryArgs(
            repository_name=stack_id,
            kms_key_arn=kms.key_arn,
            config=settings.registry,
            protect=settings.data.keep_data,
            tags=tags,
        ),
    )
    if settings.registry.enabled
    else None
)

network = Network(
    f"{prefix}-network",
    NetworkArgs(
        config=settings.network,
        kms_key_arn=kms.key_arn,
        tags=tags,
    ),
)

workloads = WorkloadSecurityGroups(
    f"{prefix}-workloads",
    WorkloadSecurityGroupsArgs(
        placement=network.placement, config=settings.workload_security_groups, tags=tags
    ),
)

# The distribution needs the buckets as origins, and the content buckets' policies must name the
# distribution (OAC grants are limited to its ARN), as must the media bucket's CORS rule (the site's
# origin uploads directly with presigned PUTs): storage.serve_through adds those once the edge exists.
storage = Storage(
    f"{prefix}-storage",
    StorageArgs(
        config=settings.storage,
        kms_key_arn=kms.key_arn,
        secret_recovery_window_days=30 if settings.data.keep_data else 7,
        keep_data=settings.data.keep_data,
        tags=tags,
    ),
)

database = Database(
    f"{prefix}-database",
    DatabaseArgs(
        identifier=stack_id,
        placement=network.placement,
        kms_key_arn=kms.key_arn,
        clients=workloads.groups,
        config=settings.database,
        # A restored primary keeps the snapshot's databases; RDS cannot name one on restore.
        database_name=None if settings.database.restores else prefix.replace("-", "_"),
        log_retention_days=settings.observability.log_retention_days,
        keep_data=settings.data.keep_data,
        tags=tags,
    ),
)
# The bastion's port-forwarding command needs the database's address, and the database must admit
# the bastion's security group: the bastion comes second and is admitted once it exists.
bastion = (
    Bastion(
        f"{prefix}-bastion",
        BastionArgs(
            placement=network.placement,
            kms_key_arn=kms.key_arn,
            database=database.connection,
            config=settings.bastion,
            tags=tags,
        ),
    )
    if settings.bastion.enabled
    else None
)
if bastion:
    database.admit(bastion.security_group_id)

cache = Cache(
    f"{prefix}-cache",
    CacheArgs(
        config=settings.cache,
        replication_group_id=stack_id,
        placement=network.placement,
        kms_key_arn=kms.key_arn,
        clients=workloads.groups,
        log_retention_days=settings.observability.log_retention_days,
        keep_data=settings.data.keep_data,
        tags=tags,
    ),
)

workloads.allow_egress_to("database", database.security_group_id, database_port)
workloads.allow_egress_to("cache", cache.security_group_id, cache_port)

app = settings.app
edge_settings = settings.edge
# CloudFront reaches the ALB over HTTPS wherever a name can carry a certificate: the configured one,
# or origin.<domainName>, whose certificate the load balancer creates in the stack's zone.
origin_domain_name = settings.load_balancer.origin_domain_name or (
    f"origin.{edge_settings.domain_name}" if edge_settings.domain_name else None
)
load_balancer = LoadBalancer(
    f"{prefix}-lb",
    LoadBalancerArgs(
        config=settings.load_balancer,
        placement=network.placement,
        workloads=workloads.groups,
        buckets=storage.buckets,
        container_port=app.container_port,
        origin_domain_name=origin_domain_name,
        hosted_zone_id=edge_settings.hosted_zone_id,
        tags=tags,
    ),
    # ELB checks that it may write access logs when the ALB is created: the log bucket policy first.
    # Only that policy: the content buckets' policies wait for the distribution, which waits for this.
    opts=pulumi.ResourceOptions(depends_on=[storage.log_bucket_policy]),
)

edge = Edge(
    f"{prefix}-edge",
    EdgeArgs(
        config=edge_settings,
        load_balancer=load_balancer.target,
        buckets=storage.buckets,
        media_public_path_pattern=settings.storage.media_public_path_pattern,
        amplify_stage="PRODUCTION" if settings.stack.is_production else "DEVELOPMENT",
        waf_log_retention_days=settings.observability.log_retention_days,
        keep_data=settings.data.keep_data,
        tags=tags,
    ),
)
storage.serve_through(distribution_arn=edge.distribution_arn, site_origin=edge.site_url)

services = DjangoServices(
    f"{prefix}-app",
    DjangoServicesArgs(
        config=settings.app,
        placement=network.placement,
        workloads=workloads.groups,
        load_balancer=load_balancer.target,
        # Django allows the site's origin_host (the ALB's name: the Host CloudFront's
        # AllViewerExceptHostHeader policy sends) and its host (X-Forwarded-Host), nothing else.
        site=edge.site,
        kms_key_arn=kms.key_arn,
        database=database.connection,
        cache=cache.endpoint,
        buckets=storage.buckets,
        log_retention_days=settings.observability.log_retention_days,
        discovery=settings.discovery,
        exec_log_retention_days=max(365, settings.observability.log_retention_days),
        # Like the cache token: a stack that keeps its data keeps a deleted secret recoverable longest.
        secret_recovery_window_days=30 if settings.data.keep_data else 7,
        tags=tags,
    ),
)

observability = Observability(
    f"{prefix}-ops",
    ObservabilityArgs(
        config=settings.observability,
        kms_key_arn=kms.key_arn,
        load_balancer=load_balancer.target,
        services=services.running,
        database=database.connection,
        cache=cache.endpoint,
        site=edge.site,
        web_scales_to_zero=settings.app.nightly_scale_down,
        web_wanted_slots=settings.app.web_wanted_slots,
        keep_data=settings.data.keep_data,
        tags=tags,
    ),
)

export_stack_outputs(
    settings,
    kms=kms,
    registry=registry,
    network=network,
    storage=storage,
    database=database,
    bastion=bastion,
    cache=cache,
    edge=edge,
    services=services,
    observability=observability,
)
