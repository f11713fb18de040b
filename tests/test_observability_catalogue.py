"""The observability pieces that are plain data, checked without Pulumi: the config's validator, the
alarm catalogue, the dashboard body and the topic policies. AWS's limits come from botocore's
CloudWatch model, the catalogue AWS itself publishes."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import botocore.session
import pytest

from components.observability import (
    EDGE_REGION,
    THRESHOLD_LIMITS,
    AlarmSpec,
    AlarmThresholds,
    ObservabilityConfig,
    Watched,
    alarm_catalogue,
    dashboard_body,
    observability_problems,
)
from components.observability.alarms import cache_node_id
from components.observability.schedule_window import wanted_slots
from components.observability.topic_policy import alarm_topic_policy, edge_topic_key_policy
from settings import declared_keys
from settings.keys import ALARM_THRESHOLD_KEYS

CLOUDWATCH = botocore.session.get_session().get_service_model("cloudwatch")
# PutMetricAlarm's TreatMissingData is a free string in the model; its documented values.
TREAT_MISSING_DATA = {"breaching", "notBreaching", "ignore", "missing"}
# GetMetricData / PutMetricAlarm: a query id starts with a lower-case letter; letters, digits, "_".
METRIC_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")
DASHBOARD_COLUMNS = 24

# Pulumi.yaml's defaults, so the tests follow the one statement of them.
DEFAULTS = AlarmThresholds(
    **{name: int(declared_keys()[key].default) for name, key in ALARM_THRESHOLD_KEYS.items()}
)
ACCOUNT = "123456789012"


def watched(*, replicas: int, nodes: int, waf: bool) -> Watched:
    return Watched(
        alb_arn_suffix="app/epicvibe-alb/50dc6c495c0c9188",
        target_group_arn_suffix="targetgroup/epicvibe-web/6d0ecf831eec9f09",
        cluster_name="epicvibe-cluster",
        web_service_name="epicvibe-web",
        worker_service_name="epicvibe-worker",
        db_instance_identifier="epicvibe-db",
        db_replica_identifiers=[f"epicvibe-db-replica-{i}" for i in range(1, replicas + 1)],
        cache_nodes=[cache_node_id("epicvibe-redis", i) for i in range(1, nodes + 1)],
        waf_metric_name="epicvibe-waf" if waf else None,
    )


# Two shapes of stack: a development stack scaled to zero at night, without replicas or WAF, and a
# production stack that runs all day with two read replicas, two Redis nodes and the WAF.
# Pulumi.yaml's default schedule: down every day at 20:00, up on weekdays at 06:00 (UTC).
NIGHTLY = wanted_slots("cron(0 20 * * ? *)", "cron(0 6 ? * MON-FRI *)", "UTC")
DEVELOPMENT = {
    "watched": watched(replicas=0, nodes=1, waf=False),
    "web_scales_to_zero": True,
    "web_wanted_slots": NIGHTLY,
}
PRODUCTION = {"watched": watched(replicas=2, nodes=2, waf=True), "web_scales_to_zero": False}


def catalogue(profile: dict[str, Any], thresholds: AlarmThresholds = DEFAULTS) -> dict[str, AlarmSpec]:
    specs = alarm_catalogue(
        thresholds,
        profile["watched"],
        web_scales_to_zero=profile["web_scales_to_zero"],
        web_wanted_slots=profile.get("web_wanted_slots"),
    )
    by_role = {spec.role: spec for spec in specs}
    assert len(by_role) == len(specs), "alarm roles must be unique: they name the alarms"
    return by_role


def metrics_of(spec: AlarmSpec) -> list[dict[str, Any]]:
    if spec.metric:
        return [spec.metric]
    return [q["metric"] for q in spec.queries or [] if "metric" in q]


# --- the config -------------------------------------------------------------------------------------


def test_the_config_accepts_every_limit_and_refuses_one_past_it() -> None:
    for name, (minimum, maximum) in THRESHOLD_LIMITS.items():
        for value in (minimum, maximum):
            assert not observability_problems(
                log_retention_days=30, alarm_email=None, alarms={**dataclasses.asdict(DEFAULTS), name: value}
            )
        for value in (minimum - 1, maximum + 1):
            (problem,) = observability_problems(
                log_retention_days=30, alarm_email=None, alarms={**dataclasses.asdict(DEFAULTS), name: value}
            )
            assert problem.field == f"alarms.{name}"
            assert problem.value == value
            assert f"from {minimum} to {maximum}" in problem.fix


def test_the_config_reports_every_problem_in_one_error_naming_field_value_and_fix() -> None:
    with pytest.raises(ValueError) as caught:
        ObservabilityConfig(
            log_retention_days=31,
            alarm_email="oncall",
            alarms=dataclasses.replace(DEFAULTS, ecs_cpu_percent=0, redis_evictions=-1),
        )
    message = str(caught.value)
    assert "log_retention_days 31: allowed: 1, 3, 5" in message
    assert "alarm_email 'oncall': expected an e-mail address" in message
    assert "alarms.ecs_cpu_percent 0: expected a whole number from 1 to 100" in message
    assert "alarms.redis_evictions -1: expected a whole number from 0 to 1000000" in message


def test_the_config_is_frozen_and_keyword_only() -> None:
    config = ObservabilityConfig(log_retention_days=30, alarm_email=None, alarms=DEFAULTS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.alarm_email = "x@example.org"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ObservabilityConfig(30, None, DEFAULTS)  # type: ignore[call-arg]


# --- the catalogue ----------------------------------------------------------------------------------


def test_development_and_production_get_the_alarms_of_what_they_run() -> None:
    development, production = set(catalogue(DEVELOPMENT)), set(catalogue(PRODUCTION))
    common = {
        "alb-5xx-rate",
        "response-time-p95",
        "unhealthy-hosts",
        "no-healthy-hosts",
        "ecs-web-cpu",
        "ecs-web-memory",
        "ecs-worker-cpu",
        "ecs-worker-memory",
        "rds-cpu",
        "rds-free-storage",
        "rds-connections",
        "redis-cpu",
        "redis-memory",
        "redis-evictions",
    }
    assert development == common
    assert production == common | {"rds-replica-1-lag", "rds-replica-2-lag", "waf-blocked-spike"}


def test_a_web_service_scaled_to_zero_at_night_pages_nobody_but_an_always_on_one_does() -> None:
    night = catalogue(DEVELOPMENT)["no-healthy-hosts"]
    # Fires only in the hours the schedule wants tasks: the ALB's metric alone, no Container Insights.
    assert {m["metric_name"] for m in metrics_of(night)} == {"HealthyHostCount"}
    assert night.treat_missing_data == "notBreaching"
    assert "Silent outside the hours the schedule keeps web tasks running" in night.description
    for when, healthy, fires in [
        ((3, 11), None, True),  # Wednesday 11:00 UTC, target group silent: an outage
        ((3, 11), 0, True),
        ((3, 11), 1, False),
        ((3, 22), None, False),  # the scale-down holds web at zero
        ((6, 11), 0, False),  # Saturday: no scale-up
        ((1, 6), 0, False),  # the first hour after the scale-up: tasks are starting
        ((1, 7), 0, True),
        ((5, 19), 0, True),
        ((5, 20), 0, False),
    ]:
        assert evaluate_no_healthy_hosts(night, when, healthy) == fires, (when, healthy)


def evaluate_no_healthy_hosts(spec: AlarmSpec, when: tuple[int, int], healthy: float | None) -> bool:
    """One data point of the alarm's metric math, evaluated as CloudWatch would: FILL, DAY() and
    HOUR() of the point's UTC time, comparisons giving 1 or 0, AND/OR, IF."""
    day, hour = when
    values: dict[str, float] = {"healthy": healthy if healthy is not None else float("nan")}
    for query in spec.queries or []:
        if "expression" not in query:
            continue
        text = query["expression"]
        text = re.sub(r"FILL\((\w+), (\d+)\)", lambda m: f"_fill({m[1]}, {m[2]})", text)
        text = re.sub(r"DAY\(\w+\)", str(day), text)
        text = re.sub(r"HOUR\(\w+\)", str(hour), text)
        text = re.sub(r"IF\((.+), (\d+), (\d+)\)$", r"(\2 if (\1) else \3)", text)
        text = text.replace(" AND ", " and ").replace(" OR ", " or ")
        assert re.fullmatch(r"[\w\s()<>=!.,_]+", text), text
        names = {**values, "_fill": lambda v, d: d if v != v else v}
        values[query["id"]] = float(eval(text, {"__builtins__": {}}, names))
    (returned,) = [q for q in spec.queries or [] if q["return_data"]]
    return values[returned["id"]] >= spec.threshold


