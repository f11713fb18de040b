"""The Django services: private tasks, read-only containers, safe deploys, scaling and outputs.

What the tasks may read and do (secrets, parameters, IAM) is in `test_django_service_access.py`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.django_service import (
    DjangoServices,
    DjangoServicesArgs,
    ServiceScaling,
)
from components.load_balancer import LoadBalancer
from offline.engine import Registrations
from tests._app_tier import (
    APP_SUBNETS,
    IMAGE,
    KMS_KEY,
    WEB_SG,
    WORKER_SG,
    alb_target,
    app_container,
    containers,
    load_balancer_args,
    services_args,
)
from tests._django_tier import (
    LISTENER,
    LOG_GROUP,
    SCALING_POLICY,
    SCALING_TARGET,
    SCHEDULED_ACTION,
    TASK_DEFINITION,
    build_services,
    services,
    statements,
    task_definitions,
)
from tests._handles import stack_wide
from tests.fixtures import Build

# --- network --------------------------------------------------------------------------------------


def test_every_service_runs_in_the_app_subnets_without_public_ips(default_tier: Registrations) -> None:
    found = services(default_tier)
    assert set(found) == {"web", "worker", "beat"}
    for name, service in found.items():
        network = service["networkConfiguration"]
        assert network["assignPublicIp"] is False, name
        assert network["subnets"] == APP_SUBNETS, name


def test_web_tasks_use_the_web_group_and_everything_else_the_worker_group(
    default_tier: Registrations,
) -> None:
    found = services(default_tier)
    assert found["web"]["networkConfiguration"]["securityGroups"] == [WEB_SG]
    assert found["worker"]["networkConfiguration"]["securityGroups"] == [WORKER_SG]
    assert found["beat"]["networkConfiguration"]["securityGroups"] == [WORKER_SG]


def test_only_web_is_registered_with_the_load_balancer_after_its_listener_exists(
    default_tier: Registrations,
) -> None:
    found = services(default_tier)
    (registration,) = found["web"]["loadBalancers"]
    assert registration["containerName"] == "web"
    assert registration["containerPort"] == 8000
    # The load balancer's handle carries its own target group: the one the web tasks register in.
    (target_group,) = default_tier.of_type("aws:lb/targetGroup:TargetGroup")
    assert registration["targetGroupArn"] == target_group.outputs["arn"]
    assert registration["targetGroupArn"].startswith("arn:aws:elasticloadbalancing:")
    assert "loadBalancers" not in found["worker"] and "loadBalancers" not in found["beat"]
    web = default_tier.named("app-web")
    (listener,) = default_tier.of_type(LISTENER)
    assert listener.urn in web.dependencies, "ECS refuses a target group that no listener uses yet"


# --- containers -----------------------------------------------------------------------------------


def test_containers_are_read_only_unless_exec_needs_writable_roots(build: Build) -> None:
    # ECS Exec isn't supported with a read-only root file system: only Exec-enabled tasks trade it.
    for exec_enabled in (False, True):
        built = build_services(build, ecs_exec_enabled=exec_enabled, xray_enabled=True)
        for role, definition in task_definitions(built).items():
            assert app_container(definition)["readonlyRootFilesystem"] is (not exec_enabled), role
        services_found = services(built)
        assert {s["enableExecuteCommand"] for s in services_found.values()} == {exec_enabled}


def test_containers_are_unprivileged_and_exec_ready(default_tier: Registrations) -> None:
    for _role, definition in task_definitions(default_tier).items():
        for container in containers(definition):
            assert container.get("privileged") is not True
        app = app_container(definition)
        assert app["linuxParameters"]["initProcessEnabled"] is True
        assert {m["containerPath"] for m in app["mountPoints"]} >= {"/tmp", "/var/lib/amazon/ssm"}
        assert app["logConfiguration"]["logDriver"] == "awslogs"


def test_tasks_run_arm64_fargate_by_default_and_x86_on_request(
    build: Build, default_tier: Registrations
) -> None:
    for definition in task_definitions(default_tier).values():
        assert definition.inputs["runtimePlatform"] == {
            "operatingSystemFamily": "LINUX",
            "cpuArchitecture": "ARM64",
        }
        assert definition.inputs["requiresCompatibilities"] == ["FARGATE"]
        assert definition.inputs["networkMode"] == "awsvpc"
    x86 = build_services(build, cpu_architecture="X86_64")
    assert {d.inputs["runtimePlatform"]["cpuArchitecture"] for d in x86.of_type(TASK_DEFINITION)} == {
        "X86_64"
    }


def test_commands_web_worker_beat_and_migrations_share_one_image(default_tier: Registrations) -> None:
    found = task_definitions(default_tier)
    assert set(found) == {"web", "worker", "beat", "migrate", "collectstatic"}
    assert {app_container(d)["image"] for d in found.values()} == {IMAGE}
    assert app_container(found["web"])["command"][:2] == ["gunicorn", "config.wsgi:application"]
    assert app_container(found["web"])["portMappings"][0]["containerPort"] == 8000
    assert app_container(found["worker"])["command"][:4] == ["celery", "-A", "config", "worker"]
    assert app_container(found["beat"])["command"][:4] == ["celery", "-A", "config", "beat"]
    assert app_container(found["migrate"])["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert app_container(found["collectstatic"])["command"][-2:] == ["collectstatic", "--noinput"]


def test_gunicorn_outlives_the_load_balancers_idle_connections(build: Build) -> None:
    built = build_services(build, load_balancer=alb_target(idle_timeout_seconds=120))
    command = app_container(task_definitions(built)["web"])["command"]
    assert int(command[command.index("--keep-alive") + 1]) > 120


@pytest.mark.parametrize(("days", "exec_days"), [(90, 365), (400, 400)])
def test_log_groups_keep_logs_for_the_retention_and_encrypt_them(
    build: Build, days: int, exec_days: int
) -> None:
    built = build_services(build, stack=stack_wide(kms_key_arn=KMS_KEY, log_retention_days=days))
    groups = built.of_type(LOG_GROUP)
    assert {g.name for g in groups} == {
        f"app-{r}-logs" for r in ("web", "worker", "beat", "migrate", "collectstatic", "exec")
    }
    for group in groups:
        # The ECS Exec audit log keeps at least a year whatever the application logs keep.
        assert group.inputs["retentionInDays"] == (exec_days if group.name == "app-exec-logs" else days)
        assert group.inputs["kmsKeyId"] == KMS_KEY
    for role, definition in task_definitions(built).items():
        options = app_container(definition)["logConfiguration"]["options"]
        assert options["awslogs-group"] == built.named(f"app-{role}-logs").inputs["name"]


# --- deployments and capacity ---------------------------------------------------------------------


def test_rolling_deploys_keep_capacity_and_roll_back_failures(default_tier: Registrations) -> None:
    found = services(default_tier)
    for name in ("web", "worker"):
        service = found[name]
        assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}, name
        assert (service["deploymentMinimumHealthyPercent"], service["deploymentMaximumPercent"]) == (100, 200)
        assert service["enableExecuteCommand"] is True
        assert service["propagateTags"] == "SERVICE"
    assert found["web"]["healthCheckGracePeriodSeconds"] == 60
    # Never two beats at once: the old one stops before the new one starts.
    beat = found["beat"]
    assert (beat["deploymentMinimumHealthyPercent"], beat["deploymentMaximumPercent"]) == (0, 100)
    assert beat["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert beat["desiredCount"] == 1


def test_ecs_exec_sessions_are_logged(default_tier: Registrations) -> None:
    cluster = default_tier.named("app-cluster").inputs
    configuration = cluster["configuration"]["executeCommandConfiguration"]
    assert configuration["logging"] == "OVERRIDE"
    assert configuration["logConfiguration"]["cloudWatchEncryptionEnabled"] is True
    assert (
        configuration["logConfiguration"]["cloudWatchLogGroupName"]
        == default_tier.named("app-exec-logs").inputs["name"]
    )
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]


def test_spot_only_when_weighted_and_never_for_beat(build: Build, default_tier: Registrations) -> None:
    found = services(default_tier)
    for name in ("web", "worker"):
        providers = {s["capacityProvider"]: s for s in found[name]["capacityProviderStrategies"]}
        assert providers["FARGATE"]["base"] == 1
        assert providers["FARGATE_SPOT"]["weight"] == 3
    assert [s["capacityProvider"] for s in found["beat"]["capacityProviderStrategies"]] == ["FARGATE"]

    no_spot = services(build_services(build, fargate_spot_weight=0))
    for service in no_spot.values():
        assert [s["capacityProvider"] for s in service["capacityProviderStrategies"]] == ["FARGATE"]


def test_beat_can_be_left_out(build: Build) -> None:
    built = build_services(build, beat_enabled=False)
    assert set(services(built)) == {"web", "worker"}
    assert "beat" not in task_definitions(built)


# --- autoscaling ----------------------------------------------------------------------------------


def test_web_scales_on_cpu_and_requests_worker_on_cpu(build: Build) -> None:
    captured: dict[str, str] = {}

    def construct() -> None:
        lb = LoadBalancer("lb", load_balancer_args())
        pulumi.Output.concat(lb.arn_suffix, "/", lb.target_group_arn_suffix).apply(
            lambda label: captured.__setitem__("label", label)
        )
        DjangoServices(
            "app",
            services_args(
                lb,
                web_min_tasks=3,
                web_max_tasks=12,
                web_cpu_target_percent=55,
                worker_min_tasks=2,
                worker_max_tasks=8,
                worker_cpu_target_percent=70,
                web_requests_per_target=250,
            ),
        )

    built = build(construct)
    targets = {t.name: t.inputs for t in built.of_type(SCALING_TARGET)}
    assert (targets["app-web-scaling"]["minCapacity"], targets["app-web-scaling"]["maxCapacity"]) == (3, 12)
    assert (targets["app-worker-scaling"]["minCapacity"], targets["app-worker-scaling"]["maxCapacity"]) == (
        2,
        8,
    )
    assert targets["app-web-scaling"]["resourceId"].startswith("service/app-cluster-")
    policies = {
        p.name: p.inputs["targetTrackingScalingPolicyConfiguration"] for p in built.of_type(SCALING_POLICY)
    }
    assert set(policies) == {
        "app-web-cpu",
        "app-web-requests",
        "app-worker-cpu",
        "app-web-memory",
        "app-worker-memory",
    }
    assert (
        policies["app-web-cpu"]["predefinedMetricSpecification"]["predefinedMetricType"]
        == "ECSServiceAverageCPUUtilization"
    )
    assert policies["app-web-cpu"]["targetValue"] == 55
    requests = policies["app-web-requests"]
    assert requests["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ALBRequestCountPerTarget",
        "resourceLabel": captured["label"],
    }
    assert captured["label"].startswith("app/") and "/targetgroup/" in captured["label"]
    assert requests["targetValue"] == 250
    assert policies["app-worker-cpu"]["targetValue"] == 70
    assert services(built)["web"]["desiredCount"] == 3


def test_nightly_scale_down_stops_everything_and_restores_the_bounds(default_tier: Registrations) -> None:
    actions = {a.name.removeprefix("app-"): a.inputs for a in default_tier.of_type(SCHEDULED_ACTION)}
    assert set(actions) == {f"{r}-{p}" for r in ("web", "worker", "beat") for p in ("night", "morning")}
    for role in ("web", "worker", "beat"):
        assert actions[f"{role}-night"]["scalableTargetAction"] == {"minCapacity": 0, "maxCapacity": 0}
    assert actions["web-morning"]["scalableTargetAction"] == {"minCapacity": 2, "maxCapacity": 6}
    assert actions["beat-morning"]["scalableTargetAction"] == {"minCapacity": 1, "maxCapacity": 1}
    assert actions["web-night"]["schedule"] == "cron(0 20 * * ? *)"


def test_no_schedules_without_nightly_scale_down(build: Build) -> None:
    built = build_services(build)
    assert built.of_type(SCHEDULED_ACTION) == []
    assert {t.name for t in built.of_type(SCALING_TARGET)} == {"app-web-scaling", "app-worker-scaling"}


# --- outputs and image ----------------------------------------------------------------------------


def test_outputs_give_a_pipeline_what_it_needs_to_run_migrations(build: Build) -> None:
    captured: dict[str, Any] = {}

    def construct() -> None:
        app = DjangoServices("app", services_args())
        pulumi.Output.all(
            cluster=app.cluster_name,
            task=app.migrate_task_definition_arn,
            subnets=app.task_subnet_ids,
            groups=app.task_security_group_ids,
            web=app.web_service_name,
            logs=app.log_group_names,
        ).apply(captured.update)

    build(construct)
    assert captured["cluster"].startswith("app-cluster-")
    assert captured["task"].endswith("task-definition/app-test-migrate:1")
    assert captured["subnets"] == APP_SUBNETS
    assert captured["groups"] == [WORKER_SG]
    assert captured["web"].startswith("app-web-")
    assert "/ecs/app-test/migrate" in captured["logs"]


def test_docker_context_builds_into_a_new_ecr_repository(build: Build) -> None:
    built = build_services(build, image=None, docker_context="./app")
    repository = built.named("app-repo")
    assert repository.type == "awsx:ecr:Repository"
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KMS_KEY}]
    image = built.named("app-image")
    assert image.inputs["platform"] == "linux/arm64"
    assert image.inputs["context"] == "./app"
    uri = image.outputs["imageUri"]
    assert {app_container(d)["image"] for d in built.of_type(TASK_DEFINITION)} == {uri}
    pull = statements(built, "execution")["PullImage"]["Resource"]
    assert pull.startswith("arn:aws:ecr:eu-west-1:123456789012:repository/app-repo")


def test_image_outside_ecr_gets_no_ecr_permissions(build: Build) -> None:
    built = build_services(build, image="ghcr.io/epicvibe/organizer:1.4.2")
    assert {"PullImage", "RegistryLogin"}.isdisjoint(statements(built, "execution"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"image": None}, "set exactly one"),
        ({"docker_context": "./app"}, "set exactly one"),
        ({"image": "epicvibe:latest"}, "pin a release"),
        ({"cpu_architecture": "arm"}, "ARM64"),
        ({"container_insights": "on"}, "enabled"),
        ({"nightly_scale_down_cron": "0 20 * * *"}, "cron"),
    ],
)
def test_bad_arguments_are_refused_with_the_fix(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        services_args(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"cpu": 256, "memory": 4096},
            "memory 4096 MiB does not fit CPU 256; with CPU 256 use 512, 1024, 2048",
        ),
        ({"cpu": 300, "memory": 1024}, "cpu 300: allowed: 256, 512"),
        ({"min_tasks": 5, "max_tasks": 2}, r"max_tasks 2: expected at least the minimum task count \(5\)"),
        ({"cpu_target_percent": 95}, "10 to 90"),
    ],
)
def test_bad_service_sizes_are_refused_with_the_fix(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ServiceScaling(**changes)


def test_args_are_a_frozen_dataclass_with_documented_defaults() -> None:
    import dataclasses

    for cls in (DjangoServicesArgs, ServiceScaling):
        assert dataclasses.is_dataclass(cls)
        assert vars(cls)["__dataclass_params__"].frozen
    source = Path(DjangoServicesArgs.__module__.replace(".", "/") + ".py").read_text()
    for item in dataclasses.fields(DjangoServicesArgs):
        if item.default is not dataclasses.MISSING or item.default_factory is not dataclasses.MISSING:
            block = source.split(f"    {item.name}:", 1)[1].split('"""', 2)[1]
            assert "Default:" in block, item.name
