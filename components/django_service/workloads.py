"""The workloads of the Django services as one table: what each runs, how big it is, how it stops,
what it listens on, and whether it may run on Spot. The component creates resources from these
rows instead of branching on role names; tests read the table to check its invariants."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..release_tasks import COMMANDS, RELEASE_TASKS
from .config import WEB_STOP_TIMEOUT, WORKER_STOP_TIMEOUT, WRITABLE_PATHS, DjangoServicesArgs, ServiceScaling


def web_command(args: DjangoServicesArgs) -> list[str]:
    """gunicorn: 2 workers per vCPU plus one; connections outlive the ALB's idle timeout, so the ALB
    never reuses one gunicorn closed (a 502); in-flight requests drain within the stop timeout."""
    workers = max(2, 2 * args.config.web.cpu // 1024 + 1)
    return [
        "gunicorn",
        args.config.wsgi_application,
        "--bind",
        f"0.0.0.0:{args.config.container_port}",
        "--workers",
        str(workers),
        "--worker-tmp-dir",
        "/tmp",
        "--keep-alive",
        str(args.load_balancer.idle_timeout_seconds + 5),
        "--graceful-timeout",
        str(WEB_STOP_TIMEOUT - 5),
        "--access-logfile",
        "-",
    ]


def worker_command(args: DjangoServicesArgs) -> list[str]:
    """Celery worker: one process per quarter vCPU."""
    concurrency = max(1, args.config.worker.cpu // 256)
    return [
        "celery",
        "-A",
        args.config.celery_app,
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
    ]


def beat_command(args: DjangoServicesArgs) -> list[str]:
    """Celery beat, its schedule file on the writable /tmp."""
    return [
        "celery",
        "-A",
        args.config.celery_app,
        "beat",
        "--loglevel",
        "INFO",
        "--schedule",
        "/tmp/celerybeat-schedule",
    ]


def _release_command(role: str) -> Callable[[DjangoServicesArgs], list[str]]:
    return lambda _args: list(COMMANDS[role])


@dataclass(frozen=True, kw_only=True)
class Workload:
    """One row of the table: a task definition, and for a service also how ECS runs and scales it."""

    role: str
    """Container, log stream prefix and name part of every resource of this workload."""
    command: Callable[[DjangoServicesArgs], list[str]]
    size: Literal["web", "worker"]
    """Which `ServiceScaling` of the args sizes the task (one-off tasks borrow the worker's)."""
    stop_timeout_seconds: int
    """Seconds between SIGTERM and SIGKILL (Fargate allows at most 120)."""
    serves_http: bool = False
    """Listens on `container_port`: port mapping, PORT, the ALB's target group and Cloud Map."""
    service: bool = False
    """A long-running ECS service; otherwise a one-off task definition the deploy runs."""
    autoscaled: bool = False
    """Tracks CPU and memory (the web also requests per target)."""
    spot_allowed: bool = False
    """May run on FARGATE_SPOT above the on-demand base (interruptible: never a singleton)."""
    xray_sidecar: bool = False
    """Gets the X-Ray daemon when the stack enables tracing."""
    security_group: Literal["web", "worker"] = "worker"
    minimum_healthy_percent: int = 100
    maximum_percent: int = 200
    writes_static: bool = False
    """Runs with the static writer role, the only one that may write the static bucket."""
    reads_media_signing_key: bool = False
    """Gets the media signing key and an execution role of its own that may read it."""
    writable_paths: Mapping[str, str] = field(default_factory=lambda: WRITABLE_PATHS)
    """Volume name -> mount path writable on the otherwise read-only root file system."""

    def scaling(self, args: DjangoServicesArgs) -> ServiceScaling:
        return args.config.web if self.size == "web" else args.config.worker


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        role="web",
        command=web_command,
        size="web",
        stop_timeout_seconds=WEB_STOP_TIMEOUT,
        serves_http=True,
        service=True,
        autoscaled=True,
        spot_allowed=True,
        xray_sidecar=True,
        security_group="web",
        reads_media_signing_key=True,
    ),
    Workload(
        role="worker",
        command=worker_command,
        size="worker",
        # Celery finishes the tasks it is running (warm shutdown) before it exits.
        stop_timeout_seconds=WORKER_STOP_TIMEOUT,
        service=True,
        autoscaled=True,
        spot_allowed=True,
        xray_sidecar=True,
    ),
    Workload(
        role="beat",
        command=beat_command,
        size="worker",
        stop_timeout_seconds=WORKER_STOP_TIMEOUT,
        service=True,
        # A second beat would schedule every periodic task twice, so deployments stop the old task
        # before starting the new one, and it never runs on interruptible Spot capacity.
        minimum_healthy_percent=0,
        maximum_percent=100,
    ),
    *(
        Workload(
            role=role,
            command=_release_command(role),
            size="worker",
            stop_timeout_seconds=WORKER_STOP_TIMEOUT,
            writes_static=role == "collectstatic",
        )
        for role in RELEASE_TASKS
    ),
)


def workloads(*, beat_enabled: bool) -> dict[str, Workload]:
    """The stack's workloads by role, in creation order (beat only when enabled)."""
    return {w.role: w for w in WORKLOADS if beat_enabled or w.role != "beat"}


def rebalancing_for(maximum_percent: int, *, required: bool = False) -> str:
    """ECS availability-zone rebalancing for a service deployed with `maximum_percent`.

    Rebalancing starts a task in the emptier AZ before it stops one elsewhere, so ECS refuses it
    unless deployments may exceed 100%; for beat that extra task would be a second scheduler."""
    if maximum_percent > 100:
        return "ENABLED"
    if required:
        raise ValueError(f"deployment maximum {maximum_percent}%: AZ rebalancing needs a maximum above 100%")
    return "DISABLED"
