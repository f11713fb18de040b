"""Stack settings: every config key the program reads, typed, defaulted and validated.

`Pulumi.yaml` declares each key (type, description, default); this module reads the stack's values
into frozen dataclasses and checks them before any resource exists. All problems are reported at
once, in one `pulumi.RunError` whose lines name the key, the value received and what is allowed, so
`pulumi up` stops with a message and no Python traceback.

Production-only requirements (a NAT gateway per AZ, a Multi-AZ database, kept data, a Redis replica
with failover, WAF) are rules on the settings keyed by `stackProfile`, never `if stack == "prod"`
inside a component: a stack is production-shaped because its config says so, whatever it is called.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import pulumi
import yaml
from cryptography.hazmat.primitives import serialization

from components import catalogs
from components.bastion import BastionConfig
from components.cache.config import CacheConfig, auth_token_problem
from components.cache.config import fallbacks as cache_fallbacks
from components.config_base import ValidatedConfig
from components.database import DatabaseConfig, snapshot_identifier_problem
from components.database.config import refusal_fallbacks as database_fallbacks
from components.discovery import DiscoveryConfig
from components.django_service.config import ServicesConfig
from components.edge import EdgeConfig
from components.kms import KmsConfig
from components.load_balancer import LoadBalancerConfig
from components.network import NetworkConfig
from components.observability.config import (
    LOG_RETENTION_DAYS,  # noqa: F401 (tests read the allowed values from here)
    AlarmThresholds,
    ObservabilityConfig,
    observability_problems,
)
from components.registry_values import RegistryConfig
from components.security_groups import WorkloadSecurityGroupsConfig
from components.storage import LOCAL_ORIGIN, StorageConfig, media_signing_key_problem

C = TypeVar("C", bound=ValidatedConfig)

PROJECT_FILE = Path(__file__).resolve().parent / "Pulumi.yaml"

PROFILES = ("development", "production")
PRODUCTION_REQUIRED = "required when stackProfile is 'production'"
APP_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,20}$")

# --- data tier


@dataclass(frozen=True)
class StackSettings:
    """Who the stack is and what it is for."""

    project: str
    stack: str
    profile: Literal["development", "production"]
    app_name: str
    owner: str

    @property
    def is_production(self) -> bool:
        return self.profile == "production"

    def physical_name(self, role: str = "") -> str:
        """The name of a resource that must be unique per account and region (KMS alias, RDS and
        ElastiCache ids, the ECR repository): `<appName>-<stack>[-<role>]`, so that the stacks of
        one application can share an account."""
        return "-".join(part for part in (self.app_name, self.stack, role) if part)

    @property
    def tags(self) -> dict[str, str]:
        """Tags every taggable resource carries (components merge them into their children)."""
        return {
            "Project": self.project,
            "Stack": self.stack,
            "Application": self.app_name,
            "Profile": self.profile,
            "Owner": self.owner,
            "ManagedBy": "pulumi",
        }


@dataclass(frozen=True)
class DataSettings:
    """What every data store of the stack shares: whether its data must be kept."""

    keep_data: bool
    """Deletion protection, final snapshots and `protect` on the database, cache, buckets and key."""


@dataclass(frozen=True)
class Settings:
    stack: StackSettings
    network: NetworkConfig
    data: DataSettings
    kms: KmsConfig
    database: DatabaseConfig
    cache: CacheConfig
    storage: StorageConfig
    bastion: BastionConfig
    app: ServicesConfig
    """The Django services."""
    load_balancer: LoadBalancerConfig
    workload_security_groups: WorkloadSecurityGroupsConfig
    edge: EdgeConfig
    observability: ObservabilityConfig
    registry: RegistryConfig
    discovery: DiscoveryConfig


@dataclass(frozen=True)
class DeclaredKey:
    name: str
    type: str
    default: Any
    description: str
    secret: bool = False


@cache
def declared_keys(project_file: Path = PROJECT_FILE) -> dict[str, DeclaredKey]:
    """The `config:` schema of Pulumi.yaml: the single place where keys, types and defaults live."""
    # libyaml's parser (same safe constructors) reads it in a tenth of the pure-Python one's time.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(project_file.read_text(), Loader=loader)
    keys: dict[str, DeclaredKey] = {}
    for name, spec in (document.get("config") or {}).items():
        keys[name] = DeclaredKey(
            name, spec["type"], spec.get("default"), spec.get("description", ""), bool(spec.get("secret"))
        )
    return keys


def _like(value: Any, default: Any) -> Any:
    """A key's Pulumi.yaml default, in the shape the refused value was read into."""
    if isinstance(value, bool):
        return bool(default)
    if isinstance(value, int):
        return int(default)
    if isinstance(value, tuple):
        return tuple(json.loads(default) if isinstance(default, str) else default or ())
    if value is None:
        return None
    return "" if default is None else str(default)


