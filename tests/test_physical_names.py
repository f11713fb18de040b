"""Names AWS holds unique per account and region come from one helper (`components._base.physical_name`),
so the stacks of one application can share an account without colliding: the stack-wide ones start
with the application's name, a component's own ones with the component's."""

from __future__ import annotations

import pytest

from components._base import physical_name
from offline.engine import ProgramRun
from settings import StackSettings

STACK = StackSettings(project="p", stack="prod", profile="production", app_name="epicvibe", owner="team")


def test_the_name_is_the_application_then_the_stack_then_the_role() -> None:
    assert STACK.physical_name() == "epicvibe-prod"
    assert STACK.physical_name("replica-1") == "epicvibe-prod-replica-1"


def test_two_stacks_of_one_application_never_share_a_name() -> None:
    staging = StackSettings(
        project="p", stack="staging", profile="development", app_name="epicvibe", owner="t"
    )
    assert staging.physical_name() != STACK.physical_name()


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_stack_wide_names_in_the_plan_are_the_helpers(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    name = f"epicvibe-{stack}"
    (alias,) = run.of_type("aws:kms/alias:Alias")
    (repository,) = run.of_type("aws:ecr/repository:Repository")
    (group,) = run.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    identifiers = {instance.inputs["identifier"] for instance in run.of_type("aws:rds/instance:Instance")}
    assert alias.inputs["name"] == f"alias/{name}"
    assert repository.inputs["name"] == name
    assert group.inputs["replicationGroupId"] == name
    assert name in identifiers


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_a_components_own_names_are_the_component_then_the_stack(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    app, edge, ops = (physical_name(f"epicvibe-{part}", stack) for part in ("app", "edge", "ops"))
    (dashboard,) = run.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["dashboardName"] == ops == f"epicvibe-ops-{stack}"
    families = {d.inputs["family"] for d in run.of_type("aws:ecs/taskDefinition:TaskDefinition")}
    assert families == {f"{app}-{role}" for role in ("web", "worker", "beat", "migrate", "collectstatic")}
    log_groups = {g.inputs.get("name") for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert f"/ecs/{app}/web" in log_groups
    (vpc_origin,) = run.of_type("aws:cloudfront/vpcOrigin:VpcOrigin")
    assert vpc_origin.inputs["vpcOriginEndpointConfig"]["name"] == f"{edge}-alb"
    # The WAF's log group exists where the stack has a WAF.
    assert (f"aws-waf-logs-{edge}" in log_groups) == bool(run.of_type("aws:wafv2/webAcl:WebAcl"))
