"""Stand-ins for the other tiers' outputs, for the app tier's component tests, and helpers to read what
the app tier registered. Stack-level tests run the real program (`stack_runs`, `run_stack`)."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import Any

import pulumi

from components.django_service import DjangoServicesArgs, ServicesConfig
from components.load_balancer import LoadBalancer, LoadBalancerArgs, LoadBalancerConfig
from offline.engine import RegisteredResource, Registrations
from tests._handles import buckets, placement, workload_groups

ACCOUNT = "123456789012"
REGION = "eu-west-1"
VPC_ID = "vpc-0a1b2c3d4e5f60718"
APP_SUBNETS = ["subnet-0aaa1111bbbb22223", "subnet-0ccc3333dddd44445"]
WEB_SG = "sg-0web0000000000001"
WORKER_SG = "sg-0worker0000000002"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DB_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-0123abcd-4567-89ef-AbCdEf"
DB_RESOURCE_ID = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CACHE_SECRET_NAME = "epicvibe-redis-auth"
CACHE_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{CACHE_SECRET_NAME}-GhIjKl"
MEDIA_BUCKET = "epicvibe-media-0a1b2c3"
MEDIA_ARN = f"arn:aws:s3:::{MEDIA_BUCKET}"
STATIC_BUCKET = "epicvibe-static-0a1b2c3"
LOG_BUCKET = "epicvibe-logs-0a1b2c3"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/epicvibe:1.4.2"
SECRET_KEY_VALUE = "k" * 20 + "-django-secret-key-stand-in-" + "z" * 20
SITE_URL = "https://www.epicvibe.example"
CERTIFICATE = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0a1b2c3d-1111-2222-3333-444455556666"
ORIGIN = "origin.epicvibe.example"


def load_balancer_config(**changes: Any) -> LoadBalancerConfig:
    values: dict[str, Any] = {
        "health_check_path": "/health/",
        "deregistration_delay_seconds": 30,
        "certificate_arn": None,
        "origin_domain_name": None,
        "deletion_protection": False,
        "idle_timeout_seconds": 60,
        "cloudfront_security_group_id": None,
    }
    return LoadBalancerConfig(**{**values, **changes})


def load_balancer_args(**changes: Any) -> LoadBalancerArgs:
    """LoadBalancerArgs with stand-ins; changes to config fields go into its config (the origin name
    into both: the program passes the configured one on)."""
    names = {f.name for f in fields(LoadBalancerConfig)}
    config = load_balancer_config(**{k: v for k, v in changes.items() if k in names})
    changes = {k: v for k, v in changes.items() if k not in names or k == "origin_domain_name"}
    args = LoadBalancerArgs(
        config=config,
        placement=placement(vpc_id=VPC_ID, app_subnet_ids=APP_SUBNETS),
        workloads=workload_groups(web_security_group_id=WEB_SG, worker_security_group_id=WORKER_SG),
        buckets=buckets(log_name=LOG_BUCKET),
        tags={"Stack": "test"},
    )
    return replace(args, **changes)


# What the component was written for when nothing says otherwise (the stacks' own values are in
# their stack files; these are the tests').
SERVICES_CONFIG: dict[str, Any] = {
    "image": IMAGE,
    "docker_context": None,
    "container_port": 8000,
    "django_settings_module": "config.settings",
    "wsgi_application": "config.wsgi:application",
    "celery_app": "config",
    "django_secret_key": pulumi.Output.secret(SECRET_KEY_VALUE),
    "cpu_architecture": "ARM64",
    "web_cpu_units": 512,
    "web_memory_mib": 1024,
    "web_min_tasks": 2,
    "web_max_tasks": 6,
    "web_cpu_target_percent": 60,
    "web_requests_per_target": 400,
    "worker_cpu_units": 512,
    "worker_memory_mib": 1024,
    "worker_min_tasks": 1,
    "worker_max_tasks": 4,
    "worker_cpu_target_percent": 60,
    "beat_enabled": True,
    "fargate_spot_weight": 0,
    "container_insights": "enabled",
    "health_check_grace_period_seconds": 60,
    "nightly_scale_down": False,
    "nightly_scale_down_cron": "cron(0 20 * * ? *)",
    "nightly_scale_up_cron": "cron(0 6 ? * MON-FRI *)",
    "schedule_timezone": "UTC",
    "xray_enabled": False,
    "ecs_exec_enabled": False,
}


def services_config(**changes: Any) -> ServicesConfig:
    return ServicesConfig(**{**SERVICES_CONFIG, **changes})


def split_config(changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(changes to ServicesConfig's fields, the other changes)."""
    names = {f.name for f in fields(ServicesConfig)}
    return {k: v for k, v in changes.items() if k in names}, {
        k: v for k, v in changes.items() if k not in names
    }


