#!/usr/bin/env python3
"""Keep a stack's ECS services awake for the length of a deploy, then put them back as they were.

A stack with nightlyScaleDown scales every service to zero from the evening to the morning and all
weekend. A release pushed then would roll out to zero tasks, and its smoke check would fail. So the
deploy job, before `pulumi up`:

    python scripts/wake_services.py wake --stack-outputs outputs.json --state wake.json

suspends the scheduled actions (so the evening's scale-down cannot strike mid-deploy) and, for each
service that is asleep, raises its bounds to those of the service's morning action, waiting until
ECS wants that many tasks. After the smoke check, whatever happened:

    python scripts/wake_services.py restore --state wake.json

puts back the suspension state, and the bounds of the services it woke: a night-time deploy ends
with staging asleep again. Services without scheduled actions (prod) are left alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"


@dataclass(frozen=True)
class Target:
    """One service's scalable target as it was before the deploy, and what waking it means."""

    resource_id: str
    min_capacity: int
    max_capacity: int
    suspended_state: dict[str, bool]
    awake_min: int
    awake_max: int

    @property
    def asleep(self) -> bool:
        return self.min_capacity < self.awake_min or self.max_capacity < self.awake_max


def _bounds(action: dict[str, Any]) -> tuple[int, int]:
    return int(action.get("MinCapacity", 0)), int(action.get("MaxCapacity", 0))


def plan(targets: Sequence[dict[str, Any]], actions: Sequence[dict[str, Any]]) -> list[Target]:
    """The targets a deploy must hold awake: those with scheduled actions. The awake bounds are those
    of the action with the highest bounds (the morning's)."""
    planned = []
    for target in targets:
        own = [a for a in actions if a["ResourceId"] == target["ResourceId"] and "ScalableTargetAction" in a]
        if not own:
            continue
        morning = max(own, key=lambda a: _bounds(a["ScalableTargetAction"]))["ScalableTargetAction"]
        planned.append(
            Target(
                resource_id=target["ResourceId"],
                min_capacity=int(target["MinCapacity"]),
                max_capacity=int(target["MaxCapacity"]),
                suspended_state=dict(target.get("SuspendedState") or {}),
                awake_min=int(morning.get("MinCapacity", target["MinCapacity"])),
                awake_max=int(morning.get("MaxCapacity", target["MaxCapacity"])),
            )
        )
    return planned


def _suspended(state: dict[str, bool], scheduled: bool) -> dict[str, bool]:
    return {
        "DynamicScalingInSuspended": bool(state.get("DynamicScalingInSuspended", False)),
        "DynamicScalingOutSuspended": bool(state.get("DynamicScalingOutSuspended", False)),
        "ScheduledScalingSuspended": scheduled,
    }


def discover(autoscaling: Any, ecs: Any, cluster: str) -> list[Target]:
    """The cluster's services that have scheduled actions, with their bounds now."""
    services = []
    for page in ecs.get_paginator("list_services").paginate(cluster=cluster):
        services += [arn.rsplit("/", 1)[-1] for arn in page["serviceArns"]]
    resource_ids = [f"service/{cluster}/{name}" for name in services]
    if not resource_ids:
        return []
    targets = autoscaling.describe_scalable_targets(ServiceNamespace=NAMESPACE, ResourceIds=resource_ids)
    actions = autoscaling.describe_scheduled_actions(ServiceNamespace=NAMESPACE)["ScheduledActions"]
    return plan(targets["ScalableTargets"], actions)


def wake(
    autoscaling: Any,
    ecs: Any,
    cluster: str,
    planned: Sequence[Target],
    *,
    timeout: float = 600,
    poll: float = 10,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    for target in planned:
        change: dict[str, Any] = {"SuspendedState": _suspended(target.suspended_state, True)}
        if target.asleep:
            change |= {"MinCapacity": target.awake_min, "MaxCapacity": target.awake_max}
            print(
                f"{target.resource_id}: asleep ({target.min_capacity}-{target.max_capacity}); waking to "
                f"{target.awake_min}-{target.awake_max}",
                flush=True,
            )
        else:
            print(f"{target.resource_id}: awake; its schedule is suspended for the deploy", flush=True)
        autoscaling.register_scalable_target(
            ServiceNamespace=NAMESPACE, ResourceId=target.resource_id, ScalableDimension=DIMENSION, **change
        )
    # Application Auto Scaling raises the desired count to a new minimum by itself; `pulumi up` must
    # not start before it has, or the rollout would be "steady" at zero tasks.
    waiting = {t.resource_id.rsplit("/", 1)[-1]: t.awake_min for t in planned if t.asleep}
    deadline = time.monotonic() + timeout
    while waiting:
        described = ecs.describe_services(cluster=cluster, services=list(waiting))["services"]
        waiting = {
            s["serviceName"]: waiting[s["serviceName"]]
            for s in described
            if s["desiredCount"] < waiting[s["serviceName"]]
        }
        if not waiting:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"services still want fewer tasks than their morning minimum: {sorted(waiting)}"
            )
        sleep(poll)


def restore(autoscaling: Any, planned: Sequence[Target]) -> None:
    for target in planned:
        change: dict[str, Any] = {
            "SuspendedState": _suspended(
                target.suspended_state, target.suspended_state.get("ScheduledScalingSuspended", False)
            )
        }
        if target.asleep:
            # Back to sleep; `pulumi up` does not manage these bounds at night, the schedule does.
            change |= {"MinCapacity": target.min_capacity, "MaxCapacity": target.max_capacity}
        autoscaling.register_scalable_target(
            ServiceNamespace=NAMESPACE, ResourceId=target.resource_id, ScalableDimension=DIMENSION, **change
        )
        print(f"{target.resource_id}: restored", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    woken = commands.add_parser("wake")
    woken.add_argument("--stack-outputs", type=Path, required=True, help="`pulumi stack output --json`")
    woken.add_argument("--timeout", type=float, default=600)
    for command in (woken, commands.add_parser("restore")):
        command.add_argument(
            "--state", type=Path, required=True, help="where wake records what restore undoes"
        )
    args = parser.parse_args(argv)

    if args.command == "wake":
        outputs = json.loads(args.stack_outputs.read_text())
        region = outputs.get("awsRegion")
        autoscaling = boto3.client("application-autoscaling", region_name=region)
        ecs = boto3.client("ecs", region_name=region)
        cluster = outputs["ecsClusterName"]
        planned = discover(autoscaling, ecs, cluster)
        # Written before any change: a restore must find it even if waking stops halfway.
        args.state.write_text(json.dumps({"region": region, "targets": [asdict(t) for t in planned]}))
        wake(autoscaling, ecs, cluster, planned, timeout=args.timeout)
        return 0

    if not args.state.exists():
        print("nothing to restore: wake did not run", flush=True)
        return 0
    state = json.loads(args.state.read_text())
    restore(
        boto3.client("application-autoscaling", region_name=state["region"]),
        [Target(**target) for target in state["targets"]],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