def test_a_schedule_the_alarm_cannot_read_falls_back_to_container_insights() -> None:
    spec = catalogue({**DEVELOPMENT, "web_wanted_slots": None})["no-healthy-hosts"]
    assert {m["metric_name"] for m in metrics_of(spec)} == {"HealthyHostCount", "DesiredTaskCount"}
    assert "scaled the web service to zero" in spec.description


def test_the_always_on_alarm() -> None:

    always = catalogue(PRODUCTION)["no-healthy-hosts"]
    assert always.metric is not None and always.metric["metric_name"] == "HealthyHostCount"
    assert (always.comparison, always.threshold) == ("LessThanThreshold", 1)
    # A target group that stops reporting is an outage too.
    assert always.treat_missing_data == "breaching"


def test_each_threshold_reaches_its_alarm_in_the_metrics_unit() -> None:
    thresholds = dataclasses.replace(
        DEFAULTS,
        alb_5xx_percent=3,
        response_time_p95_ms=750,
        rds_free_storage_gib=25,
        rds_replica_lag_seconds=30,
        redis_evictions=7,
        waf_blocked_requests=5000,
    )
    found = {role: spec.threshold for role, spec in catalogue(PRODUCTION, thresholds).items()}
    assert found["alb-5xx-rate"] == 3
    # TargetResponseTime is in seconds; FreeStorageSpace in bytes.
    assert found["response-time-p95"] == 0.75
    assert found["rds-free-storage"] == 25 * 1024**3
    assert found["rds-replica-1-lag"] == found["rds-replica-2-lag"] == 30
    assert found["redis-evictions"] == 7
    assert found["waf-blocked-spike"] == 5000
    assert found["ecs-web-cpu"] == found["ecs-worker-cpu"] == DEFAULTS.ecs_cpu_percent


