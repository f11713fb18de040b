"""What an operator sets for the database, and its one validator; the package's leaf.

Imports nothing from Pulumi: settings/ runs `DatabaseConfig.problems` on the stack's values before
any resource exists, and the component holds only a config that passed it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config_base import Problem, ValidatedConfig, between, collect, one_of
from ..windows import (
    DAILY_SHAPE,
    DAY_MINUTES,
    WEEKLY_SHAPE,
    daily_overlaps_weekly,
    weekly_window,
    window_minutes,
)

PORT = 5432
POSTGRES_MAJORS = ("14", "15", "16", "17")
ENGINE_VERSION_PATTERN = re.compile(r"(\d+)(\.\d+)?")
INSTANCE_CLASS_PATTERN = re.compile(r"db\.[a-z0-9-]+\.[a-z0-9]+")
LOG_EXPORTS = ("postgresql", "upgrade", "iam-db-auth-error")
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
# gp3 PostgreSQL storage: 20 GiB to 64 TiB. Storage autoscaling is always on, and RDS refuses a
# ceiling less than 10% above the allocated storage, so the allocation must leave that room.
MIN_STORAGE_GB = 20
MAX_STORAGE_GB = 65536
MAX_AUTOSCALED_ALLOCATION_GB = MAX_STORAGE_GB * 10 // 11
MIN_WINDOW_MINUTES = 30
MAX_SLOW_QUERY_MS = 3_600_000
MIN_SLOW_QUERY_MS = 50
# A manual or automated (`rds:`) DB snapshot identifier, or a DB snapshot ARN (RDS API reference,
# CreateDBSnapshot/CopyDBSnapshot constraints). Cluster snapshots restore only into Aurora.
SNAPSHOT_ID_PATTERN = re.compile(r"^(rds:)?[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$")
SNAPSHOT_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:rds:(?P<region>[a-z0-9-]+):\d{12}:snapshot:(rds:)?[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$"
)


def snapshot_identifier_problem(value: str, region: str | None = None) -> str | None:
    """What is wrong with a snapshot to restore the primary from, or None; `region` is the stack's."""
    if SNAPSHOT_ID_PATTERN.match(value):
        return None
    arn = SNAPSHOT_ARN_PATTERN.match(value)
    if not arn:
        return (
            "use a DB snapshot identifier (letters, digits, single hyphens, starting with a letter) or a DB "
            "snapshot ARN (arn:aws:rds:<region>:<account>:snapshot:<id>); cluster snapshots restore only into Aurora"
        )
    if region and arn.group("region") != region:
        return (
            f"the snapshot is in {arn.group('region')}, the stack in {region}: RDS restores only snapshots of "
            "its own region; copy it there with scripts/prepare_db_snapshot.py"
        )
    return None


