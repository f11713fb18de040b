"""scripts/run_migrations.py against moto's ECS.

moto runs the task API but not a container: a new Fargate task starts RUNNING and walks to STOPPED
one state per DescribeTasks call, its container stays PENDING with exit code 0, and RunTask never
returns failures. The tests give each new task the life they need by changing moto's own Task
objects as RunTask creates them (exit codes, stop reasons, a task stuck in PENDING), use moto's
state manager to hold a task RUNNING, and a botocore Stubber for RunTask failures. Time is a fake
clock that advances when the script sleeps, so no test waits for real.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager

from scripts.run_migrations import (
    EXIT_NO_EXIT_CODE,
    EXIT_RUN_FAILED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    WaitSettings,
    log_location,
    main,
)
from tests.fixtures import use_fake_aws_credentials

if TYPE_CHECKING:
    from moto.ecs.models import EC2ContainerServiceBackend, Task

pytestmark = pytest.mark.moto

REGION = "eu-west-1"
CLUSTER = "epicvibe-staging"
CONTAINER = "django"
LOG_GROUP = "/ecs/epicvibe-staging/migrate"


class FakeClock:
    """monotonic() and sleep() for the script: sleeping moves time forward instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Ecs:
    """A moto account with the stack's migration inputs, and a hook on every task RunTask creates."""

    client: Any
    backend: EC2ContainerServiceBackend
    task_definition_arn: str
    subnet_ids: list[str]
    security_group_ids: list[str]
    on_new_task: Callable[[Task], None] = lambda _task: None
    created: list[Task] = field(default_factory=list)

    def outputs_file(self, tmp_path: Path, **changes: Any) -> Path:
        """The file `pulumi stack output --json` writes for this stack."""
        outputs = {
            "siteUrl": "https://d111111abcdef8.cloudfront.net",
            "ecsClusterName": CLUSTER,
            "migrateTaskDefinitionArn": self.task_definition_arn,
            "migrateSubnetIds": self.subnet_ids,
            "migrateSecurityGroupIds": self.security_group_ids,
            "webServiceName": "epicvibe-staging-web",
            "awsRegion": REGION,
        }
        outputs.update(changes)
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(outputs), encoding="utf-8")
        return path


