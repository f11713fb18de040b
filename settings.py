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
import ipaddress
import json
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import pulumi
import yaml
from cryptography.hazmat.primitives import serialization

from components import catalogs
from components.app_values import (
    CERTIFICATE_ARN,
    CONTAINER_INSIGHTS,
    CPU_ARCHITECTURES,
    FARGATE_SIZES,
    SECURITY_GROUP_ID,
    fargate_size_problem,
    image_reference_problem,
    schedule_problem,
)
from components.bastion import BastionConfig
from components.config_base import ValidatedConfig
from components.database import snapshot_identifier_problem
from components.edge import PUBLIC_MEDIA_PATTERN
from components.observability.config import (
    LOG_RETENTION_DAYS,
    AlarmThresholds,
    ObservabilityConfig,
    observability_problems,
)
from components.observability.schedule_window import wanted_slots
from components.registry_values import push_subject_problem
from components.storage import media_signing_key_problem

C = TypeVar("C", bound=ValidatedConfig)

PROJECT_FILE = Path(__file__).resolve().parent / "Pulumi.yaml"

PROFILES = ("development", "production")
NAT_STRATEGIES = ("single", "one-per-az")
INTERFACE_ENDPOINTS = (
    "ecr.api",
    "ecr.dkr",
    "logs",
    "secretsmanager",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "kms",
    "sts",
    "monitoring",
    "xray",
)
PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
PRODUCTION_REQUIRED = "required when stackProfile is 'production'"
APP_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,20}$")
PYTHON_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
WSGI_CALLABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")
SCHEDULE = re.compile(r"^(cron|rate|at)\([^()]+\)$")

# --- data tier
POSTGRES_MAJORS = ("14", "15", "16", "17")
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
DB_LOG_EXPORTS = ("postgresql", "upgrade", "iam-db-auth-error")
CACHE_ENGINES = ("redis", "valkey")
# Older engines lack the TLS and AUTH behaviour this platform relies on, and are past end of life.
CACHE_OLDEST_VERSIONS = {"redis": (6, 2), "valkey": (7, 2)}
CACHE_CLUSTER_MODES = ("disabled", "enabled", "compatible")
# ElastiCache AUTH tokens: printable ASCII except space, double quote, slash and at sign.
AUTH_TOKEN_CHARACTERS = frozenset(chr(c) for c in range(33, 127)) - set('"/@')
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
_HHMM = r"([01]\d|2[0-3]):([0-5]\d)"
_DAY = "(" + "|".join(WEEKDAYS) + ")"
DAILY_WINDOW = re.compile(f"{_HHMM}-{_HHMM}")
WEEKLY_WINDOW = re.compile(f"{_DAY}:{_HHMM}-{_DAY}:{_HHMM}")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HTTPS_ORIGIN = re.compile(rf"https://{_LABEL}(\.{_LABEL})+(:\d{{1,5}})?")
LOCAL_ORIGIN = re.compile(r"http://(localhost|127\.0\.0\.1)(:\d{1,5})?")
REGION_PATTERN = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")

PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# A fully qualified host name in lower case: labels of letters, digits and inner hyphens, at least two.
DOMAIN_PATTERN = re.compile(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)
HOSTED_ZONE_PATTERN = re.compile(r"^Z[A-Z0-9]{1,31}$")
REPOSITORY_PATTERN = re.compile(r"^https://[A-Za-z0-9.-]+/\S+[^/\s]$")


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
class NetworkSettings:
    vpc_cidr: str
    az_count: int
    nat_strategy: Literal["single", "one-per-az"]
    interface_endpoints: tuple[str, ...]
    flow_logs_retention_days: int


@dataclass(frozen=True)
class DataSettings:
    """What every data store of the stack shares: whether its data must be kept, and the KMS key."""

    keep_data: bool
    """Deletion protection, final snapshots and `protect` on the database, cache, buckets and key."""
    kms_deletion_window_days: int


@dataclass(frozen=True)
class DatabaseSettings:
    engine_version: str
    """PostgreSQL version, `17` or `17.6`; a major alone lets RDS apply minor upgrades."""
    instance_class: str
    allocated_storage_gb: int
    max_allocated_storage_gb: int
    multi_az: bool
    read_replica_count: int
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    performance_insights: bool
    monitoring_interval_seconds: int
    log_exports: tuple[str, ...]
    slow_query_ms: int
    snapshot_identifier: str = ""
    """DB snapshot the primary is restored from when created; "" creates an empty database."""

    @property
    def major_version(self) -> str:
        return self.engine_version.split(".")[0]


@dataclass(frozen=True)
class CacheSettings:
    engine: Literal["redis", "valkey"]
    engine_version: str
    node_type: str
    replica_count: int
    automatic_failover: bool
    multi_az: bool
    snapshot_retention_days: int
    maintenance_window: str
    cluster_mode: Literal["disabled"]
    auth_token: pulumi.Output[str]
    """The Redis AUTH token (a stack secret); never printed."""


