"""Wires the platform's components from validated settings and exports what operators need."""

import pulumi
import pulumi_aws as aws

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
        subnet_ids=network.app_subnet_ids,
        web_security_group_id=workloads.web_security_group_id,
        worker_security_group_id=workloads.worker_security_group_id,
        target_group_arn=load_balancer.target_group_arn,
        load_balancer_arn_suffix=load_balancer.arn_suffix,
        target_group_arn_suffix=load_balancer.target_group_arn_suffix,
        # Django receives the ALB's name as Host (CloudFront's AllViewerExceptHostHeader policy) and
        # the site's host in X-Forwarded-Host; both must be allowed, nothing else.
        allowed_hosts=[edge.origin_host, edge.site_host],
        csrf_trusted_origins=[edge.site_url],
        kms_key_arn=kms.key_arn,
        database_address=database.address,
        database_port=database.port,
        database_name=database.database_name,
        database_reader_addresses=database.replica_addresses,
        database_resource_ids=database.resource_ids,
        database_user=database.app_username,
        cache_address=cache.primary_address,
        cache_reader_address=cache.reader_address,
        cache_port=cache.port,
        cache_auth_secret_arn=cache.auth_secret_arn,
        cache_auth_secret_name=cache.auth_secret_name,
        media_bucket_name=storage.media_bucket_name,
        media_bucket_arn=storage.media_bucket_arn,
        static_bucket_name=storage.static_bucket_name,
        media_signing=storage.media_signing,
        load_balancer_idle_timeout=settings.load_balancer.idle_timeout_seconds,
        log_retention_days=settings.observability.log_retention_days,
        service_discovery_namespace=settings.discovery.namespace,
        vpc_id=network.vpc_id,
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

pulumi.export("stackProfile", settings.stack.profile)
pulumi.export("awsRegion", aws.get_region_output().region)
pulumi.export("siteUrl", edge.site_url)
pulumi.export("distributionId", edge.distribution_id)
pulumi.export("ecsClusterName", services.cluster_name)
pulumi.export("webServiceName", services.web_service_name)
pulumi.export("workerServiceName", services.worker_service_name)
pulumi.export("migrateTaskDefinitionArn", services.migrate_task_definition_arn)
pulumi.export("collectstaticTaskDefinitionArn", services.collectstatic_task_definition_arn)
pulumi.export("releaseTaskUrns", services.release_task_urns)
pulumi.export("migrateSubnetIds", services.task_subnet_ids)
pulumi.export("migrateSecurityGroupIds", services.task_security_group_ids)
pulumi.export("dashboardUrl", observability.dashboard_url)
pulumi.export("alarmTopicArn", observability.topic_arn)
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
# The release running now: a `pulumi up` from a workstation passes it back (docs/delivery.md).
pulumi.export("appImage", services.image_uri)
if registry:
    pulumi.export("imageRepositoryUrl", registry.repository_url)
    if registry.push_role_arn is not None:
        pulumi.export("imagePushRoleArn", registry.push_role_arn)
if services.exec_session_policy_arn is not None:
    pulumi.export("ecsExecSessionPolicyArn", services.exec_session_policy_arn)
if storage.media_signing is not None:
    # Where the operator puts the private key (docs/private-media.md), and the id URLs are signed with.
    pulumi.export("mediaSigningSecretArn", storage.media_signing.private_key_secret_arn)
    pulumi.export("mediaSigningKeyId", storage.media_signing.public_key_id)
if bastion:
    pulumi.export("bastionInstanceId", bastion.instance_id)
    pulumi.export("bastionPortForwardCommand", bastion.port_forward_command)
    pulumi.export("bastionSessionPolicyArn", bastion.session_policy_arn)
