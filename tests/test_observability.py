"""Observability: alarms on every tier with thresholds from settings, the topic, the dashboard."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest

from components.handles import CacheEndpoint, DatabaseEndpoint, Site
from components.observability import AlarmThresholds, Observability, ObservabilityArgs, ObservabilityConfig
from offline.engine import ProgramRun, RegisteredResource, Registrations, activate_mocks, build_components
from offline.stack_config import load_stack_config
from settings import declared_keys, load_settings
from settings.keys import ALARM_THRESHOLD_KEYS
from tests._handles import alb_target, cache_endpoint, database_endpoint, running_services, site, stack_wide
from tests.conftest import ROOT, STACKS
from tests.fixtures import build_shared

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
KMS_KEY = "aws:kms/key:Key"
PROVIDER = "pulumi:providers:aws"

KMS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ALB = "app/epicvibe-alb/50dc6c495c0c9188"
TARGET_GROUP = "targetgroup/epicvibe-web/6d0ecf831eec9f09"
REPLICAS = ["epicvibe-db-replica-1", "epicvibe-db-replica-2"]
WAF_METRIC = "epicvibe-edge-staging-waf"


# Pulumi.yaml's defaults, the stack files' starting point.
THRESHOLDS = AlarmThresholds(
    **{name: int(declared_keys()[key].default) for name, key in ALARM_THRESHOLD_KEYS.items()}
)


def watched_database(replicas: list[str] = REPLICAS) -> DatabaseEndpoint:
    return database_endpoint(instance_identifier="epicvibe-db", replica_identifiers=replicas)


def watched_cache(nodes: int = 2) -> CacheEndpoint:
    return cache_endpoint(replication_group_id="epicvibe-redis", node_count=nodes)


def watched_site(waf_metric_name: str | None = WAF_METRIC) -> Site:
    return site(distribution_id="E2QWRUHAPOMQZL", waf_metric_name=waf_metric_name)


def observability_args(
    *,
    alarm_email: str | None = "oncall@epicvibe.example.com",
    thresholds: AlarmThresholds = THRESHOLDS,
    **overrides: Any,
) -> ObservabilityArgs:
    """Stand-ins shaped like the LoadBalancer, DjangoServices, Database, Cache and Edge outputs."""
    config = ObservabilityConfig(log_retention_days=30, alarm_email=alarm_email, alarms=thresholds)
    values: dict[str, Any] = {
        "config": config,
        "stack": stack_wide(kms_key_arn=KMS_KEY_ARN, tags={"Stack": "test", "Owner": "platform-team"}),
        "load_balancer": alb_target(arn_suffix=ALB, target_group_arn_suffix=TARGET_GROUP),
        "services": running_services(
            cluster_name="epicvibe-cluster",
            web_service_name="epicvibe-web",
            worker_service_name="epicvibe-worker",
        ),
        "database": watched_database(),
        "cache": watched_cache(),
        "site": watched_site(),
    }
    values.update(overrides)
    return ObservabilityArgs(**values)


def build_observability(build: Callable[..., Registrations], **overrides: Any) -> Registrations:
    return build(lambda: Observability("ops", observability_args(**overrides)))


@pytest.fixture(scope="module")
def default_ops() -> Iterator[Registrations]:
    """Observability with every default stand-in, built once for the module: the tests that need
    nothing else only read it."""
    yield from build_shared(lambda: Observability("ops", observability_args()))


def alarms(built: Registrations) -> dict[str, RegisteredResource]:
    return {r.name.removeprefix("ops-"): r for r in built.of_type(ALARM)}


def watched(alarm: RegisteredResource) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of everything an alarm reads."""
    inputs = alarm.inputs
    if inputs.get("metricQueries"):
        return [
            (q["metric"]["namespace"], q["metric"]["metricName"], q["metric"]["dimensions"])
            for q in inputs["metricQueries"]
            if "metric" in q
        ]
    return [(inputs["namespace"], inputs["metricName"], inputs["dimensions"])]


EXPECTED_ALARMS = {
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
    "rds-replica-1-lag",
    "rds-replica-2-lag",
    "redis-cpu",
    "redis-memory",
    "redis-evictions",
    "waf-blocked-spike",
}