@dataclass(frozen=True)
class StorageSettings:
    ia_transition_days: int
    glacier_transition_days: int
    noncurrent_expiration_days: int
    log_expiration_days: int
    cors_origins: tuple[str, ...]
    replication_region: str
    """Region the media bucket is replicated to; empty: no replication."""
    media_signing_public_key: str | None
    """PEM public key that signs private media URLs; None: no signing (no private media at the edge)."""
    media_public_path_pattern: str


@dataclass(frozen=True)
class AppSettings:
    """The ECS services, their image and scaling, and the internal load balancer."""

    image: str | None
    docker_context: str | None
    container_port: int
    django_settings_module: str
    wsgi_application: str
    celery_app: str
    django_secret_key: pulumi.Output[str]
    cpu_architecture: str
    web_cpu: int
    web_memory: int
    web_min_tasks: int
    web_max_tasks: int
    web_cpu_target_percent: int
    web_requests_per_target: int
    worker_cpu: int
    worker_memory: int
    worker_min_tasks: int
    worker_max_tasks: int
    worker_cpu_target_percent: int
    beat_enabled: bool
    fargate_spot_weight: int
    container_insights: str
    health_check_path: str
    health_check_grace_period_seconds: int
    deregistration_delay_seconds: int
    alb_certificate_arn: str | None
    alb_origin_domain_name: str | None
    alb_deletion_protection: bool
    alb_idle_timeout_seconds: int
    alb_cloudfront_security_group_id: str | None
    nightly_scale_down: bool
    nightly_scale_down_cron: str
    nightly_scale_up_cron: str
    schedule_timezone: str
    xray_enabled: bool
    ecs_exec_enabled: bool
    """ECS Exec on every service; its containers then get writable root file systems."""
    extra_egress: tuple[tuple[str, int], ...]
    """(IPv4 range, TCP port) the tasks may reach besides HTTPS and the data tier."""

    @property
    def web_wanted_slots(self) -> frozenset[tuple[int, int]] | None:
        """UTC (weekday, hour) slots the nightly schedule wants web tasks in; None without a nightly
        scale-down or for schedules the no-healthy-hosts alarm cannot turn into hours."""
        if not self.nightly_scale_down:
            return None
        return wanted_slots(self.nightly_scale_down_cron, self.nightly_scale_up_cron, self.schedule_timezone)


@dataclass(frozen=True)
class RegistrySettings:
    enabled: bool
    """The stack owns the ECR repository of its releases (image mode only)."""
    keep_releases: int
    push_subjects: tuple[str, ...]


@dataclass(frozen=True)
class ServiceDiscoverySettings:
    namespace: str | None
    """None: no Cloud Map namespace."""


@dataclass(frozen=True)
class EdgeSettings:
    waf_enabled: bool
    waf_rate_limit: int
    price_class: str
    domain_name: str | None
    """None: the site is served on the distribution's `*.cloudfront.net` name."""
    hosted_zone_id: str | None
    amplify_repository: str | None
    """None: no Amplify app."""
    amplify_branch: str
    amplify_access_token: pulumi.Output[str] | None
    """Read only when amplify_repository is set; None otherwise."""
    amplify_domain_prefix: str


@dataclass(frozen=True)
class Settings:
    stack: StackSettings
    network: NetworkSettings
    data: DataSettings
    database: DatabaseSettings
    cache: CacheSettings
    storage: StorageSettings
    bastion: BastionConfig
    app: AppSettings
    edge: EdgeSettings
    observability: ObservabilityConfig
    registry: RegistrySettings
    discovery: ServiceDiscoverySettings


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
        return number

    def boolean(self, key: str) -> bool:
        value = self._raw(key)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "false"):
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
        for problem in config_type.problems(values):
            key = keys[problem.field]
            raw = self._config.get(key)
            self.fail(key, raw if raw is not None else problem.value, problem.fix)
            if fallbacks is not None and problem.field in fallbacks:
                values[problem.field] = fallbacks[problem.field]
            else:
                values[problem.field] = _like(values[problem.field], self._declared[key].default)
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


def _read_network(r: _Reader, stack: StackSettings) -> NetworkSettings:
    cidr = r.string("vpcCidr")
    try:
        network = ipaddress.ip_network(cidr, strict=True)
        private = network.version == 4 and any(network.subnet_of(p) for p in PRIVATE_RANGES)  # type: ignore[arg-type]
        r.check(
            private and 16 <= network.prefixlen <= 24,
            "vpcCidr",
            cidr,
            "expected an RFC 1918 range (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) "
            "with a prefix from /16 to /24, e.g. 10.20.0.0/16",
        )
    except ValueError:
        r.fail("vpcCidr", cidr, "expected an IPv4 network with no host bits set, e.g. 10.20.0.0/16")
    nat_strategy = r.string("natStrategy", choices=NAT_STRATEGIES)
    if stack.is_production:
        r.check(
            nat_strategy == "one-per-az",
            "natStrategy",
            nat_strategy,
            f"'one-per-az' is {PRODUCTION_REQUIRED}: with one NAT gateway, losing its AZ cuts every task off the internet",
        )
    return NetworkSettings(
        vpc_cidr=cidr,
        az_count=r.integer("azCount", minimum=2, maximum=3),
        nat_strategy=nat_strategy,  # type: ignore[arg-type]  # checked against NAT_STRATEGIES
        interface_endpoints=r.string_list("interfaceEndpoints", choices=INTERFACE_ENDPOINTS),
        flow_logs_retention_days=r.integer("flowLogsRetentionDays", choices=LOG_RETENTION_DAYS),
    )


