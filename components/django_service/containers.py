"""The containers of the Django tasks as plain data: environment checks, the `secrets` lists ECS
injects at task start, and the container definitions JSON. Pure functions of resolved values."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from .config import CREDENTIAL_WORDS, IDENTIFIER_WORDS, XRAY_DAEMON_IMAGE, XRAY_DAEMON_PORT
from .workloads import Workload


def allowed_hosts_value(hosts: Sequence[str]) -> str:
    """ALLOWED_HOSTS as Django reads it; refuses an empty list, empty names and wildcards."""
    if not hosts or any(not host or "*" in host for host in hosts):
        raise pulumi.RunError(
            f"allowed_hosts {list(hosts)!r}: name the host names Django receives; '*' is refused"
        )
    return ",".join(hosts)


def credential_like(name: str) -> bool:
    """An environment name that looks like a credential (`CREDENTIAL_WORDS`), unless the next word
    says it only names one (MEDIA_SIGNING_KEY_ID)."""
    words = name.split("_")
    return any(
        word in CREDENTIAL_WORDS and (words[i + 1] if i + 1 < len(words) else "") not in IDENTIFIER_WORDS
        for i, word in enumerate(words)
    )


def checked_environment(values: dict[str, str]) -> dict[str, str]:
    """Refuse a credential-looking name in plain environment (the policy pack would, later)."""
    for name in values:
        if credential_like(name):
            raise pulumi.RunError(f"environment {name!r} looks like a credential; pass it as a task secret")
    return values


def credential_secrets(
    *, cache_value_from: str, cache_json_key: str | None, secret_key_value_from: str
) -> list[dict[str, str]]:
    """The credentials every task gets, from Secrets Manager. No database password: the tasks log in
    with IAM tokens (DATABASE_AUTH=iam), created per connection, so a rotation strands no task."""
    return [
        {
            "name": "REDIS_AUTH_TOKEN",
            "valueFrom": f"{cache_value_from}:{cache_json_key}::" if cache_json_key else cache_value_from,
        },
        {"name": "DJANGO_SECRET_KEY", "valueFrom": secret_key_value_from},
    ]


def setting_secrets(parameter_arns: Mapping[str, str]) -> list[dict[str, str]]:
    """Late settings as ECS injects them: each from its SSM parameter, sorted by name."""
    return [{"name": name, "valueFrom": parameter_arns[name]} for name in sorted(parameter_arns)]


def media_signing_secrets(*, key_id_parameter_arn: str, private_key_value_from: str) -> list[dict[str, str]]:
    """What the web container alone gets to sign private media URLs."""
    return [
        {"name": "MEDIA_SIGNING_KEY_ID", "valueFrom": key_id_parameter_arn},
        {"name": "MEDIA_SIGNING_PRIVATE_KEY", "valueFrom": private_key_value_from},
    ]


def _log_configuration(log_options: Mapping[str, str], prefix: str) -> dict[str, Any]:
    return {"logDriver": "awslogs", "options": {**log_options, "awslogs-stream-prefix": prefix}}


def _xray_daemon(log_options: Mapping[str, str]) -> dict[str, Any]:
    return {
        "name": "xray-daemon",
        "image": XRAY_DAEMON_IMAGE,
        # Tracing must never take the application down with it.
        "essential": False,
        "cpu": 32,
        "memoryReservation": 64,
        "portMappings": [{"containerPort": XRAY_DAEMON_PORT, "protocol": "udp"}],
        "readonlyRootFilesystem": True,
        "logConfiguration": _log_configuration(log_options, "xray"),
    }


def container_definitions(
    workload: Workload,
    *,
    command: Sequence[str],
    image: str,
    environment: Mapping[str, str],
    secrets: Sequence[Mapping[str, str]],
    log_group: str,
    region: str,
    container_port: int,
    xray_enabled: bool,
    exec_enabled: bool,
) -> str:
    """The task definition's containerDefinitions: the application, plus the X-Ray daemon where the
    workload takes it and the stack enables tracing."""
    role = workload.role
    sidecar = xray_enabled and workload.xray_sidecar
    log_options = {
        "awslogs-group": log_group,
        "awslogs-region": region,
        # Non-blocking: a CloudWatch Logs slowdown must not stall gunicorn on stdout.
        "mode": "non-blocking",
        "max-buffer-size": "25m",
    }
    app: dict[str, Any] = {
        "name": role,
        "image": image,
        "essential": True,
        "command": list(command),
        "environment": [
            {"name": k, "value": v}
            for k, v in sorted(environment.items())
            # Only tasks with the daemon sidecar may point the SDK at it; elsewhere traces would
            # be sent to a port nothing listens on.
            if sidecar or k != "AWS_XRAY_DAEMON_ADDRESS"
        ],
        "secrets": list(secrets),
        # ECS Exec isn't supported with a read-only root file system: only Exec-enabled
        # stacks trade it away.
        "readonlyRootFilesystem": not exec_enabled,
        # An init process reaps the SSM agent's children in ECS Exec sessions and forwards SIGTERM.
        "linuxParameters": {"initProcessEnabled": True},
        "mountPoints": [
            {"sourceVolume": volume, "containerPath": path, "readOnly": False}
            for volume, path in workload.writable_paths.items()
        ],
        "stopTimeout": workload.stop_timeout_seconds,
        "logConfiguration": _log_configuration(log_options, role),
    }
    # The image reference ECS runs: /health/ reports it, and the smoke check compares its digest.
    app["environment"].append({"name": "APP_IMAGE", "value": image})
    if workload.serves_http:
        app["portMappings"] = [{"name": "http", "containerPort": container_port, "protocol": "tcp"}]
        app["environment"].append({"name": "PORT", "value": str(container_port)})
    app["environment"].sort(key=lambda item: item["name"])
    containers = [app]
    if sidecar:
        containers.append(_xray_daemon(log_options))
    return json.dumps(containers)