def _describe(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)


class _Reader:
    """Reads declared keys with their Pulumi.yaml defaults and collects every problem found."""

    def __init__(self, config: pulumi.Config, declared: Mapping[str, DeclaredKey]) -> None:
        self._config = config
        self._declared = declared
        self.errors: list[str] = []
        self.read: set[str] = set()
        self.values: dict[str, Any] = {}
        """Each key's value as read (before any fallback): what the profile rules judge."""

    def full_name(self, key: str) -> str:
        return f"{self._config.name}:{key}"

    def fail(self, key: str, value: Any, allowed: str) -> None:
        self.errors.append(f"{self.full_name(key)}: got {_describe(value)}; {allowed}")

    def _raw(self, key: str) -> Any:
        if key not in self._declared:
            # A programming error, not a user one: the key must be declared in Pulumi.yaml first.
            raise KeyError(f"settings.py reads '{key}', which Pulumi.yaml does not declare")
        self.read.add(key)
        raw = self._config.get(key)
        return self._declared[key].default if raw is None else raw

    def string(self, key: str, *, choices: Iterable[str] | None = None) -> str:
        value = self._raw(key)
        text = str(value)
        if choices is not None and text not in choices:
            self.fail(key, value, "allowed: " + ", ".join(repr(c) for c in choices))
        self.values[key] = text
        return text

    def integer(
        self,
        key: str,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        choices: Iterable[int] | None = None,
    ) -> int:
        value = self._raw(key)
        try:
            number = int(str(value), 10) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None:
            self.fail(key, value, "expected a whole number")
            return int(self._declared[key].default)
        if choices is not None and number not in tuple(choices):
            self.fail(key, value, "allowed: " + ", ".join(str(c) for c in choices))
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            self.fail(key, value, f"expected a whole number from {minimum} to {maximum}")
        self.values[key] = number
        return number

    def boolean(self, key: str) -> bool:
        value = self._raw(key)
        if isinstance(value, bool):
            self.values[key] = value
            return value
        text = str(value).strip().lower()
        if text in ("true", "false"):
            self.values[key] = text == "true"
            return text == "true"
        self.fail(key, value, "expected true or false")
        return bool(self._declared[key].default)

    def string_list(self, key: str, *, choices: Iterable[str] | None = None) -> tuple[str, ...]:
        raw = self._raw(key)
        value = raw
        if isinstance(raw, str):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                self.fail(key, raw, 'expected a list of strings, e.g. ["logs", "ecr.api"]')
                return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(key, raw, "expected a list of strings")
            return ()
        if choices is not None:
            allowed = tuple(choices)
            unknown = [item for item in value if item not in allowed]
            if unknown:
                self.fail(key, raw, f"unknown entries {unknown}; allowed: {', '.join(allowed)}")
        if len(set(value)) != len(value):
            self.fail(key, raw, "entries must not repeat")
        self.values[key] = tuple(value)
        return tuple(value)

    def secret(
        self,
        key: str,
        *,
        min_length: int = 1,
        check: Callable[[str], str | None] | None = None,
        optional: bool = False,
    ) -> pulumi.Output[str]:
        """A stack secret (`pulumi config set --secret`), checked here with every other setting,
        before any resource exists. Problems name its length or the kind of character at fault,
        never the value. `optional`: declared with an empty default instead of `secret: true` (the
        CLI demands a secret key without a default on every stack); a value must still be secret."""
        spec = self._declared.get(key)
        if spec is None or (not spec.secret and not optional):
            raise KeyError(
                f"settings.py reads '{key}' as a secret, which Pulumi.yaml does not declare secret"
            )
        self.read.add(key)
        value = self._config.get(key) or ""
        full = self.full_name(key)
        how = f"set it with `pulumi config set --secret {key} <value>`"
        if not value:
            self.errors.append(f"{full}: not set; {how}")
        elif not pulumi.runtime.is_config_secret(full):
            self.errors.append(f"{full}: set in plain text (value not shown); {how}")
        elif len(value) < min_length:
            self.errors.append(
                f"{full}: the secret is {len(value)} characters long; at least {min_length} required"
            )
        elif check is not None and (problem := check(value)):
            self.errors.append(f"{full}: the secret {problem} (value not shown)")
        return pulumi.Output.secret(value)

    def not_needed(self, key: str) -> None:
        """Mark a declared key as deliberately unread in this configuration (e.g. a secret only one
        option uses), so that the every-key-is-read check still holds."""
        if key not in self._declared:
            raise KeyError(f"settings.py skips '{key}', which Pulumi.yaml does not declare")
        self.read.add(key)

    def check(self, ok: bool, key: str, value: Any, allowed: str) -> None:
        if not ok:
            self.fail(key, value, allowed)

    def build(
        self,
        config_type: type[C],
        keys: Mapping[str, str],
        values: dict[str, Any],
        fallbacks: Mapping[str, Any] | None = None,
    ) -> C:
        """`config_type(**values)`, its validator's problems reported under their keys first.

        `keys` maps each field to the key it is read from (a test holds them one-to-one with the
        fields). A refused value is reported as the stack file has it, and replaced by its fallback
        (by default the key's Pulumi.yaml default, read the same way) so that the checks after this
        one still run; the report stops the program before any resource exists."""
        problems = config_type.problems(values)
        for problem in problems:
            key = keys[problem.field]
            raw = self._config.get(key)
            if not problem.shown:
                self.errors.append(f"{self.full_name(key)}: the value {problem.fix}")
            elif isinstance(values[problem.field], tuple) and not isinstance(problem.value, tuple | list):
                # A list's problem is one entry: name that entry, not the whole list.
                self.fail(key, problem.value, problem.fix)
            else:
                self.fail(key, raw if raw is not None else problem.value, problem.fix)
        # A fallback may break a rule between fields that held before (one half of a pair refused):
        # replace until the fallbacks hold together, all of them if a round changes nothing; only
        # the stack's own values are reported.
        for _ in range(len(values) + 1):
            if not problems:
                break
            before = dict(values)
            for problem in problems:
                if fallbacks is not None and problem.field in fallbacks:
                    values[problem.field] = fallbacks[problem.field]
                else:
                    key = keys[problem.field]
                    values[problem.field] = _like(values[problem.field], self._declared[key].default)
            if values == before:
                values.update(fallbacks or {})
            problems = config_type.problems(values)
        return config_type(**values)