def _window_minutes(window: str, *, weekly: bool) -> tuple[int, int] | None:
    """A `hh:mm-hh:mm` (daily) or `ddd:hh:mm-ddd:hh:mm` (weekly) UTC window as (start, length)
    in minutes from Monday 00:00 (weekly) or midnight (daily); None if it does not parse."""
    pattern = WEEKLY_WINDOW if weekly else DAILY_WINDOW
    match = pattern.fullmatch(window)
    if match is None:
        return None
    period = WEEK_MINUTES if weekly else DAY_MINUTES
    parts = match.groups()
    if weekly:
        start = WEEKDAYS.index(parts[0]) * DAY_MINUTES + int(parts[1]) * 60 + int(parts[2])
        end = WEEKDAYS.index(parts[3]) * DAY_MINUTES + int(parts[4]) * 60 + int(parts[5])
    else:
        start = int(parts[0]) * 60 + int(parts[1])
        end = int(parts[2]) * 60 + int(parts[3])
    return start, (end - start) % period


def _read_window(r: _Reader, key: str, *, weekly: bool, minimum_minutes: int) -> tuple[str, tuple[int, int]]:
    window = r.string(key)
    parsed = _window_minutes(window, weekly=weekly)
    shape = "ddd:hh:mm-ddd:hh:mm, e.g. 'sun:03:00-sun:04:00'" if weekly else "hh:mm-hh:mm, e.g. '02:00-02:30'"
    if parsed is None:
        r.fail(key, window, f"expected a UTC window {shape}")
        return window, (0, minimum_minutes)
    r.check(
        parsed[1] >= minimum_minutes,
        key,
        window,
        f"expected a window of at least {minimum_minutes} minutes ({shape})",
    )
    return window, parsed


def _overlap(a: tuple[int, int], b: tuple[int, int], period: int) -> bool:
    return (b[0] - a[0]) % period < a[1] or (a[0] - b[0]) % period < b[1]


def _read_data(r: _Reader, stack: StackSettings) -> DataSettings:
    keep_data = r.boolean("keepData")
    if stack.is_production:
        r.check(
            keep_data,
            "keepData",
            keep_data,
            f"true is {PRODUCTION_REQUIRED}: without it a mistaken `pulumi destroy` or a replacement "
            "deletes the database, the cache and the buckets and leaves no final snapshot",
        )
    return DataSettings(
        keep_data=keep_data,
        kms_deletion_window_days=r.integer("kmsKeyDeletionWindowDays", minimum=7, maximum=30),
    )


def _read_database(r: _Reader, stack: StackSettings) -> DatabaseSettings:
    version = r.string("dbEngineVersion")
    match = re.fullmatch(r"(\d+)(\.\d+)?", version)
    r.check(
        match is not None and match.group(1) in POSTGRES_MAJORS,
        "dbEngineVersion",
        version,
        f"expected a PostgreSQL major ({', '.join(POSTGRES_MAJORS)}) or major.minor such as '17.6'",
    )
    instance_class = r.string("dbInstanceClass")
    r.check(
        bool(re.fullmatch(r"db\.[a-z0-9-]+\.[a-z0-9]+", instance_class)),
        "dbInstanceClass",
        instance_class,
        "expected an RDS instance class such as 'db.t4g.micro' or 'db.m7g.large'",
    )
    allocated = r.integer("dbAllocatedStorageGb", minimum=20, maximum=65536)
    max_allocated = r.integer("dbMaxAllocatedStorageGb", minimum=20, maximum=65536)
    r.check(
        max_allocated >= allocated,
        "dbMaxAllocatedStorageGb",
        max_allocated,
        f"expected at least dbAllocatedStorageGb ({allocated}): it is the ceiling storage autoscaling grows to",
    )
    multi_az = r.boolean("dbMultiAz")
    retention = r.integer("dbBackupRetentionDays", minimum=1, maximum=35)
    if stack.is_production:
        r.check(
            multi_az,
            "dbMultiAz",
            multi_az,
            f"true is {PRODUCTION_REQUIRED}: a single-AZ database is down for the length of an AZ outage",
        )
        r.check(
            retention >= 7,
            "dbBackupRetentionDays",
            retention,
            f"at least 7 is {PRODUCTION_REQUIRED}: damage noticed a few days late must still be restorable",
        )
    backup_window, backup = _read_window(r, "dbBackupWindow", weekly=False, minimum_minutes=30)
    maintenance_window, maintenance = _read_window(r, "dbMaintenanceWindow", weekly=True, minimum_minutes=30)
    r.check(
        not any(
            _overlap((day * DAY_MINUTES + backup[0], backup[1]), maintenance, WEEK_MINUTES)
            for day in range(7)
        ),
        "dbMaintenanceWindow",
        maintenance_window,
        f"expected a window that does not overlap the daily dbBackupWindow ({backup_window}); RDS refuses both at once",
    )
    slow_query_ms = r.integer("dbSlowQueryMs", minimum=-1, maximum=3_600_000)
    r.check(
        slow_query_ms == -1 or slow_query_ms >= 50,
        "dbSlowQueryMs",
        slow_query_ms,
        "expected -1 (off) or at least 50: lower thresholds log nearly every statement, parameters included",
    )
    snapshot = r.string("dbSnapshotIdentifier")
    if snapshot:
        problem = snapshot_identifier_problem(snapshot, pulumi.Config("aws").get("region"))
        r.check(problem is None, "dbSnapshotIdentifier", snapshot, problem or "")
    return DatabaseSettings(
        engine_version=version,
        instance_class=instance_class,
        allocated_storage_gb=allocated,
        max_allocated_storage_gb=max_allocated,
        multi_az=multi_az,
        read_replica_count=r.integer("dbReadReplicaCount", minimum=0, maximum=5),
        backup_retention_days=retention,
        backup_window=backup_window,
        maintenance_window=maintenance_window,
        performance_insights=r.boolean("dbPerformanceInsights"),
        monitoring_interval_seconds=r.integer("dbMonitoringIntervalSeconds", choices=MONITORING_INTERVALS),
        log_exports=r.string_list("dbLogExports", choices=DB_LOG_EXPORTS),
        slow_query_ms=slow_query_ms,
        snapshot_identifier=snapshot,
    )