@pytest.fixture
def ecs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Ecs]:
    # Imported here: moto's ECS models load EC2's, which read every region's data (most of a second),
    # and `make test-fast` collects this module without running any of it.
    from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends

    use_fake_aws_credentials(monkeypatch, REGION)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        # moto names each task's ENI from its private DNS name, which needs DNS hostnames (ours has them).
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        subnets = [
            ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"]
            for cidr in ("10.20.16.0/20", "10.20.32.0/20")
        ]
        group = ec2.create_security_group(GroupName="web", Description="web tasks", VpcId=vpc_id)["GroupId"]

        client = boto3.client("ecs", region_name=REGION)
        client.create_cluster(clusterName=CLUSTER)
        task_definition_arn = client.register_task_definition(
            family="epicvibe-staging-migrate",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": CONTAINER,
                    "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/epicvibe:abc123",
                    "essential": True,
                    "memory": 512,
                    "command": ["python", "manage.py", "migrate", "--noinput"],
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {
                            "awslogs-group": LOG_GROUP,
                            "awslogs-region": REGION,
                            "awslogs-stream-prefix": "migrate",
                        },
                    },
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]

        world = Ecs(client, ecs_backends[DEFAULT_ACCOUNT_ID][REGION], task_definition_arn, subnets, [group])
        run_task = EC2ContainerServiceBackend.run_task

        def run_task_and_shape(backend: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> list[Task]:
            tasks = run_task(backend, *args, **kwargs)
            for task in tasks:
                world.on_new_task(task)
                world.created.append(task)
            return tasks

        # On the class: moto resets its backend instances when the mock ends.
        monkeypatch.setattr(EC2ContainerServiceBackend, "run_task", run_task_and_shape)
        yield world
    state_manager.unset_transition("ecs::task")


def _container_exits(
    code: int | None, *, task_reason: str = "", container_reason: str = ""
) -> Callable[[Task], None]:
    def shape(task: Task) -> None:
        container = task.containers[0]
        container.last_status = "STOPPED"
        # moto's model types these narrower than ECS answers: no exit code yet, a stop reason.
        container.exitCode = code  # type: ignore[assignment]
        if container_reason:
            container.reason = container_reason  # type: ignore[attr-defined]
        task.stopped_reason = task_reason

    return shape


def _run(ecs: Ecs, clock: FakeClock, *args: str) -> int:
    return main(list(args), ecs=ecs.client, clock=clock, sleep=clock.sleep)


def test_success_runs_one_private_fargate_task_from_the_stack_outputs(
    ecs: Ecs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ecs.on_new_task = _container_exits(0, task_reason="Essential container in task exited")
    clock = FakeClock()

    code = _run(
        ecs, clock, "--stack-outputs", str(ecs.outputs_file(tmp_path)), "--started-by", "github-run-42"
    )

    assert code == 0
    [task] = ecs.created
    assert task.task_definition_arn == ecs.task_definition_arn
    assert task.cluster_name == CLUSTER
    assert task.launch_type == "FARGATE"
    assert task.started_by == "github-run-42"
    assert task.network_configuration == {
        "awsvpcConfiguration": {
            "subnets": ecs.subnet_ids,
            "securityGroups": ecs.security_group_ids,
            "assignPublicIp": "DISABLED",
        }
    }
    assert "exited 0" in capsys.readouterr().out
    # It polled until STOPPED at the default interval, without sleeping for real.
    assert clock.slept and set(clock.slept) == {10.0}


def test_nonzero_exit_is_passed_through_with_reason_and_log_stream(
    ecs: Ecs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ecs.on_new_task = _container_exits(3, task_reason="Essential container in task exited")

    code = _run(ecs, FakeClock(), "--stack-outputs", str(ecs.outputs_file(tmp_path)))

    assert code == 3
    [task] = ecs.created
    err = capsys.readouterr().err
    assert f"container '{CONTAINER}' in task {task.id} exited 3" in err
    assert "stopped reason: Essential container in task exited" in err
    assert f"CloudWatch log group {LOG_GROUP}, stream migrate/{CONTAINER}/{task.id}" in err


def test_task_that_never_starts_is_stopped_after_the_start_timeout(
    ecs: Ecs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def stuck_in_pending(task: Task) -> None:
        # PENDING is outside moto's transitions, so the task stays there until someone stops it.
        task.last_status = "PENDING"

    ecs.on_new_task = stuck_in_pending
    clock = FakeClock()

    code = _run(
        ecs,
        clock,
        "--stack-outputs",
        str(ecs.outputs_file(tmp_path)),
        "--start-timeout",
        "60",
        "--poll-interval",
        "5",
    )

    assert code == EXIT_TIMEOUT
    [task] = ecs.created
    assert task.desired_status == "STOPPED"
    assert task.last_status == "STOPPED"
    assert "did not start within 60 s" in task.stopped_reason
    assert "never started: still PENDING after 60 s" in capsys.readouterr().err
    assert sum(clock.slept) == pytest.approx(60.0)


def test_task_that_runs_past_the_timeout_is_stopped(ecs: Ecs, tmp_path: Path) -> None:
    # Hold every task RUNNING: moto moves it on only after this many DescribeTasks calls.
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10_000})
    clock = FakeClock()

    code = _run(ecs, clock, "--stack-outputs", str(ecs.outputs_file(tmp_path)), "--timeout", "120")

    assert code == EXIT_TIMEOUT
    [task] = ecs.created
    assert task.desired_status == "STOPPED"
    assert "did not finish within 120 s (still RUNNING)" in task.stopped_reason
    assert sum(clock.slept) == pytest.approx(120.0)


def test_task_stopped_before_its_container_ran_reports_why(
    ecs: Ecs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ecs.on_new_task = _container_exits(
        None,
        task_reason="Task failed to start",
        container_reason="CannotPullContainerError: pull image manifest has been retried 5 time(s)",
    )

    code = _run(ecs, FakeClock(), "--stack-outputs", str(ecs.outputs_file(tmp_path)))

    assert code == EXIT_NO_EXIT_CODE
    err = capsys.readouterr().err
    assert "without container 'django' reporting an exit code" in err
    assert "CannotPullContainerError" in err


def test_run_task_failures_are_reported_and_nothing_waits(
    ecs: Ecs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto's RunTask never returns failures; a Stubber on a real client checks our request shape too.
    client = boto3.client("ecs", region_name=REGION)
    definition = ecs.client.describe_task_definition(taskDefinition=ecs.task_definition_arn)
    with Stubber(client) as stub:
        stub.add_response(
            "describe_task_definition",
            {"taskDefinition": definition["taskDefinition"]},
            {"taskDefinition": ecs.task_definition_arn},
        )
        stub.add_response(
            "run_task",
            {
                "tasks": [],
                "failures": [
                    {"arn": f"arn:aws:ecs:{REGION}:123456789012:cluster/{CLUSTER}", "reason": "RESOURCE:ENI"}
                ],
            },
        )
        clock = FakeClock()
        code = main(
            ["--stack-outputs", str(ecs.outputs_file(tmp_path))], ecs=client, clock=clock, sleep=clock.sleep
        )
        stub.assert_no_pending_responses()

    assert code == EXIT_RUN_FAILED
    err = capsys.readouterr().err
    assert f"RunTask started no task on cluster {CLUSTER}" in err
    assert "RESOURCE:ENI" in err
    assert clock.slept == []


def test_flags_override_the_outputs_file(ecs: Ecs, tmp_path: Path) -> None:
    ecs.on_new_task = _container_exits(0)
    outputs = ecs.outputs_file(tmp_path, migrateSubnetIds=["subnet-doesnotexist"])

    code = _run(ecs, FakeClock(), "--stack-outputs", str(outputs), "--subnets", ecs.subnet_ids[1])

    assert code == 0
    [task] = ecs.created
    assert task.network_configuration["awsvpcConfiguration"]["subnets"] == [ecs.subnet_ids[1]]


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"migrateSubnetIds": None}, "--subnets (or stack output migrateSubnetIds)"),
        ({"migrateSubnetIds": []}, "--subnets (or stack output migrateSubnetIds)"),
        (
            {"ecsClusterName": None, "migrateTaskDefinitionArn": None},
            "--cluster (or stack output ecsClusterName)",
        ),
        ({"migrateTaskDefinitionArn": ""}, "--task-definition (or stack output migrateTaskDefinitionArn)"),
        ({"migrateSubnetIds": [1, 2]}, "migrateSubnetIds must be a list of ids, got [1, 2]"),
    ],
)
def test_missing_inputs_are_named_and_nothing_runs(
    ecs: Ecs, tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], named: str
) -> None:
    outputs = ecs.outputs_file(tmp_path, **changes)

    code = _run(ecs, FakeClock(), "--stack-outputs", str(outputs))

    assert code == EXIT_USAGE
    assert named in capsys.readouterr().err
    assert ecs.created == []


def test_outputs_file_that_is_not_json_is_a_usage_error(
    ecs: Ecs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text("Current stack outputs (7):\n", encoding="utf-8")

    assert _run(ecs, FakeClock(), "--stack-outputs", str(path)) == EXIT_USAGE
    assert "pulumi stack output --json" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("log_configuration", "expected"),
    [
        (
            {"logDriver": "awslogs", "options": {"awslogs-group": "/g", "awslogs-stream-prefix": "p"}},
            "CloudWatch log group /g, stream p/web/abc",
        ),
        ({"logDriver": "awslogs", "options": {"awslogs-group": "/g"}}, None),
        ({"logDriver": "awsfirelens", "options": {}}, None),
        (None, None),
    ],
)
def test_log_location_is_derived_only_from_awslogs_with_a_prefix(
    log_configuration: dict[str, Any] | None, expected: str | None
) -> None:
    definition: Any = {"name": "web"}
    if log_configuration is not None:
        definition["logConfiguration"] = log_configuration
    assert log_location(definition, "abc") == expected


def test_wait_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="start_timeout must be positive, got 0"):
        WaitSettings(start_timeout=0)