def autoscaling_floor_gb(allocated_storage_gb: int) -> int:
    """The smallest storage-autoscaling ceiling RDS accepts above this allocation (10% more, rounded up)."""
    return -(-allocated_storage_gb * 11 // 10)


@dataclass(frozen=True, kw_only=True)
class DatabaseConfig(ValidatedConfig):
    """What an operator sets for the PostgreSQL primary and its read replicas."""

    engine_version: str
    """PostgreSQL major ("17") or major.minor ("17.6"); a major alone lets RDS apply minor upgrades.
    The parameter group family follows the major."""
    instance_class: str
    """RDS instance class of the primary and the replicas, e.g. "db.t4g.micro"."""
    allocated_storage_gb: int
    """Initial gp3 storage in GiB."""
    max_allocated_storage_gb: int
    """Ceiling in GiB that storage autoscaling may grow to; at least 10% above the allocation."""
    multi_az: bool
    """A synchronous standby in another AZ."""
    read_replica_count: int
    """Read replicas beside the primary, same class, security group and parameters."""
    backup_retention_days: int
    """Days of automated backups and point-in-time recovery; replicas need at least one."""
    backup_window: str
    """Daily UTC window for automated backups, `hh:mm-hh:mm`."""
    maintenance_window: str
    """Weekly UTC maintenance window, `ddd:hh:mm-ddd:hh:mm`, clear of the backup window."""
    performance_insights: bool
    """Query-level monitoring with 7 days of history, encrypted with the stack key."""
    monitoring_interval_seconds: int
    """Enhanced monitoring interval; 0 turns it off."""
    log_exports: tuple[str, ...]
    """PostgreSQL logs exported to CloudWatch Logs."""
    slow_query_ms: int
    """`log_min_duration_statement` in milliseconds; -1 turns slow-query logging off."""
    snapshot_identifier: str | None
    """DB snapshot (identifier or ARN) the primary is restored from when it is created; None creates
    an empty database."""

    @property
    def major_version(self) -> str:
        return self.engine_version.split(".")[0]

    @property
    def restores(self) -> bool:
        return self.snapshot_identifier is not None

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        return collect(
            _engine_version_problem(values["engine_version"]),
            _instance_class_problem(values["instance_class"]),
            *_storage_problems(values["allocated_storage_gb"], values["max_allocated_storage_gb"]),
            between("read_replica_count", values["read_replica_count"], 0, 5),
            between(
                "backup_retention_days",
                values["backup_retention_days"],
                1,
                35,
                "replicas need automated backups on the primary, and without them nothing can be restored",
            ),
            *_window_problems(values["backup_window"], values["maintenance_window"]),
            one_of(
                "monitoring_interval_seconds", values["monitoring_interval_seconds"], MONITORING_INTERVALS
            ),
            _log_exports_problem(values["log_exports"]),
            _slow_query_problem(values["slow_query_ms"]),
            _snapshot_problem(values["snapshot_identifier"]),
        )


def _engine_version_problem(version: str) -> Problem | None:
    match = ENGINE_VERSION_PATTERN.fullmatch(version)
    if match is not None and match.group(1) in POSTGRES_MAJORS:
        return None
    return Problem(
        field="engine_version",
        value=version,
        fix=f"expected a PostgreSQL major ({', '.join(POSTGRES_MAJORS)}) or major.minor such as '17.6'",
    )


def _instance_class_problem(instance_class: str) -> Problem | None:
    if INSTANCE_CLASS_PATTERN.fullmatch(instance_class):
        return None
    return Problem(
        field="instance_class",
        value=instance_class,
        fix="expected an RDS instance class such as 'db.t4g.micro' or 'db.m7g.large'",
    )


def _storage_problems(allocated: int, ceiling: int) -> list[Problem | None]:
    allocated_problem = between("allocated_storage_gb", allocated, MIN_STORAGE_GB, MAX_STORAGE_GB)
    if allocated_problem is None and allocated > MAX_AUTOSCALED_ALLOCATION_GB:
        allocated_problem = Problem(
            field="allocated_storage_gb",
            value=allocated,
            fix=f"expected at most {MAX_AUTOSCALED_ALLOCATION_GB}: storage autoscaling needs a ceiling 10% "
            f"above the allocation, and gp3 storage ends at {MAX_STORAGE_GB} GiB",
        )
    ceiling_problem = between("max_allocated_storage_gb", ceiling, MIN_STORAGE_GB, MAX_STORAGE_GB)
    if ceiling_problem is None and ceiling < autoscaling_floor_gb(allocated):
        ceiling_problem = Problem(
            field="max_allocated_storage_gb",
            value=ceiling,
            fix=f"expected at least 10% above the allocated storage ({allocated} GiB), i.e. "
            f"{autoscaling_floor_gb(allocated)} or more: RDS refuses a smaller storage-autoscaling ceiling",
        )
    return [allocated_problem, ceiling_problem]


def _window_problems(backup_window: str, maintenance_window: str) -> list[Problem | None]:
    backup = window_minutes(backup_window, weekly=False)
    maintenance = window_minutes(maintenance_window, weekly=True)
    backup_problem = _window_shape_problem("backup_window", backup_window, backup, DAILY_SHAPE)
    if backup_problem is None and backup is not None and backup[1] > DAY_MINUTES - MIN_WINDOW_MINUTES:
        backup_problem = Problem(
            field="backup_window",
            value=backup_window,
            fix=f"expected a window that leaves at least {MIN_WINDOW_MINUTES} minutes a day for the "
            "maintenance window, which RDS refuses to overlap with it",
        )
    maintenance_problem = _window_shape_problem(
        "maintenance_window", maintenance_window, maintenance, WEEKLY_SHAPE
    )
    if (
        maintenance_problem is None
        and backup_problem is None
        and backup is not None
        and maintenance is not None
        and daily_overlaps_weekly(backup, maintenance)
    ):
        maintenance_problem = Problem(
            field="maintenance_window",
            value=maintenance_window,
            fix=f"expected a window that does not overlap the daily backup window ({backup_window}); "
            "RDS refuses both at once",
        )
    return [backup_problem, maintenance_problem]


def _window_shape_problem(
    field: str, text: str, parsed: tuple[int, int] | None, shape: str
) -> Problem | None:
    if parsed is None:
        return Problem(field=field, value=text, fix=f"expected a UTC window {shape}")
    if parsed[1] < MIN_WINDOW_MINUTES:
        return Problem(
            field=field,
            value=text,
            fix=f"expected a window of at least {MIN_WINDOW_MINUTES} minutes ({shape})",
        )
    return None


def _log_exports_problem(log_exports: tuple[str, ...]) -> Problem | None:
    unknown = [log for log in log_exports if log not in LOG_EXPORTS]
    if not unknown:
        return None
    return Problem(
        field="log_exports",
        value=log_exports,
        fix=f"unknown entries {unknown}; PostgreSQL exports only: {', '.join(LOG_EXPORTS)}",
    )


def _slow_query_problem(slow_query_ms: int) -> Problem | None:
    problem = between("slow_query_ms", slow_query_ms, -1, MAX_SLOW_QUERY_MS)
    if problem is None and 0 <= slow_query_ms < MIN_SLOW_QUERY_MS:
        problem = Problem(
            field="slow_query_ms",
            value=slow_query_ms,
            fix=f"expected -1 (off) or at least {MIN_SLOW_QUERY_MS}: lower thresholds log nearly every "
            "statement, parameters included",
        )
    return problem


def _snapshot_problem(snapshot_identifier: str | None) -> Problem | None:
    if snapshot_identifier is None:
        return None
    problem = snapshot_identifier_problem(snapshot_identifier)
    if problem is None:
        return None
    return Problem(field="snapshot_identifier", value=snapshot_identifier, fix=problem)


def refusal_fallbacks(values: Mapping[str, Any]) -> dict[str, Any]:
    """Stand-ins for refused values where the Pulumi.yaml default would not do.

    settings/ replaces a refused value by its Pulumi.yaml default so that the checks after it
    still run; for these two the default might clash with the other field's accepted value, so the
    stand-in is derived from it. A refused partner falls back to its own default, which the
    defaults of these two accept."""
    # A refused snapshot: none (its Pulumi.yaml default, "", stands for none).
    found: dict[str, Any] = {"snapshot_identifier": None}
    allocated = values["allocated_storage_gb"]
    if isinstance(allocated, int) and MIN_STORAGE_GB <= allocated <= MAX_AUTOSCALED_ALLOCATION_GB:
        found["max_allocated_storage_gb"] = autoscaling_floor_gb(allocated)
    backup = window_minutes(values["backup_window"], weekly=False)
    if backup is not None and MIN_WINDOW_MINUTES <= backup[1] <= DAY_MINUTES - MIN_WINDOW_MINUTES:
        # Monday, from the end of the backup window for the shortest window RDS accepts.
        found["maintenance_window"] = weekly_window(backup[0] + backup[1], MIN_WINDOW_MINUTES)
    return found
