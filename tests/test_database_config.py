"""DatabaseConfig, the database's one validator: each rule names the field, the value and the fix,
without Pulumi; and the stand-ins settings/ uses for refused values always make a valid config."""

from __future__ import annotations

from typing import Any

import pytest

from components.database import DatabaseConfig
from components.database.config import refusal_fallbacks
from tests.test_database import CONFIG_VALUES


def test_the_pulumi_yaml_defaults_make_a_valid_config() -> None:
    config = DatabaseConfig(**CONFIG_VALUES)
    assert (config.major_version, config.restores) == ("17", False)
    assert DatabaseConfig(
        **{**CONFIG_VALUES, "engine_version": "16.15", "snapshot_identifier": "s1"}
    ).restores


@pytest.mark.parametrize(
    ("overrides", "field", "fix"),
    [
        ({"engine_version": "13"}, "engine_version", "PostgreSQL major (14, 15, 16, 17)"),
        ({"engine_version": "17.4.1"}, "engine_version", "major.minor such as '17.6'"),
        ({"instance_class": "t4g.micro"}, "instance_class", "RDS instance class"),
        ({"allocated_storage_gb": 10}, "allocated_storage_gb", "from 20 to 65536"),
        (
            {"allocated_storage_gb": 60000, "max_allocated_storage_gb": 65536},
            "allocated_storage_gb",
            "at most 59578",
        ),
        ({"max_allocated_storage_gb": 70000}, "max_allocated_storage_gb", "from 20 to 65536"),
        ({"max_allocated_storage_gb": 21}, "max_allocated_storage_gb", "22 or more"),
        (
            {"allocated_storage_gb": 200, "max_allocated_storage_gb": 100},
            "max_allocated_storage_gb",
            "at least 10% above the allocated storage (200 GiB)",
        ),
        ({"read_replica_count": 6}, "read_replica_count", "from 0 to 5"),
        ({"backup_retention_days": 0}, "backup_retention_days", "from 1 to 35"),
        ({"backup_retention_days": 36}, "backup_retention_days", "from 1 to 35"),
        ({"backup_window": "2am"}, "backup_window", "hh:mm-hh:mm"),
        ({"backup_window": "02:00-02:10"}, "backup_window", "at least 30 minutes"),
        ({"backup_window": "02:00-01:50"}, "backup_window", "leaves at least 30 minutes a day"),
        ({"maintenance_window": "sunday"}, "maintenance_window", "ddd:hh:mm-ddd:hh:mm"),
        ({"maintenance_window": "sun:03:00-sun:03:15"}, "maintenance_window", "at least 30 minutes"),
        (
            {"maintenance_window": "wed:02:15-wed:03:00"},
            "maintenance_window",
            "does not overlap the daily backup window (02:00-02:30)",
        ),
        (
            {"backup_window": "23:45-00:30", "maintenance_window": "mon:00:00-mon:01:00"},
            "maintenance_window",
            "does not overlap",
        ),
        (
            {"monitoring_interval_seconds": 2},
            "monitoring_interval_seconds",
            "allowed: 0, 1, 5, 10, 15, 30, 60",
        ),
        ({"log_exports": ("postgresql", "audit")}, "log_exports", "unknown entries ['audit']"),
        ({"slow_query_ms": 0}, "slow_query_ms", "-1 (off) or at least 50"),
        ({"slow_query_ms": -5}, "slow_query_ms", "from -1 to 3600000"),
        ({"slow_query_ms": 3_600_001}, "slow_query_ms", "from -1 to 3600000"),
        ({"snapshot_identifier": "snap_shot"}, "snapshot_identifier", "DB snapshot identifier"),
        ({"snapshot_identifier": ""}, "snapshot_identifier", "DB snapshot identifier"),
    ],
)
def test_each_rule_names_the_field_the_value_and_the_fix(
    overrides: dict[str, Any], field: str, fix: str
) -> None:
    values = {**CONFIG_VALUES, **overrides}
    # One problem, except where the allocation leaves no valid ceiling: both then are wrong.
    found = {problem.field: problem for problem in DatabaseConfig.problems(values)}
    assert set(found) - {field} <= {"max_allocated_storage_gb"} and field in found
    problem = found[field]
    assert problem.value == values[field]
    assert fix in problem.fix
    with pytest.raises(ValueError, match=f"invalid DatabaseConfig: {field} "):
        DatabaseConfig(**values)


def test_every_problem_is_reported_at_once() -> None:
    values = {**CONFIG_VALUES, "read_replica_count": 9, "slow_query_ms": 1, "instance_class": "m7g.large"}
    assert {p.field for p in DatabaseConfig.problems(values)} == {
        "read_replica_count",
        "slow_query_ms",
        "instance_class",
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"allocated_storage_gb": 200, "max_allocated_storage_gb": 100},
        {"allocated_storage_gb": 59578, "max_allocated_storage_gb": 20},
        {"backup_window": "03:10-03:50", "maintenance_window": "sun:03:00-sun:04:00"},
        {"backup_window": "23:45-00:30", "maintenance_window": "mon:00:00-mon:01:00"},
        {"snapshot_identifier": "snap_shot"},
    ],
)
def test_stand_ins_for_refused_values_keep_the_rest_valid(overrides: dict[str, Any]) -> None:
    """settings/ replaces each refused value to run its later checks: the result must construct."""
    values = {**CONFIG_VALUES, **overrides}
    fallbacks = refusal_fallbacks(values)
    for problem in DatabaseConfig.problems(values):
        values[problem.field] = fallbacks.get(problem.field, CONFIG_VALUES[problem.field])
    assert DatabaseConfig.problems(values) == []
