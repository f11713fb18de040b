"""What an operator sets for the Django services, its one validator, and the constants every layer
of the package shares.

The leaf of the package: it imports nothing from the package, so the pure pieces (`workloads`,
`documents`, `containers`) and the component build on it. Pulumi appears only in type annotations
and in one check that a list was not passed as a single Output.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from ..app_values import (
    CONTAINER_INSIGHTS,
    CPU_ARCHITECTURES,
    FARGATE_SIZES,
    PYTHON_MODULE,
    WSGI_CALLABLE,
    fargate_size_problem,
    image_reference_problem,
    schedule_problem,
)
from ..config_base import Problem, ValidatedConfig, between, collect, one_of
from ..discovery import DiscoveryConfig
from ..handles import (
    AlbTarget,
    Buckets,
    CacheEndpoint,
    DatabaseEndpoint,
    Placement,
    Site,
    StackWide,
    WorkloadGroups,
)
from ..observability.schedule_window import wanted_slots
from ..storage import MediaSigning

# The system's time zones, listed once per process: listing them walks the whole tz database (about
# 15 ms), and every ServicesConfig built checks its schedule's zone.
_time_zones = functools.cache(zoneinfo.available_timezones)

XRAY_DAEMON_IMAGE = "public.ecr.aws/xray/aws-xray-daemon:3.x"
XRAY_DAEMON_PORT = 2000
# Fargate stops a container this long after SIGTERM; 120 s is its maximum. Celery finishes the tasks
# it is running in that time (warm shutdown); gunicorn drains in-flight requests.
WORKER_STOP_TIMEOUT = 120
WEB_STOP_TIMEOUT = 30
# Writable scratch space on Fargate's ephemeral storage, so the root file system can stay read-only.
# The three SSM agent paths are what ECS Exec's agent writes to; without them it cannot start in a
# read-only container (AWS containers-roadmap issue 1359 documents this workaround).
WRITABLE_PATHS = {
    "tmp": "/tmp",
    "ssm-agent-state": "/var/lib/amazon/ssm",
    "ssm-agent-logs": "/var/log/amazon/ssm",
    "managed-agents": "/managed-agents",
}
# Environment names that look like credentials; the policy pack refuses them in plain environment.
CREDENTIAL_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY")
# ...unless the next word says the value only names one (MEDIA_SIGNING_KEY_ID is CloudFront's key id).
IDENTIFIER_WORDS = ("ID", "ARN")
# Settings whose values other resources compute when they are created. In `environment` they would
# leave the whole containerDefinitions string unknown in a first preview; ECS reads them from SSM
# String parameters instead (`secrets`), whose ARNs are known: they are not secret, only late.
LATE_SETTINGS = (
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_HOST",
    "DATABASE_READER_HOSTS",
    "REDIS_HOST",
    "REDIS_READER_HOST",
)
# Parameter Store serves a Secrets Manager secret under this path by the secret's name (AWS Systems
# Manager guide, "Referencing AWS Secrets Manager secrets from Parameter Store parameters"); ECS
# accepts such a parameter's ARN in `valueFrom`. Unlike the secret's own ARN, which ends in six
# random characters AWS adds at creation, it is known in a preview.
SECRETS_MANAGER_REFERENCE = "/aws/reference/secretsmanager/"
# SSM refuses parameter names that begin with these (case-insensitive).
SSM_RESERVED_PREFIXES = ("aws", "ssm")
# ECS accepts a healthCheckGracePeriodSeconds up to 2,147,483,647 (the API's Integer maximum), but
# while it runs ECS replaces no web task that fails its health checks: a task still unhealthy after
# half an hour is broken, not starting. The project's cap, stricter than the API's.
HEALTH_CHECK_GRACE_PERIOD_MAX_SECONDS = 1800
MAX_TASKS = 1000


def scaling_problems(
    values: Mapping[str, Any], names: Mapping[str, str], *, fewest_tasks: int = 0
) -> list[Problem]:
    """The rules of one service's size and bounds, on `values` keyed by `names`' values: `names` maps
    cpu, memory, min_tasks, max_tasks, cpu_target_percent (and optionally memory_target_percent)
    to the fields that hold them, and the problems name those fields."""
    cpu, memory = values[names["cpu"]], values[names["memory"]]
    low, high = values[names["min_tasks"]], values[names["max_tasks"]]
    found = [
        one_of(names["cpu"], cpu, FARGATE_SIZES),
        between(names["min_tasks"], low, fewest_tasks, MAX_TASKS),
        between(names["max_tasks"], high, 1, MAX_TASKS),
        between(names["cpu_target_percent"], values[names["cpu_target_percent"]], 10, 90),
    ]
    if "memory_target_percent" in names:
        found.append(between(names["memory_target_percent"], values[names["memory_target_percent"]], 10, 90))
    if cpu in FARGATE_SIZES and (problem := fargate_size_problem(cpu, memory)):
        found.append(Problem(field=names["memory"], value=memory, fix=problem))
    if high < low and fewest_tasks <= low <= MAX_TASKS and 1 <= high <= MAX_TASKS:
        found.append(
            Problem(
                field=names["max_tasks"], value=high, fix=f"expected at least the minimum task count ({low})"
            )
        )
    return collect(*found)


@dataclass(frozen=True, kw_only=True)
class ServiceScaling(ValidatedConfig):
    """Size and scaling bounds of one ECS service (`ServicesConfig.web` and `.worker`)."""

    cpu: int = 512
    """Task CPU units (1024 = 1 vCPU), a Fargate size. Default: 512."""
    memory: int = 1024
    """Task memory in MiB, one Fargate accepts with `cpu`. Default: 1024."""
    min_tasks: int = 1
    """Fewest tasks autoscaling keeps running. Default: 1."""
    max_tasks: int = 4
    """Most tasks autoscaling may start. Default: 4."""
    cpu_target_percent: int = 60
    """Average CPU utilisation autoscaling steers towards. Default: 60."""
    memory_target_percent: int = 75
    """Average memory utilisation autoscaling steers towards (a leak or a big queue shows here before
    CPU). Default: 75."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        return scaling_problems(values, {name: name for name in values})


