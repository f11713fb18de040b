"""What an operator sets for the Django services, its one validator, and the constants every layer
of the package shares.

The leaf of the package: it imports nothing from the package, so the pure pieces (`workloads`,
`documents`, `containers`) and the component build on it. Pulumi appears only in type annotations
and in one check that a list was not passed as a single Output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from ..app_values import CONTAINER_INSIGHTS, CPU_ARCHITECTURES, fargate_size_problem, image_reference_problem
from ..storage import MediaSigning

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
# Lower-case DNS labels, at least two: the private hosted zone Cloud Map creates for the namespace.
DNS_NAMESPACE = re.compile(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)
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


@dataclass(frozen=True)
class ServiceScaling:
    """Size and scaling bounds of one ECS service."""

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

    def __post_init__(self) -> None:
        problem = fargate_size_problem(self.cpu, self.memory)
        if problem:
            raise ValueError(f"cpu {self.cpu} / memory {self.memory}: {problem}")
        if not 0 <= self.min_tasks <= self.max_tasks or self.max_tasks < 1:
            raise ValueError(
                f"min_tasks {self.min_tasks} / max_tasks {self.max_tasks}: need 0 <= min_tasks <= max_tasks, max_tasks >= 1"
            )
        if not 10 <= self.cpu_target_percent <= 90:
            raise ValueError(f"cpu_target_percent {self.cpu_target_percent}: use 10 to 90")
        if not 10 <= self.memory_target_percent <= 90:
            raise ValueError(f"memory_target_percent {self.memory_target_percent}: use 10 to 90")


@dataclass(frozen=True)
class DjangoServicesArgs:
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private app subnets the tasks run in (never public ones). Required."""
    web_security_group_id: pulumi.Input[str]
    """Security group of the web tasks (the load balancer admits itself into it). Required."""
    worker_security_group_id: pulumi.Input[str]
    """Security group of the worker, beat and one-off tasks such as migrations. Required."""
    target_group_arn: pulumi.Input[str]
    """The load balancer's web target group (`LoadBalancer.target_group_arn`). Required."""
    load_balancer_arn_suffix: pulumi.Input[str]
    """`LoadBalancer.arn_suffix`, for the requests-per-target scaling metric. Required."""
    target_group_arn_suffix: pulumi.Input[str]
    """`LoadBalancer.target_group_arn_suffix`, for the requests-per-target scaling metric. Required."""
    allowed_hosts: Sequence[pulumi.Input[str]]
    """Host names Django accepts (ALLOWED_HOSTS): behind CloudFront's AllViewerExceptHostHeader policy,
    the ALB's DNS name (`Edge.origin_host`). Never `*`. Required."""
    django_secret_key: pulumi.Input[str]
    """The Django SECRET_KEY (a stack secret); stored in Secrets Manager under the KMS key. Required."""
    kms_key_arn: pulumi.Input[str]
    """Stack KMS key: encrypts the secret and the log groups; decrypts via Secrets Manager and S3. Required."""
    database_address: pulumi.Input[str]
    """PostgreSQL primary host name. Required."""
    database_port: pulumi.Input[int]
    """PostgreSQL port. Required."""
    database_name: pulumi.Input[str]
    """Name of the application database. Required."""
    database_reader_addresses: Sequence[pulumi.Input[str]]
    """Read replica host names, one per replica (may be empty): a list, since whether an SSM
    parameter carries them depends on its length (`Database.replica_addresses`). Required."""
    database_resource_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """DbiResourceId of the primary and each replica (`Database.resource_ids`): the task role may
    log in to exactly these as `database_user` with IAM tokens. Required."""
    cache_address: pulumi.Input[str]
    """Redis primary endpoint. Required."""
    cache_reader_address: pulumi.Input[str]
    """Redis reader endpoint. Required."""
    cache_port: pulumi.Input[int]
    """Redis port. Required."""
    cache_auth_secret_arn: pulumi.Input[str]
    """Secret holding the Redis AUTH token. Required."""
    media_bucket_name: pulumi.Input[str]
    """Bucket for user uploads (presigned PUT and GET). Required."""
    media_bucket_arn: pulumi.Input[str]
    """ARN of the media bucket; the only bucket the task role may touch. Required."""
    static_bucket_name: pulumi.Input[str]
    """Bucket CloudFront serves static files from (its name is passed to Django). Required."""
    image: str | None = None
    """Application image, pinned by tag or digest. Default: none (then `docker_context` is required)."""
    docker_context: str | None = None
    """Directory to build the image from into a new ECR repository (awsx). Default: none (use `image`)."""
    dockerfile: str | None = None
    """Dockerfile path when it is not `<docker_context>/Dockerfile`. Default: none."""
    container_port: int = 8000
    """Port gunicorn listens on. Default: 8000."""
    csrf_trusted_origins: Sequence[pulumi.Input[str]] = ()
    """Origins (`https://host`) Django trusts for CSRF: the public site URL, since the Host Django
    sees is the ALB's. Default: none."""
    django_settings_module: str = "config.settings"
    """DJANGO_SETTINGS_MODULE. Default: config.settings."""
    wsgi_application: str = "config.wsgi:application"
    """WSGI callable gunicorn serves. Default: config.wsgi:application."""
    celery_app: str = "config"
    """Module passed to `celery -A`. Default: config."""
    cpu_architecture: str = "ARM64"
    """Fargate CPU architecture, ARM64 (Graviton, cheaper) or X86_64; the image must match. Default: ARM64."""
    web: ServiceScaling = field(default_factory=lambda: ServiceScaling(min_tasks=2, max_tasks=6))
    """Size and scaling of the web service. Default: 512 CPU / 1024 MiB, 2 to 6 tasks, 60% CPU."""
    worker: ServiceScaling = field(default_factory=ServiceScaling)
    """Size and scaling of the Celery worker. Default: 512 CPU / 1024 MiB, 1 to 4 tasks, 60% CPU."""
    web_requests_per_target: int = 400
    """ALB requests per web task per minute autoscaling steers towards. Default: 400."""
    beat_enabled: bool = True
    """Run one Celery beat task for periodic jobs. Default: true."""
    fargate_spot_weight: int = 0
    """Weight of FARGATE_SPOT against FARGATE (weight 1) for web and worker tasks above the base. Default: 0 (no Spot)."""
    fargate_base_tasks: int = 1
    """Tasks of each service that always run on on-demand FARGATE. Default: 1."""
    container_insights: str = "enabled"
    """Container Insights on the cluster: enabled, enhanced or disabled. Default: enabled."""
    health_check_grace_period: int = 60
    """Seconds ECS ignores failing ALB health checks of a new web task while Django starts. Default: 60."""
    load_balancer_idle_timeout: int = 60
    """The ALB's idle timeout; gunicorn keeps connections open longer so the ALB never reuses a
    closed one (which would surface as 502s). Default: 60."""
    log_retention_days: int = 30
    """Days CloudWatch keeps the task and ECS Exec logs. Default: 30."""
    nightly_scale_down: bool = False
    """Scale web, worker and beat to zero on `scale_down_schedule` and back on `scale_up_schedule`
    (for non-production stacks). Default: false."""
    scale_down_schedule: str = "cron(0 20 * * ? *)"
    """Application Auto Scaling schedule of the nightly scale-down. Default: cron(0 20 * * ? *)."""
    scale_up_schedule: str = "cron(0 6 ? * MON-FRI *)"
    """Schedule that restores the normal bounds. Default: cron(0 6 ? * MON-FRI *)."""
    schedule_timezone: str = "UTC"
    """IANA time zone of both schedules. Default: UTC."""
    xray_enabled: bool = False
    """Run the X-Ray daemon as a sidecar of web and worker tasks, with its IAM. Default: false."""
    exec_enabled: bool = False
    """ECS Exec on every service. ECS Exec isn't supported with a read-only root file system, so
    the containers of an Exec-enabled stack get writable ones; sessions are encrypted with the KMS
    key and logged, and `exec_session_policy_arn` says who may start one. Default: false (read-only
    roots, no Exec)."""
    exec_log_retention_days: int = 365
    """Days the ECS Exec audit log is kept (at least 365: who ran what stays answerable for a year).
    Default: 365."""
    database_user: str = "app"
    """Database user the tasks log in as with IAM tokens (`Database.app_username`). Default: "app"."""
    cache_auth_secret_json_key: str | None = None
    """JSON key of the token when the Redis secret is a JSON document. Default: none (plain string)."""
    cache_auth_secret_name: pulumi.Input[str] | None = None
    """Name of that secret (`Cache.auth_secret_name`): the tasks read it through Parameter Store's
    reference by name, known in a preview. Default: none (then `valueFrom` is the secret's ARN, and
    the task definitions can't be judged in a first preview)."""
    secret_recovery_window_days: int = 30
    """Days a deleted SECRET_KEY secret can still be restored. Default: 30."""
    service_discovery_namespace: str | None = None
    """Private DNS namespace (Cloud Map) in `vpc_id`: the web tasks register as `web.<namespace>`,
    and worker and beat tasks may call them there on `container_port` without leaving the VPC.
    Default: none (no service discovery)."""
    vpc_id: pulumi.Input[str] | None = None
    """VPC of the tasks; required with `service_discovery_namespace`. Default: none."""
    media_signing: MediaSigning | None = None
    """Signing key of private media (`Storage.media_signing`). Given, the web container alone gets
    MEDIA_SIGNING_KEY_ID (an SSM parameter) and MEDIA_SIGNING_PRIVATE_KEY (its secret), and the web task
    alone has an execution role that may read that secret. Default: None (no signing)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags merged into every taggable child. Default: none."""

    def __post_init__(self) -> None:
        problems = django_services_problems(self)
        if problems:
            raise ValueError("; ".join(problems))