def _present_keys(project: str) -> set[str]:
    """Keys of this project set for the stack, wherever the runtime got them from."""
    prefix = f"{project}:"
    names = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())
    return {name[len(prefix) :] for name in names if name.startswith(prefix)}


def _all_config_keys() -> set[str]:
    return set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())


def _near_miss(namespace: str, project: str) -> bool:
    """A namespace that is the project's name misspelled (`django_platform`, `django-platfrom`), as
    opposed to a provider's (`aws`, `pulumi`): the same letters and digits, or a close spelling."""
    letters = re.compile(r"[^a-z0-9]")
    if letters.sub("", namespace.lower()) == letters.sub("", project.lower()):
        return True
    return difflib.SequenceMatcher(None, namespace.lower(), project.lower()).ratio() >= 0.8


def _misplaced_keys(project: str, declared: Mapping[str, DeclaredKey]) -> list[str]:
    """Keys that nobody would read: under a misspelled project namespace, or one of this project's
    keys under another namespace (`aws:natStrategy`). The CLI hands them over without a word."""
    errors = []
    for name in sorted(_all_config_keys()):
        namespace, _, key = name.partition(":")
        if namespace == project or not key:
            continue
        if _near_miss(namespace, project) or key in declared:
            close = difflib.get_close_matches(key, declared, n=1)
            meant = f"{project}:{close[0] if close else key}"
            # A secret's value is never repeated, even under the wrong namespace.
            got = (
                ""
                if pulumi.runtime.is_config_secret(name)
                else f"got {_describe(pulumi.runtime.get_config(name))}; "
            )
            errors.append(
                f"{name}: {got}'{namespace}' is not this project's namespace, so nothing reads this "
                f"key; did you mean '{meant}'?"
            )
    return errors


def _read_stack(r: _Reader) -> StackSettings:
    profile = r.string("stackProfile", choices=PROFILES)
    app_name = r.string("appName")
    r.check(
        bool(APP_NAME_PATTERN.match(app_name)),
        "appName",
        app_name,
        "expected 2-21 lower-case letters, digits or hyphens, starting with a letter",
    )
    owner = r.string("owner")
    r.check(bool(owner.strip()), "owner", owner, "expected a team name")
    return StackSettings(
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        profile=profile,  # type: ignore[arg-type]  # checked against PROFILES above
        app_name=app_name,
        owner=owner,
    )


NETWORK_KEYS = {
    "vpc_cidr": "vpcCidr",
    "az_count": "azCount",
    "nat_strategy": "natStrategy",
    "interface_endpoints": "interfaceEndpoints",
    "flow_logs_retention_days": "flowLogsRetentionDays",
}


