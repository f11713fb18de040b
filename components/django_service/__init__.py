"""The Django services, in layers: `config` (what an operator sets, and the shared constants) at the
bottom; the pure pieces `workloads`, `documents` and `containers` above it; `task_settings` and
`services` (resources for the component); the `component` on top. Lower layers never import
higher ones."""

from .component import DjangoServices
from .config import (
    CREDENTIAL_WORDS,
    LATE_SETTINGS,
    SECRETS_MANAGER_REFERENCE,
    WEB_STOP_TIMEOUT,
    WORKER_STOP_TIMEOUT,
    WRITABLE_PATHS,
    XRAY_DAEMON_IMAGE,
    XRAY_DAEMON_PORT,
    DjangoServicesArgs,
    ServiceScaling,
    ServicesConfig,
    django_services_problems,
)
from .workloads import WORKLOADS, Workload, rebalancing_for, workloads

__all__ = [
    "CREDENTIAL_WORDS",
    "LATE_SETTINGS",
    "SECRETS_MANAGER_REFERENCE",
    "WEB_STOP_TIMEOUT",
    "WORKER_STOP_TIMEOUT",
    "WORKLOADS",
    "WRITABLE_PATHS",
    "XRAY_DAEMON_IMAGE",
    "XRAY_DAEMON_PORT",
    "DjangoServices",
    "DjangoServicesArgs",
    "ServiceScaling",
    "ServicesConfig",
    "Workload",
    "django_services_problems",
    "rebalancing_for",
    "workloads",
]