def django_services_problems(args: DjangoServicesArgs) -> list[str]:
    """Every problem with `args`, each naming the field, the bad value and the fix (none: valid)."""
    return [
        *_wiring_problems(args),
        *_image_problems(args),
        *_choice_problems(args),
        *_range_problems(args),
        *_schedule_problems(args),
    ]


def _wiring_problems(args: DjangoServicesArgs) -> list[str]:
    problems = []
    if args.service_discovery_namespace is not None:
        if not DNS_NAMESPACE.match(args.service_discovery_namespace):
            problems.append(
                f"service_discovery_namespace {args.service_discovery_namespace!r}: use a private "
                "DNS name such as 'epicvibe-staging.internal'"
            )
        if args.vpc_id is None:
            problems.append(
                "service_discovery_namespace needs vpc_id: the namespace is a private zone of the VPC"
            )
    if isinstance(args.database_reader_addresses, (pulumi.Output, str)) or not isinstance(
        args.database_reader_addresses, Sequence
    ):
        problems.append(
            f"database_reader_addresses {args.database_reader_addresses!r}: pass a list with one "
            "address per replica (Database.replica_addresses), not one Output of a list"
        )
    plain_hosts = [h for h in args.allowed_hosts if isinstance(h, str)]
    if not args.allowed_hosts or any(not h.strip() or "*" in h for h in plain_hosts):
        problems.append(
            f"allowed_hosts {list(args.allowed_hosts)!r}: name the host names Django receives "
            "(the ALB DNS name behind CloudFront); '*' and empty names are refused"
        )
    return problems