def test_every_tier_has_its_alarms(default_ops: Registrations) -> None:
    assert set(alarms(default_ops)) == EXPECTED_ALARMS


def test_alarms_watch_the_right_metrics_of_the_right_resources(default_ops: Registrations) -> None:
    found = alarms(default_ops)
    alb = {"LoadBalancer": ALB}
    target_group = {"LoadBalancer": ALB, "TargetGroup": TARGET_GROUP}
    assert watched(found["alb-5xx-rate"]) == [
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", alb),
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", alb),
        ("AWS/ApplicationELB", "RequestCount", alb),
    ]
    assert watched(found["response-time-p95"]) == [("AWS/ApplicationELB", "TargetResponseTime", target_group)]
    assert found["response-time-p95"].inputs["extendedStatistic"] == "p95"
    assert watched(found["unhealthy-hosts"]) == [("AWS/ApplicationELB", "UnHealthyHostCount", target_group)]
    for service in ("web", "worker"):
        dimensions = {"ClusterName": "epicvibe-cluster", "ServiceName": f"epicvibe-{service}"}
        assert watched(found[f"ecs-{service}-cpu"]) == [("AWS/ECS", "CPUUtilization", dimensions)]
        assert watched(found[f"ecs-{service}-memory"]) == [("AWS/ECS", "MemoryUtilization", dimensions)]
    primary = {"DBInstanceIdentifier": "epicvibe-db"}
    assert watched(found["rds-cpu"]) == [("AWS/RDS", "CPUUtilization", primary)]
    assert watched(found["rds-free-storage"]) == [("AWS/RDS", "FreeStorageSpace", primary)]
    assert watched(found["rds-connections"]) == [("AWS/RDS", "DatabaseConnections", primary)]
    for index, replica in enumerate(REPLICAS, start=1):
        assert watched(found[f"rds-replica-{index}-lag"]) == [
            ("AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": replica})
        ]
    nodes = [{"CacheClusterId": "epicvibe-redis-001"}, {"CacheClusterId": "epicvibe-redis-002"}]
    for role, metric in (
        ("redis-cpu", "EngineCPUUtilization"),
        ("redis-memory", "DatabaseMemoryUsagePercentage"),
        ("redis-evictions", "Evictions"),
    ):
        assert watched(found[role]) == [("AWS/ElastiCache", metric, node) for node in nodes]
    assert watched(found["waf-blocked-spike"]) == [
        ("AWS/WAFV2", "BlockedRequests", {"WebACL": WAF_METRIC, "Rule": "ALL"})
    ]


def test_the_5xx_alarm_compares_a_rate_not_a_count(default_ops: Registrations) -> None:
    queries = alarms(default_ops)["alb-5xx-rate"].inputs["metricQueries"]
    (returned,) = [q for q in queries if q["returnData"]]
    assert returned["expression"] == (
        "IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)"
    )


def test_redis_alarms_judge_the_worst_node_and_the_total_evictions(
    build: Callable[..., Registrations],
) -> None:
    found = alarms(build_observability(build, cache=watched_cache(nodes=3)))
    expressions = {
        role: next(q["expression"] for q in found[role].inputs["metricQueries"] if q["returnData"])
        for role in ("redis-cpu", "redis-memory", "redis-evictions")
    }
    assert expressions == {
        "redis-cpu": "MAX([node1, node2, node3])",
        "redis-memory": "MAX([node1, node2, node3])",
        "redis-evictions": "SUM([node1, node2, node3])",
    }


@pytest.mark.parametrize("replicas", [[], ["db-replica-a"], ["r0", "r1", "r2"]])
def test_one_lag_alarm_per_replica(build: Callable[..., Registrations], replicas: list[str]) -> None:
    found = alarms(build_observability(build, database=watched_database(replicas)))
    lag = sorted(role for role in found if role.endswith("-lag"))
    assert lag == [f"rds-replica-{i}-lag" for i in range(1, len(replicas) + 1)]