# Each workload the operator sizes, and its fields in `ServicesConfig`.
SIZED_WORKLOADS: Mapping[str, Mapping[str, str]] = {
    role: {
        "cpu": f"{role}_cpu_units",
        "memory": f"{role}_memory_mib",
        "min_tasks": f"{role}_min_tasks",
        "max_tasks": f"{role}_max_tasks",
        "cpu_target_percent": f"{role}_cpu_target_percent",
    }
    for role in ("web", "worker")
}
# One web task per AZ is what keeps the site up when an AZ is lost; a worker may scale to zero.
FEWEST_TASKS = {"web": 1, "worker": 0}


@dataclass(frozen=True, kw_only=True)
class ServicesConfig(ValidatedConfig):
    """What an operator sets for the Django services: the image, the Python entry points, each
    workload's size and bounds, and how the stack runs and watches them."""

    image: str | None
    """Application image pinned by tag or digest; None: build `docker_context` (exactly one is set)."""
    docker_context: str | None
    """Directory with a Dockerfile to build into a new ECR repository; None: run `image`."""
    container_port: int
    """Port gunicorn listens on in the web container (1024-65535)."""
    django_settings_module: str
    """DJANGO_SETTINGS_MODULE, a dotted Python module path."""
    wsgi_application: str
    """WSGI callable gunicorn serves, `module.path:name`."""
    celery_app: str
    """Module passed to `celery -A`."""
    django_secret_key: pulumi.Output[str]
    """The Django SECRET_KEY, a stack secret (its length is checked where it is read; never shown)."""
    cpu_architecture: str
    """Fargate CPU architecture, ARM64 (Graviton) or X86_64; the image must match."""
    web_cpu_units: int
    """Web task CPU units (1024 = 1 vCPU), a Fargate size."""
    web_memory_mib: int
    """Web task memory in MiB, one Fargate accepts with `web_cpu_units`."""
    web_min_tasks: int
    """Fewest web tasks autoscaling keeps (at least 1)."""
    web_max_tasks: int
    """Most web tasks autoscaling may start."""
    web_cpu_target_percent: int
    """Average web CPU utilisation autoscaling steers towards (10-90)."""
    web_requests_per_target: int
    """ALB requests per web task per minute autoscaling steers towards."""
    worker_cpu_units: int
    """Celery worker task CPU units, a Fargate size (beat and the one-off tasks share it)."""
    worker_memory_mib: int
    """Worker task memory in MiB, one Fargate accepts with `worker_cpu_units`."""
    worker_min_tasks: int
    """Fewest worker tasks autoscaling keeps (may be 0)."""
    worker_max_tasks: int
    """Most worker tasks autoscaling may start."""
    worker_cpu_target_percent: int
    """Average worker CPU utilisation autoscaling steers towards (10-90)."""
    beat_enabled: bool
    """Run one Celery beat task for periodic jobs."""
    fargate_spot_weight: int
    """Weight of FARGATE_SPOT against FARGATE (weight 1) above the on-demand base; 0: no Spot."""
    container_insights: str
    """Container Insights on the cluster: enabled, enhanced or disabled."""
    health_check_grace_period_seconds: int
    """Seconds ECS ignores a new web task's failing health checks while Django starts."""
    nightly_scale_down: bool
    """Scale every service to zero on `nightly_scale_down_cron` and back on `nightly_scale_up_cron`."""
    nightly_scale_down_cron: str
    """Application Auto Scaling schedule of the nightly scale-down."""
    nightly_scale_up_cron: str
    """Schedule that restores the normal bounds."""
    schedule_timezone: str
    """IANA time zone of both schedules."""
    xray_enabled: bool
    """Run the X-Ray daemon as a sidecar of web and worker tasks, with its IAM."""
    ecs_exec_enabled: bool
    """ECS Exec on every service; its containers then get writable root file systems."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        found: list[Problem | None] = [
            between("container_port", values["container_port"], 1024, 65535, "an unprivileged port"),
            one_of("cpu_architecture", values["cpu_architecture"], CPU_ARCHITECTURES),
            between("web_requests_per_target", values["web_requests_per_target"], 10, 100_000),
            between("fargate_spot_weight", values["fargate_spot_weight"], 0, 1000),
            one_of("container_insights", values["container_insights"], CONTAINER_INSIGHTS),
            between(
                "health_check_grace_period_seconds",
                values["health_check_grace_period_seconds"],
                0,
                HEALTH_CHECK_GRACE_PERIOD_MAX_SECONDS,
                "ECS replaces no failing web task while it runs",
            ),
        ]
        image, context = values["image"], values["docker_context"]
        if (image is None) == (context is None):
            found.append(
                Problem(
                    field="image",
                    value=image or "",
                    fix="set exactly one of appImage (an image pinned by tag or digest) and "
                    "appDockerContext (a directory to build); the other stays empty",
                )
            )
        elif image is not None and (problem := image_reference_problem(image)):
            found.append(Problem(field="image", value=image, fix=problem))
        for name, pattern, example in (
            ("django_settings_module", PYTHON_MODULE, "config.settings.production"),
            ("wsgi_application", WSGI_CALLABLE, "config.wsgi:application"),
            ("celery_app", PYTHON_MODULE, "config"),
        ):
            if not pattern.match(values[name]):
                found.append(
                    Problem(field=name, value=values[name], fix=f"expected a Python path such as {example}")
                )
        for name in ("nightly_scale_down_cron", "nightly_scale_up_cron"):
            if problem := schedule_problem(values[name]):
                found.append(Problem(field=name, value=values[name], fix=problem))
        zones = _time_zones()
        if zones and values["schedule_timezone"] not in zones:
            found.append(
                Problem(
                    field="schedule_timezone",
                    value=values["schedule_timezone"],
                    fix="expected an IANA time zone such as UTC or Asia/Jakarta",
                )
            )
        problems = collect(*found)
        for role, names in SIZED_WORKLOADS.items():
            problems += scaling_problems(values, names, fewest_tasks=FEWEST_TASKS[role])
        return problems

    def _scaling(self, role: str) -> ServiceScaling:
        names = SIZED_WORKLOADS[role]
        return ServiceScaling(
            cpu=getattr(self, names["cpu"]),
            memory=getattr(self, names["memory"]),
            min_tasks=getattr(self, names["min_tasks"]),
            max_tasks=getattr(self, names["max_tasks"]),
            cpu_target_percent=getattr(self, names["cpu_target_percent"]),
        )

    @property
    def web(self) -> ServiceScaling:
        """Size and scaling of the web service."""
        return self._scaling("web")

    @property
    def worker(self) -> ServiceScaling:
        """Size and scaling of the Celery worker (and the size of beat and the one-off tasks)."""
        return self._scaling("worker")

    @property
    def web_wanted_slots(self) -> frozenset[tuple[int, int]] | None:
        """UTC (weekday, hour) slots the nightly schedule wants web tasks in; None without a nightly
        scale-down or for schedules the no-healthy-hosts alarm cannot turn into hours."""
        if not self.nightly_scale_down:
            return None
        return wanted_slots(self.nightly_scale_down_cron, self.nightly_scale_up_cron, self.schedule_timezone)


@dataclass(frozen=True)
class DjangoServicesArgs:
    config: ServicesConfig
    """What the operator set: image, entry points, sizes, scaling, schedules, X-Ray, ECS Exec. Required."""
    placement: Placement
    """The network (`Network.placement`): the tasks run in its private app subnets (never public
    ones), and the service discovery namespace is a private zone of its VPC. Required."""
    workloads: WorkloadGroups
    """The tasks' security groups (`WorkloadSecurityGroups.groups`): web tasks in the web group (the
    load balancer admits itself into it); worker, beat and one-off tasks such as migrations in the
    worker group. Required."""
    load_balancer: AlbTarget
    """The load balancer (`LoadBalancer.target`): web tasks register in its target group; its ARN
    suffixes name the requests-per-target scaling metric; gunicorn keeps idle connections open longer
    than its idle timeout, so it never reuses a closed one (which would surface as 502s). Required."""
    site: Site
    """The public site (`Edge.site`). Django accepts exactly its `origin_host` (the ALB's name, the Host
    CloudFront's AllViewerExceptHostHeader policy sends) and its `host` (X-Forwarded-Host) as
    ALLOWED_HOSTS, never `*`; and trusts its `url` for CSRF, since the Host Django sees is the ALB's.
    Required."""
    stack: StackWide
    """The stack's shared values: its KMS key encrypts the secret and the log groups (and is used
    through Secrets Manager and S3); its log retention for the task logs (the ECS Exec audit log is
    kept at least 365 days); its recovery window for a deleted SECRET_KEY secret; `tags`. Required."""
    database: DatabaseEndpoint
    """PostgreSQL (`Database.connection`): primary and replica host names (a list, since whether an SSM
    parameter carries them depends on its length), port, database name; and the DbiResourceIds the
    task role may log in to as its `app_username` with IAM tokens. Required."""
    cache: CacheEndpoint
    """Redis (`Cache.endpoint`): primary and reader endpoints, port, and the AUTH token's secret, which
    the tasks read through Parameter Store's reference by its name (known in a preview). Required."""
    buckets: Buckets
    """The buckets (`Storage.buckets`): media for user uploads (presigned PUT and GET; the only bucket
    the task role may touch), static (its name is passed to Django). With `media_signing` (private
    media), the web container alone gets MEDIA_SIGNING_KEY_ID (an SSM parameter) and
    MEDIA_SIGNING_PRIVATE_KEY (its secret), and the web task alone has an execution role that may read
    that secret. Required."""
    dockerfile: str | None = None
    """Dockerfile path when it is not `<config.docker_context>/Dockerfile`. Default: none."""
    fargate_base_tasks: int = 1
    """Tasks of each service that always run on on-demand FARGATE. Default: 1."""
    cache_auth_secret_json_key: str | None = None
    """JSON key of the token when the Redis secret is a JSON document (the tasks then read the secret
    by its ARN). Default: none (plain string)."""
    discovery: DiscoveryConfig = field(default_factory=lambda: DiscoveryConfig(namespace=None))
    """Service discovery: with a `namespace`, a private DNS namespace (Cloud Map) in the placement's
    VPC where the web tasks register as `web.<namespace>`, and worker and beat tasks may call them there
    on `container_port` without leaving the VPC. Default: no namespace (no service discovery)."""

    def __post_init__(self) -> None:
        problems = django_services_problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def exec_log_retention_days(self) -> int:
        """Days the ECS Exec audit log is kept: the stack's retention, but at least 365, so who ran
        what stays answerable for a year."""
        return max(365, self.stack.log_retention_days)

    @property
    def allowed_hosts(self) -> list[pulumi.Input[str]]:
        """ALLOWED_HOSTS: the Host the ALB forwards (its own name, behind CloudFront) and the site's."""
        return [self.site.origin_host, self.site.host]

    @property
    def csrf_trusted_origins(self) -> list[pulumi.Input[str]]:
        """CSRF_TRUSTED_ORIGINS: the public site's URL."""
        return [self.site.url]

    @property
    def media_signing(self) -> MediaSigning | None:
        """Private media's signing key (`Storage.media_signing`), or None."""
        signing: MediaSigning | None = self.buckets.media_signing
        return signing


