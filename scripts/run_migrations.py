#!/usr/bin/env python3
"""Run the Django migrations task once on ECS Fargate and exit with its container's exit code.

The deploy workflow runs it after `pulumi up`, from the stack's own outputs:

    pulumi stack output --json --stack <org>/staging > outputs.json
    python scripts/run_migrations.py --stack-outputs outputs.json

Every input can also be given as a flag (a flag wins over the outputs file):

    python scripts/run_migrations.py --cluster epicvibe-staging \\
        --task-definition arn:aws:ecs:eu-west-1:123456789012:task-definition/epicvibe-migrate:7 \\
        --subnets subnet-0a subnet-0b --security-groups sg-0c --region eu-west-1

The task runs in the app subnets with `awsvpc` networking and no public IP, from the exact task
definition revision that `pulumi up` just registered, so it migrates with the image being deployed.

Exit codes:
    0        the migrations container exited 0
    1-255    the migrations container's own non-zero exit code, passed through
    2        usage: an input is missing or malformed (nothing was started)
    69       ECS refused to start the task (RunTask failures or an API error)
    70       the task stopped without its container reporting an exit code (e.g. the image pull failed)
    75       timed out: the task never started, or did not stop in time; it has been stopped
The messages printed say which case it was; a container may of course exit with 2, 69, 70 or 75 itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient
    from mypy_boto3_ecs.type_defs import ContainerDefinitionOutputTypeDef, ContainerTypeDef, TaskTypeDef

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_RUN_FAILED = 69
EXIT_NO_EXIT_CODE = 70
EXIT_TIMEOUT = 75

# Lifecycle states before the container runs; a task that stays in them has not started.
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
NOT_STARTED = frozenset({"PROVISIONING", "PENDING", "ACTIVATING"})
STOPPED = frozenset({"STOPPED", "DELETED"})

# Stack output names (exported by __main__.py) for each input, and the flag that overrides each.
OUTPUT_KEYS = {
    "cluster": ("ecsClusterName", "--cluster"),
    "task_definition": ("migrateTaskDefinitionArn", "--task-definition"),
    "subnet_ids": ("migrateSubnetIds", "--subnets"),
    "security_group_ids": ("migrateSecurityGroupIds", "--security-groups"),
}
REGION_OUTPUT_KEY = "awsRegion"


class MigrationError(Exception):
    """A failure with its message for the operator and the exit code the script ends with."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class MigrationTarget:
    """Where and what to run: the stack's cluster, migrations task definition and network."""

    cluster: str
    task_definition: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    region: str | None = None
    """Default: the AWS SDK's own chain (AWS_REGION, profile)."""


