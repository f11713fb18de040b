"""Observability, in layers: `config` (what an operator sets) at the bottom; the pure pieces
`alarms`, `dashboard` and `topic_policy` above it; the `component` that creates resources on top.
Lower layers never import higher ones."""

from .alarms import AlarmSpec, Watched, alarm_catalogue
from .component import Observability, ObservabilityArgs
from .config import (
    EDGE_REGION,
    LOG_RETENTION_DAYS,
    THRESHOLD_LIMITS,
    AlarmThresholds,
    ObservabilityConfig,
    Problem,
    observability_problems,
)
from .dashboard import dashboard_body

__all__ = [
    "EDGE_REGION",
    "LOG_RETENTION_DAYS",
    "THRESHOLD_LIMITS",
    "AlarmSpec",
    "AlarmThresholds",
    "Observability",
    "ObservabilityArgs",
    "ObservabilityConfig",
    "Problem",
    "Watched",
    "alarm_catalogue",
    "dashboard_body",
    "observability_problems",
]
