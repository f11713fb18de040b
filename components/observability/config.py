"""What an operator sets for observability, and the constants every layer above shares.

The leaf of the package: it imports nothing from the package and nothing from Pulumi, so the pure
pieces (alarms, dashboard, policies) and the component can all build on it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

# The WAF of a CloudFront distribution reports its metrics here, and CloudFront its own.
EDGE_REGION = "us-east-1"
GIB = 1024**3


@dataclass(frozen=True)
class AlarmThresholds:
    """When each alarm fires. Field names match `settings.AlarmThresholdSettings`."""

    alb_5xx_percent: int = 5
    """Percentage of ALB requests answered with a 5xx (by the app or the ALB). Default: 5."""
    response_time_p95_ms: int = 2000
    """95th-percentile target response time in milliseconds. Default: 2000."""
    unhealthy_hosts: int = 1
    """Web targets failing the health check. Default: 1."""
    ecs_cpu_percent: int = 80
    """Average CPU of the web or worker service. Default: 80."""
    ecs_memory_percent: int = 85
    """Average memory of the web or worker service. Default: 85."""
    rds_cpu_percent: int = 80
    """CPU of the database primary. Default: 80."""
    rds_free_storage_gib: int = 10
    """Free storage of the database primary, in GiB (alarm below). Default: 10."""
    rds_connections: int = 200
    """Connections held by the database primary. Default: 200."""
    rds_replica_lag_seconds: int = 60
    """Replication lag of any read replica, in seconds. Default: 60."""
    redis_cpu_percent: int = 80
    """EngineCPUUtilization of the busiest Redis node. Default: 80."""
    redis_memory_percent: int = 80
    """DatabaseMemoryUsagePercentage of the fullest Redis node. Default: 80."""
    redis_evictions: int = 0
    """Keys evicted across Redis nodes in 5 minutes (alarm above). Default: 0."""
    waf_blocked_requests: int = 1000
    """Requests the WAF blocks in 5 minutes. Default: 1000."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name.endswith("_percent") and not 1 <= value <= 100:
                raise ValueError(f"{item.name} {value}: use a percentage from 1 to 100")
            if item.name == "redis_evictions" and value < 0:
                raise ValueError(f"redis_evictions {value}: use 0 or more")
            if item.name != "redis_evictions" and value < 1:
                raise ValueError(f"{item.name} {value}: use 1 or more")
