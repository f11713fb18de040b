"""Stand-ins for the other tiers' outputs, for the app tier's component tests, and helpers to read what
the app tier registered. Stack-level tests run the real program (`stack_runs`, `run_stack`)."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import Any

import pulumi

from components.django_service import DjangoServicesArgs, ServicesConfig
from components.handles import (
    AlbTarget,
    Buckets,
    CacheEndpoint,
    DatabaseEndpoint,
    Placement,
    Site,
    WorkloadGroups,
)
from components.load_balancer import LoadBalancer, LoadBalancerArgs, LoadBalancerConfig
from offline.engine import RegisteredResource, Registrations
from tests import _handles as stand_in
from tests._handles import workload_groups

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


ALB_DNS = "internal-epicvibe-alb-1.eu-west-1.elb.amazonaws.com"
SITE_HOST = "www.epicvibe.example"


# The app tier's stand-ins for other components' handles: tests/_handles.py's records with the
# values the assertions here name (this module's bucket names, secrets and subnets).


def placement(**changes: Any) -> Placement:
    return stand_in.placement(
        **{"vpc_id": VPC_ID, "vpc_cidr": "10.20.0.0/16", "app_subnet_ids": APP_SUBNETS, **changes}
    )


def alb_target(lb: LoadBalancer | None = None, /, **changes: Any) -> AlbTarget:
    """The load balancer's handle: `lb`'s own when given, else stand-ins."""
    if lb is not None:
        return replace(lb.target, **changes)
    return stand_in.alb_target(
        **{
            "arn": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/epicvibe-alb/0123456789abcdef",
            "arn_suffix": "app/epicvibe-alb/0123456789abcdef",
            "dns_name": ALB_DNS,
            **changes,
        }
    )


def site(lb: LoadBalancer | None = None, /, **changes: Any) -> Site:
    """The public site; behind `lb` when given (its DNS name is the origin host)."""
    return stand_in.site(
        **{"url": SITE_URL, "host": SITE_HOST, "origin_host": lb.dns_name if lb else ALB_DNS, **changes}
    )


def database_endpoint(**changes: Any) -> DatabaseEndpoint:
    return stand_in.database_endpoint(
        **{
            "address": "epicvibe-db.c0a1b2c3d4e5.eu-west-1.rds.amazonaws.com",
            "reader_addresses": ["epicvibe-db-replica-0.c0a1b2c3d4e5.eu-west-1.rds.amazonaws.com"],
            "resource_ids": [DB_RESOURCE_ID],
            "instance_identifier": "epicvibe-db",
            "replica_identifiers": ["epicvibe-db-replica-0"],
            **changes,
        }
    )


def cache_endpoint(**changes: Any) -> CacheEndpoint:
    return stand_in.cache_endpoint(
        **{"auth_secret_arn": CACHE_SECRET, "auth_secret_name": CACHE_SECRET_NAME, **changes}
    )


def buckets(**changes: Any) -> Buckets:
    return stand_in.buckets(
        **{
            "media_name": MEDIA_BUCKET,
            "media_arn": MEDIA_ARN,
            "media_regional_domain_name": f"{MEDIA_BUCKET}.s3.{REGION}.amazonaws.com",
            "static_name": STATIC_BUCKET,
            "static_regional_domain_name": f"{STATIC_BUCKET}.s3.{REGION}.amazonaws.com",
            "log_name": LOG_BUCKET,
            **changes,
        }
    )


def services_args(lb: LoadBalancer | None = None, **changes: Any) -> DjangoServicesArgs:
    """DjangoServicesArgs with stand-ins; `lb` supplies the load balancer's handle (and the site's origin
    host) when given. Changes to config fields go into its config."""
    config_changes, changes = split_config(changes)
    args = DjangoServicesArgs(
        config=services_config(**config_changes),
        placement=placement(),
        workloads=WorkloadGroups(web_security_group_id=WEB_SG, worker_security_group_id=WORKER_SG),
        load_balancer=alb_target(lb),
        site=site(lb),
        database=database_endpoint(),
        cache=cache_endpoint(),
        buckets=buckets(),
        stack=stand_in.stack_wide(kms_key_arn=KMS_KEY, tags={"Stack": "test"}),
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