def _character_class(c: str) -> str:
    if c == " ":
        return "a space"
    if not 33 <= ord(c) < 127:
        return "a non-printable or non-ASCII character"
    return repr(c)


def auth_token_problem(token: str) -> str | None:
    """What ElastiCache would refuse in an AUTH token, by length and character class, never by value."""
    if len(token) > 128:
        return f"is {len(token)} characters long; at most 128 allowed"
    refused = sorted({_character_class(c) for c in token if c not in AUTH_TOKEN_CHARACTERS})
    if refused:
        return (
            f"contains {', '.join(refused)}; ElastiCache accepts printable ASCII without spaces, "
            "'\"', '/' or '@'"
        )
    return None


# A version of each engine that settings accept, for the messages.
CACHE_EXAMPLE_VERSIONS = {"redis": "7.1", "valkey": "8.0"}


def _read_cache(r: _Reader, stack: StackSettings) -> CacheSettings:
    engine = r.string("cacheEngine", choices=CACHE_ENGINES)
    version = r.string("cacheEngineVersion")
    match = re.fullmatch(r"(\d+)\.(\d+)", version)
    oldest = CACHE_OLDEST_VERSIONS.get(engine, (0, 0))
    r.check(
        match is not None and (int(match.group(1)), int(match.group(2))) >= oldest,
        "cacheEngineVersion",
        version,
        f"expected a {engine} major.minor version of at least {oldest[0]}.{oldest[1]}, "
        f"e.g. '{CACHE_EXAMPLE_VERSIONS.get(engine, '7.1')}'",
    )
    node_type = r.string("cacheNodeType")
    r.check(
        bool(re.fullmatch(r"cache\.[a-z0-9-]+\.[a-z0-9]+", node_type)),
        "cacheNodeType",
        node_type,
        "expected an ElastiCache node type such as 'cache.t4g.micro' or 'cache.m7g.large'",
    )
    replicas = r.integer("cacheReplicaCount", minimum=0, maximum=5)
    failover = r.boolean("cacheAutomaticFailover")
    multi_az = r.boolean("cacheMultiAz")
    r.check(
        not failover or replicas >= 1,
        "cacheAutomaticFailover",
        failover,
        "true needs cacheReplicaCount of at least 1: failover promotes a replica",
    )
    r.check(
        not multi_az or failover,
        "cacheMultiAz",
        multi_az,
        "true needs cacheAutomaticFailover: true; ElastiCache refuses Multi-AZ without it",
    )
    if stack.is_production:
        r.check(
            replicas >= 1,
            "cacheReplicaCount",
            replicas,
            f"at least 1 is {PRODUCTION_REQUIRED}: with no replica, a node failure loses the sessions and the queued tasks",
        )
        r.check(
            failover,
            "cacheAutomaticFailover",
            failover,
            f"true is {PRODUCTION_REQUIRED}: without it a failed primary stays down until someone promotes a replica",
        )
        r.check(
            multi_az,
            "cacheMultiAz",
            multi_az,
            f"true is {PRODUCTION_REQUIRED}: with every node in one AZ, an AZ outage takes the broker down",
        )
    cluster_mode = r.string("cacheClusterMode", choices=CACHE_CLUSTER_MODES)
    if cluster_mode in CACHE_CLUSTER_MODES:
        r.check(
            cluster_mode == "disabled",
            "cacheClusterMode",
            cluster_mode,
            "only 'disabled' while the Celery worker uses this cache as its broker: Celery's Redis "
            "transport cannot use cluster-mode Redis (its multi-key commands fail with CROSSSLOT errors)",
        )
    maintenance_window, _ = _read_window(r, "cacheMaintenanceWindow", weekly=True, minimum_minutes=60)
    token = r.secret("cacheAuthToken", min_length=16, check=auth_token_problem)
    return CacheSettings(
        engine=engine,  # type: ignore[arg-type]  # checked against CACHE_ENGINES
        engine_version=version,
        node_type=node_type,
        replica_count=replicas,
        automatic_failover=failover,
        multi_az=multi_az,
        snapshot_retention_days=r.integer("cacheSnapshotRetentionDays", minimum=0, maximum=35),
        maintenance_window=maintenance_window,
        cluster_mode="disabled",
        auth_token=token,
    )