def _image_problems(args: DjangoServicesArgs) -> list[str]:
    if (args.image is None) == (args.docker_context is None):
        return [
            f"image {args.image!r} / docker_context {args.docker_context!r}: set exactly one, "
            "an image URI pinned by tag or digest, or a directory to build"
        ]
    problem = image_reference_problem(args.image) if args.image is not None else None
    return [f"image {args.image!r}: {problem}"] if problem else []


def _choice_problems(args: DjangoServicesArgs) -> list[str]:
    problems = []
    if args.cpu_architecture not in CPU_ARCHITECTURES:
        problems.append(f"cpu_architecture {args.cpu_architecture!r}: use one of {CPU_ARCHITECTURES}")
    if args.container_insights not in CONTAINER_INSIGHTS:
        problems.append(f"container_insights {args.container_insights!r}: use one of {CONTAINER_INSIGHTS}")
    return problems


# Field: (lowest, highest, the fix). Ranges are the services' own (ECS, ALB and Secrets Manager limits).
_RANGES: Mapping[str, tuple[int, int, str]] = {
    "container_port": (1024, 65535, "use an unprivileged port, 1024 to 65535"),
    "fargate_spot_weight": (0, 1000, "use 0 (no Spot) to 1000"),
    "fargate_base_tasks": (0, 100_000, "use 0 or more"),
    "web_requests_per_target": (10, 100_000, "use 10 to 100000"),
    "health_check_grace_period": (0, 2_147_483_647, "use 0 or more seconds"),
    "load_balancer_idle_timeout": (1, 4000, "use 1 to 4000 seconds"),
}


def _range_problems(args: DjangoServicesArgs) -> list[str]:
    problems = [
        f"{name} {getattr(args, name)}: {fix}"
        for name, (low, high, fix) in _RANGES.items()
        if not low <= getattr(args, name) <= high
    ]
    if args.exec_log_retention_days < 365:
        problems.append(
            f"exec_log_retention_days {args.exec_log_retention_days}: keep the Exec audit log at least 365 days"
        )
    window = args.secret_recovery_window_days
    if not 0 <= window <= 30 or window in range(1, 7):
        problems.append(f"secret_recovery_window_days {window}: use 7 to 30 (or 0 to delete at once)")
    return problems


def _schedule_problems(args: DjangoServicesArgs) -> list[str]:
    problems = []
    for key in ("scale_down_schedule", "scale_up_schedule"):
        value = getattr(args, key)
        if not value.startswith(("cron(", "rate(", "at(")) or not value.endswith(")"):
            problems.append(
                f"{key} {value!r}: use an Application Auto Scaling schedule, e.g. cron(0 20 * * ? *)"
            )
    return problems
