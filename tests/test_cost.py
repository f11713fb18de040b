"""The cost estimate: a synthetic stack priced by hand, the schedules' hours, clear messages for what
cannot be priced, both stacks within budget and close to a hand-pricing, the generated docs table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.cost import CostError, Planned, estimate, load_usage
from offline.cost_report import BEGIN, END, diff_markdown, estimate_run, main, markdown_table
from offline.cost_rules_ecs import split_tasks
from offline.cost_schedule import Bounds, ScheduledBounds, ScheduleError, hours_at_bounds
from offline.engine import ProgramRun
from tests.conftest import ROOT

H = 730
USAGE = {
    "requestsPerMonth": 2_628_000.0,  # one request a second on average
    "originShare": 0.5,
    "egressGb": 100.0,
    "natGb": 10.0,
    "s3Gb": 50.0,
    "s3NewGbPerMonth": 0.0,
    "logGb": 4.0,
    "accessLogBytesPerRequest": 500.0,
}


def urn(name: str) -> str:
    return f"urn:pulumi:test::p::t::{name}"


def synthetic_stack() -> list[Planned]:
    """Every priced kind of resource once, linked the way the engine links them."""
    r = [
        Planned(urn("nat"), "aws:ec2/natGateway:NatGateway", "nat"),
        Planned(urn("eip"), "aws:ec2/eip:Eip", "eip"),
        Planned(urn("vpc"), "aws:ec2/vpc:Vpc", "vpc"),
        Planned(
            urn("ep"),
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "ep",
            {
                "vpcEndpointType": "Interface",
                "serviceName": "com.amazonaws.eu-west-1.logs",
                "subnetIds": ["a", "b"],
            },
        ),
        Planned(urn("s3ep"), "aws:ec2/vpcEndpoint:VpcEndpoint", "s3ep", {"vpcEndpointType": "Gateway"}),
        Planned(
            urn("db"),
            "aws:rds/instance:Instance",
            "db",
            {
                "engine": "postgres",
                "instanceClass": "db.t4g.micro",
                "multiAz": True,
                "allocatedStorage": 20.0,
                "maxAllocatedStorage": 100.0,
                "storageType": "gp3",
                "identifier": "db1",
                "manageMasterUserPassword": True,
            },
        ),
        Planned(
            urn("replica"),
            "aws:rds/instance:Instance",
            "replica",
            {"instanceClass": "db.t4g.micro", "replicateSourceDb": "db1", "storageType": "gp3"},
            {"replicateSourceDb": [urn("db")]},
        ),
        Planned(
            urn("cache"),
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "cache",
            {"engine": "valkey", "nodeType": "cache.t4g.micro", "numCacheClusters": 2.0},
        ),
        Planned(
            urn("cluster"),
            "aws:ecs/cluster:Cluster",
            "cluster",
            {"settings": [{"name": "containerInsights", "value": "disabled"}]},
        ),
        Planned(
            urn("task"),
            "aws:ecs/taskDefinition:TaskDefinition",
            "task",
            {"cpu": "512", "memory": "1024", "runtimePlatform": {"cpuArchitecture": "ARM64"}},
        ),
        Planned(
            urn("svc"),
            "aws:ecs/service:Service",
            "svc",
            {
                "desiredCount": 2.0,
                "capacityProviderStrategies": [
                    {"capacityProvider": "FARGATE", "base": 1.0, "weight": 1.0},
                    {"capacityProvider": "FARGATE_SPOT", "base": 0.0, "weight": 1.0},
                ],
            },
            {"taskDefinition": [urn("task")], "cluster": [urn("cluster")]},
        ),
        Planned(
            urn("target"),
            "aws:appautoscaling/target:Target",
            "target",
            {"minCapacity": 2.0, "maxCapacity": 4.0},
            {"resourceId": [urn("cluster"), urn("svc")]},
        ),
        # Up from noon to midnight every day: half of every month.
        Planned(
            urn("night"),
            "aws:appautoscaling/scheduledAction:ScheduledAction",
            "night",
            {
                "schedule": "cron(0 0 * * ? *)",
                "scalableTargetAction": {"minCapacity": 0.0, "maxCapacity": 0.0},
            },
            {"resourceId": [urn("target")]},
        ),
        Planned(
            urn("noon"),
            "aws:appautoscaling/scheduledAction:ScheduledAction",
            "noon",
            {
                "schedule": "cron(0 12 * * ? *)",
                "scalableTargetAction": {"minCapacity": 2.0, "maxCapacity": 4.0},
            },
            {"resourceId": [urn("target")]},
        ),
        Planned(urn("alb"), "aws:lb/loadBalancer:LoadBalancer", "alb", {"loadBalancerType": "application"}),
        Planned(urn("waf"), "aws:wafv2/webAcl:WebAcl", "waf", {"rules": [{"name": "a"}, {"name": "b"}]}),
        Planned(urn("alarm"), "aws:cloudwatch/metricAlarm:MetricAlarm", "alarm", {"period": 300.0}),
        Planned(urn("dash"), "aws:cloudwatch/dashboard:Dashboard", "dash"),
        Planned(urn("key"), "aws:kms/key:Key", "key"),
        Planned(urn("secret"), "aws:secretsmanager/secret:Secret", "secret"),
        Planned(urn("logs"), "aws:cloudwatch/logGroup:LogGroup", "logs"),
        Planned(urn("bucket"), "aws:s3/bucket:Bucket", "bucket"),
        Planned(urn("cdn"), "aws:cloudfront/distribution:Distribution", "cdn"),
        Planned(urn("comp"), "p:x:Component", "comp", custom=False),
    ]
    return r


def test_a_synthetic_stack_costs_what_the_price_pages_add_up_to() -> None:
    # eu-west-1 list prices, typed here from the price pages rather than read from the tables.
    task_hour = 0.5 * 0.03238 + 1 * 0.00356  # 0.5 vCPU, 1 GB, ARM
    spot_task_hour = 0.5 * 0.009714 + 1 * 0.001068
    up = 365 * 12 / 12  # hours a month at the daytime bounds (12 h a day)
    fixed = sum(
        [
            0.048 * H,  # NAT gateway
            0.005 * H,  # its public IPv4 address
            0.011 * H * 2,  # interface endpoint in two AZs (the gateway endpoint is free)
            0.018 * H * 2,  # db.t4g.micro Multi-AZ: primary and standby
            0.40,  # the RDS-managed master password secret
            0.018 * H,  # the read replica
            0.018 * 0.8 * H * 2,  # two Valkey cache.t4g.micro nodes
            0.0252 * H,  # ALB hours
            0.008 * (100 * 0.5 / H) * H,  # LCUs: 1 GB/h processed is one LCU
            5 + 2 * 1 + 2.628 * 0.60,  # WAF: web ACL, two rules, requests
            0.10 + 3 + 1 + 0.40,  # alarm, dashboard, KMS key, secret
            4 * 0.57 + 50 * 0.023 + 10 * 0.048,  # logs, S3, NAT data
            100 * 0.085 + 262.8 * 0.012,  # CloudFront data and requests
        ]
    )
    # Two tasks: one on the on-demand base, the other split 1:1; four: the base and 1.5 each.
    expected_min = fixed + (20 + 20) * 0.127 + 20 * 0.127 + up * (1.5 * task_hour + 0.5 * spot_task_hour)
    expected_max = fixed + (100 + 100) * 0.127 + 100 * 0.127 + up * (2.5 * task_hour + 1.5 * spot_task_hour)

    est = estimate(synthetic_stack(), region="eu-west-1", usage=USAGE)

    assert est.problems == []
    assert est.total_min == pytest.approx(expected_min, rel=1e-9)
    assert est.total_max == pytest.approx(expected_max, rel=1e-9)
    assert [name for name, _, _ in est.drivers(2)] == ["nat", "db"]


def test_the_spot_share_follows_the_capacity_provider_strategy() -> None:
    staging_like = [
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 3},
    ]
    assert split_tasks(1, staging_like) == (1, 0)
    assert split_tasks(5, staging_like) == (2, 3)
    assert split_tasks(3, []) == (3, 0)


def test_a_weekday_schedule_leaves_fourteen_hours_on_each_weekday() -> None:
    hours = hours_at_bounds(
        Bounds(1, 3),
        [ScheduledBounds("cron(0 20 * * ? *)", 0, 0), ScheduledBounds("cron(0 6 ? * MON-FRI *)", 1, 3)],
    )
    weekdays_in_2025 = 261
    assert hours[Bounds(1, 3)] == pytest.approx(weekdays_in_2025 * 14 / 12)
    assert sum(hours.values()) == pytest.approx(H)
    assert hours_at_bounds(Bounds(2, 4), []) == {Bounds(2, 4): H}


def test_a_schedule_the_estimate_cannot_read_is_named_not_priced() -> None:
    with pytest.raises(ScheduleError, match="rate"):
        hours_at_bounds(Bounds(1, 1), [ScheduledBounds("rate(5 minutes)", 0, 0)])


def test_an_unknown_region_or_dimension_is_reported_never_priced_as_zero() -> None:
    stack = synthetic_stack()
    unknown_region = estimate(stack, region="us-west-2", usage=USAGE)
    assert any("no price table for region 'us-west-2'" in p for p in unknown_region.problems)
    assert all(i.region != "us-west-2" for i in unknown_region.items)

    odd = [
        Planned(
            urn("db"),
            "aws:rds/instance:Instance",
            "db",
            {"engine": "postgres", "instanceClass": "db.x9.huge"},
        ),
        Planned(urn("thing"), "aws:sagemaker/endpoint:Endpoint", "thing"),
    ]
    est = estimate(odd, region="eu-west-1", usage=USAGE)
    assert any(
        "'rds.postgres.db.x9.huge.hour'" in p and "offline/prices/eu-west-1.json" in p for p in est.problems
    )
    assert any("aws:sagemaker/endpoint:Endpoint (1) has no pricing rule" in p for p in est.problems)
    assert not any(i.key == "rds.postgres.db.x9.huge.hour" for i in est.items)


def test_a_usage_file_overrides_the_default_profile_and_bad_keys_are_refused(tmp_path: Path) -> None:
    good = tmp_path / "usage.json"
    good.write_text(json.dumps({"egressGb": 500}))
    usage = load_usage(good)
    assert usage["egressGb"] == 500 and usage["requestsPerMonth"] == load_usage()["requestsPerMonth"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"egress": 5, "natGb": -1}))
    with pytest.raises(CostError, match="egress=5, natGb=-1 not understood"):
        load_usage(bad)


BUDGET = {"prod": 500.0, "staging": 110.0}


@pytest.mark.parametrize("stack", sorted(BUDGET))
def test_each_stack_is_fully_priced_and_within_budget(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    est = estimate_run(stack_runs[stack])
    assert est.problems == []
    assert est.total_min <= BUDGET[stack], est.drivers()
    assert est.total_max >= est.total_min


def test_the_entry_sized_production_keeps_full_high_availability(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    databases = run.of_type("aws:rds/instance:Instance")
    assert [d.inputs.get("multiAz") for d in databases if not d.inputs.get("replicateSourceDb")] == [True]
    assert len([d for d in databases if d.inputs.get("replicateSourceDb")]) == 1
    (cache,) = run.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert cache.inputs["automaticFailoverEnabled"] is True and cache.inputs["numCacheClusters"] >= 2
    public = [s for s in run.of_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["Tier"] == "public"]
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == len(public) >= 2
    assert run.of_type("aws:wafv2/webAcl:WebAcl")
    assert run.named("epicvibe-app-web-scaling").inputs["minCapacity"] >= 2


def test_prod_estimate_is_within_15_percent_of_a_hand_pricing(stack_runs: dict[str, ProgramRun]) -> None:
    """The hand-pricing of docs/cost.md, from the stack's settings rather than its resources."""
    values = stack_runs["prod"].config.values
    setting = lambda key: values[f"django-platform:{key}"]  # noqa: E731
    azs = int(setting("azCount"))
    db_hour = {"db.t4g.medium": 0.072}[setting("dbInstanceClass")]
    cache_hour = {("valkey", "cache.t4g.small"): 0.036 * 0.8}[
        (setting("cacheEngine"), setting("cacheNodeType"))
    ]
    storage = int(setting("dbAllocatedStorageGb"))

    def task(cpu: str, memory: str) -> float:
        return (int(cpu) / 1024 * 0.03238 + int(memory) / 1024 * 0.00356) * H

    hand = sum(
        [
            azs * (0.048 + 0.005) * H,  # NAT gateways and their addresses
            db_hour * H * 3,  # primary, standby, replica
            storage * 0.127 * 3,
            cache_hour * H * (1 + int(setting("cacheReplicaCount"))),
            int(setting("webMinTasks")) * task(setting("webCpu"), setting("webMemory")),
            int(setting("workerMinTasks")) * task(setting("workerCpu"), setting("workerMemory")),
            task(setting("workerCpu"), setting("workerMemory")),  # beat
            0.0252 * H,  # ALB
            5 + 5 + 0.6,  # WAF
            3 + 3,  # dashboard, three KMS keys
        ]
    )
    est = estimate_run(stack_runs["prod"])
    assert est.total_min == pytest.approx(hand, rel=0.15)