def _read_storage(r: _Reader, stack: StackSettings) -> StorageSettings:
    ia_days = r.integer("storageIaTransitionDays", minimum=30, maximum=3650)
    glacier_days = r.integer("storageGlacierTransitionDays", minimum=60, maximum=3650)
    r.check(
        glacier_days >= ia_days + 30,
        "storageGlacierTransitionDays",
        glacier_days,
        f"expected at least storageIaTransitionDays + 30 ({ia_days + 30}): S3 keeps an object 30 days "
        "in Standard-IA before it may move on",
    )
    origins = r.string_list("storageCorsOrigins")
    for origin in origins:
        if origin == "*" or not (HTTPS_ORIGIN.fullmatch(origin) or LOCAL_ORIGIN.fullmatch(origin)):
            r.fail(
                "storageCorsOrigins",
                origin,
                "expected origins such as 'https://app.example.com' (scheme and host, no path, no "
                "wildcard), or 'http://localhost:8000' outside production",
            )
        elif LOCAL_ORIGIN.fullmatch(origin) and stack.is_production:
            r.fail(
                "storageCorsOrigins",
                origin,
                f"https origins only are {PRODUCTION_REQUIRED}: a local origin lets any developer "
                "machine upload to the production bucket",
            )
    replication_region = r.string("storageReplicationRegion")
    own_region = pulumi.Config("aws").get("region")
    if replication_region:
        r.check(
            bool(REGION_PATTERN.fullmatch(replication_region)) and replication_region != own_region,
            "storageReplicationRegion",
            replication_region,
            f"expected an AWS region other than the stack's own ({own_region}), e.g. 'eu-central-1', or '' for none",
        )
    # Never echoed: a private key pasted here by mistake must not reach the terminal or CI logs.
    signing_key = r.string("mediaSigningPublicKey").strip()
    if signing_key and (problem := media_signing_key_problem(signing_key)):
        r.errors.append(f"{r.full_name('mediaSigningPublicKey')}: the value {problem}")
    elif not signing_key and stack.is_production:
        r.errors.append(
            f"{r.full_name('mediaSigningPublicKey')}: not set; a signing key is {PRODUCTION_REQUIRED}, "
            "or payment proofs and certificates cannot be downloaded at all: generate a pair and set the "
            "public half (docs/private-media.md)"
        )
    public_pattern = r.string("mediaPublicPathPattern")
    r.check(
        bool(PUBLIC_MEDIA_PATTERN.fullmatch(public_pattern)),
        "mediaPublicPathPattern",
        public_pattern,
        "expected a folder under /media/ ending in '/*', e.g. '/media/public/*' (letters, digits, '_', "
        "'-', '.'; no other wildcards)",
    )
    return StorageSettings(
        media_signing_public_key=signing_key or None,
        media_public_path_pattern=public_pattern,
        ia_transition_days=ia_days,
        glacier_transition_days=glacier_days,
        noncurrent_expiration_days=r.integer("storageNoncurrentExpirationDays", minimum=1, maximum=3650),
        log_expiration_days=r.integer("storageLogExpirationDays", minimum=1, maximum=3650),
        cors_origins=origins,
        replication_region=replication_region,
    )


# Each field of a component's config and the key it is read from; a test holds them one-to-one.
BASTION_KEYS = {"enabled": "bastionEnabled", "instance_type": "bastionInstanceType"}


def _read_bastion(r: _Reader) -> BastionConfig:
    values = {"enabled": r.boolean("bastionEnabled"), "instance_type": r.string("bastionInstanceType")}
    return r.build(BastionConfig, BASTION_KEYS, values)


def _read_task_size(r: _Reader, role: str) -> tuple[int, int]:
    cpu = r.integer(f"{role}Cpu", choices=FARGATE_SIZES)
    memory = r.integer(f"{role}Memory", minimum=512, maximum=122880)
    if cpu in FARGATE_SIZES:
        problem = fargate_size_problem(cpu, memory)
        r.check(problem is None, f"{role}Memory", memory, problem or "")
    return cpu, memory


def _read_task_count(r: _Reader, role: str, minimum: int) -> tuple[int, int]:
    low = r.integer(f"{role}MinTasks", minimum=minimum, maximum=1000)
    high = r.integer(f"{role}MaxTasks", minimum=1, maximum=1000)
    r.check(high >= low, f"{role}MaxTasks", high, f"expected at least {role}MinTasks ({low})")
    return low, high