@pytest.mark.parametrize(
    ("role", "treatment"),
    [
        ("alb-5xx-rate", "notBreaching"),
        ("no-healthy-hosts", "breaching"),
        ("rds-free-storage", "breaching"),
        ("rds-replica-1-lag", "breaching"),
        ("rds-cpu", "missing"),
        ("waf-blocked-spike", "notBreaching"),
        ("redis-evictions", "notBreaching"),
    ],
)
def test_missing_data_is_treated_per_metric(default_ops: Registrations, role: str, treatment: str) -> None:
    assert alarms(default_ops)[role].inputs["treatMissingData"] == treatment


def test_alarms_notify_the_topic_when_they_fire_and_when_they_recover(
    default_ops: Registrations,
) -> None:
    built = default_ops
    topics = {r.name: r for r in built.of_type(TOPIC)}
    regional = topics["ops-alarms"].outputs["arn"]
    edge = topics["ops-edge-alarms"].outputs["arn"]
    assert regional.startswith("arn:aws:sns:eu-west-1:") and edge.startswith("arn:aws:sns:us-east-1:")
    for role, alarm in alarms(built).items():
        expected = edge if role == "waf-blocked-spike" else regional
        assert alarm.inputs["alarmActions"] == [expected], role
        assert alarm.inputs["okActions"] == [expected], role
        assert alarm.inputs["actionsEnabled"] is True
        assert alarm.inputs["tags"]["Owner"] == "platform-team"


