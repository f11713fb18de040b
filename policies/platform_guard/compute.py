"""ECS: tasks without public IPs, secrets out of plain environment, Django run safely."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .props import UNKNOWN, Judge, config_list, truthy, word_parts

SERVICE_TYPES = frozenset({"aws:ecs/service:Service", "aws:ecs/taskSet:TaskSet"})
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"

# --- ecs-service-no-public-ip ----------------------------------------------------------------


def _public_ip(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in SERVICE_TYPES:
        return
    judge = Judge(args.name)
    flag = judge.get(args.props, "networkConfiguration", "assignPublicIp")
    if flag is not UNKNOWN and truthy(flag):
        report(
            "assignPublicIp is true: every task gets a public IP and is reachable from the internet "
            "wherever its security group allows, bypassing the load balancer and WAF. Run tasks in "
            "private subnets with assign_public_ip=False; they reach AWS through the NAT gateway or "
            "VPC endpoints.",
            None,
        )
    judge.settle()


ecs_service_no_public_ip = ResourceValidationPolicy(
    name="ecs-service-no-public-ip",
    description="ECS services and task sets run their tasks without public IPs, reachable only through the load balancer.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_public_ip,
)


# --- task definition helpers -----------------------------------------------------------------


def containers(args: ResourceValidationArgs, judge: Judge) -> list[Mapping[str, Any]]:
    """The container definitions, which the engine sends as one JSON string."""
    if args.resource_type != TASK_DEFINITION:
        return []
    document = judge.json(args.props, "containerDefinitions")
    if isinstance(document, Mapping):
        document = [document]
    if not isinstance(document, list):
        return []
    return [c for c in document if isinstance(c, Mapping)]


def environment(container: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    entries = container.get("environment")
    if not isinstance(entries, list):
        return pairs
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            value = entry.get("value")
            pairs.append((entry["name"], "" if value is None else str(value)))
    return pairs


def _container_name(container: Mapping[str, Any], index: int) -> str:
    return str(container.get("name") or f"#{index}")


# --- ecs-no-plaintext-secrets ----------------------------------------------------------------

SECRET_WORDS = frozenset(
    {
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "KEY",
        "KEYS",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
    }
)


def secret_looking(name: str) -> bool:
    """PASSWORD, SECRET, TOKEN, KEY... as a word of the name: SECRET_KEY and dbPassword are, KEYBOARD is not."""
    return any(part in SECRET_WORDS for part in word_parts(name))


def _plaintext_secrets(args: ResourceValidationArgs, report: ReportViolation) -> None:
    judge = Judge(args.name)
    allowed = {str(n) for n in config_list(args.get_config(), "allowedNames", [])}
    for index, container in enumerate(containers(args, judge)):
        names = [n for n, _ in environment(container) if secret_looking(n) and n not in allowed]
        if names:
            report(
                f"container '{_container_name(container, index)}' puts {', '.join(sorted(set(names)))} in "
                "plain environment, readable by anyone who can describe the task definition and kept in "
                "every revision. Move them to `secrets` (valueFrom a Secrets Manager ARN).",
                None,
            )
    judge.settle()


ecs_no_plaintext_secrets = ResourceValidationPolicy(
    name="ecs-no-plaintext-secrets",
    description=(
        "ECS task definitions keep secrets out of plain `environment`: no variable named with PASSWORD, "
        "SECRET, TOKEN, KEY or CREDENTIAL as a word; such values come from Secrets Manager via `secrets`."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedNames": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Variable names that look secret but are not (e.g. an identifier).",
                "default": [],
            }
        }
    ),
    validate=_plaintext_secrets,
)


# --- ecs-django-debug-off --------------------------------------------------------------------


def _named(name: str, setting: str) -> bool:
    upper = name.upper()
    return upper == setting or upper.endswith(f"_{setting}")


def _debug(args: ResourceValidationArgs, report: ReportViolation) -> None:
    judge = Judge(args.name)
    for index, container in enumerate(containers(args, judge)):
        for name, value in environment(container):
            if _named(name, "DEBUG") and truthy(value):
                report(
                    f"container '{_container_name(container, index)}' sets {name}={value}: Django then "
                    "serves tracebacks with settings and SQL to anyone who triggers an error. Set it to False.",
                    None,
                )
    judge.settle()


ecs_django_debug_off = ResourceValidationPolicy(
    name="ecs-django-debug-off",
    description="Django never runs with DEBUG on in a deployed task (DEBUG or DJANGO_DEBUG true in the environment).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_debug,
)


# --- ecs-django-allowed-hosts-explicit -------------------------------------------------------


def _allowed_hosts(args: ResourceValidationArgs, report: ReportViolation) -> None:
    judge = Judge(args.name)
    for index, container in enumerate(containers(args, judge)):
        for name, value in environment(container):
            hosts = [h for h in re.split(r"[,\s]+", value) if h]
            if _named(name, "ALLOWED_HOSTS") and "*" in hosts:
                report(
                    f"container '{_container_name(container, index)}' sets {name}={value}: Django accepts "
                    "any Host header, which enables cache poisoning and password-reset links to an "
                    "attacker's domain. List the site's host names (and the origin host CloudFront sends).",
                    None,
                )
    judge.settle()


ecs_django_allowed_hosts_explicit = ResourceValidationPolicy(
    name="ecs-django-allowed-hosts-explicit",
    description="Django's ALLOWED_HOSTS names the real hosts, never the wildcard '*'.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_allowed_hosts,
)


# --- ecs-no-privileged-containers ------------------------------------------------------------


def _privileged(args: ResourceValidationArgs, report: ReportViolation) -> None:
    judge = Judge(args.name)
    for index, container in enumerate(containers(args, judge)):
        if truthy(container.get("privileged")):
            report(
                f"container '{_container_name(container, index)}' is privileged: it gets every kernel "
                "capability and device on the host. Remove privileged=true.",
                None,
            )
    judge.settle()


ecs_no_privileged_containers = ResourceValidationPolicy(
    name="ecs-no-privileged-containers",
    description="No ECS container runs privileged (root on the host's kernel capabilities and devices).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_privileged,
)


POLICIES = [
    ecs_service_no_public_ip,
    ecs_no_plaintext_secrets,
    ecs_django_debug_off,
    ecs_django_allowed_hosts_explicit,
    ecs_no_privileged_containers,
]