def _read_app(r: _Reader, stack: StackSettings) -> AppSettings:
    image = r.string("appImage").strip()
    context = r.string("appDockerContext").strip()
    if bool(image) == bool(context):
        r.fail(
            "appImage",
            image,
            "set exactly one of appImage (an image pinned by tag or digest) and appDockerContext "
            "(a directory to build); the other stays empty",
        )
    elif image:
        problem = image_reference_problem(image)
        r.check(problem is None, "appImage", image, problem or "")

    for key, pattern, example in (
        ("djangoSettingsModule", PYTHON_MODULE, "config.settings.production"),
        ("djangoWsgiApplication", WSGI_CALLABLE, "config.wsgi:application"),
        ("celeryApp", PYTHON_MODULE, "config"),
    ):
        value = r.string(key)
        r.check(bool(pattern.match(value)), key, value, f"expected a Python path such as {example}")

    web_cpu, web_memory = _read_task_size(r, "web")
    worker_cpu, worker_memory = _read_task_size(r, "worker")
    # One web task per AZ is what keeps the site up when an AZ is lost.
    web_min, web_max = _read_task_count(r, "web", minimum=1)
    if stack.is_production:
        r.check(
            web_min >= 2,
            "webMinTasks",
            web_min,
            f"2 or more is {PRODUCTION_REQUIRED}: a single web task is a single point of failure",
        )
    worker_min, worker_max = _read_task_count(r, "worker", minimum=0)

    spot_weight = r.integer("fargateSpotWeight", minimum=0, maximum=1000)
    nightly = r.boolean("nightlyScaleDown")
    if stack.is_production:
        r.check(
            spot_weight == 0,
            "fargateSpotWeight",
            spot_weight,
            f"0 is {PRODUCTION_REQUIRED}: Spot tasks can be reclaimed with two minutes' notice",
        )
        r.check(
            not nightly,
            "nightlyScaleDown",
            nightly,
            f"false is {PRODUCTION_REQUIRED}: it stops the site every night",
        )

    health_check_path = r.string("healthCheckPath")
    r.check(
        health_check_path.startswith("/") and " " not in health_check_path,
        "healthCheckPath",
        health_check_path,
        "expected an absolute URL path such as /health/",
    )
    certificate = r.string("albCertificateArn").strip()
    r.check(
        not certificate or bool(CERTIFICATE_ARN.match(certificate)),
        "albCertificateArn",
        certificate,
        "expected empty or an ACM certificate ARN in the stack's region "
        "(arn:aws:acm:<region>:<account>:certificate/<id>)",
    )
    origin_domain = r.string("albOriginDomainName").strip().lower()
    if origin_domain:
        r.check(
            bool(DOMAIN_PATTERN.match(origin_domain)),
            "albOriginDomainName",
            origin_domain,
            "expected a host name such as 'origin.epicvibe.example.com'",
        )
    r.check(
        bool(certificate) == bool(origin_domain),
        "albOriginDomainName",
        origin_domain,
        "set it together with albCertificateArn, to a name that certificate covers: CloudFront checks the "
        "ALB's certificate against the origin's name, and no certificate can cover the ALB's own DNS name",
    )
    cloudfront_group = r.string("albCloudFrontSecurityGroupId").strip()
    r.check(
        not cloudfront_group or bool(SECURITY_GROUP_ID.match(cloudfront_group)),
        "albCloudFrontSecurityGroupId",
        cloudfront_group,
        "expected empty or the id (sg-...) of CloudFront-VPCOrigins-Service-SG in the stack's VPC",
    )
    schedules = {}
    for key in ("nightlyScaleDownCron", "nightlyScaleUpCron"):
        schedules[key] = r.string(key)
        r.check(
            bool(SCHEDULE.match(schedules[key])),
            key,
            schedules[key],
            "expected an Application Auto Scaling schedule such as cron(0 20 * * ? *)",
        )
    timezone = r.string("scheduleTimezone")
    known_zones = zoneinfo.available_timezones()
    r.check(
        not known_zones or timezone in known_zones,
        "scheduleTimezone",
        timezone,
        "expected an IANA time zone such as UTC or Asia/Jakarta",
    )

    return AppSettings(
        image=image or None,
        docker_context=context or None,
        container_port=r.integer("appContainerPort", minimum=1024, maximum=65535),
        django_settings_module=r.string("djangoSettingsModule"),
        wsgi_application=r.string("djangoWsgiApplication"),
        celery_app=r.string("celeryApp"),
        # Django's own deployment check asks for at least 50 characters.
        django_secret_key=r.secret("djangoSecretKey", min_length=50),
        cpu_architecture=r.string("cpuArchitecture", choices=CPU_ARCHITECTURES),
        web_cpu=web_cpu,
        web_memory=web_memory,
        web_min_tasks=web_min,
        web_max_tasks=web_max,
        web_cpu_target_percent=r.integer("webCpuTargetPercent", minimum=10, maximum=90),
        web_requests_per_target=r.integer("webRequestsPerTarget", minimum=10, maximum=100000),
        worker_cpu=worker_cpu,
        worker_memory=worker_memory,
        worker_min_tasks=worker_min,
        worker_max_tasks=worker_max,
        worker_cpu_target_percent=r.integer("workerCpuTargetPercent", minimum=10, maximum=90),
        beat_enabled=r.boolean("beatEnabled"),
        fargate_spot_weight=spot_weight,
        container_insights=r.string("containerInsights", choices=CONTAINER_INSIGHTS),
        health_check_path=health_check_path,
        health_check_grace_period_seconds=r.integer("healthCheckGracePeriodSeconds", minimum=0, maximum=1800),
        deregistration_delay_seconds=r.integer("deregistrationDelaySeconds", minimum=0, maximum=3600),
        alb_certificate_arn=certificate or None,
        alb_origin_domain_name=origin_domain or None,
        alb_deletion_protection=r.boolean("albDeletionProtection"),
        alb_idle_timeout_seconds=r.integer("albIdleTimeoutSeconds", minimum=1, maximum=4000),
        alb_cloudfront_security_group_id=cloudfront_group or None,
        nightly_scale_down=nightly,
        nightly_scale_down_cron=schedules["nightlyScaleDownCron"],
        nightly_scale_up_cron=schedules["nightlyScaleUpCron"],
        schedule_timezone=timezone,
        xray_enabled=r.boolean("xrayEnabled"),
        ecs_exec_enabled=r.boolean("ecsExecEnabled"),
        extra_egress=_read_extra_egress(r),
    )


