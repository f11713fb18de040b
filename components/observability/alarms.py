"""The alarm catalogue: which alarms exist, what each watches, when it fires, what to do.

A pure function of the thresholds and the watched identifiers. The identifiers are only placed into
dimensions, never inspected, so they may be plain strings (tests) or Pulumi outputs (the component).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .config import EDGE_REGION, GIB, AlarmThresholds
from .schedule_window import Slot, wanted_expression


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    """One alarm as plain data: what it watches, when it fires, and what to do."""

    role: str
    """Names the alarm: `<component>-<role>`."""
    description: str
    threshold: float
    comparison: str
    treat_missing_data: str
    evaluation_periods: int
    datapoints_to_alarm: int
    metric: dict[str, Any] | None = None
    """namespace, metric_name, dimensions, period, and statistic or extended_statistic."""
    queries: list[dict[str, Any]] | None = None
    """Metric-math queries; the one with return_data is what the alarm compares."""
    region: str | None = None
    """Where the alarm lives and whose topic it notifies. Default: None (the stack's region)."""


@dataclass(frozen=True, kw_only=True)
class Watched:
    """What the alarms watch, as the other tiers name it."""

    alb_arn_suffix: Any
    target_group_arn_suffix: Any
    cluster_name: Any
    web_service_name: Any
    worker_service_name: Any
    db_instance_identifier: Any
    db_replica_identifiers: Sequence[Any] = ()
    """Default: no read replicas."""
    cache_nodes: Sequence[Any] = ()
    """Member clusters of the Redis replication group (`cache_node_id`). Default: none."""
    waf_metric_name: str | None = None
    """Default: None (no WAF, no WAF alarm)."""


def cache_node_id(replication_group_id: str, index: int) -> str:
    """Member cluster `index` (from 1) of a cluster-mode-disabled replication group, as ElastiCache
    names it."""
    return f"{replication_group_id}-{index:03d}"


NO_HEALTHY_HOSTS = (
    "No web task is healthy: the site shows the maintenance page. Check the web service's events "
    "and the last deploy (the circuit breaker should roll it back)."
)

ALB_5XX_RATE = "IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)"

# ECS services and the utilisation metrics watched on each: (metric, short name, threshold field).
ECS_SERVICES = ("web", "worker")
ECS_METRICS = (
    ("CPUUtilization", "cpu", "ecs_cpu_percent"),
    ("MemoryUtilization", "memory", "ecs_memory_percent"),
)


def _metric(
    namespace: str, name: str, dimensions: dict[str, Any], period: int, statistic: str
) -> dict[str, Any]:
    return {
        "namespace": namespace,
        "metric_name": name,
        "dimensions": dimensions,
        "period": period,
        "statistic": statistic,
    }


def _query(
    query_id: str, namespace: str, name: str, dimensions: dict[str, Any], period: int, stat: str
) -> dict[str, Any]:
    return {
        "id": query_id,
        "return_data": False,
        "metric": {
            "namespace": namespace,
            "metric_name": name,
            "dimensions": dimensions,
            "period": period,
            "stat": stat,
        },
    }


def alarm_catalogue(
    t: AlarmThresholds,
    watched: Watched,
    *,
    web_scales_to_zero: bool,
    web_wanted_slots: frozenset[Slot] | None = None,
) -> list[AlarmSpec]:
    """Every alarm, in the order they are created: the web tier, ECS, RDS, Redis, then the WAF.
    `web_wanted_slots` (UTC weekday and hour slots the schedule wants web tasks, from
    schedule_window.wanted_slots) lets a scaled-to-zero web service's no-healthy-hosts alarm know the
    schedule without Container Insights."""
    return [
        *_web_alarms(t, watched, web_scales_to_zero, web_wanted_slots),
        *_ecs_alarms(t, watched),
        *_rds_alarms(t, watched),
        *_redis_alarms(t, watched),
        *_waf_alarms(t, watched),
    ]


def _web_alarms(
    t: AlarmThresholds, w: Watched, web_scales_to_zero: bool, wanted: frozenset[Slot] | None
) -> list[AlarmSpec]:
    alb = {"LoadBalancer": w.alb_arn_suffix}
    target_group = {"LoadBalancer": w.alb_arn_suffix, "TargetGroup": w.target_group_arn_suffix}
    return [
        AlarmSpec(
            role="alb-5xx-rate",
            description=(
                f"More than {t.alb_5xx_percent}% of requests end in a 5xx from Django or the ALB. "
                "Check the web service's logs and recent deploys; roll back if a deploy started it."
            ),
            threshold=t.alb_5xx_percent,
            comparison="GreaterThanThreshold",
            # No requests, no errors: silence is not an outage here (the healthy-host alarm covers that).
            treat_missing_data="notBreaching",
            evaluation_periods=5,
            datapoints_to_alarm=3,
            queries=[
                _query("target5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", alb, 60, "Sum"),
                _query("elb5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", alb, 60, "Sum"),
                _query("requests", "AWS/ApplicationELB", "RequestCount", alb, 60, "Sum"),
                {"id": "rate", "label": "5xx responses (%)", "expression": ALB_5XX_RATE, "return_data": True},
            ],
        ),
        AlarmSpec(
            role="response-time-p95",
            description=(
                f"The slowest 5% of requests take over {t.response_time_p95_ms} ms. Look for slow queries "
                "(RDS CPU, connections), a busy web service (ECS CPU) or a slow third-party call."
            ),
            threshold=t.response_time_p95_ms / 1000,
            comparison="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            evaluation_periods=5,
            datapoints_to_alarm=3,
            metric={
                "namespace": "AWS/ApplicationELB",
                "metric_name": "TargetResponseTime",
                "dimensions": target_group,
                "period": 60,
                "extended_statistic": "p95",
            },
        ),
        AlarmSpec(
            role="unhealthy-hosts",
            description=(
                f"{t.unhealthy_hosts} or more web tasks fail the health check. Read the failing tasks' "
                "logs (database or Redis unreachable? a crash on start?); ECS replaces them."
            ),
            threshold=t.unhealthy_hosts,
            comparison="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            evaluation_periods=3,
            datapoints_to_alarm=3,
            metric=_metric("AWS/ApplicationELB", "UnHealthyHostCount", target_group, 60, "Maximum"),
        ),
        _no_healthy_hosts(w, target_group, web_scales_to_zero, wanted),
    ]


def _no_healthy_hosts(
    w: Watched, target_group: dict[str, Any], web_scales_to_zero: bool, wanted: frozenset[Slot] | None
) -> AlarmSpec:
    """Fires when web tasks are wanted and none is healthy. With a scale-to-zero schedule, zero
    healthy hosts at night is the plan, not an outage: the alarm then keys on the hours the schedule
    wants web tasks (metric math on each data point's weekday and hour), or, for a schedule those
    cannot express, on Container Insights' DesiredTaskCount."""
    if not web_scales_to_zero:
        return AlarmSpec(
            role="no-healthy-hosts",
            description=NO_HEALTHY_HOSTS,
            threshold=1,
            comparison="LessThanThreshold",
            # A target group that stops reporting has no healthy targets either.
            treat_missing_data="breaching",
            evaluation_periods=2,
            datapoints_to_alarm=2,
            metric=_metric("AWS/ApplicationELB", "HealthyHostCount", target_group, 60, "Minimum"),
        )
    healthy = _query("healthy", "AWS/ApplicationELB", "HealthyHostCount", target_group, 60, "Minimum")
    hours = wanted_expression(wanted, "filled") if wanted is not None else None
    if hours is not None:
        queries = [
            healthy,
            # Every minute gets a data point (no target reporting is no healthy target), so the
            # weekday and hour below exist all night too.
            {"id": "filled", "expression": "FILL(healthy, 0)", "return_data": False},
            {
                "id": "wanted",
                "label": "the schedule wants web tasks",
                "expression": hours,
                "return_data": False,
            },
            {
                "id": "down",
                "label": "web tasks wanted but none healthy",
                "expression": "IF(wanted AND filled < 1, 1, 0)",
                "return_data": True,
            },
        ]
        silent = " (Silent outside the hours the schedule keeps web tasks running, and in the first hour after each scale-up.)"
    else:
        web = {"ClusterName": w.cluster_name, "ServiceName": w.web_service_name}
        queries = [
            healthy,
            _query("desired", "ECS/ContainerInsights", "DesiredTaskCount", web, 60, "Maximum"),
            {
                "id": "down",
                "label": "web tasks wanted but none healthy",
                "expression": "IF(FILL(desired, 0) > 0 AND FILL(healthy, 0) < 1, 1, 0)",
                "return_data": True,
            },
        ]
        silent = " (Silent while the schedule has scaled the web service to zero.)"
    return AlarmSpec(
        role="no-healthy-hosts",
        description=NO_HEALTHY_HOSTS + silent,
        threshold=1,
        comparison="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        # Five minutes: tasks started by the morning scale-up need a while to pass health checks.
        evaluation_periods=5,
        datapoints_to_alarm=5,
        queries=queries,
    )


def _ecs_alarms(t: AlarmThresholds, w: Watched) -> list[AlarmSpec]:
    names = {"web": w.web_service_name, "worker": w.worker_service_name}
    specs = []
    for service in ECS_SERVICES:
        for metric_name, short, threshold_field in ECS_METRICS:
            threshold = getattr(t, threshold_field)
            specs.append(
                AlarmSpec(
                    role=f"ecs-{service}-{short}",
                    description=(
                        f"The {service} service averages over {threshold}% {short}. Autoscaling should "
                        "add tasks; if it is at its maximum, raise the maximum or the task size."
                    ),
                    threshold=threshold,
                    comparison="GreaterThanThreshold",
                    # No tasks, no data: that is the unhealthy-host alarm's business, not this one's.
                    treat_missing_data="notBreaching",
                    evaluation_periods=3,
                    datapoints_to_alarm=3,
                    metric=_metric(
                        "AWS/ECS",
                        metric_name,
                        {"ClusterName": w.cluster_name, "ServiceName": names[service]},
                        300,
                        "Average",
                    ),
                )
            )
    return specs


def _rds(metric_name: str, statistic: str, instance: Any, period: int) -> dict[str, Any]:
    return _metric("AWS/RDS", metric_name, {"DBInstanceIdentifier": instance}, period, statistic)


def _rds_alarms(t: AlarmThresholds, w: Watched) -> list[AlarmSpec]:
    primary = w.db_instance_identifier
    specs = [
        AlarmSpec(
            role="rds-cpu",
            description=(
                f"The database primary's CPU is over {t.rds_cpu_percent}%. Find the heavy queries in "
                "CloudWatch Database Insights (its Top SQL view); move reads to the replicas or scale the "
                "instance class."
            ),
            threshold=t.rds_cpu_percent,
            comparison="GreaterThanThreshold",
            # RDS always reports; a gap is transient, so keep the previous state.
            treat_missing_data="missing",
            evaluation_periods=3,
            datapoints_to_alarm=3,
            metric=_rds("CPUUtilization", "Average", primary, 300),
        ),
        AlarmSpec(
            role="rds-free-storage",
            description=(
                f"The database primary has under {t.rds_free_storage_gib} GiB free. Raise the "
                "allocated storage (or its autoscaling maximum) before writes fail."
            ),
            threshold=t.rds_free_storage_gib * GIB,
            comparison="LessThanThreshold",
            # Missing storage data from a running primary is itself a reason to look.
            treat_missing_data="breaching",
            evaluation_periods=2,
            datapoints_to_alarm=2,
            metric=_rds("FreeStorageSpace", "Minimum", primary, 300),
        ),
        AlarmSpec(
            role="rds-connections",
            description=(
                f"The database primary holds over {t.rds_connections} connections. Look for a "
                "connection leak or too many tasks; CONN_MAX_AGE and task counts multiply."
            ),
            threshold=t.rds_connections,
            comparison="GreaterThanThreshold",
            treat_missing_data="missing",
            evaluation_periods=2,
            datapoints_to_alarm=2,
            metric=_rds("DatabaseConnections", "Maximum", primary, 300),
        ),
    ]
    # Numbered from 1, like the replicas' identifiers (`<stack>-replica-1`).
    for index, replica in enumerate(w.db_replica_identifiers, start=1):
        specs.append(
            AlarmSpec(
                role=f"rds-replica-{index}-lag",
                description=(
                    f"Read replica {index} is over {t.rds_replica_lag_seconds} s behind: pages reading "
                    "from it show stale data. Check its CPU and I/O and long-running queries on it."
                ),
                threshold=t.rds_replica_lag_seconds,
                comparison="GreaterThanThreshold",
                # A replica that stops reporting lag has usually stopped replicating.
                treat_missing_data="breaching",
                evaluation_periods=5,
                datapoints_to_alarm=5,
                metric=_rds("ReplicaLag", "Maximum", replica, 60),
            )
        )
    return specs


def _redis_queries(
    nodes: Sequence[Any], metric_name: str, statistic: str, combine: str, label: str
) -> list[dict[str, Any]]:
    """One query per node and their MAX or SUM, so the alarm sees the busiest node or the total."""
    queries = [
        _query(f"node{index}", "AWS/ElastiCache", metric_name, {"CacheClusterId": node}, 300, statistic)
        for index, node in enumerate(nodes, start=1)
    ]
    node_ids = ", ".join(q["id"] for q in queries)
    queries.append(
        {"id": "combined", "label": label, "expression": f"{combine}([{node_ids}])", "return_data": True}
    )
    return queries


def _redis_alarms(t: AlarmThresholds, w: Watched) -> list[AlarmSpec]:
    nodes = w.cache_nodes
    return [
        AlarmSpec(
            role="redis-cpu",
            description=(
                f"Redis's engine thread is over {t.redis_cpu_percent}% CPU on a node. Look for "
                "expensive commands (KEYS, large sets) or scale to a larger node type."
            ),
            threshold=t.redis_cpu_percent,
            comparison="GreaterThanThreshold",
            treat_missing_data="missing",
            evaluation_periods=3,
            datapoints_to_alarm=3,
            queries=_redis_queries(nodes, "EngineCPUUtilization", "Average", "MAX", "busiest node CPU (%)"),
        ),
        AlarmSpec(
            role="redis-memory",
            description=(
                f"Redis uses over {t.redis_memory_percent}% of its memory on a node; next come "
                "evictions of sessions and queued tasks. Purge old keys or scale the node type."
            ),
            threshold=t.redis_memory_percent,
            comparison="GreaterThanThreshold",
            treat_missing_data="missing",
            evaluation_periods=2,
            datapoints_to_alarm=2,
            queries=_redis_queries(
                nodes, "DatabaseMemoryUsagePercentage", "Maximum", "MAX", "fullest node memory (%)"
            ),
        ),
        AlarmSpec(
            role="redis-evictions",
            description=(
                f"Redis evicted over {t.redis_evictions} keys in 5 minutes: users were logged out "
                "or Celery tasks were lost. Scale the node type; check the memory alarm."
            ),
            threshold=t.redis_evictions,
            comparison="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            evaluation_periods=1,
            datapoints_to_alarm=1,
            queries=_redis_queries(nodes, "Evictions", "Sum", "SUM", "evicted keys"),
        ),
    ]


def _waf_alarms(t: AlarmThresholds, w: Watched) -> list[AlarmSpec]:
    """CloudWatch alarms notify only topics of their own region; the WAF of a CloudFront
    distribution reports in us-east-1, so this alarm lives there."""
    if not w.waf_metric_name:
        return []
    return [
        AlarmSpec(
            role="waf-blocked-spike",
            description=(
                f"The WAF blocked over {t.waf_blocked_requests} requests in 5 minutes: an attack, a "
                "scraper, or a false positive hurting real users. Read the sampled requests of the "
                "web ACL to see which rule blocks what."
            ),
            threshold=t.waf_blocked_requests,
            comparison="GreaterThanThreshold",
            # The WAF emits nothing while it blocks nothing.
            treat_missing_data="notBreaching",
            evaluation_periods=1,
            datapoints_to_alarm=1,
            # CloudFront-scoped web ACLs have no Region dimension.
            metric=_metric(
                "AWS/WAFV2", "BlockedRequests", {"WebACL": w.waf_metric_name, "Rule": "ALL"}, 300, "Sum"
            ),
            region=EDGE_REGION,
        )
    ]
