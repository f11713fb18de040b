"""A deploy at night or on a weekend still reaches a stack that sleeps: its services are woken to
their morning bounds with the schedule suspended, and put back to sleep afterwards (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts.wake_services import DIMENSION, NAMESPACE, discover, main, plan, restore, wake
from tests.fixtures import use_fake_aws_credentials

pytestmark = pytest.mark.moto

REGION = "eu-west-1"
CLUSTER = "epicvibe-staging"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    use_fake_aws_credentials(monkeypatch)
    with mock_aws():
        ecs = boto3.client("ecs", region_name=REGION)
        autoscaling = boto3.client("application-autoscaling", region_name=REGION)
        ecs.create_cluster(clusterName=CLUSTER)
        ecs.register_task_definition(
            family="app", containerDefinitions=[{"name": "web", "image": "r/app:1", "memory": 512}]
        )
        for service, low, high, scheduled in (
            ("web", 1, 3, True),
            ("worker", 0, 2, True),
            ("other", 1, 1, False),
        ):
            ecs.create_service(cluster=CLUSTER, serviceName=service, taskDefinition="app", desiredCount=0)
            resource = f"service/{CLUSTER}/{service}"
            # Asleep: the night action has set the bounds to zero.
            autoscaling.register_scalable_target(
                ServiceNamespace=NAMESPACE,
                ResourceId=resource,
                ScalableDimension=DIMENSION,
                MinCapacity=0 if scheduled else low,
                MaxCapacity=0 if scheduled else high,
            )
            if scheduled:
                for phase, bounds in (("night", (0, 0)), ("morning", (low, high))):
                    autoscaling.put_scheduled_action(
                        ServiceNamespace=NAMESPACE,
                        ScheduledActionName=f"{service}-{phase}",
                        ResourceId=resource,
                        ScalableDimension=DIMENSION,
                        Schedule="cron(0 20 * * ? *)" if phase == "night" else "cron(0 6 ? * MON-FRI *)",
                        ScalableTargetAction={"MinCapacity": bounds[0], "MaxCapacity": bounds[1]},
                    )
        yield autoscaling, ecs


def bounds(autoscaling: Any) -> dict[str, tuple[int, int, bool]]:
    targets = autoscaling.describe_scalable_targets(ServiceNamespace=NAMESPACE)["ScalableTargets"]
    return {
        t["ResourceId"].rsplit("/", 1)[-1]: (
            t["MinCapacity"],
            t["MaxCapacity"],
            bool((t.get("SuspendedState") or {}).get("ScheduledScalingSuspended")),
        )
        for t in targets
    }


def test_a_sleeping_stack_is_woken_for_the_deploy_and_put_back_to_sleep(aws: tuple[Any, Any]) -> None:
    autoscaling, ecs = aws
    planned = discover(autoscaling, ecs, CLUSTER)
    assert sorted(t.resource_id for t in planned) == [f"service/{CLUSTER}/web", f"service/{CLUSTER}/worker"]

    def autoscaling_acts(_seconds: float) -> None:
        # What Application Auto Scaling does when a minimum rises above the desired count.
        ecs.update_service(cluster=CLUSTER, service="web", desiredCount=1)

    wake(autoscaling, ecs, CLUSTER, planned, poll=0, sleep=autoscaling_acts)
    assert bounds(autoscaling) == {"web": (1, 3, True), "worker": (0, 2, True), "other": (1, 1, False)}

    restore(autoscaling, planned)
    assert bounds(autoscaling) == {"web": (0, 0, False), "worker": (0, 0, False), "other": (1, 1, False)}


def test_waking_fails_if_the_services_never_scale(aws: tuple[Any, Any]) -> None:
    autoscaling, ecs = aws
    with pytest.raises(TimeoutError, match=r"\['web'\]"):
        wake(
            autoscaling,
            ecs,
            CLUSTER,
            discover(autoscaling, ecs, CLUSTER),
            timeout=0,
            poll=0,
            sleep=lambda _s: None,
        )


def test_an_awake_stack_only_has_its_schedule_suspended_and_resumed() -> None:
    targets = [{"ResourceId": "service/c/web", "MinCapacity": 1, "MaxCapacity": 3}]
    actions = [
        {"ResourceId": "service/c/web", "ScalableTargetAction": {"MinCapacity": 0, "MaxCapacity": 0}},
        {"ResourceId": "service/c/web", "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 3}},
    ]
    (target,) = plan(targets, actions)
    assert not target.asleep and (target.awake_min, target.awake_max) == (1, 3)


def test_the_cli_records_before_it_changes_and_restores_from_the_record(
    aws: tuple[Any, Any], tmp_path: Path
) -> None:
    autoscaling, _ = aws
    for service in ("web", "worker"):
        autoscaling.register_scalable_target(
            ServiceNamespace=NAMESPACE,
            ResourceId=f"service/{CLUSTER}/{service}",
            ScalableDimension=DIMENSION,
            MinCapacity=1,
            MaxCapacity=3,
        )
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"awsRegion": REGION, "ecsClusterName": CLUSTER}))
    state = tmp_path / "wake.json"
    assert main(["wake", "--stack-outputs", str(outputs), "--state", str(state)]) == 0
    assert len(json.loads(state.read_text())["targets"]) == 2
    assert bounds(autoscaling)["web"] == (1, 3, True)
    assert main(["restore", "--state", str(state)]) == 0
    assert bounds(autoscaling)["web"] == (1, 3, False)


def test_restore_without_a_record_does_nothing(tmp_path: Path) -> None:
    assert main(["restore", "--state", str(tmp_path / "missing.json")]) == 0
