"""How ECS on Fargate turns into priced quantities: task-hours per service at each task count its
autoscaling and schedules allow, split between on-demand and Spot, and Container Insights metrics per
cluster (see offline/cost.py for the estimate, offline/cost_rules.py for the other resource types)."""

from __future__ import annotations

from typing import Any

from .cost import CostError, PlannedResource, _Pricing, rule
from .cost_schedule import HOURS_PER_MONTH, Bounds, ScheduledBounds, hours_at_bounds

H = HOURS_PER_MONTH

# ECS Container Insights (standard) publishes its metrics per cluster, per service and per task
# definition family; "enhanced" adds metrics per task. They bill as custom metrics. The counts are
# approximate: the Container Insights ECS metric names give about 12 / 15 / 11 for Fargate tasks
# (docs/cost.md, "Is $28 right?"); these round up. Performance log ingestion is not counted.
INSIGHTS_METRICS = {"cluster": 13, "service": 16, "family": 11, "task": 11}


def split_tasks(count: float, strategy: list[dict[str, Any]]) -> tuple[float, float]:
    """(on-demand, Spot) tasks of `count` under a capacity provider strategy: the base first, then
    the rest by weight, as ECS places them."""
    if not strategy:
        return count, 0.0
    spot = on_demand = 0.0
    remaining = count
    for item in strategy:
        base = min(remaining, float(item.get("base") or 0))
        remaining -= base
        if item["capacityProvider"] == "FARGATE_SPOT":
            spot += base
        else:
            on_demand += base
    total_weight = sum(float(i.get("weight") or 0) for i in strategy)
    if remaining and not total_weight:
        raise CostError("its capacity provider strategy has no weight for tasks above the base")
    for item in strategy:
        share = remaining * float(item.get("weight") or 0) / total_weight if total_weight else 0.0
        if item["capacityProvider"] == "FARGATE_SPOT":
            spot += share
        elif item["capacityProvider"] == "FARGATE":
            on_demand += share
        else:
            raise CostError(f"capacity provider {item['capacityProvider']!r} has no pricing rule")
    return on_demand, spot


def service_hours(p: _Pricing, service: PlannedResource) -> dict[Bounds, float]:
    """Hours per month at each (min, max) task count the service's autoscaling and schedules allow."""
    desired = int(service.inputs.get("desiredCount", 1))
    targets = p.dependents(service, "aws:appautoscaling/target:Target", "resourceId")
    if not targets:
        return {Bounds(desired, desired): H}
    target = targets[0]
    base = Bounds(int(target.inputs["minCapacity"]), int(target.inputs["maxCapacity"]))
    actions = []
    for action in p.dependents(target, "aws:appautoscaling/scheduledAction:ScheduledAction", "resourceId"):
        sets = action.inputs.get("scalableTargetAction") or {}
        actions.append(
            ScheduledBounds(
                str(action.inputs["schedule"]),
                None if sets.get("minCapacity") is None else int(sets["minCapacity"]),
                None if sets.get("maxCapacity") is None else int(sets["maxCapacity"]),
            )
        )
    return hours_at_bounds(base, actions)


def _strategy(p: _Pricing, service: PlannedResource) -> list[dict[str, Any]]:
    if service.inputs.get("capacityProviderStrategies"):
        return list(service.inputs["capacityProviderStrategies"])
    if service.inputs.get("launchType") not in (None, "FARGATE"):
        raise CostError(f"launch type {service.inputs['launchType']!r} has no pricing rule")
    for cluster in p.linked(service, "cluster", "aws:ecs/cluster:Cluster"):
        for providers in p.dependents(
            cluster, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "clusterName"
        ):
            if service.inputs.get("launchType") is None:
                return list(providers.inputs.get("defaultCapacityProviderStrategies") or [])
    return []


@rule("aws:ecs/service:Service")
def _service(p: _Pricing, r: PlannedResource) -> None:
    task_defs = p.linked(r, "taskDefinition", "aws:ecs/taskDefinition:TaskDefinition")
    if not task_defs:
        raise CostError("its task definition is not in the plan")
    task = task_defs[0].inputs
    vcpu, gb = int(task["cpu"]) / 1024, int(task["memory"]) / 1024
    arch = str((task.get("runtimePlatform") or {}).get("cpuArchitecture", "X86_64")).lower()
    strategy = _strategy(p, r)
    totals = {"min": [0.0, 0.0], "max": [0.0, 0.0]}  # on-demand, Spot task-hours
    for bounds, hours in service_hours(p, r).items():
        for scale, count in (("min", bounds.minimum), ("max", bounds.maximum)):
            on_demand, spot = split_tasks(count, strategy)
            totals[scale][0] += on_demand * hours
            totals[scale][1] += spot * hours
    size = f"{vcpu:g} vCPU / {gb:g} GB {arch}"
    for index, (kind, prefix) in enumerate((("on-demand", "fargate"), ("Spot", "fargate.spot"))):
        low, high = totals["min"][index], totals["max"][index]
        if not (low or high):
            continue
        label = f"{kind} task-hours ({low:.0f} min / {high:.0f} max) x {size}"
        p.add(r, f"{label}: vCPU-hours", f"{prefix}.linux.{arch}.vcpu.hour", low * vcpu, high * vcpu)
        p.add(r, f"{label}: GB-hours", f"{prefix}.linux.{arch}.gb.hour", low * gb, high * gb)


@rule("aws:ecs/cluster:Cluster")
def _cluster(p: _Pricing, r: PlannedResource) -> None:
    settings = {s.get("name"): s.get("value") for s in r.inputs.get("settings") or []}
    mode = settings.get("containerInsights", "disabled")
    if mode == "disabled":
        return
    services = p.dependents(r, "aws:ecs/service:Service", "cluster")
    families = {
        d.name
        for s in services
        for d in p.linked(s, "taskDefinition", "aws:ecs/taskDefinition:TaskDefinition")
    }
    metrics = INSIGHTS_METRICS["cluster"] + INSIGHTS_METRICS["service"] * len(services)
    metrics += INSIGHTS_METRICS["family"] * len(families)
    p.add(
        r,
        f"Container Insights ({mode}) metrics: cluster, {len(services)} services, {len(families)} families",
        "cloudwatch.metric.custom.month",
        metrics,
    )
    if mode == "enhanced":
        low = high = 0.0
        for service in services:
            for bounds, hours in service_hours(p, service).items():
                low += bounds.minimum * hours / H
                high += bounds.maximum * hours / H
        per_task = INSIGHTS_METRICS["task"]
        p.add(
            r,
            "Container Insights per-task metrics (average running tasks)",
            "cloudwatch.metric.custom.month",
            low * per_task,
            high * per_task,
        )