def _read_registry(r: _Reader, app: AppSettings) -> RegistrySettings:
    keys = ("imageRepositoryEnabled", "imageKeepReleases", "imagePushSubjects")
    if app.image is None:
        # Building from appDockerContext, awsx owns the repository it pushes to.
        for key in keys:
            r.not_needed(key)
        return RegistrySettings(enabled=False, keep_releases=0, push_subjects=())
    subjects = r.string_list("imagePushSubjects")
    for subject in subjects:
        problem = push_subject_problem(subject)
        r.check(problem is None, "imagePushSubjects", subject, problem or "")
    return RegistrySettings(
        enabled=r.boolean("imageRepositoryEnabled"),
        keep_releases=r.integer("imageKeepReleases", minimum=1, maximum=1000),
        push_subjects=subjects,
    )


def _read_discovery(r: _Reader) -> ServiceDiscoverySettings:
    namespace = r.string("serviceDiscoveryNamespace").strip()
    r.check(
        not namespace or bool(DOMAIN_PATTERN.match(namespace)),
        "serviceDiscoveryNamespace",
        namespace,
        "expected empty or a private DNS name such as 'epicvibe-staging.internal'",
    )
    return ServiceDiscoverySettings(namespace=namespace or None)


def _read_extra_egress(r: _Reader) -> tuple[tuple[str, int], ...]:
    destinations = []
    for entry in r.string_list("appExtraEgress"):
        cidr, _, port = entry.rpartition(":")
        try:
            network = ipaddress.ip_network(cidr, strict=True)
            number = int(port, 10)
        except ValueError:
            network, number = None, 0
        if network is None or network.version != 4 or not 1 <= number <= 65535:
            r.fail(
                "appExtraEgress",
                entry,
                "expected '<IPv4 range>:<TCP port>' such as '0.0.0.0/0:587' (SMTP submission); "
                "HTTPS and the data tier are always allowed",
            )
            continue
        destinations.append((str(network), number))
    return tuple(destinations)


