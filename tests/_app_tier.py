"""Stand-ins for the other tiers' outputs, and the app tier wired from a stack's real settings the way
`__main__.py` wires it, so the app tier's tests do not wait for the data and edge tiers."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pulumi

from components.django_service import DjangoServices, DjangoServicesArgs, ServiceScaling
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from offline.engine import (
    RegisteredResource,
    Registrations,
    activate_mocks,
    build_components,
    load_stack_config,
)
from settings import Settings, load_settings

ACCOUNT = "123456789012"
REGION = "eu-west-1"
VPC_ID = "vpc-0a1b2c3d4e5f60718"
APP_SUBNETS = ["subnet-0aaa1111bbbb22223", "subnet-0ccc3333dddd44445"]
WEB_SG = "sg-0web0000000000001"
WORKER_SG = "sg-0worker0000000002"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DB_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-0123abcd-4567-89ef-AbCdEf"
CACHE_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:epicvibe-redis-auth-GhIjKl"
MEDIA_BUCKET = "epicvibe-media-0a1b2c3"
MEDIA_ARN = f"arn:aws:s3:::{MEDIA_BUCKET}"
STATIC_BUCKET = "epicvibe-static-0a1b2c3"
LOG_BUCKET = "epicvibe-logs-0a1b2c3"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/epicvibe:1.4.2"
SECRET_KEY_VALUE = "k" * 20 + "-django-secret-key-stand-in-" + "z" * 20
SITE_URL = "https://www.epicvibe.example"
CERTIFICATE = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0a1b2c3d-1111-2222-3333-444455556666"


def load_balancer_args(**changes: Any) -> LoadBalancerArgs:
    args = LoadBalancerArgs(
        vpc_id=VPC_ID,
        subnet_ids=APP_SUBNETS,
        web_security_group_id=WEB_SG,
        log_bucket_name=LOG_BUCKET,
        tags={"Stack": "test"},
    )
    return replace(args, **changes)


def services_args(lb: LoadBalancer | None = None, **changes: Any) -> DjangoServicesArgs:
    """DjangoServicesArgs with stand-ins; `lb` supplies the load balancer's outputs when given."""
    args = DjangoServicesArgs(
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
        django_secret_key=pulumi.Output.secret(SECRET_KEY_VALUE),
        kms_key_arn=KMS_KEY,
        database_address="epicvibe-db.c0a1b2c3d4e5.eu-west-1.rds.amazonaws.com",
        database_port=5432,
        database_name="epicvibe",
        database_reader_addresses=["epicvibe-db-replica-0.c0a1b2c3d4e5.eu-west-1.rds.amazonaws.com"],
        database_secret_arn=DB_SECRET,
        cache_address="master.epicvibe-redis.abc123.euw1.cache.amazonaws.com",
        cache_reader_address="replica.epicvibe-redis.abc123.euw1.cache.amazonaws.com",
        cache_port=6379,
        cache_auth_secret_arn=CACHE_SECRET,
        media_bucket_name=MEDIA_BUCKET,
        media_bucket_arn=MEDIA_ARN,
        static_bucket_name=STATIC_BUCKET,
        image=IMAGE,
        tags={"Stack": "test"},
    )
    return replace(args, **changes)


def wire_app_tier(settings: Settings, name: str = "epicvibe") -> None:
    """The app tier as `__main__.py` wires it (the snippet in the report), other tiers stood in."""
    app = settings.app
    tags = settings.stack.tags
    load_balancer = LoadBalancer(
        f"{name}-lb",
        LoadBalancerArgs(
            vpc_id=VPC_ID,
            subnet_ids=APP_SUBNETS,
            web_security_group_id=WEB_SG,
            container_port=app.container_port,
            health_check_path=app.health_check_path,
            deregistration_delay=app.deregistration_delay_seconds,
            certificate_arn=app.alb_certificate_arn,
            log_bucket_name=LOG_BUCKET,
            deletion_protection=app.alb_deletion_protection,
            idle_timeout=app.alb_idle_timeout_seconds,
            cloudfront_security_group_id=app.alb_cloudfront_security_group_id,
            tags=tags,
        ),
    )
    DjangoServices(
        f"{name}-app",
        replace(
            services_args(load_balancer),
            image=app.image,
            docker_context=app.docker_context,
            container_port=app.container_port,
            django_settings_module=app.django_settings_module,
            wsgi_application=app.wsgi_application,
            celery_app=app.celery_app,
            django_secret_key=app.django_secret_key,
            cpu_architecture=app.cpu_architecture,
            web=ServiceScaling(
                cpu=app.web_cpu,
                memory=app.web_memory,
                min_tasks=app.web_min_tasks,
                max_tasks=app.web_max_tasks,
                cpu_target_percent=app.web_cpu_target_percent,
            ),
            worker=ServiceScaling(
                cpu=app.worker_cpu,
                memory=app.worker_memory,
                min_tasks=app.worker_min_tasks,
                max_tasks=app.worker_max_tasks,
                cpu_target_percent=app.worker_cpu_target_percent,
            ),
            web_requests_per_target=app.web_requests_per_target,
            beat_enabled=app.beat_enabled,
            fargate_spot_weight=app.fargate_spot_weight,
            container_insights=app.container_insights,
            health_check_grace_period=app.health_check_grace_period_seconds,
            load_balancer_idle_timeout=app.alb_idle_timeout_seconds,
            log_retention_days=settings.observability.log_retention_days,
            nightly_scale_down=app.nightly_scale_down,
            scale_down_schedule=app.nightly_scale_down_cron,
            scale_up_schedule=app.nightly_scale_up_cron,
            schedule_timezone=app.schedule_timezone,
            xray_enabled=app.xray_enabled,
            tags=tags,
        ),
    )


def build_stack_app_tier(root: Any, stack: str, **overrides: str) -> Registrations:
    """Load a stack's real settings (plus overrides) and build the app tier from them under mocks."""
    config = load_stack_config(root, stack, overrides)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    monitor = activate_mocks(config.project, stack)
    return build_components(monitor, lambda: wire_app_tier(load_settings()))


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
