"""The app tier as the whole program builds it from each stack's real settings: the shape differs only
through config."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pulumi
import pytest

from offline.engine import ProgramRun, Registrations, activate_mocks, build_components
from offline.stack_config import load_stack_config
from settings import Settings, load_settings
from tests._app_tier import app_container, task_settings
from tests.conftest import ROOT

KEY = "django-platform:"
STACK_SHAPES = {
    # stack: (web min, web max, worker min, worker max, Spot weight, nightly schedules, X-Ray)
    "staging": (1, 3, 1, 2, 3, True, False),
    "prod": (2, 8, 1, 4, 0, False, True),
}


def load(stack: str = "staging", **overrides: str) -> Settings:
    config = load_stack_config(ROOT, stack, overrides)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    activate_mocks(config.project, stack)
    return load_settings()


def refusal(stack: str = "staging", **overrides: str) -> str:
    with pytest.raises(pulumi.RunError) as caught:
        load(stack, **overrides)
    return str(caught.value)


def by_name(built: Registrations, token: str) -> dict[str, dict[str, Any]]:
    return {r.name: r.inputs for r in built.of_type(token)}


@pytest.mark.parametrize("stack", list(STACK_SHAPES))
def test_scaling_bounds_follow_the_stack_settings(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    web_min, web_max, worker_min, worker_max, *_ = STACK_SHAPES[stack]
    targets = by_name(stack_runs[stack], "aws:appautoscaling/target:Target")
    web = targets["epicvibe-app-web-scaling"]
    worker = targets["epicvibe-app-worker-scaling"]
    assert (web["minCapacity"], web["maxCapacity"]) == (web_min, web_max)
    assert (worker["minCapacity"], worker["maxCapacity"]) == (worker_min, worker_max)


@pytest.mark.parametrize("stack", list(STACK_SHAPES))
def test_spot_runs_in_staging_only(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    spot_weight = STACK_SHAPES[stack][4]
    services = by_name(stack_runs[stack], "aws:ecs/service:Service")
    for name, service in services.items():
        weights = {s["capacityProvider"]: s.get("weight") for s in service["capacityProviderStrategies"]}
        if spot_weight and not name.endswith("-beat"):
            assert weights == {"FARGATE": 1, "FARGATE_SPOT": spot_weight}, name
        else:
            assert weights == {"FARGATE": 1}, name


@pytest.mark.parametrize("stack", list(STACK_SHAPES))
def test_nightly_scale_down_in_staging_only(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    nightly = STACK_SHAPES[stack][5]
    actions = stack_runs[stack].of_type("aws:appautoscaling/scheduledAction:ScheduledAction")
    assert bool(actions) is nightly


@pytest.mark.parametrize("stack", list(STACK_SHAPES))
def test_both_stacks_run_private_arm64_tasks_behind_an_internal_alb(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    built = stack_runs[stack]
    (alb,) = built.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["internal"] is True and alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["enableDeletionProtection"] is (stack == "prod")
    services = by_name(built, "aws:ecs/service:Service")
    assert sorted(services) == ["epicvibe-app-beat", "epicvibe-app-web", "epicvibe-app-worker"]
    for service in services.values():
        assert service["networkConfiguration"]["assignPublicIp"] is False
        assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    xray = STACK_SHAPES[stack][6]
    # Django gets the ALB's name as Host and the site's host through X-Forwarded-Host.
    site_host = urlsplit(built.stack_outputs["siteUrl"]).hostname
    definitions = built.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert sorted(d.name.removeprefix("epicvibe-app-") for d in definitions) == sorted(
        ["web-task", "worker-task", "beat-task", "migrate-task", "collectstatic-task"]
    )
    for definition in definitions:
        assert definition.inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64"
        env = task_settings(built, app_container(definition))
        assert env["DEBUG"] == "False"
        # With an HTTPS origin (prod's domain), the name the origin certificate covers.
        origin = f"origin.{site_host}" if stack == "prod" else alb.outputs["dnsName"]
        assert sorted(env["ALLOWED_HOSTS"].split(",")) == sorted([origin, site_host])
        # Only the tasks that run the X-Ray daemon sidecar (web, worker) are told where it listens.
        has_sidecar = xray and definition.name.removeprefix("epicvibe-app-") in ("web-task", "worker-task")
        assert ("AWS_XRAY_DAEMON_ADDRESS" in env) is has_sidecar
    # The app tier's log groups (the VPC flow logs keep their own retention setting).
    app_groups = built.children_of(built.named("epicvibe-app"))
    log_groups = [r for r in app_groups if r.type == "aws:cloudwatch/logGroup:LogGroup"]
    assert log_groups
    for group in log_groups:
        expected = 365 if group.name.endswith("-exec-logs") else (90 if stack == "prod" else 30)
        assert group.inputs["retentionInDays"] == expected


@pytest.mark.parametrize("stack", list(STACK_SHAPES))
def test_both_whole_stacks_still_run(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    assert stack_runs[stack].resources, stack


def test_stack_settings_carry_the_app_shape() -> None:
    staging_settings, prod_settings = load("staging"), load("prod")
    staging, prod = staging_settings.app, prod_settings.app
    staging_lb, prod_lb = staging_settings.load_balancer, prod_settings.load_balancer
    assert staging.fargate_spot_weight == 3 and prod.fargate_spot_weight == 0
    assert staging.nightly_scale_down is True and prod.nightly_scale_down is False
    assert prod_lb.deletion_protection is True and staging_lb.deletion_protection is False
    assert (prod.web_cpu_units, prod.web_memory_mib) == (512, 1024)
    assert staging_lb.health_check_path == prod_lb.health_check_path == "/health/"
    assert staging_lb.certificate_arn is None and staging_lb.cloudfront_security_group_id is None
    assert staging.image and staging.docker_context is None


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({"appImage": "epicvibe:latest"}, "appImage", "pin a release tag"),
        ({"appImage": "epicvibe"}, "appImage", "<registry>/<repository>:<tag>"),
        ({"appDockerContext": "./app"}, "appImage", "set exactly one"),
        ({"appImage": ""}, "appImage", "set exactly one"),
        ({"appContainerPort": "80"}, "appContainerPort", "from 1024 to 65535"),
        ({"webCpu": "300"}, "webCpu", "allowed: 256, 512"),
        ({"webCpu": "512", "webMemory": "8192"}, "webMemory", "with CPU 512 use 1024, 2048, 3072, 4096"),
        ({"workerMaxTasks": "0"}, "workerMaxTasks", "from 1 to 1000"),
        ({"webMinTasks": "4"}, "webMaxTasks", "at least the minimum task count (4)"),
        ({"cpuArchitecture": "arm64"}, "cpuArchitecture", "'ARM64', 'X86_64'"),
        ({"containerInsights": "on"}, "containerInsights", "'enabled', 'enhanced', 'disabled'"),
        ({"healthCheckPath": "health"}, "healthCheckPath", "absolute URL path"),
        ({"albCertificateArn": "arn:aws:iam::1:x"}, "albCertificateArn", "ACM certificate ARN"),
        (
            {"albCloudFrontSecurityGroupId": "CloudFront-VPCOrigins-Service-SG"},
            "albCloudFrontSecurityGroupId",
            "sg-",
        ),
        ({"nightlyScaleDownCron": "0 20 * * *"}, "nightlyScaleDownCron", "cron(0 20 * * ? *)"),
        ({"scheduleTimezone": "Mars/Olympus"}, "scheduleTimezone", "IANA time zone"),
        ({"djangoWsgiApplication": "config.wsgi"}, "djangoWsgiApplication", "config.wsgi:application"),
        ({"deregistrationDelaySeconds": "4000"}, "deregistrationDelaySeconds", "from 0 to 3600"),
        ({"fargateSpotWeight": "-1"}, "fargateSpotWeight", "from 0 to 1000"),
    ],
)
def test_bad_app_value_is_refused_naming_key_value_and_what_is_allowed(
    overrides: dict[str, str], key: str, allowed: str
) -> None:
    message = refusal(**overrides)
    line = next(line for line in message.splitlines() if f"{KEY}{key}:" in line)
    assert allowed in line, line


def secret_key_length(stack: str, **overrides: str) -> int:
    """Use the SECRET_KEY setting inside a program run, where its length rule is enforced."""
    config = load_stack_config(ROOT, stack, overrides)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    monitor = activate_mocks(config.project, stack)
    lengths: list[int] = []
    build_components(
        monitor, lambda: load_settings().app.django_secret_key.apply(lambda v: lengths.append(len(v)))
    )
    return lengths[0]


def test_a_short_secret_key_is_refused_when_used() -> None:
    with pytest.raises(
        pulumi.RunError, match="djangoSecretKey: the secret is 9 characters long; at least 50"
    ):
        secret_key_length("staging", djangoSecretKey="too-short")


def test_the_planned_placeholder_secret_key_passes_the_length_rule() -> None:
    assert secret_key_length("prod") >= 50
