"""The dashboard body: one row per tier, the same metrics the alarms watch, thresholds drawn in.

A pure function of resolved identifiers (strings), so it is JSON-ready and testable without Pulumi.
"""

from __future__ import annotations

from typing import Any

from .alarms import ALB_5XX_RATE, Watched
from .config import EDGE_REGION, GIB, AlarmThresholds

COLUMNS = 3
WIDGET_WIDTH = 8
WIDGET_HEIGHT = 6

# Redis rows: (metric, title, statistic, threshold field); each shows every node.
REDIS_WIDGETS = (
    ("EngineCPUUtilization", "Redis engine CPU (%)", "Average", "redis_cpu_percent"),
    ("DatabaseMemoryUsagePercentage", "Redis memory (%)", "Maximum", "redis_memory_percent"),
    ("Evictions", "Redis evictions", "Sum", "redis_evictions"),
)
# ECS rows: (metric, title, threshold field); each shows the web and the worker service.
ECS_WIDGETS = (
    ("CPUUtilization", "ECS CPU (%)", "ecs_cpu_percent"),
    ("MemoryUtilization", "ECS memory (%)", "ecs_memory_percent"),
)


def dashboard_body(
    t: AlarmThresholds, watched: Watched, *, region: str, distribution_id: str | None
) -> dict[str, Any]:
    """Widgets in a grid of three columns. WAF and CloudFront widgets read us-east-1; the rest
    `region`. Rows for replicas, the WAF and CloudFront appear only when those exist."""
    alb = ["LoadBalancer", watched.alb_arn_suffix]
    target_group = ["TargetGroup", watched.target_group_arn_suffix, "LoadBalancer", watched.alb_arn_suffix]
    replicas = list(watched.db_replica_identifiers)
    widgets: list[dict[str, Any]] = []

    def widget(
        title: str,
        metrics: list[list[Any]],
        *,
        stat: str = "Average",
        period: int = 300,
        threshold: float | None = None,
        widget_region: str | None = None,
    ) -> None:
        properties: dict[str, Any] = {
            "title": title,
            "region": widget_region or region,
            "view": "timeSeries",
            "stacked": False,
            "stat": stat,
            "period": period,
            "metrics": metrics,
        }
        if threshold is not None:
            properties["annotations"] = {"horizontal": [{"label": "alarm", "value": threshold}]}
        index = len(widgets)
        widgets.append(
            {
                "type": "metric",
                "x": (index % COLUMNS) * WIDGET_WIDTH,
                "y": (index // COLUMNS) * WIDGET_HEIGHT,
                "width": WIDGET_WIDTH,
                "height": WIDGET_HEIGHT,
                "properties": properties,
            }
        )

    widget(
        "ALB 5xx responses (%)",
        [
            ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *alb, {"id": "target5xx", "visible": False}],
            ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", *alb, {"id": "elb5xx", "visible": False}],
            ["AWS/ApplicationELB", "RequestCount", *alb, {"id": "requests", "visible": False}],
            [{"id": "rate", "label": "5xx (%)", "expression": ALB_5XX_RATE}],
        ],
        stat="Sum",
        period=60,
        threshold=t.alb_5xx_percent,
    )
    widget(
        "Response time p95 (s)",
        [["AWS/ApplicationELB", "TargetResponseTime", *target_group, {"stat": "p95"}]],
        period=60,
        threshold=t.response_time_p95_ms / 1000,
    )
    widget(
        "Web targets",
        [
            ["AWS/ApplicationELB", "HealthyHostCount", *target_group, {"stat": "Minimum"}],
            ["AWS/ApplicationELB", "UnHealthyHostCount", *target_group, {"stat": "Maximum"}],
        ],
        period=60,
        threshold=t.unhealthy_hosts,
    )
    for metric_name, title, threshold_field in ECS_WIDGETS:
        widget(
            title,
            [
                ["AWS/ECS", metric_name, "ClusterName", watched.cluster_name, "ServiceName", service]
                for service in (watched.web_service_name, watched.worker_service_name)
            ],
            threshold=getattr(t, threshold_field),
        )
    widget(
        "RDS CPU (%)",
        [
            ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", db]
            for db in [watched.db_instance_identifier, *replicas]
        ],
        threshold=t.rds_cpu_percent,
    )
    widget(
        "RDS free storage (bytes)",
        [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", watched.db_instance_identifier]],
        stat="Minimum",
        threshold=t.rds_free_storage_gib * GIB,
    )
    widget(
        "RDS connections",
        [["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", watched.db_instance_identifier]],
        stat="Maximum",
        threshold=t.rds_connections,
    )
    if replicas:
        widget(
            "RDS replica lag (s)",
            [["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", replica] for replica in replicas],
            stat="Maximum",
            period=60,
            threshold=t.rds_replica_lag_seconds,
        )
    for metric_name, title, stat, threshold_field in REDIS_WIDGETS:
        widget(
            title,
            [["AWS/ElastiCache", metric_name, "CacheClusterId", node] for node in watched.cache_nodes],
            stat=stat,
            threshold=getattr(t, threshold_field),
        )
    if watched.waf_metric_name:
        widget(
            "WAF requests",
            [
                ["AWS/WAFV2", metric, "WebACL", watched.waf_metric_name, "Rule", "ALL"]
                for metric in ("BlockedRequests", "AllowedRequests")
            ],
            stat="Sum",
            threshold=t.waf_blocked_requests,
            widget_region=EDGE_REGION,
        )
    if distribution_id:
        distribution = ["DistributionId", distribution_id, "Region", "Global"]
        widget(
            "CloudFront",
            [
                ["AWS/CloudFront", "Requests", *distribution, {"stat": "Sum"}],
                ["AWS/CloudFront", "5xxErrorRate", *distribution, {"yAxis": "right"}],
            ],
            widget_region=EDGE_REGION,
        )
    return {"widgets": widgets}
