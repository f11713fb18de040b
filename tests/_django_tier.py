"""What the Django services' tests share: resource types, the build helpers and the readers of what
the services registered (`test_django_service.py`, `test_django_service_access.py`)."""

from __future__ import annotations

from typing import Any

from components.django_service import DjangoServices
from components.load_balancer import LoadBalancer
from offline.engine import RegisteredResource, Registrations
from tests._app_tier import load_balancer_args, policy, services_args
from tests.fixtures import Build

SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCHEDULED_ACTION = "aws:appautoscaling/scheduledAction:ScheduledAction"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
LISTENER = "aws:lb/listener:Listener"

SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
# Actions IAM authorises only on "*": no statement may use "*" for anything else.
UNSCOPABLE_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
}


def build_services(build: Build, **changes: Any) -> Registrations:
    return build(lambda: DjangoServices("app", services_args(**changes)))


def services(built: Registrations) -> dict[str, dict[str, Any]]:
    return {r.name.removeprefix("app-"): r.inputs for r in built.of_type(SERVICE)}


def task_definitions(built: Registrations) -> dict[str, RegisteredResource]:
    return {r.name.removeprefix("app-").removesuffix("-task"): r for r in built.of_type(TASK_DEFINITION)}


def statements(built: Registrations, role: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy(built.named(f"app-{role}-policy"))["Statement"]}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def build_default_tier() -> None:
    """The load balancer and the services together, as __main__ wires them, with every option on
    (X-Ray, nightly scale-down, Fargate Spot, ECS Exec): the `default_tier` fixture's build."""
    lb = LoadBalancer("lb", load_balancer_args())
    DjangoServices(
        "app",
        services_args(
            lb, xray_enabled=True, nightly_scale_down=True, fargate_spot_weight=3, ecs_exec_enabled=True
        ),
    )