def services_args(lb: LoadBalancer | None = None, **changes: Any) -> DjangoServicesArgs:
    """DjangoServicesArgs with stand-ins; `lb` supplies the load balancer's outputs when given.
    Changes to config fields go into its config."""
    config_changes, changes = split_config(changes)
    args = DjangoServicesArgs(
        config=services_config(**config_changes),
        subnet_ids=APP_SUBNETS,
        web_security_group_id=WEB_SG,
        worker_security_group_id=WORKER_SG,
        target_group_arn=lb.target_group_arn
        if lb
        else f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/web/0123456789abcdef",
        load_balancer_arn_suffix=lb.arn_suffix if lb else "app/epicvibe-alb/0123456789abcdef",
        target_group_arn_suffix=lb.target_group_arn_suffix if lb else "targetgroup/web/0123456789abcdef",
        allowed_hosts=[lb.dns_name] if lb else ["internal-epicvibe-alb-1.eu-west-1.elb.amazonaws.com"],
        csrf_trusted_origins=[SITE_URL],
        kms_key_arn=KMS_KEY,
        database_address="epicvibe-db.c0a1b2c3d4e5.eu-west-1.rds.amazonaws.com",
        database_port=5432,
        database_name="epicvibe",
        database_reader_addresses=["epicvibe-db-replica-0.c0a1b2c3d4e5.eu-west-1.rds.amazonaws.com"],
        database_resource_ids=[DB_RESOURCE_ID],
        cache_address="master.epicvibe-redis.abc123.euw1.cache.amazonaws.com",
        cache_reader_address="replica.epicvibe-redis.abc123.euw1.cache.amazonaws.com",
        cache_port=6379,
        cache_auth_secret_arn=CACHE_SECRET,
        cache_auth_secret_name=CACHE_SECRET_NAME,
        media_bucket_name=MEDIA_BUCKET,
        media_bucket_arn=MEDIA_ARN,
        static_bucket_name=STATIC_BUCKET,
        tags={"Stack": "test"},
    )
    return replace(args, **changes)


def containers(task_definition: RegisteredResource) -> list[dict[str, Any]]:
    definitions = task_definition.inputs["containerDefinitions"]
    assert isinstance(definitions, str), "container definitions are not known at preview"
    parsed: list[dict[str, Any]] = json.loads(definitions)
    return parsed


def app_container(task_definition: RegisteredResource) -> dict[str, Any]:
    """The Django container (the first; an X-Ray sidecar, if any, follows it)."""
    return containers(task_definition)[0]


def policy(resource: RegisteredResource) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resource.inputs["policy"])
    return document


def environment(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("environment", [])}


SSM_PARAMETER = "aws:ssm/parameter:Parameter"
SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"


def unwrapped(value: Any) -> Any:
    """A value as the engine received it, without Pulumi's secret wrapper."""
    if isinstance(value, dict) and SECRET_SIGNATURE_KEY in value:
        return value["value"]
    return value


def task_settings(built: Registrations, container: dict[str, Any]) -> dict[str, str]:
    """What the container's process gets besides credentials: its `environment`, plus the settings
    ECS reads from this stack's SSM parameters, matched by the ARN AWS gives each parameter."""
    parameters = {p.outputs["arn"]: str(unwrapped(p.inputs["value"])) for p in built.of_type(SSM_PARAMETER)}
    settings = environment(container)
    for item in container.get("secrets", []):
        if item["valueFrom"] in parameters:
            settings[item["name"]] = parameters[item["valueFrom"]]
    return settings