@dataclass(frozen=True)
class WaitSettings:
    """How long to wait, in seconds."""

    timeout: float = 1800.0
    """From RunTask until the task has stopped. Default: 1800."""
    start_timeout: float = 600.0
    """From RunTask until the task leaves PROVISIONING/PENDING/ACTIVATING. Default: 600."""
    poll_interval: float = 10.0
    """Between two DescribeTasks calls. Default: 10."""

    def __post_init__(self) -> None:
        for name in ("timeout", "start_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.poll_interval < 0:
            raise ValueError(f"poll_interval must be zero or positive, got {self.poll_interval!r}")


def _say(message: str) -> None:
    print(message, flush=True)


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


def load_stack_outputs(path: Path) -> dict[str, Any]:
    """The JSON object `pulumi stack output --json` writes."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise MigrationError(f"cannot read stack outputs {path}: {error.strerror}", EXIT_USAGE) from error
    except json.JSONDecodeError as error:
        raise MigrationError(
            f"{path} is not JSON ({error.msg} at line {error.lineno}); write it with `pulumi stack output --json`",
            EXIT_USAGE,
        ) from error
    if not isinstance(document, dict):
        raise MigrationError(
            f"{path} holds a JSON {type(document).__name__}; expected the object `pulumi stack output --json` writes",
            EXIT_USAGE,
        )
    return document


def _ids(value: object, output_key: str) -> tuple[str, ...] | None:
    """A list of ids from the outputs file (a JSON list) or a flag (a list of words, commas allowed)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MigrationError(f"{output_key} must be a list of ids, got {value!r}", EXIT_USAGE)
    ids = tuple(part.strip() for item in value for part in item.split(",") if part.strip())
    return ids or None


def resolve_target(args: argparse.Namespace) -> MigrationTarget:
    """Flags first, then the outputs file; every missing input is named in one message."""
    outputs = load_stack_outputs(args.stack_outputs) if args.stack_outputs else {}
    values: dict[str, Any] = {}
    missing = []
    for field, (output_key, flag) in OUTPUT_KEYS.items():
        flag_value = getattr(args, field)
        raw = flag_value if flag_value is not None else outputs.get(output_key)
        value: object
        if field in ("subnet_ids", "security_group_ids"):
            value = _ids(raw, output_key)
        elif raw is None or isinstance(raw, str):
            value = raw or None
        else:
            raise MigrationError(f"{output_key} must be a string, got {raw!r}", EXIT_USAGE)
        if value is None:
            missing.append(f"{flag} (or stack output {output_key})")
        values[field] = value
    if missing:
        source = f" in {args.stack_outputs}" if args.stack_outputs else ""
        raise MigrationError(
            f"missing input{source}: {', '.join(missing)}; pass --stack-outputs with the file "
            "`pulumi stack output --json` writes, or the flags",
            EXIT_USAGE,
        )
    region = args.region or outputs.get(REGION_OUTPUT_KEY) or None
    if region is not None and not isinstance(region, str):
        raise MigrationError(f"{REGION_OUTPUT_KEY} must be a string, got {region!r}", EXIT_USAGE)
    return MigrationTarget(region=region, **values)


def _task_id(task_arn: str) -> str:
    return task_arn.rsplit("/", 1)[-1]


def _pick_container(
    definitions: Sequence[ContainerDefinitionOutputTypeDef], wanted: str | None
) -> ContainerDefinitionOutputTypeDef:
    """The container whose exit code is the migration's result: the named one, else the first essential one."""
    if wanted is not None:
        for definition in definitions:
            if definition.get("name") == wanted:
                return definition
        names = ", ".join(str(d.get("name")) for d in definitions)
        raise MigrationError(
            f"the task definition has no container named {wanted!r}; it has: {names}", EXIT_USAGE
        )
    for definition in definitions:
        # ECS treats a container without `essential` as essential.
        if definition.get("essential", True):
            return definition
    raise MigrationError("the task definition has no essential container", EXIT_USAGE)


def log_location(definition: ContainerDefinitionOutputTypeDef, task_id: str) -> str | None:
    """Where the awslogs driver writes this task's output: `group <g>, stream <prefix>/<container>/<task id>`."""
    config = definition.get("logConfiguration")
    if not config or config.get("logDriver") != "awslogs":
        return None
    options = config.get("options", {})
    group = options.get("awslogs-group")
    prefix = options.get("awslogs-stream-prefix")
    if not group or not prefix:
        return None
    return f"CloudWatch log group {group}, stream {prefix}/{definition.get('name')}/{task_id}"


def start_task(ecs: ECSClient, target: MigrationTarget, started_by: str) -> str:
    """RunTask for one Fargate task in private subnets; returns its ARN."""
    try:
        response = ecs.run_task(
            cluster=target.cluster,
            taskDefinition=target.task_definition,
            count=1,
            launchType="FARGATE",
            startedBy=started_by,
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": list(target.subnet_ids),
                    "securityGroups": list(target.security_group_ids),
                    # The app subnets reach ECR, Secrets Manager and the database privately;
                    # the policy pack rejects tasks with public IPs.
                    "assignPublicIp": "DISABLED",
                }
            },
        )
    except (ClientError, BotoCoreError) as error:
        raise MigrationError(
            f"RunTask failed on cluster {target.cluster}: {error}", EXIT_RUN_FAILED
        ) from error
    failures = response.get("failures", [])
    tasks = response.get("tasks", [])
    if failures or not tasks:
        details = "; ".join(
            " ".join(part for part in (f.get("arn", ""), f.get("reason", ""), f.get("detail", "")) if part)
            for f in failures
        )
        raise MigrationError(
            f"RunTask started no task on cluster {target.cluster}: {details or 'no task and no failure returned'}",
            EXIT_RUN_FAILED,
        )
    return tasks[0]["taskArn"]


