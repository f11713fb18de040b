"""Stack settings: every config key the program reads, typed, defaulted and validated.

`Pulumi.yaml` declares each key (type, description, default); this module reads the stack's values
into frozen dataclasses and checks them before any resource exists. All problems are reported at
once, in one `pulumi.RunError` whose lines name the key, the value received and what is allowed, so
`pulumi up` stops with a message and no Python traceback.

Production-only requirements (a NAT gateway per AZ, a Multi-AZ database, WAF) are rules on the
settings keyed by `stackProfile`, never `if stack == "prod"` inside a component: a stack is
production-shaped because its config says so, whatever it is called.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pulumi
import yaml

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
# CloudWatch Logs rejects any other retention value.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
PRODUCTION_REQUIRED = "required when stackProfile is 'production'"
APP_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,20}$")
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# A fully qualified host name in lower case: labels of letters, digits and inner hyphens, at least two.
DOMAIN_PATTERN = re.compile(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)
HOSTED_ZONE_PATTERN = re.compile(r"^Z[A-Z0-9]{1,31}$")
REPOSITORY_PATTERN = re.compile(r"^https://[A-Za-z0-9.-]+/\S+[^/\s]$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
class DatabaseSettings:
    """Filled by the data tier; for now only what the production rules need."""

    multi_az: bool


@dataclass(frozen=True)
class CacheSettings:
    """Placeholder: the data tier adds the ElastiCache settings."""


@dataclass(frozen=True)
class AppSettings:
    """Placeholder: the application tier adds the ECS settings."""


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


@dataclass(frozen=True)
class AlarmThresholdSettings:
    """Field names match `components.observability.AlarmThresholds`, so the one builds the other."""

    alb_5xx_percent: int
    response_time_p95_ms: int
    unhealthy_hosts: int
    ecs_cpu_percent: int
    ecs_memory_percent: int
    rds_cpu_percent: int
    rds_free_storage_gib: int
    rds_connections: int
    rds_replica_lag_seconds: int
    redis_cpu_percent: int
    redis_memory_percent: int
    redis_evictions: int
    waf_blocked_requests: int


@dataclass(frozen=True)
class ObservabilitySettings:
    log_retention_days: int
    alarm_email: str | None
    """None: nobody is subscribed to the alarm topic."""
    alarms: AlarmThresholdSettings


@dataclass(frozen=True)
class Settings:
    stack: StackSettings
    network: NetworkSettings
    database: DatabaseSettings
    cache: CacheSettings
    app: AppSettings
    edge: EdgeSettings
    observability: ObservabilitySettings


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
    document = yaml.safe_load(project_file.read_text())
    keys: dict[str, DeclaredKey] = {}
    for name, spec in (document.get("config") or {}).items():
        keys[name] = DeclaredKey(
            name, spec["type"], spec.get("default"), spec.get("description", ""), bool(spec.get("secret"))
        )
    return keys


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

    def secret(self, key: str, *, min_length: int = 1) -> pulumi.Output[str]:
        """A stack secret (`pulumi config set --secret`). It has no default; its value is never
        printed, only its length checked."""
        if key not in self._declared or not self._declared[key].secret:
            raise KeyError(
                f"settings.py reads '{key}' as a secret, which Pulumi.yaml does not declare secret"
            )
        self.read.add(key)
        value = self._config.get_secret(key)
        if value is None:
            self.errors.append(
                f"{self.full_name(key)}: not set; set it with `pulumi config set --secret {key} <value>`"
            )
            return pulumi.Output.secret("")

        def check_length(text: str) -> str:
            if len(text) < min_length:
                raise pulumi.RunError(
                    f"{self.full_name(key)}: the secret is {len(text)} characters long; at least {min_length} required"
                )
            return text

        return value.apply(check_length)

    def check(self, ok: bool, key: str, value: Any, allowed: str) -> None:
        if not ok:
            self.fail(key, value, allowed)


def _present_keys(project: str) -> set[str]:
    """Keys of this project set for the stack, wherever the runtime got them from."""
    prefix = f"{project}:"
    names = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())
    return {name[len(prefix) :] for name in names if name.startswith(prefix)}


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


def _read_database(r: _Reader, stack: StackSettings) -> DatabaseSettings:
    multi_az = r.boolean("dbMultiAz")
    if stack.is_production:
        r.check(
            multi_az,
            "dbMultiAz",
            multi_az,
            f"true is {PRODUCTION_REQUIRED}: a single-AZ database is down for the length of an AZ outage",
        )
    return DatabaseSettings(multi_az=multi_az)


def _read_cache(r: _Reader, stack: StackSettings) -> CacheSettings:
    return CacheSettings()


def _read_app(r: _Reader, stack: StackSettings) -> AppSettings:
    return AppSettings()


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
    token: pulumi.Output[str] | None = None
    if repository:
        token = r.secret("amplifyAccessToken", min_length=20)
    else:
        r.read.add("amplifyAccessToken")

    return EdgeSettings(
        waf_enabled=waf_enabled,
        waf_rate_limit=r.integer("wafRateLimit", minimum=10, maximum=2_000_000_000),
        price_class=r.string("priceClass", choices=PRICE_CLASSES),
        domain_name=domain_name or None,
        hosted_zone_id=hosted_zone_id or None,
        amplify_repository=repository or None,
        amplify_branch=branch,
        amplify_access_token=token,
    )


def _read_observability(r: _Reader, stack: StackSettings) -> ObservabilitySettings:
    email = r.string("alarmEmail").strip()
    if email:
        r.check(bool(EMAIL_PATTERN.match(email)), "alarmEmail", email, "expected an e-mail address")
    elif stack.is_production:
        r.fail(
            "alarmEmail",
            email,
            f"an address is {PRODUCTION_REQUIRED}: alarms nobody receives do not page anyone",
        )

    def percent(key: str) -> int:
        return r.integer(key, minimum=1, maximum=100)

    alarms = AlarmThresholdSettings(
        alb_5xx_percent=percent("alarmAlb5xxPercent"),
        response_time_p95_ms=r.integer("alarmResponseTimeP95Ms", minimum=50, maximum=60_000),
        unhealthy_hosts=r.integer("alarmUnhealthyHosts", minimum=1, maximum=100),
        ecs_cpu_percent=percent("alarmEcsCpuPercent"),
        ecs_memory_percent=percent("alarmEcsMemoryPercent"),
        rds_cpu_percent=percent("alarmRdsCpuPercent"),
        rds_free_storage_gib=r.integer("alarmRdsFreeStorageGib", minimum=1, maximum=65_536),
        rds_connections=r.integer("alarmRdsConnections", minimum=1, maximum=100_000),
        rds_replica_lag_seconds=r.integer("alarmRdsReplicaLagSeconds", minimum=1, maximum=86_400),
        redis_cpu_percent=percent("alarmRedisCpuPercent"),
        redis_memory_percent=percent("alarmRedisMemoryPercent"),
        redis_evictions=r.integer("alarmRedisEvictions", minimum=0, maximum=1_000_000),
        waf_blocked_requests=r.integer("alarmWafBlockedRequests", minimum=1, maximum=100_000_000),
    )
    return ObservabilitySettings(
        log_retention_days=r.integer("logRetentionDays", choices=LOG_RETENTION_DAYS),
        alarm_email=email or None,
        alarms=alarms,
    )


def _cross_checks(r: _Reader, settings: Settings) -> None:
    """Rules that involve settings of more than one tier."""


def load_settings(
    config: pulumi.Config | None = None, declared: Mapping[str, DeclaredKey] | None = None
) -> Settings:
    """Read and validate every setting, or stop the program with one message listing all problems."""
    config = config or pulumi.Config()
    declared = declared if declared is not None else declared_keys()
    r = _Reader(config, declared)

    stack = _read_stack(r)
    settings = Settings(
        stack=stack,
        network=_read_network(r, stack),
        database=_read_database(r, stack),
        cache=_read_cache(r, stack),
        app=_read_app(r, stack),
        edge=_read_edge(r, stack),
        observability=_read_observability(r, stack),
    )
    _cross_checks(r, settings)

    for unknown in sorted(_present_keys(config.name) - set(declared)):
        close = difflib.get_close_matches(unknown, declared, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        r.errors.append(f"{r.full_name(unknown)}: unknown key; {hint}declared keys are listed in Pulumi.yaml")

    unread = set(declared) - r.read
    if unread:
        raise KeyError(f"Pulumi.yaml declares keys settings.py never reads: {sorted(unread)}")

    if r.errors:
        raise pulumi.RunError(
            f"invalid configuration for stack '{settings.stack.stack}':\n  - " + "\n  - ".join(r.errors)
        )
    return settings