# The setting each alarm's description quotes, in the unit the operator set it.
DESCRIBED_BY = {
    "alb-5xx-rate": "alb_5xx_percent",
    "response-time-p95": "response_time_p95_ms",
    "unhealthy-hosts": "unhealthy_hosts",
    "ecs-web-cpu": "ecs_cpu_percent",
    "ecs-worker-memory": "ecs_memory_percent",
    "rds-cpu": "rds_cpu_percent",
    "rds-free-storage": "rds_free_storage_gib",
    "rds-connections": "rds_connections",
    "rds-replica-2-lag": "rds_replica_lag_seconds",
    "redis-cpu": "redis_cpu_percent",
    "redis-memory": "redis_memory_percent",
    "redis-evictions": "redis_evictions",
    "waf-blocked-spike": "waf_blocked_requests",
}


def test_every_description_quotes_its_setting_and_says_what_to_do() -> None:
    # Values no default has, so a description cannot match by accident.
    thresholds = AlarmThresholds(**{name: 41 + index for index, name in enumerate(THRESHOLD_LIMITS)})
    found = catalogue(PRODUCTION, thresholds)
    assert set(DESCRIBED_BY) <= set(found)
    for role, name in DESCRIBED_BY.items():
        assert f"{getattr(thresholds, name)}" in found[role].description, role
    for role, spec in found.items():
        assert len(re.split(r"[.;:] ", spec.description)) >= 2, f"{role}: say what to check next"


def test_only_the_waf_alarm_lives_at_the_edge() -> None:
    regions = {role: spec.region for role, spec in catalogue(PRODUCTION).items()}
    assert regions.pop("waf-blocked-spike") == EDGE_REGION
    assert set(regions.values()) == {None}


def test_redis_alarms_read_every_node() -> None:
    found = catalogue(PRODUCTION)
    for role in ("redis-cpu", "redis-memory", "redis-evictions"):
        nodes = [m["dimensions"]["CacheClusterId"] for m in metrics_of(found[role])]
        assert nodes == ["epicvibe-redis-001", "epicvibe-redis-002"], role


