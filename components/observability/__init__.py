"""Observability, in layers: `config` (what an operator sets) at the bottom; the pure pieces
`alarms`, `dashboard` and `topic_policy` above it; the `component` that creates resources on top.
Lower layers never import higher ones."""

from .alarms import AlarmSpec, Watched, alarm_catalogue
from .component import Observability, ObservabilityArgs
from .config import EDGE_REGION, AlarmThresholds
from .dashboard import dashboard_body

__all__ = [
    "EDGE_REGION",
    "AlarmSpec",
    "AlarmThresholds",
    "Observability",
    "ObservabilityArgs",
    "Watched",
    "alarm_catalogue",
    "dashboard_body",
]