def django_services_problems(args: DjangoServicesArgs) -> list[str]:
    """Every problem with the inputs besides `config` (which checked itself), each naming the field,
    the bad value and the fix (none: valid)."""
    return [*_wiring_problems(args), *_range_problems(args)]


def _wiring_problems(args: DjangoServicesArgs) -> list[str]:
    problems = []
    readers = args.database.reader_addresses
    if isinstance(readers, (pulumi.Output, str)) or not isinstance(readers, Sequence):
        problems.append(
            f"database.reader_addresses {readers!r}: pass a list with one address per replica "
            "(Database.replica_addresses), not one Output of a list"
        )
    hosts = args.allowed_hosts
    plain_hosts = [h for h in hosts if isinstance(h, str)]
    if any(not h.strip() or "*" in h for h in plain_hosts):
        problems.append(
            f"site hosts {plain_hosts!r}: ALLOWED_HOSTS takes the site's origin_host and host, which "
            "must name the hosts Django receives (the ALB DNS name behind CloudFront, the public "
            "host); '*' and empty names are refused"
        )
    return problems


# Field: (lowest, highest, the fix). Ranges are the services' own (ECS, ALB and Secrets Manager limits).
_RANGES: Mapping[str, tuple[int, int, str]] = {
    "fargate_base_tasks": (0, 100_000, "use 0 or more"),
    "load_balancer.idle_timeout_seconds": (1, 4000, "use 1 to 4000 seconds"),
}


def _field(args: DjangoServicesArgs, dotted: str) -> Any:
    value: Any = args
    for name in dotted.split("."):
        value = getattr(value, name)
    return value


def _range_problems(args: DjangoServicesArgs) -> list[str]:
    problems = [
        f"{name} {_field(args, name)}: {fix}"
        for name, (low, high, fix) in _RANGES.items()
        if not low <= _field(args, name) <= high
    ]
    return problems
