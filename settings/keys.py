"""Where each config key goes: for every component, a map from its config type's fields to the keys
they are read from (`dbInstanceClass` -> `DatabaseConfig.instance_class`), and the mapper that reads
those keys and hands them to the config's own validator (`Reader.build`), which reports each problem
under its key. Nothing here judges a value: the config types do (components/*/config.py).

`CONFIG_KEY_MAPS` lists every map; tests/test_config_types.py holds each one-to-one with its config's
fields, and the maps disjoint, so a key reaches exactly one field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.bastion import BastionConfig
from components.cache.config import CacheConfig, auth_token_problem
from components.cache.config import fallbacks as cache_fallbacks
from components.config_base import ValidatedConfig
from components.database import DatabaseConfig
from components.database.config import refusal_fallbacks as database_fallbacks
from components.discovery import DiscoveryConfig
from components.django_service.config import ServicesConfig
from components.edge import EdgeConfig
from components.kms import KmsConfig
from components.load_balancer import LoadBalancerConfig
from components.network import NetworkConfig
from components.observability.config import AlarmThresholds, ObservabilityConfig, observability_problems
from components.registry_values import RegistryConfig
from components.security_groups import WorkloadSecurityGroupsConfig
from components.storage import StorageConfig

from .reader import Reader

NETWORK_KEYS = {
    "vpc_cidr": "vpcCidr",
    "az_count": "azCount",
    "nat_strategy": "natStrategy",
    "interface_endpoints": "interfaceEndpoints",
    "flow_logs_retention_days": "flowLogsRetentionDays",
}


def read_network(r: Reader) -> NetworkConfig:
    values = {
        "vpc_cidr": r.string("vpcCidr"),
        "az_count": r.integer("azCount"),
        "nat_strategy": r.string("natStrategy"),
        # The reader has reported repeated entries already; the config judges each service once.
        "interface_endpoints": tuple(dict.fromkeys(r.string_list("interfaceEndpoints"))),
        "flow_logs_retention_days": r.integer("flowLogsRetentionDays"),
    }
    return r.build(NetworkConfig, NETWORK_KEYS, values)


KMS_KEYS = {"deletion_window_days": "kmsKeyDeletionWindowDays"}


def read_kms(r: Reader) -> KmsConfig:
    return r.build(KmsConfig, KMS_KEYS, {"deletion_window_days": r.integer("kmsKeyDeletionWindowDays")})


DATABASE_KEYS = {
    "engine_version": "dbEngineVersion",
    "instance_class": "dbInstanceClass",
    "allocated_storage_gb": "dbAllocatedStorageGb",
    "max_allocated_storage_gb": "dbMaxAllocatedStorageGb",
    "multi_az": "dbMultiAz",
    "read_replica_count": "dbReadReplicaCount",
    "backup_retention_days": "dbBackupRetentionDays",
    "backup_window": "dbBackupWindow",
    "maintenance_window": "dbMaintenanceWindow",
    "performance_insights": "dbPerformanceInsights",
    "monitoring_interval_seconds": "dbMonitoringIntervalSeconds",
    "log_exports": "dbLogExports",
    "slow_query_ms": "dbSlowQueryMs",
    "snapshot_identifier": "dbSnapshotIdentifier",
}


def read_database(r: Reader) -> DatabaseConfig:
    values: dict[str, Any] = {
        "engine_version": r.string("dbEngineVersion"),
        "instance_class": r.string("dbInstanceClass"),
        "allocated_storage_gb": r.integer("dbAllocatedStorageGb"),
        "max_allocated_storage_gb": r.integer("dbMaxAllocatedStorageGb"),
        "multi_az": r.boolean("dbMultiAz"),
        "read_replica_count": r.integer("dbReadReplicaCount"),
        "backup_retention_days": r.integer("dbBackupRetentionDays"),
        "backup_window": r.string("dbBackupWindow"),
        "maintenance_window": r.string("dbMaintenanceWindow"),
        "performance_insights": r.boolean("dbPerformanceInsights"),
        "monitoring_interval_seconds": r.integer("dbMonitoringIntervalSeconds"),
        "log_exports": r.string_list("dbLogExports"),
        "slow_query_ms": r.integer("dbSlowQueryMs"),
        "snapshot_identifier": r.string("dbSnapshotIdentifier") or None,
    }
    # The snapshot's region is checked against the stack's in settings/checks.py.
    return r.build(DatabaseConfig, DATABASE_KEYS, values, fallbacks=database_fallbacks(values))


CACHE_KEYS = {
    "engine": "cacheEngine",
    "engine_version": "cacheEngineVersion",
    "node_type": "cacheNodeType",
    "replica_count": "cacheReplicaCount",
    "automatic_failover": "cacheAutomaticFailover",
    "multi_az": "cacheMultiAz",
    "snapshot_retention_days": "cacheSnapshotRetentionDays",
    "maintenance_window": "cacheMaintenanceWindow",
    "cluster_mode": "cacheClusterMode",
    "auth_token": "cacheAuthToken",
}


def read_cache(r: Reader) -> CacheConfig:
    values = {
        "engine": r.string("cacheEngine"),
        "engine_version": r.string("cacheEngineVersion"),
        "node_type": r.string("cacheNodeType"),
        "replica_count": r.integer("cacheReplicaCount"),
        "automatic_failover": r.boolean("cacheAutomaticFailover"),
        "multi_az": r.boolean("cacheMultiAz"),
        "snapshot_retention_days": r.integer("cacheSnapshotRetentionDays"),
        "maintenance_window": r.string("cacheMaintenanceWindow"),
        "cluster_mode": r.string("cacheClusterMode"),
        # A secret: judged here by length and character class, never shown; the config holds the Output.
        "auth_token": r.secret("cacheAuthToken", min_length=16, check=auth_token_problem),
    }
    return r.build(CacheConfig, CACHE_KEYS, values, cache_fallbacks(values))


STORAGE_KEYS = {
    "ia_transition_days": "storageIaTransitionDays",
    "glacier_transition_days": "storageGlacierTransitionDays",
    "noncurrent_expiration_days": "storageNoncurrentExpirationDays",
    "log_expiration_days": "storageLogExpirationDays",
    "cors_origins": "storageCorsOrigins",
    "replication_region": "storageReplicationRegion",
    "media_signing_public_key": "mediaSigningPublicKey",
    "media_public_path_pattern": "mediaPublicPathPattern",
}


def read_storage(r: Reader) -> StorageConfig:
    values: dict[str, Any] = {
        "ia_transition_days": r.integer("storageIaTransitionDays"),
        "glacier_transition_days": r.integer("storageGlacierTransitionDays"),
        "noncurrent_expiration_days": r.integer("storageNoncurrentExpirationDays"),
        "log_expiration_days": r.integer("storageLogExpirationDays"),
        "cors_origins": r.string_list("storageCorsOrigins"),
        "replication_region": r.string("storageReplicationRegion"),
        "media_signing_public_key": r.string("mediaSigningPublicKey").strip() or None,
        "media_public_path_pattern": r.string("mediaPublicPathPattern"),
    }
    # Stand-ins for refused values that the config accepts whatever else was refused (the latest
    # Glacier day fits any IA day it accepts), so the checks after this one still run.
    fallbacks = {"glacier_transition_days": 3650, "media_signing_public_key": None}
    # That the replication region is not the stack's own is checked in settings/checks.py.
    return r.build(StorageConfig, STORAGE_KEYS, values, fallbacks=fallbacks)


BASTION_KEYS = {"enabled": "bastionEnabled", "instance_type": "bastionInstanceType"}


def read_bastion(r: Reader) -> BastionConfig:
    values = {"enabled": r.boolean("bastionEnabled"), "instance_type": r.string("bastionInstanceType")}
    return r.build(BastionConfig, BASTION_KEYS, values)


SERVICES_KEYS = {
    "image": "appImage",
    "docker_context": "appDockerContext",
    "container_port": "appContainerPort",
    "django_settings_module": "djangoSettingsModule",
    "wsgi_application": "djangoWsgiApplication",
    "celery_app": "celeryApp",
    "django_secret_key": "djangoSecretKey",
    "cpu_architecture": "cpuArchitecture",
    "web_cpu_units": "webCpu",
    "web_memory_mib": "webMemory",
    "web_min_tasks": "webMinTasks",
    "web_max_tasks": "webMaxTasks",
    "web_cpu_target_percent": "webCpuTargetPercent",
    "web_requests_per_target": "webRequestsPerTarget",
    "worker_cpu_units": "workerCpu",
    "worker_memory_mib": "workerMemory",
    "worker_min_tasks": "workerMinTasks",
    "worker_max_tasks": "workerMaxTasks",
    "worker_cpu_target_percent": "workerCpuTargetPercent",
    "beat_enabled": "beatEnabled",
    "fargate_spot_weight": "fargateSpotWeight",
    "container_insights": "containerInsights",
    "health_check_grace_period_seconds": "healthCheckGracePeriodSeconds",
    "nightly_scale_down": "nightlyScaleDown",
    "nightly_scale_down_cron": "nightlyScaleDownCron",
    "nightly_scale_up_cron": "nightlyScaleUpCron",
    "schedule_timezone": "scheduleTimezone",
    "xray_enabled": "xrayEnabled",
    "ecs_exec_enabled": "ecsExecEnabled",
}
_SERVICES_BOOLEANS = ("beat_enabled", "nightly_scale_down", "xray_enabled", "ecs_exec_enabled")
_SERVICES_STRINGS = (
    "django_settings_module",
    "wsgi_application",
    "celery_app",
    "cpu_architecture",
    "container_insights",
    "nightly_scale_down_cron",
    "nightly_scale_up_cron",
    "schedule_timezone",
)


def read_app(r: Reader) -> ServicesConfig:
    values: dict[str, Any] = {
        "image": r.string("appImage").strip() or None,
        "docker_context": r.string("appDockerContext").strip() or None,
        # Django's own deployment check asks for at least 50 characters.
        "django_secret_key": r.secret("djangoSecretKey", min_length=50),
    }
    for name in _SERVICES_BOOLEANS:
        values[name] = r.boolean(SERVICES_KEYS[name])
    for name in _SERVICES_STRINGS:
        values[name] = r.string(SERVICES_KEYS[name])
    for name, key in SERVICES_KEYS.items():
        if name not in values:
            values[name] = r.integer(key)
    # A refused image stands in as a reference nothing can pull (.invalid is reserved), so that the
    # checks after this one still see a config; the report stops the program before any resource.
    fallbacks = {"image": "refused.invalid/app:refused", "docker_context": None}
    return r.build(ServicesConfig, SERVICES_KEYS, values, fallbacks=fallbacks)


LOAD_BALANCER_KEYS = {
    "health_check_path": "healthCheckPath",
    "deregistration_delay_seconds": "deregistrationDelaySeconds",
    "certificate_arn": "albCertificateArn",
    "origin_domain_name": "albOriginDomainName",
    "deletion_protection": "albDeletionProtection",
    "idle_timeout_seconds": "albIdleTimeoutSeconds",
    "cloudfront_security_group_id": "albCloudFrontSecurityGroupId",
}


def read_load_balancer(r: Reader) -> LoadBalancerConfig:
    values = {
        "health_check_path": r.string("healthCheckPath"),
        "deregistration_delay_seconds": r.integer("deregistrationDelaySeconds"),
        "certificate_arn": r.string("albCertificateArn").strip() or None,
        "origin_domain_name": r.string("albOriginDomainName").strip().lower() or None,
        "deletion_protection": r.boolean("albDeletionProtection"),
        "idle_timeout_seconds": r.integer("albIdleTimeoutSeconds"),
        "cloudfront_security_group_id": r.string("albCloudFrontSecurityGroupId").strip() or None,
    }
    # A refused optional value falls back to unset (the ALB then serves HTTP from the prefix list).
    unset = {"certificate_arn": None, "origin_domain_name": None, "cloudfront_security_group_id": None}
    return r.build(LoadBalancerConfig, LOAD_BALANCER_KEYS, values, fallbacks=unset)


REGISTRY_KEYS = {
    "enabled": "imageRepositoryEnabled",
    "keep_releases": "imageKeepReleases",
    "push_subjects": "imagePushSubjects",
}


def read_registry(r: Reader, app: ServicesConfig) -> RegistryConfig:
    if app.image is None:
        # Building from appDockerContext, awsx owns the repository it pushes to: the keys do not
        # apply, and the config says so with the key's declared count.
        for key in REGISTRY_KEYS.values():
            r.not_needed(key)
        keep_releases = int(r.default(REGISTRY_KEYS["keep_releases"]))
        return RegistryConfig(enabled=False, keep_releases=keep_releases, push_subjects=())
    values = {
        "enabled": r.boolean("imageRepositoryEnabled"),
        "keep_releases": r.integer("imageKeepReleases"),
        "push_subjects": r.string_list("imagePushSubjects"),
    }
    return r.build(RegistryConfig, REGISTRY_KEYS, values)


DISCOVERY_KEYS = {"namespace": "serviceDiscoveryNamespace"}


def read_discovery(r: Reader) -> DiscoveryConfig:
    values = {"namespace": r.string("serviceDiscoveryNamespace").strip() or None}
    return r.build(DiscoveryConfig, DISCOVERY_KEYS, values, fallbacks={"namespace": None})


WORKLOAD_SECURITY_GROUPS_KEYS = {"extra_egress": "appExtraEgress"}


def read_workload_security_groups(r: Reader) -> WorkloadSecurityGroupsConfig:
    values = {"extra_egress": r.string_list("appExtraEgress")}
    return r.build(WorkloadSecurityGroupsConfig, WORKLOAD_SECURITY_GROUPS_KEYS, values)


EDGE_KEYS = {
    "waf_enabled": "wafEnabled",
    "waf_rate_limit": "wafRateLimit",
    "price_class": "priceClass",
    "domain_name": "domainName",
    "hosted_zone_id": "hostedZoneId",
    "amplify_repository": "amplifyRepository",
    "amplify_branch": "amplifyBranch",
    "amplify_domain_prefix": "amplifyDomainPrefix",
    "amplify_access_token": "amplifyAccessToken",
}
# Halves that come together: when either is refused, neither reaches the config the later checks read.
_EDGE_PAIRS: dict[str, Any] = dict.fromkeys(
    ("domain_name", "hosted_zone_id", "amplify_repository", "amplify_access_token")
)


def read_edge(r: Reader) -> EdgeConfig:
    values: dict[str, Any] = {
        "waf_enabled": r.boolean("wafEnabled"),
        "waf_rate_limit": r.integer("wafRateLimit"),
        "price_class": r.string("priceClass"),
        "domain_name": r.string("domainName").strip() or None,
        "hosted_zone_id": r.string("hostedZoneId").strip() or None,
        "amplify_repository": r.string("amplifyRepository").strip() or None,
        "amplify_branch": r.string("amplifyBranch").strip(),
        "amplify_domain_prefix": r.string("amplifyDomainPrefix").strip(),
        "amplify_access_token": None,
    }
    # The token is only needed with a repository. Without one it is not read at all, so a stack that
    # does not use Amplify neither has to set it nor fails because it is unset.
    if values["amplify_repository"]:
        values["amplify_access_token"] = r.secret("amplifyAccessToken", min_length=20, optional=True)
    else:
        r.not_needed("amplifyAccessToken")
    return r.build(EdgeConfig, EDGE_KEYS, values, fallbacks=_EDGE_PAIRS)


# `ObservabilityConfig` nests its alarm thresholds: two maps, both held one-to-one by a test.
OBSERVABILITY_KEYS = {"log_retention_days": "logRetentionDays", "alarm_email": "alarmEmail"}
ALARM_THRESHOLD_KEYS = {
    "alb_5xx_percent": "alarmAlb5xxPercent",
    "response_time_p95_ms": "alarmResponseTimeP95Ms",
    "unhealthy_hosts": "alarmUnhealthyHosts",
    "ecs_cpu_percent": "alarmEcsCpuPercent",
    "ecs_memory_percent": "alarmEcsMemoryPercent",
    "rds_cpu_percent": "alarmRdsCpuPercent",
    "rds_free_storage_gib": "alarmRdsFreeStorageGib",
    "rds_connections": "alarmRdsConnections",
    "rds_replica_lag_seconds": "alarmRdsReplicaLagSeconds",
    "redis_cpu_percent": "alarmRedisCpuPercent",
    "redis_memory_percent": "alarmRedisMemoryPercent",
    "redis_evictions": "alarmRedisEvictions",
    "waf_blocked_requests": "alarmWafBlockedRequests",
}


def read_observability(r: Reader) -> ObservabilityConfig:
    """The values go through `ObservabilityConfig`'s own validator; each problem is reported under its
    key, and the key's Pulumi.yaml default stands in so that the checks after this one still run."""
    email = r.string("alarmEmail").strip()
    values: dict[str, Any] = {
        "log_retention_days": r.integer("logRetentionDays"),
        "alarm_email": email or None,
    }
    alarms = {name: r.integer(key) for name, key in ALARM_THRESHOLD_KEYS.items()}
    for problem in observability_problems(alarms=alarms, **values):
        name = problem.field.removeprefix("alarms.")
        if name == "alarm_email":
            r.fail("alarmEmail", email, problem.fix)
            values[name] = None
            continue
        key = ALARM_THRESHOLD_KEYS.get(name) or OBSERVABILITY_KEYS[name]
        # Shown as the stack file has it ("0", not 0), like every other key.
        r.fail(key, r.raw(key), problem.fix)
        fallback = int(r.default(key))
        if name in alarms:
            alarms[name] = fallback
        else:
            values[name] = fallback
    return ObservabilityConfig(alarms=AlarmThresholds(**alarms), **values)


# Every component config and its field-to-key map (see the module's docstring).
CONFIG_KEY_MAPS: Mapping[type[ValidatedConfig], Mapping[str, str]] = {
    BastionConfig: BASTION_KEYS,
    NetworkConfig: NETWORK_KEYS,
    KmsConfig: KMS_KEYS,
    RegistryConfig: REGISTRY_KEYS,
    DiscoveryConfig: DISCOVERY_KEYS,
    CacheConfig: CACHE_KEYS,
    DatabaseConfig: DATABASE_KEYS,
    ServicesConfig: SERVICES_KEYS,
    LoadBalancerConfig: LOAD_BALANCER_KEYS,
    WorkloadSecurityGroupsConfig: WORKLOAD_SECURITY_GROUPS_KEYS,
    StorageConfig: STORAGE_KEYS,
    EdgeConfig: EDGE_KEYS,
}
