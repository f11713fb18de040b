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
prefix = settings.stack.app_name
physical_name = settings.stack.physical_name()

kms = KmsKey(
    f"{prefix}-kms",
    KmsKeyArgs(
        alias=physical_name,
        config=settings.kms,
        description=f"{physical_name}: RDS, ElastiCache, S3, CloudWatch Logs and Secrets Manager",
        protect=settings.data.keep_data,
        tags=settings.stack.tags,
    ),
)
stack = settings.stack_wide(kms_key_arn=kms.key_arn)

# The releases the deploy workflow builds are pushed here, then deployed by digest (docs/delivery.md).
registry = (
    Registry(f"{prefix}-registry", RegistryArgs(config=settings.registry, stack=stack))
    if settings.registry.enabled
    else None
)
network = Network(f"{prefix}-network", NetworkArgs(config=settings.network, stack=stack))
workloads = WorkloadSecurityGroups(
    f"{prefix}-workloads",
    WorkloadSecurityGroupsArgs(
        placement=network.placement, config=settings.workload_security_groups, tags=stack.tags
    ),
)

# The distribution needs the buckets as origins, and the content buckets' policies must name the
# distribution (OAC grants are limited to its ARN), as must the media bucket's CORS rule (the site's
# origin uploads directly with presigned PUTs): storage.serve_through adds those once the edge exists.
storage = Storage(f"{prefix}-storage", StorageArgs(config=settings.storage, stack=stack))

database = Database(
    f"{prefix}-database",
    DatabaseArgs(
        config=settings.database,
        database_name=settings.database_name,
        placement=network.placement,
        clients=workloads.groups,
        stack=stack,
    ),
)
# The bastion's port-forwarding command needs the database's address, and the database must admit
# the bastion's security group: the bastion comes second and is admitted once it exists.
bastion: Bastion | None = None
if settings.bastion.enabled:
    bastion = Bastion(
        f"{prefix}-bastion",
        BastionArgs(
            config=settings.bastion, placement=network.placement, database=database.connection, stack=stack
        ),
    )
    database.admit(bastion.security_group_id)

cache = Cache(
    f"{prefix}-cache",
    CacheArgs(config=settings.cache, placement=network.placement, clients=workloads.groups, stack=stack),
)

workloads.allow_egress_to("database", database.security_group_id, database_port)
workloads.allow_egress_to("cache", cache.security_group_id, cache_port)

load_balancer = LoadBalancer(
    f"{prefix}-lb",
    LoadBalancerArgs(
        config=settings.load_balancer,
        placement=network.placement,
        workloads=workloads.groups,
        buckets=storage.buckets,
        container_port=settings.app.container_port,
        origin_domain_name=settings.origin_domain_name,
        hosted_zone_id=settings.edge.hosted_zone_id,
        tags=stack.tags,
    ),
    # ELB checks that it may write access logs when the ALB is created: the log bucket policy first.
    # Only that policy: the content buckets' policies wait for the distribution, which waits for this.
    opts=pulumi.ResourceOptions(depends_on=[storage.log_bucket_policy]),
)

edge = Edge(
    f"{prefix}-edge",
    EdgeArgs(
        config=settings.edge,
        load_balancer=load_balancer.target,
        buckets=storage.buckets,
        media_public_path_pattern=settings.storage.media_public_path_pattern,
        amplify_stage=settings.stack.amplify_stage,
        stack=stack,
    ),
)
storage.serve_through(distribution_arn=edge.distribution_arn, site_origin=edge.site_url)

services = DjangoServices(
    f"{prefix}-app",
    DjangoServicesArgs(
        config=settings.app,
        discovery=settings.discovery,
        placement=network.placement,
        workloads=workloads.groups,
        load_balancer=load_balancer.target,
        site=edge.site,
        database=database.connection,
        cache=cache.endpoint,
        buckets=storage.buckets,
        stack=stack,
    ),
)

observability = Observability(
    f"{prefix}-ops",
    ObservabilityArgs(
        config=settings.observability,
        load_balancer=load_balancer.target,
        services=services.running,
        database=database.connection,
        cache=cache.endpoint,
        site=edge.site,
        stack=stack,
    ),
)

export_stack_outputs(
    settings, kms, registry, network, storage, database, bastion, cache, edge, services, observability
)