def stop_task(ecs: ECSClient, cluster: str, task_arn: str, reason: str) -> None:
    try:
        ecs.stop_task(cluster=cluster, task=task_arn, reason=reason[:255])
    except (ClientError, BotoCoreError) as error:
        _fail(f"could not stop task {_task_id(task_arn)}: {error}; stop it by hand")
    else:
        _say(f"stopped task {_task_id(task_arn)}: {reason}")


def wait_until_stopped(
    ecs: ECSClient,
    cluster: str,
    task_arn: str,
    wait: WaitSettings,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> TaskTypeDef:
    """Poll DescribeTasks until the task is STOPPED; stop it and raise on either timeout."""
    started_at = clock()
    status = "(not visible yet)"
    has_started = False
    while True:
        try:
            response = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])
        except (ClientError, BotoCoreError) as error:
            # botocore already retried throttling; a persistent error ends the wait like a timeout would.
            stop_task(ecs, cluster, task_arn, "run_migrations: DescribeTasks kept failing")
            raise MigrationError(f"DescribeTasks failed: {error}", EXIT_TIMEOUT) from error
        # Right after RunTask a task can be briefly MISSING (eventual consistency): keep polling.
        tasks = response.get("tasks", [])
        if tasks:
            task = tasks[0]
            new_status = task.get("lastStatus", "UNKNOWN")
            if new_status != status:
                _say(f"task {_task_id(task_arn)}: {new_status} after {clock() - started_at:.0f} s")
                status = new_status
            if status in STOPPED:
                return task
            has_started = has_started or status not in NOT_STARTED
        elapsed = clock() - started_at
        if not has_started and elapsed >= wait.start_timeout:
            reason = f"run_migrations: did not start within {wait.start_timeout:.0f} s (still {status})"
            stop_task(ecs, cluster, task_arn, reason)
            raise MigrationError(
                f"the migrations task never started: still {status} after {wait.start_timeout:.0f} s "
                "(no capacity, image or secrets not reachable from the subnets, or ENI limits); it was stopped",
                EXIT_TIMEOUT,
            )
        if elapsed >= wait.timeout:
            reason = f"run_migrations: did not finish within {wait.timeout:.0f} s (still {status})"
            stop_task(ecs, cluster, task_arn, reason)
            raise MigrationError(
                f"the migrations task did not finish within {wait.timeout:.0f} s (last status {status}); it was stopped",
                EXIT_TIMEOUT,
            )
        sleep(wait.poll_interval)


def _container(task: TaskTypeDef, name: str | None) -> ContainerTypeDef | None:
    for container in task.get("containers", []):
        if container.get("name") == name:
            return container
    return None


def container_exit_code(task: TaskTypeDef, definition: ContainerDefinitionOutputTypeDef) -> int:
    """The migration's result from a STOPPED task; raises when the container never reported one."""
    task_id = _task_id(task.get("taskArn", ""))
    name = definition.get("name")
    container = _container(task, name)
    stop = ", ".join(
        part
        for part in (
            f"stop code {task['stopCode']}" if task.get("stopCode") else "",
            f"stopped reason: {task['stoppedReason']}" if task.get("stoppedReason") else "",
            f"container reason: {container['reason']}" if container and container.get("reason") else "",
        )
        if part
    )
    logs = log_location(definition, task_id)
    logs_line = (
        f"logs: {logs}" if logs else "logs: not derivable (the container does not use the awslogs driver)"
    )
    exit_code = container.get("exitCode") if container else None
    if exit_code is None:
        raise MigrationError(
            f"task {task_id} stopped without container {name!r} reporting an exit code "
            f"({stop or 'no reason given'}); {logs_line}",
            EXIT_NO_EXIT_CODE,
        )
    if exit_code != 0:
        raise MigrationError(
            f"migrations failed: container {name!r} in task {task_id} exited {exit_code} "
            f"({stop or 'no reason given'}); {logs_line}",
            exit_code,
        )
    _say(f"migrations succeeded: container {name!r} in task {task_id} exited 0")
    return EXIT_OK