def test_the_committed_docs_table_is_current(stack_runs: dict[str, ProgramRun]) -> None:
    document = (ROOT / "docs" / "cost.md").read_text()
    committed = document[document.index(BEGIN) : document.index(END) + len(END)]
    fresh = markdown_table([estimate_run(stack_runs[s]) for s in sorted(stack_runs)])
    assert committed == fresh, "docs/cost.md's table is stale: run `make cost-table`"


def test_the_pr_diff_shows_each_stack_and_its_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def doc(stack: str, total: float, items: list[tuple[str, float]]) -> dict[str, object]:
        return {
            "stack": stack,
            "cost": {
                "totalMin": total,
                "totalMax": total * 2,
                "problems": [],
                "items": [{"resource": r, "monthlyMin": m} for r, m in items],
            },
        }

    base = tmp_path / "base.json"
    head = tmp_path / "head.json"
    base.write_text(json.dumps([doc("prod", 1100.0, [("db", 900.0)]), {"stack": "staging", "cost": None}]))
    head.write_text(json.dumps([doc("prod", 400.0, [("db", 200.0)]), doc("staging", 100.0, [])]))
    assert main(["diff", str(base), str(head)]) == 0
    out = capsys.readouterr().out
    assert "| prod | $1,100 | $400 | -$700 | $2,200 | $800 | -$1,400 |" in out
    assert "| staging | n/a | $100 | n/a |" in out
    assert "- prod: db -$700" in out
    assert diff_markdown({}, {}).startswith("### Estimated monthly cost")