def _read_network(r: _Reader, stack: StackSettings) -> NetworkConfig:
    values = {
        "vpc_cidr": r.string("vpcCidr"),
        "az_count": r.integer("azCount"),
        "nat_strategy": r.string("natStrategy"),
        # The reader has reported repeated entries already; the config judges each service once.
        "interface_endpoints": tuple(dict.fromkeys(r.string_list("interfaceEndpoints"))),
        "flow_logs_retention_days": r.integer("flowLogsRetentionDays"),
    }
    return r.build(NetworkConfig, NETWORK_KEYS, values)


def _read_data(r: _Reader, stack: StackSettings) -> DataSettings:
    return DataSettings(keep_data=r.boolean("keepData"))


KMS_KEYS = {"deletion_window_days": "kmsKeyDeletionWindowDays"}


def _read_kms(r: _Reader) -> KmsConfig:
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


def _read_database(r: _Reader, stack: StackSettings) -> DatabaseConfig:
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
    config = r.build(DatabaseConfig, DATABASE_KEYS, values, fallbacks=database_fallbacks(values))
    # The region is the stack's, not the database's: a cross check, after the config's own.
    if config.snapshot_identifier:
        problem = snapshot_identifier_problem(config.snapshot_identifier, pulumi.Config("aws").get("region"))
        r.check(problem is None, "dbSnapshotIdentifier", config.snapshot_identifier, problem or "")
    return config


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


def _read_cache(r: _Reader) -> CacheConfig:
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


def _read_storage(r: _Reader) -> StorageConfig:
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
    storage = r.build(StorageConfig, STORAGE_KEYS, values, fallbacks=fallbacks)
    # A cross check: the stack's own region is aws:region, not a storage key.
    own_region = pulumi.Config("aws").get("region")
    if storage.replication_region and storage.replication_region == own_region:
        r.fail(
            "storageReplicationRegion",
            storage.replication_region,
            f"expected an AWS region other than the stack's own ({own_region}), e.g. 'eu-central-1', or '' for none",
        )
    return storage


# Each field of a component's config and the key it is read from; a test holds them one-to-one.
BASTION_KEYS = {"enabled": "bastionEnabled", "instance_type": "bastionInstanceType"}


def _read_bastion(r: _Reader) -> BastionConfig:
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


def _read_app(r: _Reader) -> ServicesConfig:
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


def _read_load_balancer(r: _Reader) -> LoadBalancerConfig:
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


def _read_registry(r: _Reader, app: ServicesConfig) -> RegistryConfig:
    if app.image is None:
        # Building from appDockerContext, awsx owns the repository it pushes to: the keys do not
        # apply, and the config says so with the key's declared count.
        for key in REGISTRY_KEYS.values():
            r.not_needed(key)
        keep_releases = int(r._declared[REGISTRY_KEYS["keep_releases"]].default)
        return RegistryConfig(enabled=False, keep_releases=keep_releases, push_subjects=())
    values = {
        "enabled": r.boolean("imageRepositoryEnabled"),
        "keep_releases": r.integer("imageKeepReleases"),
        "push_subjects": r.string_list("imagePushSubjects"),
    }
    return r.build(RegistryConfig, REGISTRY_KEYS, values)


DISCOVERY_KEYS = {"namespace": "serviceDiscoveryNamespace"}


def _read_discovery(r: _Reader) -> DiscoveryConfig:
    values = {"namespace": r.string("serviceDiscoveryNamespace").strip() or None}
    return r.build(DiscoveryConfig, DISCOVERY_KEYS, values, fallbacks={"namespace": None})


WORKLOAD_SECURITY_GROUPS_KEYS = {"extra_egress": "appExtraEgress"}


def _read_workload_security_groups(r: _Reader) -> WorkloadSecurityGroupsConfig:
    values = {"extra_egress": r.string_list("appExtraEgress")}
    return r.build(WorkloadSecurityGroupsConfig, WORKLOAD_SECURITY_GROUPS_KEYS, values)


# Each field of `EdgeConfig` and the key it is read from.
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


def _read_edge(r: _Reader) -> EdgeConfig:
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
    errors_before = len(r.errors)
    try:
        return r.build(EdgeConfig, EDGE_KEYS, values, fallbacks=_EDGE_PAIRS)
    except ValueError:
        # A refused half fell back to none while its valid partner stayed, which the config refuses
        # again. The mistake is reported already; give the later checks a config without either.
        if len(r.errors) == errors_before:
            raise
        return EdgeConfig(**{**values, **_EDGE_PAIRS})


# Each field of `ObservabilityConfig` and the key it is read from; a test checks they map one-to-one.
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


def _read_observability(r: _Reader, stack: StackSettings) -> ObservabilityConfig:
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
        r.fail(key, r._raw(key), problem.fix)
        fallback = int(r._declared[key].default)
        if name in alarms:
            alarms[name] = fallback
        else:
            values[name] = fallback
    return ObservabilityConfig(alarms=AlarmThresholds(**alarms), **values)