def run_migrations(
    ecs: ECSClient,
    target: MigrationTarget,
    wait: WaitSettings,
    *,
    container: str | None = None,
    started_by: str = "run_migrations",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Start the task, wait for it, return the container's exit code; MigrationError on every failure."""
    try:
        described = ecs.describe_task_definition(taskDefinition=target.task_definition)
    except (ClientError, BotoCoreError) as error:
        raise MigrationError(
            f"cannot read task definition {target.task_definition}: {error}", EXIT_RUN_FAILED
        ) from error
    definition = _pick_container(described["taskDefinition"].get("containerDefinitions", []), container)

    task_arn = start_task(ecs, target, started_by)
    _say(
        f"started task {_task_id(task_arn)} from {target.task_definition} on cluster {target.cluster} "
        f"(subnets {', '.join(target.subnet_ids)}; no public IP)"
    )
    task = wait_until_stopped(ecs, target.cluster, task_arn, wait, clock=clock, sleep=sleep)
    return container_exit_code(task, definition)


def _client(region: str | None) -> ECSClient:
    try:
        # Standard retries back off on throttling, which DescribeTasks polling can meet.
        return boto3.client(
            "ecs", region_name=region, config=Config(retries={"mode": "standard", "max_attempts": 8})
        )
    except (BotoCoreError, ValueError) as error:
        # NoRegionError, or ValueError for an empty AWS_REGION ("https://ecs..amazonaws.com").
        raise MigrationError(
            f"cannot create the ECS client: {error}; pass --region or add awsRegion to the stack outputs",
            EXIT_USAGE,
        ) from error


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_migrations.py",
        description="Run the migrations task on ECS Fargate and exit with its container's exit code.",
        epilog="Exit codes: 0 ok; 1-255 the container's; 2 usage; 69 RunTask refused; "
        "70 stopped without exit code; 75 timed out (task stopped).",
    )
    parser.add_argument(
        "--stack-outputs",
        type=Path,
        metavar="FILE",
        help="JSON written by `pulumi stack output --json`: ecsClusterName, migrateTaskDefinitionArn, "
        "migrateSubnetIds, migrateSecurityGroupIds, awsRegion",
    )
    parser.add_argument("--cluster", help="ECS cluster name or ARN (overrides ecsClusterName)")
    parser.add_argument(
        "--task-definition", help="migrations task definition ARN (overrides migrateTaskDefinitionArn)"
    )
    parser.add_argument(
        "--subnets", dest="subnet_ids", nargs="+", metavar="SUBNET", help="overrides migrateSubnetIds"
    )
    parser.add_argument(
        "--security-groups",
        dest="security_group_ids",
        nargs="+",
        metavar="SG",
        help="overrides migrateSecurityGroupIds",
    )
    parser.add_argument("--region", help="AWS region (overrides awsRegion; default: the SDK's chain)")
    parser.add_argument(
        "--container", help="container whose exit code counts (default: the first essential container)"
    )
    parser.add_argument(
        "--started-by", default="run_migrations", help="startedBy tag on the task (default: run_migrations)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds until the task must have stopped (default: 1800)",
    )
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=600.0,
        help="seconds until the task must have left PENDING (default: 600)",
    )
    parser.add_argument(
        "--poll-interval", type=float, default=10.0, help="seconds between status checks (default: 10)"
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    ecs: ECSClient | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        wait = WaitSettings(
            timeout=args.timeout, start_timeout=args.start_timeout, poll_interval=args.poll_interval
        )
    except ValueError as error:
        parser.error(str(error))
    try:
        target = resolve_target(args)
        if ecs is None:
            ecs = _client(target.region)
        return run_migrations(
            ecs,
            target,
            wait,
            container=args.container,
            started_by=args.started_by,
            clock=clock,
            sleep=sleep,
        )
    except MigrationError as error:
        _fail(str(error))
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
