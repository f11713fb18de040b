"""What an operator sets for observability, its one validator, and the constants every layer shares.

The leaf of the package: it imports nothing from the package and nothing from Pulumi, so the pure
pieces (alarms, dashboard, topic policies) and the component all build on it. `settings/` maps the
stack's keys onto `ObservabilityConfig` and reports the problems `observability_problems` finds;
the defaults live in Pulumi.yaml alone, so the types here have none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from components.catalogs import CLOUDFRONT_REGION
from components.config_base import Problem

# The WAF of a CloudFront distribution reports its metrics here, and CloudFront its own.
EDGE_REGION = CLOUDFRONT_REGION
GIB = 1024**3

# CloudWatch Logs rejects any other retention value (PutRetentionPolicy's retentionInDays).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# The range each threshold may take, as (minimum, maximum). Below a minimum an alarm would fire on
# normal traffic (or never, for percentages); the maxima are what CloudWatch's metrics can reach.
THRESHOLD_LIMITS: Mapping[str, tuple[int, int]] = {
    "alb_5xx_percent": (1, 100),
    "response_time_p95_ms": (50, 60_000),
    "unhealthy_hosts": (1, 100),
    "ecs_cpu_percent": (1, 100),
    "ecs_memory_percent": (1, 100),
    "rds_cpu_percent": (1, 100),
    "rds_free_storage_gib": (1, 65_536),
    "rds_connections": (1, 100_000),
    "rds_replica_lag_seconds": (1, 86_400),
    "redis_cpu_percent": (1, 100),
    "redis_memory_percent": (1, 100),
    # 0: alarm on the first eviction (Redis holds sessions and the Celery queue).
    "redis_evictions": (0, 1_000_000),
    "waf_blocked_requests": (1, 100_000_000),
}


@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    """When each alarm fires; ranges in `THRESHOLD_LIMITS`, checked by `ObservabilityConfig`."""

    alb_5xx_percent: int
    """Percentage of ALB requests answered with a 5xx (by the app or the ALB)."""
    response_time_p95_ms: int
    """95th-percentile target response time in milliseconds."""
    unhealthy_hosts: int
    """Web targets failing the health check."""
    ecs_cpu_percent: int
    """Average CPU of the web or worker service."""
    ecs_memory_percent: int
    """Average memory of the web or worker service."""
    rds_cpu_percent: int
    """CPU of the database primary."""
    rds_free_storage_gib: int
    """Free storage of the database primary, in GiB (alarm below)."""
    rds_connections: int
    """Connections held by the database primary."""
    rds_replica_lag_seconds: int
    """Replication lag of any read replica, in seconds."""
    redis_cpu_percent: int
    """EngineCPUUtilization of the busiest Redis node."""
    redis_memory_percent: int
    """DatabaseMemoryUsagePercentage of the fullest Redis node."""
    redis_evictions: int
    """Keys evicted across Redis nodes in 5 minutes (alarm above)."""
    waf_blocked_requests: int
    """Requests the WAF blocks in 5 minutes."""


@dataclass(frozen=True, kw_only=True)
class ObservabilityConfig:
    """The observability settings of a stack. Construction refuses bad values with every problem
    in one ValueError."""

    log_retention_days: int
    """Days CloudWatch Logs keeps the application's logs; one of `LOG_RETENTION_DAYS`."""
    alarm_email: str | None
    """Address subscribed to the alarm topics; None: nobody is subscribed."""
    alarms: AlarmThresholds

    def __post_init__(self) -> None:
        problems = observability_problems(
            log_retention_days=self.log_retention_days,
            alarm_email=self.alarm_email,
            alarms=asdict(self.alarms),
        )
        if problems:
            raise ValueError("; ".join(str(problem) for problem in problems))


def observability_problems(
    *, log_retention_days: int, alarm_email: str | None, alarms: Mapping[str, int]
) -> list[Problem]:
    """Every problem with these values (none: they make a valid `ObservabilityConfig`). A function of
    plain values, so `settings/` can report each under its key before anything is constructed."""
    problems = []
    if log_retention_days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
        problems.append(
            Problem(field="log_retention_days", value=log_retention_days, fix=f"allowed: {allowed}")
        )
    if alarm_email is not None and not EMAIL_PATTERN.match(alarm_email):
        problems.append(
            Problem(
                field="alarm_email",
                value=alarm_email,
                fix="expected an e-mail address such as oncall@example.org, or none (nobody subscribed)",
            )
        )
    for name, (minimum, maximum) in THRESHOLD_LIMITS.items():
        value = alarms[name]
        if not minimum <= value <= maximum:
            problems.append(
                Problem(
                    field=f"alarms.{name}",
                    value=value,
                    fix=f"expected a whole number from {minimum} to {maximum}",
                )
            )
    return problems