@pytest.mark.parametrize("profile", [DEVELOPMENT, PRODUCTION], ids=["development", "production"])
def test_cloudwatch_would_accept_every_alarm(profile: dict[str, Any]) -> None:
    comparisons = set(CLOUDWATCH.shape_for("ComparisonOperator").metadata["enum"])
    statistics = set(CLOUDWATCH.shape_for("Statistic").metadata["enum"])
    description_max = CLOUDWATCH.shape_for("AlarmDescription").metadata["max"]
    for role, spec in catalogue(profile).items():
        assert spec.comparison in comparisons, role
        assert spec.treat_missing_data in TREAT_MISSING_DATA, role
        assert 1 <= spec.datapoints_to_alarm <= spec.evaluation_periods, role
        assert len(spec.description) <= description_max, role
        assert (spec.metric is None) != (spec.queries is None), f"{role}: a metric or queries, not both"
        for metric in metrics_of(spec):
            assert metric["period"] % 60 == 0, role
            assert metric.get("statistic", metric.get("stat", "p95")) in statistics | {"p95"}, role
        if spec.queries:
            ids = [q["id"] for q in spec.queries]
            assert len(set(ids)) == len(ids) and all(METRIC_ID.match(i) for i in ids), role
            assert sum(q["return_data"] for q in spec.queries) == 1, f"{role}: exactly one query is compared"


# --- the dashboard ----------------------------------------------------------------------------------


def dashboard(profile: dict[str, Any]) -> list[dict[str, Any]]:
    body = dashboard_body(DEFAULTS, profile["watched"], region="eu-west-1", distribution_id="E2QWRUHAPOMQZL")
    json.dumps(body)  # the Dashboard resource takes it as JSON
    return body["widgets"]


@pytest.mark.parametrize("profile", [DEVELOPMENT, PRODUCTION], ids=["development", "production"])
def test_widgets_tile_the_grid_without_overlapping(profile: dict[str, Any]) -> None:
    cells: set[tuple[int, int]] = set()
    for widget in dashboard(profile):
        assert widget["x"] + widget["width"] <= DASHBOARD_COLUMNS
        area = {
            (x, y)
            for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])
        }
        assert not cells & area, widget["properties"]["title"]
        cells |= area


def test_the_dashboard_has_rows_only_for_what_the_stack_runs() -> None:
    development = {w["properties"]["title"] for w in dashboard(DEVELOPMENT)}
    production = {w["properties"]["title"] for w in dashboard(PRODUCTION)}
    assert production - development == {"RDS replica lag (s)", "WAF requests"}
    assert not development - production


def test_edge_widgets_read_us_east_1_and_thresholds_are_drawn_in_the_metrics_unit() -> None:
    widgets = {w["properties"]["title"]: w["properties"] for w in dashboard(PRODUCTION)}
    assert widgets["WAF requests"]["region"] == widgets["CloudFront"]["region"] == EDGE_REGION
    assert widgets["RDS CPU (%)"]["region"] == "eu-west-1"

    def line(title: str) -> float:
        return widgets[title]["annotations"]["horizontal"][0]["value"]

    assert line("Response time p95 (s)") == DEFAULTS.response_time_p95_ms / 1000
    assert line("RDS free storage (bytes)") == DEFAULTS.rds_free_storage_gib * 1024**3
    assert line("WAF requests") == DEFAULTS.waf_blocked_requests
    # The database CPU row shows the replicas beside the primary.
    dbs = [m[-1] for m in widgets["RDS CPU (%)"]["metrics"]]
    assert dbs == ["epicvibe-db", "epicvibe-db-replica-1", "epicvibe-db-replica-2"]


# --- the topic policies -----------------------------------------------------------------------------


def test_only_this_accounts_alarms_publish_and_only_over_tls() -> None:
    topic = f"arn:aws:sns:eu-west-1:{ACCOUNT}:ops-alarms"
    allow, deny = alarm_topic_policy(topic, "eu-west-1", ACCOUNT)["Statement"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert (allow["Action"], allow["Resource"]) == ("sns:Publish", topic)
    assert allow["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:*"},
    }
    assert (deny["Effect"], deny["Principal"]) == ("Deny", "*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_cloudwatch_may_only_encrypt_with_the_edge_key_for_this_account() -> None:
    admin, publish = edge_topic_key_policy(ACCOUNT)["Statement"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert set(publish["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