def test_the_waf_alarm_lives_in_us_east_1_with_its_own_topic_and_key(
    default_ops: Registrations,
) -> None:
    built = default_ops
    # Placed by their own `region` through the stack's provider, whose aws:* config then applies.
    assert not built.of_type(PROVIDER)
    waf = alarms(built)["waf-blocked-spike"]
    (key,) = built.of_type(KMS_KEY)
    edge_topic = built.named("ops-edge-alarms")
    for resource in (waf, key, edge_topic):
        assert resource.inputs["region"] == "us-east-1" and not resource.provider, resource.name
    assert key.inputs["enableKeyRotation"] is True
    assert edge_topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    publish = statements["CloudWatchAlarmsPublish"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(publish["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    # Every other alarm stays in the stack's region.
    assert all(not a.inputs.get("region") for role, a in alarms(built).items() if role != "waf-blocked-spike")


def test_without_waf_there_is_no_us_east_1_part(build: Callable[..., Registrations]) -> None:
    built = build_observability(build, site=watched_site(waf_metric_name=None))
    assert "waf-blocked-spike" not in alarms(built)
    assert not built.of_type(PROVIDER, KMS_KEY)
    assert [t.name for t in built.of_type(TOPIC)] == ["ops-alarms"]


def test_the_topic_is_encrypted_and_only_cloudwatch_publishes_over_tls(
    default_ops: Registrations,
) -> None:
    built = default_ops
    topic = built.named("ops-alarms")
    assert topic.inputs["kmsMasterKeyId"] == KMS_KEY_ARN
    policy = json.loads(built.named("ops-alarms-policy").inputs["policy"])
    allow, deny = policy["Statement"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Resource"] == topic.outputs["arn"]
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert allow["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*"
    }
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(("email", "subscriptions"), [("oncall@epicvibe.example.com", 2), (None, 0)])
def test_email_subscription_only_when_an_address_is_set(
    build: Callable[..., Registrations], email: str | None, subscriptions: int
) -> None:
    built = build_observability(build, alarm_email=email)
    found = built.of_type(SUBSCRIPTION)
    assert len(found) == subscriptions
    for subscription in found:
        assert subscription.inputs["protocol"] == "email"
        assert subscription.inputs["endpoint"] == email


def test_the_dashboard_shows_every_metric_an_alarm_watches(default_ops: Registrations) -> None:
    built = default_ops
    (dashboard,) = built.of_type(DASHBOARD)
    assert dashboard.inputs["dashboardName"] == "ops-test"
    body = json.loads(dashboard.inputs["dashboardBody"])
    shown: set[tuple[str, str, tuple[str, ...]]] = set()
    regions = {}
    for widget in body["widgets"]:
        for line in widget["properties"]["metrics"]:
            names = [part for part in line if isinstance(part, str)]
            if len(names) >= 2:
                shown.add((names[0], names[1], tuple(names[2:])))
                regions[names[0]] = widget["properties"]["region"]
    for alarm in alarms(built).values():
        for namespace, metric, dimensions in watched(alarm):
            flat = tuple(part for pair in sorted(dimensions.items()) for part in pair)
            assert any(
                ns == namespace
                and m == metric
                and sorted(zip(d[::2], d[1::2], strict=True)) == sorted(dimensions.items())
                for ns, m, d in shown
            ), (namespace, metric, flat)
    assert regions["AWS/WAFV2"] == "us-east-1"
    assert regions["AWS/CloudFront"] == "us-east-1"
    assert regions["AWS/RDS"] == "eu-west-1"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("alb_5xx_percent", 0),
        ("ecs_cpu_percent", 101),
        ("redis_evictions", -1),
        ("rds_connections", 0),
    ],
)
def test_thresholds_out_of_range_are_refused(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=f"{field} {value}"):
        observability_args(thresholds=dataclasses.replace(THRESHOLDS, **{field: value}))


def test_args_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match=r"cache\.node_count 7"):
        observability_args(cache=watched_cache(nodes=7))
    with pytest.raises(ValueError, match=r"site\.waf_metric_name ''"):
        observability_args(site=watched_site(waf_metric_name=""))
    with pytest.raises(ValueError, match="alarm_email 'oncall'"):
        observability_args(alarm_email="oncall")


@pytest.mark.parametrize("stack", STACKS)
def test_thresholds_come_from_the_stack_settings(stack: str) -> None:
    config = load_stack_config(ROOT, stack, {"alarmRdsConnections": "321", "alarmRedisEvictions": "5"})
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    monitor = activate_mocks(config.project, stack)
    settings = load_settings().observability
    thresholds = settings.alarms
    built = build_components(
        monitor,
        lambda: Observability(
            "ops", observability_args(thresholds=thresholds, alarm_email=settings.alarm_email)
        ),
    )
    found = alarms(built)
    expected = {
        "alb-5xx-rate": thresholds.alb_5xx_percent,
        "response-time-p95": thresholds.response_time_p95_ms / 1000,
        "unhealthy-hosts": thresholds.unhealthy_hosts,
        "ecs-web-cpu": thresholds.ecs_cpu_percent,
        "ecs-worker-memory": thresholds.ecs_memory_percent,
        "rds-cpu": thresholds.rds_cpu_percent,
        "rds-free-storage": thresholds.rds_free_storage_gib * 1024**3,
        "rds-connections": 321,
        "rds-replica-1-lag": thresholds.rds_replica_lag_seconds,
        "redis-cpu": thresholds.redis_cpu_percent,
        "redis-memory": thresholds.redis_memory_percent,
        "redis-evictions": 5,
        "waf-blocked-spike": thresholds.waf_blocked_requests,
    }
    assert {role: found[role].inputs["threshold"] for role in expected} == expected
    # Production pages someone; staging may leave the topic without subscribers.
    assert bool(built.of_type(SUBSCRIPTION)) == (stack == "prod")


def test_in_the_prod_stack_the_alarms_watch_the_stacks_own_database_and_cache(
    stack_runs: dict[str, ProgramRun],
) -> None:
    """The handles carry the producers' identifiers: no alarm watches a stand-in or a stale name."""
    run = stack_runs["prod"]
    found = {r.name.removeprefix("epicvibe-ops-"): r for r in run.of_type(ALARM)}
    instances = {i.inputs["identifier"] for i in run.of_type("aws:rds/instance:Instance")}
    replicas = sorted(role for role in found if role.startswith("rds-replica-"))
    assert len(replicas) == len(instances) - 1 >= 1
    watched_instances = {
        dims["DBInstanceIdentifier"] for role in replicas for _, _, dims in watched(found[role])
    }
    assert (
        watched_instances | {d["DBInstanceIdentifier"] for _, _, d in watched(found["rds-cpu"])} == instances
    )
    (group,) = run.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    nodes = [dims["CacheClusterId"] for _, _, dims in watched(found["redis-cpu"])]
    assert len(nodes) == group.inputs["numCacheClusters"]
    assert all(node.startswith(f"{group.inputs['replicationGroupId']}-") for node in nodes)
