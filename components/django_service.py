"""The Django application on ECS Fargate: web (gunicorn) behind the internal ALB, Celery worker and
optional beat, a migrations task definition, autoscaling, IAM, log groups and the SECRET_KEY secret.

Everything runs in the private app subnets without public IPs. Credentials reach the containers
only through the task definitions' `secrets` (Secrets Manager, decrypted by the execution role);
the plain environment carries ports, bucket names and settings, nothing that grants access.

Every value in the container definitions is known before anything is created, so that a pull
request's preview judges them whole (docs/preview-coverage.md): what other resources compute at
creation (database and cache endpoints, the site's and the load balancer's host names) reaches the
containers through SSM parameters with names fixed here, and secrets through Parameter Store's
references to Secrets Manager by name; both are ARNs built from invokes, which a preview runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, service_trust_policy, type_token
from .app_values import (
    CONTAINER_INSIGHTS,
    CPU_ARCHITECTURES,
    ecr_repository_arn,
    fargate_size_problem,
    image_reference_problem,
)
from .release_tasks import COMMANDS, RELEASE_TASKS, static_writer_policy
from .storage import MediaSigning

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
        if self.service_discovery_namespace is not None:
            if not DNS_NAMESPACE.match(self.service_discovery_namespace):
                raise ValueError(
                    f"service_discovery_namespace {self.service_discovery_namespace!r}: use a private "
                    "DNS name such as 'epicvibe-staging.internal'"
                )
            if self.vpc_id is None:
                raise ValueError(
                    "service_discovery_namespace needs vpc_id: the namespace is a private zone of the VPC"
                )
        if isinstance(self.database_reader_addresses, (pulumi.Output, str)) or not isinstance(
            self.database_reader_addresses, Sequence
        ):
            raise ValueError(
                f"database_reader_addresses {self.database_reader_addresses!r}: pass a list with one "
                "address per replica (Database.replica_addresses), not one Output of a list"
            )
        if (self.image is None) == (self.docker_context is None):
            raise ValueError(
                f"image {self.image!r} / docker_context {self.docker_context!r}: set exactly one, "
                "an image URI pinned by tag or digest, or a directory to build"
            )
        if self.image is not None:
            problem = image_reference_problem(self.image)
            if problem:
                raise ValueError(f"image {self.image!r}: {problem}")
        if not 1024 <= self.container_port <= 65535:
            raise ValueError(f"container_port {self.container_port}: use an unprivileged port, 1024 to 65535")
        plain_hosts = [h for h in self.allowed_hosts if isinstance(h, str)]
        if not self.allowed_hosts or any(not h.strip() or "*" in h for h in plain_hosts):
            raise ValueError(
                f"allowed_hosts {list(self.allowed_hosts)!r}: name the host names Django receives "
                "(the ALB DNS name behind CloudFront); '*' and empty names are refused"
            )
        if self.cpu_architecture not in CPU_ARCHITECTURES:
            raise ValueError(f"cpu_architecture {self.cpu_architecture!r}: use one of {CPU_ARCHITECTURES}")
        if self.container_insights not in CONTAINER_INSIGHTS:
            raise ValueError(
                f"container_insights {self.container_insights!r}: use one of {CONTAINER_INSIGHTS}"
            )
        if not 0 <= self.fargate_spot_weight <= 1000:
            raise ValueError(f"fargate_spot_weight {self.fargate_spot_weight}: use 0 (no Spot) to 1000")
        if not 0 <= self.fargate_base_tasks <= 100_000:
            raise ValueError(f"fargate_base_tasks {self.fargate_base_tasks}: use 0 or more")
        if not 10 <= self.web_requests_per_target <= 100_000:
            raise ValueError(f"web_requests_per_target {self.web_requests_per_target}: use 10 to 100000")
        if not 0 <= self.health_check_grace_period <= 2_147_483_647:
            raise ValueError(
                f"health_check_grace_period {self.health_check_grace_period}: use 0 or more seconds"
            )
        if not 1 <= self.load_balancer_idle_timeout <= 4000:
            raise ValueError(
                f"load_balancer_idle_timeout {self.load_balancer_idle_timeout}: use 1 to 4000 seconds"
            )
        for key in ("scale_down_schedule", "scale_up_schedule"):
            value = getattr(self, key)
            if not value.startswith(("cron(", "rate(", "at(")) or not value.endswith(")"):
                raise ValueError(
                    f"{key} {value!r}: use an Application Auto Scaling schedule, e.g. cron(0 20 * * ? *)"
                )
        if self.exec_log_retention_days < 365:
            raise ValueError(
                f"exec_log_retention_days {self.exec_log_retention_days}: keep the Exec audit log at least 365 days"
            )
        if not 0 <= self.secret_recovery_window_days <= 30 or self.secret_recovery_window_days in range(1, 7):
            raise ValueError(
                f"secret_recovery_window_days {self.secret_recovery_window_days}: use 7 to 30 (or 0 to delete at once)"
            )


class DjangoServices(pulumi.ComponentResource):
    """ECS cluster with the web, worker and beat services and the migrations task definition."""

    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    web_service_name: pulumi.Output[str]
    worker_service_name: pulumi.Output[str]
    beat_service_name: pulumi.Output[str] | None
    migrate_task_definition_arn: pulumi.Output[str]
    collectstatic_task_definition_arn: pulumi.Output[str]
    release_task_urns: pulumi.Output[list[str]]
    task_subnet_ids: pulumi.Output[list[str]]
    task_security_group_ids: pulumi.Output[list[str]]
    log_group_names: pulumi.Output[list[str]]
    image_uri: pulumi.Output[str]
    secret_key_secret_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    web_execution_role_arn: pulumi.Output[str]
    """The web task's execution role: its own when it reads the media signing key, else the shared one."""
    task_role_arn: pulumi.Output[str]
    exec_session_policy_arn: pulumi.Output[str] | None
    """Policy to attach to the people who may open ECS Exec sessions; None without Exec."""

    def __init__(
        self, name: str, args: DjangoServicesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(type_token("django_service", "DjangoServices"), name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._region = aws.get_region_output(opts=invoke).region
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        # Physical names (task families, log groups, parameters) must differ between stacks in one account.
        self._physical = f"{name}-{pulumi.get_stack()}"
        if self._physical.lower().startswith(SSM_RESERVED_PREFIXES):
            raise ValueError(
                f"name {name!r}: SSM refuses parameter names beginning with 'aws' or 'ssm', and the "
                f"tasks' settings are kept under /{self._physical}/; choose another name"
            )

        image_uri, repository_arn = self._image()
        secret_key = self._secret_key()
        roles = ["web", "worker", *(["beat"] if args.beat_enabled else []), *RELEASE_TASKS]
        log_groups = {role: self._log_group(role) for role in roles}
        exec_log_group = self._log_group("exec", retention_days=args.exec_log_retention_days)

        settings = self._late_settings()
        secrets = pulumi.Output.all(self._secrets(secret_key), self._setting_secrets(settings)).apply(
            lambda lists: [*lists[0], *lists[1]]
        )
        execution_role, execution_policy = self._execution_role(
            secret_key, list(log_groups.values()), repository_arn, secrets
        )
        # The media signing key may sign a URL to any private file: only the web task, which serves
        # the users allowed to see them, can read it, so its execution role is its own.
        media = args.media_signing
        web_secrets, web_parameters = secrets, list[aws.ssm.Parameter]()
        web_execution_role, web_execution_policy = execution_role, execution_policy
        if media is not None:
            web_secrets, web_parameters = self._media_signing_secrets(secrets, media)
            web_execution_role, web_execution_policy = self._execution_role(
                secret_key,
                [log_groups["web"]],
                repository_arn,
                web_secrets,
                role_name="web-execution",
                media_secret_arn=media.private_key_secret_arn,
            )
        task_role = self._task_role(exec_log_group)
        static_role = self._static_writer_role()

        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[{"name": "containerInsights", "value": args.container_insights}],
            configuration={
                # Every ECS Exec session is recorded: who ran what in which container.
                "execute_command_configuration": {
                    # Session data between the operator and the container, under the stack key.
                    "kms_key_id": args.kms_key_arn,
                    "logging": "OVERRIDE",
                    "log_configuration": {
                        "cloud_watch_log_group_name": exec_log_group.name,
                        "cloud_watch_encryption_enabled": True,
                    },
                }
            },
            tags=merge_tags(args.tags, Name=f"{name}-cluster"),
            opts=self._child,
        )
        capacity = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[{"capacity_provider": "FARGATE", "base": 0, "weight": 1}],
            opts=self._child,
        )

        self.exec_session_policy_arn = self._exec_session_policy(cluster) if args.exec_enabled else None

        environment = self._environment()
        task_defs: dict[str, aws.ecs.TaskDefinition] = {}
        for role in roles:
            web = role == "web"
            task_defs[role] = self._task_definition(
                role,
                image_uri,
                environment,
                web_secrets if web else secrets,
                log_groups[role],
                web_execution_role if web else execution_role,
                static_role if role == "collectstatic" else task_role,
                # Registering a task definition checks no `valueFrom`; starting a task needs them all,
                # and the execution role's grant to read them, or a new revision's tasks fail to start.
                depends_on=[
                    secret_key.version,
                    web_execution_policy if web else execution_policy,
                    *(parameter for parameter, _ in settings.values()),
                    *(web_parameters if web else []),
                ],
            )

        discovery = self._service_discovery()
        spot_strategy = self._capacity_strategy(spot=True)
        on_demand = self._capacity_strategy(spot=False)
        web = self._service(
            "web",
            cluster,
            task_defs["web"],
            args.web_security_group_id,
            args.web.min_tasks,
            spot_strategy,
            capacity,
            load_balancer=True,
            registry_arn=discovery,
        )
        worker = self._service(
            "worker",
            cluster,
            task_defs["worker"],
            args.worker_security_group_id,
            args.worker.min_tasks,
            spot_strategy,
            capacity,
        )
        beat = None
        if args.beat_enabled:
            # A second beat would schedule every periodic task twice, so deployments stop the old
            # task before starting the new one, and it never runs on interruptible Spot capacity.
            beat = self._service(
                "beat",
                cluster,
                task_defs["beat"],
                args.worker_security_group_id,
                1,
                on_demand,
                capacity,
                minimum_healthy_percent=0,
                maximum_percent=100,
            )

        self._autoscaling(cluster, web, worker, beat)

        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.web_service_name = web.name
        self.worker_service_name = worker.name
        self.beat_service_name = beat.name if beat is not None else None
        self.migrate_task_definition_arn = task_defs["migrate"].arn
        self.collectstatic_task_definition_arn = task_defs["collectstatic"].arn
        # The deploy registers these first (`pulumi up --target`), runs them, then rolls the services.
        self.release_task_urns = pulumi.Output.all(*[task_defs[role].urn for role in RELEASE_TASKS])
        self.task_subnet_ids = pulumi.Output.from_input(args.subnet_ids).apply(
            lambda ids: [str(i) for i in ids]
        )
        self.task_security_group_ids = pulumi.Output.all(args.worker_security_group_id)
        self.log_group_names = pulumi.Output.all(
            *[group.name for group in log_groups.values()], exec_log_group.name
        )
        self.image_uri = pulumi.Output.from_input(image_uri)
        self.secret_key_secret_arn = secret_key.arn
        self.execution_role_arn = execution_role.arn
        self.web_execution_role_arn = web_execution_role.arn
        self.task_role_arn = task_role.arn
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "web_service_name": self.web_service_name,
                "worker_service_name": self.worker_service_name,
                "beat_service_name": self.beat_service_name,
                "migrate_task_definition_arn": self.migrate_task_definition_arn,
                "collectstatic_task_definition_arn": self.collectstatic_task_definition_arn,
                "release_task_urns": self.release_task_urns,
                "task_subnet_ids": self.task_subnet_ids,
                "task_security_group_ids": self.task_security_group_ids,
                "log_group_names": self.log_group_names,
                "image_uri": self.image_uri,
                "secret_key_secret_arn": self.secret_key_secret_arn,
                "execution_role_arn": self.execution_role_arn,
                "web_execution_role_arn": self.web_execution_role_arn,
                "task_role_arn": self.task_role_arn,
                "exec_session_policy_arn": self.exec_session_policy_arn,
            }
        )

    # --- image ---------------------------------------------------------------------------------

    def _image(self) -> tuple[pulumi.Input[str], pulumi.Output[str | None]]:
        """The image the tasks run and the ECR repository the execution role may pull from."""
        args = self._args
        if args.image is not None:
            return args.image, pulumi.Output.from_input(ecr_repository_arn(args.image))
        # awsx only here: building and pushing an image is what it adds over pulumi-aws. Its
        # ALB/Fargate components are not used (see the README).
        import pulumi_awsx as awsx

        repository = awsx.ecr.Repository(
            f"{self._name}-repo",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.kms_key_arn)
            ],
            force_delete=False,
            tags=merge_tags(args.tags, Name=f"{self._name}-repo"),
            opts=self._child,
        )
        image = awsx.ecr.Image(
            f"{self._name}-image",
            repository_url=repository.url,
            context=args.docker_context,
            dockerfile=args.dockerfile,
            platform="linux/arm64" if args.cpu_architecture == "ARM64" else "linux/amd64",
            opts=self._child,
        )
        return image.image_uri, repository.url.apply(ecr_repository_arn)

    # --- secrets and logs ----------------------------------------------------------------------

    def _secret_key(self) -> _StoredSecret:
        args = self._args
        secret = aws.secretsmanager.Secret(
            f"{self._name}-secret-key",
            description="Django SECRET_KEY of the web, worker and beat tasks",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=args.secret_recovery_window_days,
            tags=merge_tags(args.tags, Name=f"{self._name}-secret-key"),
            opts=self._child,
        )
        version = aws.secretsmanager.SecretVersion(
            f"{self._name}-secret-key-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(args.django_secret_key),
            opts=self._child,
        )
        return _StoredSecret(secret.arn, version, self._secret_reference(secret.name))

    def _log_group(self, role: str, retention_days: int | None = None) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{self._name}-{role}-logs",
            name=f"/ecs/{self._physical}/{role}",
            retention_in_days=retention_days or self._args.log_retention_days,
            kms_key_id=self._args.kms_key_arn,
            tags=merge_tags(self._args.tags, Name=f"{self._name}-{role}-logs", Workload=role),
            opts=self._child,
        )

    # --- IAM -----------------------------------------------------------------------------------

    def _assume_role_policy(self) -> pulumi.Output[str]:
        # Only ECS, acting for this account's tasks, may assume the roles (confused-deputy guard).
        return pulumi.Output.all(self._region, self._account).apply(
            lambda ra: service_trust_policy(
                "ecs-tasks.amazonaws.com",
                {
                    "StringEquals": {"aws:SourceAccount": ra[1]},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{ra[0]}:{ra[1]}:*"},
                },
            )
        )

    def _execution_role(
        self,
        secret_key: _StoredSecret,
        log_groups: Sequence[aws.cloudwatch.LogGroup],
        repository_arn: pulumi.Output[str | None],
        secrets: pulumi.Output[list[dict[str, str]]],
        role_name: str = "execution",
        media_secret_arn: pulumi.Output[str] | None = None,
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """What ECS itself needs to start a task: pull the image, read its secrets and settings, write
        logs. `media_secret_arn`: the web task's own role, which also reads the media signing key."""
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-{role_name}-role",
            description=(
                "ECS starts the Django web task: image pull, its secrets (media signing key too), its log stream"
                if media_secret_arn is not None
                else "ECS starts the Django tasks: image pull, their secrets, their log streams"
            ),
            assume_role_policy=self._assume_role_policy(),
            tags=merge_tags(args.tags, Name=f"{self._name}-{role_name}-role"),
            opts=self._child,
        )

        def document(values: dict[str, Any]) -> str:
            statements: list[dict[str, Any]] = [
                {
                    "Sid": "ReadTaskSecrets",
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": sorted({values["cache"], values["key"], *values["media"]}),
                },
                {
                    "Sid": "DecryptTaskSecrets",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": values["kms"],
                    "Condition": {
                        "StringEquals": {"kms:ViaService": f"secretsmanager.{values['region']}.amazonaws.com"}
                    },
                },
                {
                    # ECS fetches every `valueFrom` in Parameter Store with GetParameters: the settings'
                    # parameters and the secrets' references (then read with the grants above), exactly
                    # those the task definitions name. String parameters need no kms:Decrypt.
                    "Sid": "ReadTaskParameters",
                    "Effect": "Allow",
                    "Action": "ssm:GetParameters",
                    "Resource": sorted(
                        {s["valueFrom"] for s in values["secrets"] if s["valueFrom"].split(":")[2] == "ssm"}
                    ),
                },
                {
                    "Sid": "WriteTaskLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": [f"{arn}:log-stream:*" for arn in values["logs"]],
                },
            ]
            if values["repository"]:
                statements += [
                    {
                        "Sid": "PullImage",
                        "Effect": "Allow",
                        "Action": [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:BatchGetImage",
                            "ecr:GetDownloadUrlForLayer",
                        ],
                        "Resource": values["repository"],
                    },
                    {
                        # GetAuthorizationToken has no resource type: IAM accepts only "*" for it.
                        "Sid": "RegistryLogin",
                        "Effect": "Allow",
                        "Action": "ecr:GetAuthorizationToken",
                        "Resource": "*",
                    },
                ]
            return json.dumps({"Version": "2012-10-17", "Statement": statements})

        policy = aws.iam.RolePolicy(
            f"{self._name}-{role_name}-policy",
            role=role.id,
            policy=pulumi.Output.all(
                cache=args.cache_auth_secret_arn,
                key=secret_key.arn,
                media=pulumi.Output.all(*([media_secret_arn] if media_secret_arn is not None else [])),
                kms=args.kms_key_arn,
                region=self._region,
                logs=pulumi.Output.all(*[group.arn for group in log_groups]),
                repository=repository_arn,
                secrets=secrets,
            ).apply(document),
            opts=self._child,
        )
        return role, policy

    def _task_role(self, exec_log_group: aws.cloudwatch.LogGroup) -> aws.iam.Role:
        """What the Django code may do: the media bucket, and ECS Exec (plus X-Ray when enabled)."""
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-task-role",
            description="Django tasks: media bucket objects, ECS Exec sessions",
            assume_role_policy=self._assume_role_policy(),
            tags=merge_tags(args.tags, Name=f"{self._name}-task-role"),
            opts=self._child,
        )

        def document(values: dict[str, Any]) -> str:
            bucket = values["bucket"]
            statements: list[dict[str, Any]] = [
                {
                    # Presigned URLs carry the task role's permissions, so direct uploads and
                    # downloads from browsers and the mobile app are bounded by this statement.
                    "Sid": "MediaObjects",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"{bucket}/*",
                },
                {"Sid": "MediaListing", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket},
                {
                    # IAM database authentication: only the app user, only on this stack's instances.
                    "Sid": "DatabaseIamLogin",
                    "Effect": "Allow",
                    "Action": "rds-db:connect",
                    "Resource": [
                        f"arn:aws:rds-db:{values['region']}:{values['account']}:dbuser:{rid}/{args.database_user}"
                        for rid in values["db_resources"]
                    ],
                },
                {
                    "Sid": "MediaEncryption",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": values["kms"],
                    "Condition": {"StringEquals": {"kms:ViaService": f"s3.{values['region']}.amazonaws.com"}},
                },
            ]
            if args.exec_enabled:
                statements += [
                    {
                        # The SSM Session Manager channel actions have no resource type; IAM accepts
                        # only "*" for them. Who may open a session is decided by ecs:ExecuteCommand on
                        # the caller's side, and every session is logged (cluster configuration).
                        "Sid": "EcsExecChannels",
                        "Effect": "Allow",
                        "Action": [
                            "ssmmessages:CreateControlChannel",
                            "ssmmessages:CreateDataChannel",
                            "ssmmessages:OpenControlChannel",
                            "ssmmessages:OpenDataChannel",
                        ],
                        "Resource": "*",
                    },
                    {
                        "Sid": "EcsExecAuditLog",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        "Resource": [values["exec_logs"], f"{values['exec_logs']}:log-stream:*"],
                    },
                    {
                        # The agent checks the audit log group's encryption before writing; this
                        # action is authorised on the account's log-group namespace, not on one group.
                        "Sid": "EcsExecAuditLogCheck",
                        "Effect": "Allow",
                        "Action": "logs:DescribeLogGroups",
                        "Resource": f"arn:aws:logs:{values['region']}:{values['account']}:log-group:*",
                    },
                    {
                        # Sessions are encrypted with the stack key (cluster configuration).
                        "Sid": "EcsExecSessionKey",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": values["kms"],
                    },
                ]
            if args.xray_enabled:
                statements.append(
                    {
                        # X-Ray's trace and sampling APIs have no resource type: "*" is the only scope.
                        "Sid": "XRayDaemon",
                        "Effect": "Allow",
                        "Action": [
                            "xray:PutTraceSegments",
                            "xray:PutTelemetryRecords",
                            "xray:GetSamplingRules",
                            "xray:GetSamplingTargets",
                            "xray:GetSamplingStatisticSummaries",
                        ],
                        "Resource": "*",
                    }
                )
            return json.dumps({"Version": "2012-10-17", "Statement": statements})

        aws.iam.RolePolicy(
            f"{self._name}-task-policy",
            role=role.id,
            policy=pulumi.Output.all(
                bucket=args.media_bucket_arn,
                kms=args.kms_key_arn,
                region=self._region,
                account=self._account,
                exec_logs=exec_log_group.arn,
                db_resources=pulumi.Output.from_input(args.database_resource_ids),
            ).apply(document),
            opts=self._child,
        )
        return role

    def _static_writer_role(self) -> aws.iam.Role:
        """The collectstatic task's role: write the static bucket, nothing else."""
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-static-writer-role",
            description="Django collectstatic task: writes the static bucket, the only role that may",
            assume_role_policy=self._assume_role_policy(),
            tags=merge_tags(args.tags, Name=f"{self._name}-static-writer-role"),
            opts=self._child,
        )
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        aws.iam.RolePolicy(
            f"{self._name}-static-writer-policy",
            role=role.id,
            policy=pulumi.Output.all(
                partition, args.static_bucket_name, args.kms_key_arn, self._region
            ).apply(lambda v: static_writer_policy(f"arn:{v[0]}:s3:::{v[1]}", v[2], v[3])),
            opts=self._child,
        )
        return role

    def _exec_session_policy(self, cluster: aws.ecs.Cluster) -> pulumi.Output[str]:
        """Who may open an ECS Exec session: attach this policy to them (like the bastion's)."""
        args = self._args

        def document(values: dict[str, Any]) -> str:
            tasks = f"arn:aws:ecs:{values['region']}:{values['account']}:task/{values['cluster_name']}/*"
            return json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ExecuteCommandInThisCluster",
                            "Effect": "Allow",
                            "Action": "ecs:ExecuteCommand",
                            "Resource": [values["cluster"], tasks],
                        },
                        {
                            "Sid": "FindTheTask",
                            "Effect": "Allow",
                            "Action": ["ecs:DescribeTasks", "ecs:ListTasks"],
                            "Resource": "*",
                            "Condition": {"ArnEquals": {"ecs:cluster": values["cluster"]}},
                        },
                        {
                            # The session is encrypted with the stack key.
                            "Sid": "SessionKey",
                            "Effect": "Allow",
                            "Action": "kms:GenerateDataKey",
                            "Resource": values["kms"],
                        },
                    ],
                }
            )

        policy = aws.iam.Policy(
            f"{self._name}-exec-session",
            description=f"Open ECS Exec sessions in {self._physical} tasks (every session is logged)",
            policy=pulumi.Output.all(
                region=self._region,
                account=self._account,
                cluster=cluster.arn,
                cluster_name=cluster.name,
                kms=args.kms_key_arn,
            ).apply(document),
            tags=merge_tags(args.tags, Name=f"{self._name}-exec-session"),
            opts=self._child,
        )
        return policy.arn

    # --- task definitions ----------------------------------------------------------------------

    def _environment(self) -> pulumi.Output[dict[str, str]]:
        """Plain settings every container gets: where things are, never what unlocks them."""
        args = self._args
        values: dict[str, pulumi.Input[Any]] = {
            "DEBUG": "False",
            "DJANGO_SETTINGS_MODULE": args.django_settings_module,
            "AWS_REGION": self._region,
            "MEDIA_BUCKET_NAME": args.media_bucket_name,
            "STATIC_BUCKET_NAME": args.static_bucket_name,
            "DATABASE_PORT": pulumi.Output.from_input(args.database_port).apply(str),
            "DATABASE_NAME": args.database_name,
            "DATABASE_USER": args.database_user,
            # The contract with the image (README, "Database credentials"): every new connection uses
            # a token from rds.generate_db_auth_token for this user, host and port, in AWS_REGION.
            "DATABASE_AUTH": "iam",
            # No replicas: nothing to wait for, and SSM refuses an empty parameter value.
            **({} if args.database_reader_addresses else {"DATABASE_READER_HOSTS": ""}),
            # libpq reads this: connections to RDS are encrypted even if the app forgets to ask.
            "PGSSLMODE": "require",
            "REDIS_PORT": pulumi.Output.from_input(args.cache_port).apply(str),
            "REDIS_TLS": "true",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if args.xray_enabled:
            values["AWS_XRAY_DAEMON_ADDRESS"] = f"127.0.0.1:{XRAY_DAEMON_PORT}"
        return pulumi.Output.all(**values).apply(_checked_environment)

    def _late_settings(self) -> dict[str, tuple[aws.ssm.Parameter, pulumi.Output[str]]]:
        """One SSM String parameter per setting in LATE_SETTINGS the stack has, with its ARN as a
        preview knows it: built from the fixed name and invokes, never from the parameter's output."""
        args = self._args
        values: dict[str, pulumi.Input[str]] = {
            "ALLOWED_HOSTS": pulumi.Output.all(*args.allowed_hosts).apply(_allowed_hosts),
            "DATABASE_HOST": args.database_address,
            "REDIS_HOST": args.cache_address,
            "REDIS_READER_HOST": args.cache_reader_address,
        }
        if args.csrf_trusted_origins:
            values["CSRF_TRUSTED_ORIGINS"] = pulumi.Output.all(*args.csrf_trusted_origins).apply(
                lambda origins: ",".join(str(o) for o in origins)
            )
        if args.database_reader_addresses:
            values["DATABASE_READER_HOSTS"] = pulumi.Output.all(*args.database_reader_addresses).apply(
                lambda hosts: ",".join(str(h) for h in hosts)
            )
        settings = {}
        for setting, value in sorted(values.items()):
            slug = setting.lower().replace("_", "-")
            parameter_name = f"/{self._physical}/{setting}"
            parameter = aws.ssm.Parameter(
                f"{self._name}-{slug}-setting",
                name=parameter_name,
                description=f"{setting} of the Django tasks (ECS reads it at task start)",
                # Host names and origins, not secrets: String, readable only where IAM allows.
                type="String",
                value=value,
                tags=merge_tags(args.tags, Name=f"{self._name}-{slug}-setting"),
                opts=self._child,
            )
            settings[setting] = (parameter, self._parameter_arn(parameter_name))
        return settings

    def _parameter_arn(self, parameter_name: pulumi.Input[str]) -> pulumi.Output[str]:
        """The ARN of an SSM parameter in the stack's region and account (names start with "/")."""
        return pulumi.Output.concat(
            "arn:", self._partition, ":ssm:", self._region, ":", self._account, ":parameter", parameter_name
        )

    def _secret_reference(self, secret_name: pulumi.Input[str]) -> pulumi.Output[str]:
        """A Secrets Manager secret as Parameter Store serves it, by name (SECRETS_MANAGER_REFERENCE)."""
        return self._parameter_arn(pulumi.Output.concat(SECRETS_MANAGER_REFERENCE, secret_name))

    def _setting_secrets(
        self, settings: Mapping[str, tuple[aws.ssm.Parameter, pulumi.Output[str]]]
    ) -> pulumi.Output[list[dict[str, str]]]:
        """LATE_SETTINGS as ECS injects them: from their parameters, at task start."""
        names = sorted(settings)
        return pulumi.Output.all(*[settings[n][1] for n in names]).apply(
            lambda arns: [{"name": n, "valueFrom": arn} for n, arn in zip(names, arns, strict=True)]
        )

    def _secrets(self, secret_key: _StoredSecret) -> pulumi.Output[list[dict[str, str]]]:
        """Credentials, injected by ECS from Secrets Manager at task start."""
        args = self._args
        json_key = args.cache_auth_secret_json_key
        # No database password: the tasks log in with IAM tokens (DATABASE_AUTH=iam), which they
        # create per connection, so a rotation never strands a running task.
        # A JSON key can only be selected with the secret's ARN (`<arn>:<json key>::`), which is unknown
        # until the secret exists; Parameter Store's reference serves the whole secret, by name.
        cache_secret = (
            self._secret_reference(args.cache_auth_secret_name)
            if args.cache_auth_secret_name is not None and not json_key
            else args.cache_auth_secret_arn
        )
        return pulumi.Output.all(cache_secret, secret_key.value_from).apply(
            lambda arns: [
                {"name": "REDIS_AUTH_TOKEN", "valueFrom": f"{arns[0]}:{json_key}::" if json_key else arns[0]},
                {"name": "DJANGO_SECRET_KEY", "valueFrom": arns[1]},
            ]
        )

    def _media_signing_secrets(
        self, secrets: pulumi.Output[list[dict[str, str]]], media: MediaSigning
    ) -> tuple[pulumi.Output[list[dict[str, str]]], list[aws.ssm.Parameter]]:
        """The web container's task secrets plus the media signing key: CloudFront's id of the key
        (the Key-Pair-Id of every signed URL, not a secret, but known only once the key exists, so
        from a parameter like LATE_SETTINGS) and the private key (PEM), by its Parameter Store
        reference."""
        args = self._args
        name = f"/{self._physical}/MEDIA_SIGNING_KEY_ID"
        key_id = aws.ssm.Parameter(
            f"{self._name}-media-signing-key-id-setting",
            name=name,
            description="MEDIA_SIGNING_KEY_ID of the Django web task (ECS reads it at task start)",
            type="String",
            value=media.public_key_id,
            tags=merge_tags(args.tags, Name=f"{self._name}-media-signing-key-id-setting"),
            opts=self._child,
        )
        web_secrets = pulumi.Output.all(
            secrets, self._parameter_arn(name), self._secret_reference(media.private_key_secret_name)
        ).apply(
            lambda v: [
                *v[0],
                {"name": "MEDIA_SIGNING_KEY_ID", "valueFrom": v[1]},
                {"name": "MEDIA_SIGNING_PRIVATE_KEY", "valueFrom": v[2]},
            ]
        )
        return web_secrets, [key_id]

    def _command(self, role: str) -> list[str]:
        args = self._args
        if role == "web":
            workers = max(2, 2 * args.web.cpu // 1024 + 1)
            return [
                "gunicorn",
                args.wsgi_application,
                "--bind",
                f"0.0.0.0:{args.container_port}",
                "--workers",
                str(workers),
                "--worker-tmp-dir",
                "/tmp",
                "--keep-alive",
                str(args.load_balancer_idle_timeout + 5),
                "--graceful-timeout",
                str(WEB_STOP_TIMEOUT - 5),
                "--access-logfile",
                "-",
            ]
        if role == "worker":
            concurrency = max(1, args.worker.cpu // 256)
            return [
                "celery",
                "-A",
                args.celery_app,
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
            ]
        if role == "beat":
            return [
                "celery",
                "-A",
                args.celery_app,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                "/tmp/celerybeat-schedule",
            ]
        return COMMANDS[role]

    def _task_definition(
        self,
        role: str,
        image_uri: pulumi.Input[str],
        environment: pulumi.Output[dict[str, str]],
        secrets: pulumi.Output[list[dict[str, str]]],
        log_group: aws.cloudwatch.LogGroup,
        execution_role: aws.iam.Role,
        task_role: aws.iam.Role,
        depends_on: Sequence[pulumi.Resource],
    ) -> aws.ecs.TaskDefinition:
        args = self._args
        size = args.web if role == "web" else args.worker
        command = self._command(role)
        sidecar = args.xray_enabled and role in ("web", "worker")

        def definitions(values: dict[str, Any]) -> str:
            log_options = {
                "awslogs-group": values["log_group"],
                "awslogs-region": values["region"],
                # Non-blocking: a CloudWatch Logs slowdown must not stall gunicorn on stdout.
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            }
            app: dict[str, Any] = {
                "name": role,
                "image": values["image"],
                "essential": True,
                "command": command,
                "environment": [
                    {"name": k, "value": v}
                    for k, v in sorted(values["environment"].items())
                    # Only tasks with the daemon sidecar may point the SDK at it; elsewhere traces would
                    # be sent to a port nothing listens on.
                    if sidecar or k != "AWS_XRAY_DAEMON_ADDRESS"
                ],
                "secrets": values["secrets"],
                # ECS Exec isn't supported with a read-only root file system: only Exec-enabled
                # stacks trade it away.
                "readonlyRootFilesystem": not args.exec_enabled,
                # An init process reaps the SSM agent's children in ECS Exec sessions and forwards SIGTERM.
                "linuxParameters": {"initProcessEnabled": True},
                "mountPoints": [
                    {"sourceVolume": volume, "containerPath": path, "readOnly": False}
                    for volume, path in WRITABLE_PATHS.items()
                ],
                "stopTimeout": WEB_STOP_TIMEOUT if role == "web" else WORKER_STOP_TIMEOUT,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {**log_options, "awslogs-stream-prefix": role},
                },
            }
            # The image reference ECS runs: /health/ reports it, and the smoke check compares its digest.
            app["environment"].append({"name": "APP_IMAGE", "value": values["image"]})
            if role == "web":
                app["portMappings"] = [
                    {"name": "http", "containerPort": args.container_port, "protocol": "tcp"}
                ]
                app["environment"].append({"name": "PORT", "value": str(args.container_port)})
            app["environment"].sort(key=lambda item: item["name"])
            containers = [app]
            if sidecar:
                containers.append(
                    {
                        "name": "xray-daemon",
                        "image": XRAY_DAEMON_IMAGE,
                        # Tracing must never take the application down with it.
                        "essential": False,
                        "cpu": 32,
                        "memoryReservation": 64,
                        "portMappings": [{"containerPort": XRAY_DAEMON_PORT, "protocol": "udp"}],
                        "readonlyRootFilesystem": True,
                        "logConfiguration": {
                            "logDriver": "awslogs",
                            "options": {**log_options, "awslogs-stream-prefix": "xray"},
                        },
                    }
                )
            return json.dumps(containers)

        return aws.ecs.TaskDefinition(
            f"{self._name}-{role}-task",
            family=f"{self._physical}-{role}",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(size.cpu),
            memory=str(size.memory),
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": args.cpu_architecture},
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            volumes=[{"name": volume} for volume in WRITABLE_PATHS],
            container_definitions=pulumi.Output.all(
                image=image_uri,
                environment=environment,
                secrets=secrets,
                log_group=log_group.name,
                region=self._region,
            ).apply(definitions),
            tags=merge_tags(args.tags, Name=f"{self._name}-{role}", Workload=role),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )

    # --- services and scaling ------------------------------------------------------------------

    def _service_discovery(self) -> pulumi.Output[str] | None:
        """Cloud Map: `web.<namespace>` resolves to the running web tasks' private IPs."""
        args = self._args
        if args.service_discovery_namespace is None:
            return None
        namespace = aws.servicediscovery.PrivateDnsNamespace(
            f"{self._name}-namespace",
            name=args.service_discovery_namespace,
            vpc=args.vpc_id,
            description=f"{self._name}: internal names of the Django services",
            tags=merge_tags(args.tags, Name=f"{self._name}-namespace"),
            opts=self._child,
        )
        service = aws.servicediscovery.Service(
            f"{self._name}-web-discovery",
            name="web",
            dns_config={
                "namespace_id": namespace.id,
                "dns_records": [{"ttl": 10, "type": "A"}],
                "routing_policy": "MULTIVALUE",
            },
            # ECS reports task health to Cloud Map: only tasks that passed their checks are answered.
            health_check_custom_config={"failure_threshold": 1},
            tags=merge_tags(args.tags, Name=f"{self._name}-web-discovery"),
            opts=self._child,
        )
        # Internal callers are the worker and beat tasks; they reach gunicorn directly.
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-web-from-workers",
            security_group_id=args.web_security_group_id,
            referenced_security_group_id=args.worker_security_group_id,
            ip_protocol="tcp",
            from_port=args.container_port,
            to_port=args.container_port,
            description="Worker and beat tasks call the web service by its Cloud Map name",
            tags=merge_tags(args.tags, Name=f"{self._name}-web-from-workers"),
            opts=self._child,
        )
        return service.arn

    def _capacity_strategy(self, *, spot: bool) -> list[dict[str, Any]]:
        args = self._args
        strategy: list[dict[str, Any]] = [
            {"capacity_provider": "FARGATE", "base": args.fargate_base_tasks, "weight": 1}
        ]
        if spot and args.fargate_spot_weight > 0:
            strategy.append(
                {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": args.fargate_spot_weight}
            )
        return strategy

    def _service(
        self,
        role: str,
        cluster: aws.ecs.Cluster,
        task_definition: aws.ecs.TaskDefinition,
        security_group_id: pulumi.Input[str],
        desired_count: int,
        strategy: list[dict[str, Any]],
        capacity: aws.ecs.ClusterCapacityProviders,
        *,
        load_balancer: bool = False,
        minimum_healthy_percent: int = 100,
        maximum_percent: int = 200,
        registry_arn: pulumi.Output[str] | None = None,
    ) -> aws.ecs.Service:
        args = self._args
        extra: dict[str, Any] = {}
        if registry_arn is not None:
            # awsvpc tasks register A records: no port in the registry.
            extra["service_registries"] = {"registry_arn": registry_arn}
        if load_balancer:
            extra["load_balancers"] = [
                {
                    "target_group_arn": args.target_group_arn,
                    "container_name": role,
                    "container_port": args.container_port,
                }
            ]
            extra["health_check_grace_period_seconds"] = args.health_check_grace_period
        return aws.ecs.Service(
            f"{self._name}-{role}",
            cluster=cluster.arn,
            task_definition=task_definition.arn,
            desired_count=desired_count,
            capacity_provider_strategies=strategy,
            platform_version="LATEST",
            network_configuration={
                "subnets": args.subnet_ids,
                "security_groups": [security_group_id],
                "assign_public_ip": False,
            },
            # Roll forward with new tasks next to the old ones; stop and roll back a release whose
            # tasks keep failing to start or to pass health checks.
            deployment_minimum_healthy_percent=minimum_healthy_percent,
            deployment_maximum_percent=maximum_percent,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            availability_zone_rebalancing=rebalancing_for(maximum_percent),
            # `pulumi up` returns once the rollout has finished (or failed and rolled back), so
            # what runs after it (the smoke check) meets the new release, not the old tasks.
            wait_for_steady_state=True,
            enable_execute_command=args.exec_enabled,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            tags=merge_tags(args.tags, Name=f"{self._name}-{role}", Workload=role),
            # Autoscaling owns the running count after creation; `pulumi up` must not reset it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[capacity], ignore_changes=["desired_count"]),
            **extra,
        )

    def _autoscaling(
        self,
        cluster: aws.ecs.Cluster,
        web: aws.ecs.Service,
        worker: aws.ecs.Service,
        beat: aws.ecs.Service | None,
    ) -> None:
        args = self._args
        targets = {
            "web": self._scaling_target("web", cluster, web, args.web.min_tasks, args.web.max_tasks),
            "worker": self._scaling_target(
                "worker", cluster, worker, args.worker.min_tasks, args.worker.max_tasks
            ),
        }
        self._target_tracking(
            "web-cpu", targets["web"], args.web.cpu_target_percent, "ECSServiceAverageCPUUtilization"
        )
        self._target_tracking(
            "web-requests",
            targets["web"],
            args.web_requests_per_target,
            "ALBRequestCountPerTarget",
            resource_label=pulumi.Output.concat(
                args.load_balancer_arn_suffix, "/", args.target_group_arn_suffix
            ),
        )
        self._target_tracking(
            "worker-cpu", targets["worker"], args.worker.cpu_target_percent, "ECSServiceAverageCPUUtilization"
        )
        for role in ("web", "worker"):
            size = args.web if role == "web" else args.worker
            self._target_tracking(
                f"{role}-memory",
                targets[role],
                size.memory_target_percent,
                "ECSServiceAverageMemoryUtilization",
            )
        if not args.nightly_scale_down:
            return
        bounds = {
            "web": (args.web.min_tasks, args.web.max_tasks),
            "worker": (args.worker.min_tasks, args.worker.max_tasks),
        }
        if beat is not None:
            # Beat has no load to scale on; its target exists so that nights stop it too, rather
            # than filling the broker with jobs nobody consumes until morning.
            targets["beat"] = self._scaling_target("beat", cluster, beat, 1, 1)
            bounds["beat"] = (1, 1)
        for role, target in targets.items():
            low, high = bounds[role]
            for phase, schedule, action in (
                ("night", args.scale_down_schedule, {"min_capacity": 0, "max_capacity": 0}),
                ("morning", args.scale_up_schedule, {"min_capacity": low, "max_capacity": high}),
            ):
                aws.appautoscaling.ScheduledAction(
                    f"{self._name}-{role}-{phase}",
                    name=f"{self._physical}-{role}-{phase}",
                    service_namespace=target.service_namespace,
                    resource_id=target.resource_id,
                    scalable_dimension=target.scalable_dimension,
                    schedule=schedule,
                    timezone=args.schedule_timezone,
                    scalable_target_action=action,
                    opts=self._child,
                )

    def _scaling_target(
        self, role: str, cluster: aws.ecs.Cluster, service: aws.ecs.Service, low: int, high: int
    ) -> aws.appautoscaling.Target:
        return aws.appautoscaling.Target(
            f"{self._name}-{role}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
            min_capacity=low,
            max_capacity=high,
            tags=merge_tags(self._args.tags, Name=f"{self._name}-{role}-scaling"),
            opts=self._child,
        )

    def _target_tracking(
        self,
        label: str,
        target: aws.appautoscaling.Target,
        value: int,
        metric: str,
        resource_label: pulumi.Input[str] | None = None,
    ) -> None:
        specification: dict[str, Any] = {"predefined_metric_type": metric}
        if resource_label is not None:
            specification["resource_label"] = resource_label
        aws.appautoscaling.Policy(
            f"{self._name}-{label}",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            target_tracking_scaling_policy_configuration={
                "target_value": value,
                "predefined_metric_specification": specification,
                # Add capacity quickly, give it back slowly: a spike right after scale-in hurts more.
                "scale_out_cooldown": 60,
                "scale_in_cooldown": 300,
            },
            opts=self._child,
        )


def rebalancing_for(maximum_percent: int, *, required: bool = False) -> str:
    """ECS availability-zone rebalancing for a service deployed with `maximum_percent`.

    Rebalancing starts a task in the emptier AZ before it stops one elsewhere, so ECS refuses it
    unless deployments may exceed 100%; for beat that extra task would be a second scheduler."""
    if maximum_percent > 100:
        return "ENABLED"
    if required:
        raise ValueError(f"deployment maximum {maximum_percent}%: AZ rebalancing needs a maximum above 100%")
    return "DISABLED"


@dataclass(frozen=True)
class _StoredSecret:
    arn: pulumi.Output[str]
    version: aws.secretsmanager.SecretVersion
    value_from: pulumi.Output[str]
    """The secret as `valueFrom` names it: Parameter Store's reference by name, known in a preview."""


def _allowed_hosts(hosts: list[str]) -> str:
    if not hosts or any(not host or "*" in host for host in hosts):
        raise pulumi.RunError(f"allowed_hosts {hosts!r}: name the host names Django receives; '*' is refused")
    return ",".join(hosts)


def _checked_environment(values: dict[str, str]) -> dict[str, str]:
    """Refuse a credential-looking name in plain environment (the policy pack would, later)."""
    for name in values:
        words = name.split("_")
        if any(
            word in CREDENTIAL_WORDS and (words[i + 1] if i + 1 < len(words) else "") not in IDENTIFIER_WORDS
            for i, word in enumerate(words)
        ):
            raise pulumi.RunError(f"environment {name!r} looks like a credential; pass it as a task secret")
    return values