# --- profiles --------------------------------------------------------------------------------------
# What a stack's `stackProfile` demands beyond each value's own range, in one table: a stack is
# production-shaped because its config says so, whatever it is called, and components never ask.


@dataclass(frozen=True)
class ProfileRule:
    key: str
    """The key a refusal is reported under."""
    holds: Callable[[Mapping[str, Any]], bool]
    """Judges the values read, by key."""
    wanted: str
    """What the key must be, e.g. "true" or "at least 7"."""
    why: str


def _is(key: str, wanted: Any) -> Callable[[Mapping[str, Any]], bool]:
    return lambda values: values[key] == wanted


def _at_least(key: str, minimum: int) -> Callable[[Mapping[str, Any]], bool]:
    return lambda values: values[key] >= minimum


def _set(key: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda values: bool(str(values[key]).strip())


# The pack's cloudwatch-log-retention minimums (policies/platform_guard/operations.py, the defaults
# of its config schema). The pack runs on its own and cannot import them from here;
# tests/test_config_mistakes.py holds the two equal.
LOG_RETENTION_MINIMUM_DAYS = 30
PRODUCTION_LOG_RETENTION_MINIMUM_DAYS = 90
_SHORT_LOGS = "the pack refuses every log group kept less long"

PROFILE_RULES: Mapping[str, tuple[ProfileRule, ...]] = {
    "production": (
        ProfileRule("natStrategy", _is("natStrategy", "one-per-az"), "'one-per-az'",
                    "with one NAT gateway, losing its AZ cuts every task off the internet"),
        ProfileRule("keepData", _is("keepData", True), "true",
                    "without it a mistaken `pulumi destroy` or a replacement deletes the database, the "
                    "cache and the buckets and leaves no final snapshot"),
        ProfileRule("dbMultiAz", _is("dbMultiAz", True), "true",
                    "a single-AZ database is down for the length of an AZ outage"),
        ProfileRule("dbBackupRetentionDays", _at_least("dbBackupRetentionDays", 7), "at least 7",
                    "damage noticed a few days late must still be restorable"),
        ProfileRule("cacheReplicaCount", _at_least("cacheReplicaCount", 1), "at least 1",
                    "with no replica, a node failure loses the sessions and the queued tasks"),
        ProfileRule("cacheAutomaticFailover", _is("cacheAutomaticFailover", True), "true",
                    "without it a failed primary stays down until someone promotes a replica"),
        ProfileRule("cacheMultiAz", _is("cacheMultiAz", True), "true",
                    "with every node in one AZ, an AZ outage takes the broker down"),
        ProfileRule("storageCorsOrigins",
                    lambda values: not any(LOCAL_ORIGIN.fullmatch(o) for o in values["storageCorsOrigins"]),
                    "https origins only",
                    "a local origin lets any developer machine upload to the production bucket"),
        ProfileRule("mediaSigningPublicKey", _set("mediaSigningPublicKey"), "a signing key",
                    "or payment proofs and certificates cannot be downloaded at all: generate a pair "
                    "and set the public half (docs/private-media.md)"),
        ProfileRule("webMinTasks", _at_least("webMinTasks", 2), "2 or more",
                    "a single web task is a single point of failure"),
        ProfileRule("fargateSpotWeight", _is("fargateSpotWeight", 0), "0",
                    "Spot tasks can be reclaimed with two minutes' notice"),
        ProfileRule("nightlyScaleDown", _is("nightlyScaleDown", False), "false",
                    "it stops the site every night"),
        ProfileRule("wafEnabled", _is("wafEnabled", True), "true",
                    "the public site must sit behind the WAF"),
        ProfileRule("domainName", _set("domainName"), "a host name",
                    "on the default *.cloudfront.net certificate CloudFront accepts TLS 1.0 and 1.1, "
                    "and only a certificate of our own enforces TLS 1.2"),
        ProfileRule("albCertificateArn",
                    lambda values: bool(values["albCertificateArn"] or values["hostedZoneId"]),
                    "a certificate for the origin",
                    "set domainName and hostedZoneId (the stack then creates one for "
                    "origin.<domainName>) or albCertificateArn, so that CloudFront reaches the ALB "
                    "over HTTPS"),
        ProfileRule("alarmEmail", _set("alarmEmail"), "an address",
                    "alarms nobody receives do not page anyone"),
        ProfileRule("logRetentionDays", _at_least("logRetentionDays", PRODUCTION_LOG_RETENTION_MINIMUM_DAYS),
                    f"at least {PRODUCTION_LOG_RETENTION_MINIMUM_DAYS} days", _SHORT_LOGS),
        ProfileRule("flowLogsRetentionDays",
                    _at_least("flowLogsRetentionDays", PRODUCTION_LOG_RETENTION_MINIMUM_DAYS),
                    f"at least {PRODUCTION_LOG_RETENTION_MINIMUM_DAYS} days", _SHORT_LOGS),
    ),
    "development": (
        ProfileRule("logRetentionDays", _at_least("logRetentionDays", LOG_RETENTION_MINIMUM_DAYS),
                    f"at least {LOG_RETENTION_MINIMUM_DAYS} days", _SHORT_LOGS),
        ProfileRule("flowLogsRetentionDays", _at_least("flowLogsRetentionDays", LOG_RETENTION_MINIMUM_DAYS),
                    f"at least {LOG_RETENTION_MINIMUM_DAYS} days", _SHORT_LOGS),
    ),
}  # fmt: skip
PROFILE_SCOPES = {
    "production": PRODUCTION_REQUIRED,
    "development": "the policy pack's minimum (cloudwatch-log-retention)",
}


def _apply_profile(r: _Reader, profile: str) -> None:
    """Report every rule of the stack's profile its values break, under a key not already refused."""
    for rule in PROFILE_RULES.get(profile, ()):
        if not _refused(r, rule.key) and not rule.holds(r.values):
            r.fail(rule.key, r.values[rule.key], f"{rule.wanted} is {PROFILE_SCOPES[profile]}: {rule.why}")


# --- what AWS offers, and what the policy pack demands ------------------------------------------
# Values that fit their pattern but name nothing AWS has, or that AWS refuses only in combination,
# judged against AWS-maintained catalogs (components/catalogs.py) before any resource exists.

DATABASE_ENGINE = "postgres"
# ElastiCache: families whose nodes keep data on local SSD (r6gd) need data
# tiering turned on, which this platform does not do (the Celery queue must stay in memory).
DATA_TIERING_NODE = re.compile(r"cache\.[a-z]+\d+[a-z]*d\.[a-z0-9]+")
# Resource types every stack of this platform creates whose availability differs between regions,
# named as the catalog names them (CloudFormation types).
PLATFORM_RESOURCE_TYPES = (
    "AWS::CloudFront::VpcOrigin",
    "AWS::ECS::Service",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::RDS::DBInstance",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::SecretsManager::Secret",
)
# The components build ARNs and service principals of the commercial partition.
PLATFORM_PARTITION = "aws"
_ACM_ARN_REGION = re.compile(r"^arn:(?P<partition>[a-z-]+):acm:(?P<region>[a-z0-9-]+):")


def _refused(r: _Reader, key: str) -> bool:
    """Whether `key` already has a line in the report (one line per problem, not one per rule)."""
    prefix = r.full_name(key) + ":"
    return any(line.startswith(prefix) for line in r.errors)


def _read_region(r: _Reader) -> str | None:
    """The stack's `aws:region`, or None after reporting why it cannot be used. A missing region is
    refused rather than defaulted: `pulumi up` would deploy wherever the shell's AWS profile points."""
    region = pulumi.Config("aws").get("region")
    if not region:
        near = difflib.get_close_matches(
            "aws:region", sorted(k for k in _all_config_keys() if k.startswith("aws:"))
        )
        hint = f" (is '{near[0]}' a misspelling of it?)" if near else ""
        r.errors.append(
            f"aws:region: not set{hint}; `pulumi up` would deploy to whatever region the shell's AWS "
            "credentials name; set it: pulumi config set aws:region <region>, e.g. eu-west-1"
        )
        return None
    problem = catalogs.region_problem(region)
    if problem is None and catalogs.partition_of(region) != PLATFORM_PARTITION:
        problem = (
            f"a region of the {catalogs.partition_of(region)} partition; this platform builds ARNs of the "
            f"'{PLATFORM_PARTITION}' partition ({catalogs.botocore_source()})"
        )
    missing = catalogs.missing_resource_types(PLATFORM_RESOURCE_TYPES, region) if problem is None else []
    if missing:
        problem = f"{region} does not offer {', '.join(missing)}, which this platform creates ({catalogs.cfn_lint_source()})"
    if problem:
        r.errors.append(f"aws:region: got {region!r}; {problem}")
        return None
    return region


def _check_against_aws(r: _Reader, settings: Settings, region: str | None) -> None:
    """Names AWS must have and combinations it refuses, each reported on the key that holds it."""

    def check(key: str, value: Any, problem: str | None) -> None:
        if problem and not _refused(r, key):
            r.fail(key, value, problem)

    database = settings.database
    check(
        "dbEngineVersion",
        database.engine_version,
        catalogs.rds_engine_version_problem(DATABASE_ENGINE, database.engine_version),
    )
    if not _refused(r, "dbEngineVersion"):
        check(
            "dbInstanceClass",
            database.instance_class,
            catalogs.db_instance_class_problem(
                database.instance_class, DATABASE_ENGINE, database.engine_version, region
            ),
        )
    if database.performance_insights and not _refused(r, "dbInstanceClass"):
        check(
            "dbPerformanceInsights",
            database.performance_insights,
            catalogs.performance_insights_problem(DATABASE_ENGINE, database.instance_class),
        )

    cache_settings = settings.cache
    check(
        "cacheEngineVersion",
        cache_settings.engine_version,
        catalogs.cache_engine_version_problem(cache_settings.engine, cache_settings.engine_version),
    )
    check(
        "cacheNodeType",
        cache_settings.node_type,
        catalogs.cache_node_type_problem(cache_settings.node_type, region),
    )
    if DATA_TIERING_NODE.fullmatch(cache_settings.node_type):
        check(
            "cacheNodeType",
            cache_settings.node_type,
            "a data-tiering node type (local SSD), which ElastiCache creates only with data tiering on; "
            "this platform keeps the cache in memory: choose e.g. cache.r7g.large",
        )

    check(
        "bastionInstanceType",
        settings.bastion.instance_type,
        catalogs.ec2_instance_type_problem(settings.bastion.instance_type, region),
    )

    repository = settings.edge.amplify_repository
    if repository and region and catalogs.missing_resource_types(["AWS::Amplify::App"], region):
        check(
            "amplifyRepository",
            repository,
            f"AWS Amplify is not offered in {region} ({catalogs.cfn_lint_source()}); leave it empty there",
        )

    replication = settings.storage.replication_region
    if replication and not _refused(r, "storageReplicationRegion"):
        problem = catalogs.region_problem(replication)
        if problem is None and region and catalogs.partition_of(replication) != catalogs.partition_of(region):
            problem = (
                f"in partition {catalogs.partition_of(replication)}, while the stack's region {region} is in "
                f"{catalogs.partition_of(region)}: S3 replicates only within a partition ({catalogs.botocore_source()})"
            )
        check("storageReplicationRegion", replication, problem)

    app, load_balancer = settings.app, settings.load_balancer
    certificate = _ACM_ARN_REGION.match(load_balancer.certificate_arn or "")
    if certificate and region and certificate["region"] != region:
        check(
            "albCertificateArn",
            load_balancer.certificate_arn,
            f"a certificate in {certificate['region']}; an ALB uses ACM certificates of its own region "
            f"({region}): request or import the certificate there",
        )
    if app.docker_context and not _refused(r, "appImage"):
        context = Path(app.docker_context)
        if not context.is_dir():
            check(
                "appDockerContext",
                app.docker_context,
                f"not a directory (relative paths start at {Path.cwd()})",
            )
        elif not (context / "Dockerfile").is_file():
            check("appDockerContext", app.docker_context, "the directory has no Dockerfile to build")


def _cross_checks(r: _Reader, settings: Settings) -> None:
    """Rules that involve settings of more than one tier."""
    app, network = settings.app, settings.network
    if (
        app.ecs_exec_enabled
        and network.interface_endpoints
        and "ssmmessages" not in network.interface_endpoints
    ):
        r.fail(
            "interfaceEndpoints",
            list(network.interface_endpoints),
            "add 'ssmmessages' while ecsExecEnabled is true: ECS Exec sessions use that endpoint "
            "in a VPC that has interface endpoints",
        )
    if (
        app.nightly_scale_down
        and app.container_insights == "disabled"
        # A schedule or time zone refused for itself is reported once, there (and replaced by
        # its default, which the alarm reads).
        and not any(
            _refused(r, key) for key in ("nightlyScaleDownCron", "nightlyScaleUpCron", "scheduleTimezone")
        )
        and app.web_wanted_slots is None
    ):
        r.fail(
            "containerInsights",
            app.container_insights,
            "'enabled' or 'enhanced' while nightlyScaleDown uses a schedule the no-healthy-hosts alarm "
            f"cannot turn into hours of the week ({app.nightly_scale_down_cron}, "
            f"{app.nightly_scale_up_cron}): the alarm then reads the web service's DesiredTaskCount, "
            "which only Container Insights publishes. Plain cron(minutes hours day month weekday *) "
            "schedules need no Container Insights",
        )


# Names and numbers documentation reserves (RFC 2606, RFC 6761, AWS's example account): a stack file
# may carry them to be planned, but nothing can be deployed to them.
RESERVED_DOMAINS = re.compile(r"(^|\.)(example\.(com|net|org)|[a-z0-9-]+\.(example|test|invalid|localhost))$")
EXAMPLE_ACCOUNT = "123456789012"
# SHA-256 of the DER of the media signing key in Pulumi.prod.yaml, whose private half was destroyed
# when it was generated: it lets prod be planned, and nothing could ever sign for it.
# (`openssl pkey -pubin -in public_key.pem -outform DER | sha256sum`)
PLACEHOLDER_MEDIA_SIGNING_KEYS = frozenset(
    {"51fb42160372aad8bd9223bb2f3fc756103f13b99da45a29f1ab8fb0032a49b1"}
)


def _public_key_fingerprint(pem: str) -> str:
    der = serialization.load_pem_public_key(pem.encode("ascii")).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _placeholders(r: _Reader, settings: Settings) -> list[str]:
    """Keys still set to documentation placeholders, each with what to set instead."""
    found = []
    edge, app = settings.edge, settings.app
    if edge.domain_name and RESERVED_DOMAINS.search(edge.domain_name):
        found.append(f"{r.full_name('domainName')} ({edge.domain_name!r} is a reserved example name)")
    if edge.hosted_zone_id and "EXAMPLE" in edge.hosted_zone_id:
        found.append(f"{r.full_name('hostedZoneId')} ({edge.hosted_zone_id!r} is not a real zone)")
    origin = settings.load_balancer.origin_domain_name
    if origin and RESERVED_DOMAINS.search(origin):
        found.append(f"{r.full_name('albOriginDomainName')} ({origin!r})")
    if app.image and app.image.startswith(f"{EXAMPLE_ACCOUNT}."):
        found.append(f"{r.full_name('appImage')} (account {EXAMPLE_ACCOUNT} is AWS's documentation example)")
    email = settings.observability.alarm_email
    if email and RESERVED_DOMAINS.search(email.rpartition("@")[2]):
        found.append(f"{r.full_name('alarmEmail')} ({email!r} receives no mail)")
    for origin in settings.storage.cors_origins:
        host = origin.split("://", 1)[-1].split(":", 1)[0]
        if RESERVED_DOMAINS.search(host):
            found.append(f"{r.full_name('storageCorsOrigins')} ({origin!r})")
    key = settings.storage.media_signing_public_key
    if (
        key
        and not media_signing_key_problem(key)
        and _public_key_fingerprint(key) in PLACEHOLDER_MEDIA_SIGNING_KEYS
    ):
        found.append(
            f"{r.full_name('mediaSigningPublicKey')} (a sample key nobody holds the private half of)"
        )
    return found


def load_settings(
    config: pulumi.Config | None = None, declared: Mapping[str, DeclaredKey] | None = None
) -> Settings:
    """Read and validate every setting, or stop the program with one message listing all problems."""
    config = config or pulumi.Config()
    declared = declared if declared is not None else declared_keys()
    r = _Reader(config, declared)

    region = _read_region(r)
    stack = _read_stack(r)
    settings = Settings(
        stack=stack,
        network=_read_network(r, stack),
        data=_read_data(r, stack),
        kms=_read_kms(r),
        database=_read_database(r, stack),
        cache=_read_cache(r),
        storage=_read_storage(r),
        bastion=_read_bastion(r),
        app=(app := _read_app(r)),
        load_balancer=_read_load_balancer(r),
        workload_security_groups=_read_workload_security_groups(r),
        edge=_read_edge(r),
        observability=_read_observability(r, stack),
        registry=_read_registry(r, app),
        discovery=_read_discovery(r),
    )
    _cross_checks(r, settings)
    _apply_profile(r, stack.profile)
    placeholders = _placeholders(r, settings)
    if placeholders and pulumi.runtime.is_dry_run():
        # One code path for `pulumi preview`, `make plan` and `pulumi up`: a preview may show what
        # would be built; an update must not build it on names nobody owns.
        pulumi.log.warn("placeholders a real `pulumi up` refuses; set them first: " + "; ".join(placeholders))
    else:
        r.errors += [f"{p}: a placeholder; set the real value before `pulumi up`" for p in placeholders]
    _check_against_aws(r, settings, region)

    for unknown in sorted(_present_keys(config.name) - set(declared)):
        close = difflib.get_close_matches(unknown, declared, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        r.errors.append(f"{r.full_name(unknown)}: unknown key; {hint}declared keys are listed in Pulumi.yaml")
    r.errors.extend(_misplaced_keys(config.name, declared))

    unread = set(declared) - r.read
    if unread:
        raise KeyError(f"Pulumi.yaml declares keys settings.py never reads: {sorted(unread)}")

    if r.errors:
        raise pulumi.RunError(
            f"invalid configuration for stack '{settings.stack.stack}':\n  - " + "\n  - ".join(r.errors)
        )
    return settings


# Every component config and its field-to-key map: tests/test_config_types.py holds each map one-to-one
# with the config's fields, and the maps disjoint, so a key reaches exactly one field.
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