def _read_edge(r: _Reader, stack: StackSettings) -> EdgeSettings:
    waf_enabled = r.boolean("wafEnabled")
    if stack.is_production:
        r.check(
            waf_enabled,
            "wafEnabled",
            waf_enabled,
            f"true is {PRODUCTION_REQUIRED}: the public site must sit behind the WAF",
        )

    domain_name = r.string("domainName").strip()
    if domain_name:
        r.check(
            bool(DOMAIN_PATTERN.match(domain_name)),
            "domainName",
            domain_name,
            "expected a lower-case host name such as 'www.example.com' (no scheme, path or trailing dot)",
        )
    elif stack.is_production:
        r.fail(
            "domainName",
            domain_name,
            f"a host name is {PRODUCTION_REQUIRED}: on the default *.cloudfront.net certificate "
            "CloudFront accepts TLS 1.0 and 1.1, and only a certificate of our own enforces TLS 1.2",
        )
    hosted_zone_id = r.string("hostedZoneId").strip()
    if hosted_zone_id:
        r.check(
            bool(HOSTED_ZONE_PATTERN.match(hosted_zone_id)),
            "hostedZoneId",
            hosted_zone_id,
            "expected a Route 53 hosted zone id such as 'Z0123456789ABCDEFGHIJ'",
        )
    r.check(
        bool(domain_name) == bool(hosted_zone_id),
        "hostedZoneId",
        hosted_zone_id,
        f"set together with domainName (now {domain_name!r}): the certificate is validated and the "
        "alias records are created in that zone",
    )

    repository = r.string("amplifyRepository").strip()
    if repository:
        r.check(
            bool(REPOSITORY_PATTERN.match(repository)),
            "amplifyRepository",
            repository,
            "expected the repository's HTTPS URL, e.g. 'https://github.com/acme/frontend'",
        )
    branch = r.string("amplifyBranch").strip()
    r.check(bool(branch) and " " not in branch, "amplifyBranch", branch, "expected a branch name")
    # The token is only needed with a repository. Without one it is not read at all, so a stack that
    # does not use Amplify neither has to set it nor fails because it is unset.
    prefix = r.string("amplifyDomainPrefix").strip()
    r.check(
        bool(re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", prefix)),
        "amplifyDomainPrefix",
        prefix,
        "expected one lower-case DNS label such as 'app'",
    )
    token: pulumi.Output[str] | None = None
    if repository:
        token = r.secret("amplifyAccessToken", min_length=20, optional=True)
    else:
        r.not_needed("amplifyAccessToken")

    return EdgeSettings(
        waf_enabled=waf_enabled,
        waf_rate_limit=r.integer("wafRateLimit", minimum=10, maximum=2_000_000_000),
        price_class=r.string("priceClass", choices=PRICE_CLASSES),
        domain_name=domain_name or None,
        hosted_zone_id=hosted_zone_id or None,
        amplify_repository=repository or None,
        amplify_branch=branch,
        amplify_access_token=token,
        amplify_domain_prefix=prefix,
    )


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
    if not email and stack.is_production:
        r.fail(
            "alarmEmail",
            email,
            f"an address is {PRODUCTION_REQUIRED}: alarms nobody receives do not page anyone",
        )
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


# --- what AWS offers, and what the policy pack demands ------------------------------------------
# Values that fit their pattern but name nothing AWS has, or that AWS refuses only in combination,
# judged against AWS-maintained catalogs (components/catalogs.py) before any resource exists.

# The pack's cloudwatch-log-retention minimums (policies/platform_guard/operations.py, the defaults
# of its config schema). The pack runs on its own and cannot import them from here;
# tests/test_config_mistakes.py holds the two equal.
LOG_RETENTION_MINIMUM_DAYS = 30
PRODUCTION_LOG_RETENTION_MINIMUM_DAYS = 90
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
    # RDS refuses a storage-autoscaling ceiling less than 10% above the allocated storage.
    if database.max_allocated_storage_gb * 10 < database.allocated_storage_gb * 11:
        check(
            "dbMaxAllocatedStorageGb",
            database.max_allocated_storage_gb,
            f"expected at least 10% above dbAllocatedStorageGb ({database.allocated_storage_gb}), i.e. "
            f"{-(-database.allocated_storage_gb * 11 // 10)} or more: RDS refuses a smaller storage-autoscaling ceiling",
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

    app = settings.app
    certificate = _ACM_ARN_REGION.match(app.alb_certificate_arn or "")
    if certificate and region and certificate["region"] != region:
        check(
            "albCertificateArn",
            app.alb_certificate_arn,
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
    for key, expression in (
        ("nightlyScaleDownCron", app.nightly_scale_down_cron),
        ("nightlyScaleUpCron", app.nightly_scale_up_cron),
    ):
        check(key, expression, schedule_problem(expression))

    production = settings.stack.is_production
    minimum = PRODUCTION_LOG_RETENTION_MINIMUM_DAYS if production else LOG_RETENTION_MINIMUM_DAYS
    scope = f"{PRODUCTION_REQUIRED}" if production else "the policy pack's minimum (cloudwatch-log-retention)"
    for key, days in (
        ("logRetentionDays", settings.observability.log_retention_days),
        ("flowLogsRetentionDays", settings.network.flow_logs_retention_days),
    ):
        if days < minimum:
            check(
                key,
                days,
                f"at least {minimum} days is {scope}: the pack refuses every log group kept less long",
            )


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
    if settings.stack.is_production and not (app.alb_certificate_arn or settings.edge.hosted_zone_id):
        r.fail(
            "albCertificateArn",
            app.alb_certificate_arn or "",
            f"a certificate for the origin is {PRODUCTION_REQUIRED}: set domainName and hostedZoneId "
            "(the stack then creates one for origin.<domainName>) or albCertificateArn, so that "
            "CloudFront reaches the ALB over HTTPS",
        )
    if (
        app.nightly_scale_down
        and app.container_insights == "disabled"
        and app.schedule_timezone in zoneinfo.available_timezones()
        # A schedule refused for itself is reported once, there.
        and schedule_problem(app.nightly_scale_down_cron) is None
        and schedule_problem(app.nightly_scale_up_cron) is None
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
    if app.alb_origin_domain_name and RESERVED_DOMAINS.search(app.alb_origin_domain_name):
        found.append(f"{r.full_name('albOriginDomainName')} ({app.alb_origin_domain_name!r})")
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
        database=_read_database(r, stack),
        cache=_read_cache(r, stack),
        storage=_read_storage(r, stack),
        bastion=_read_bastion(r),
        app=(app := _read_app(r, stack)),
        edge=_read_edge(r, stack),
        observability=_read_observability(r, stack),
        registry=_read_registry(r, app),
        discovery=_read_discovery(r),
    )
    _cross_checks(r, settings)
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
}
