"""Names AWS holds unique per account and region come from one helper, so the stacks of one
application can share an account without colliding."""

from __future__ import annotations

import pytest

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
