"""Workload security groups: identities for the data tier to admit, with no ingress of their own."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from offline.engine import ProgramRun, Registrations

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_web_and_worker_groups_have_no_ingress(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    component = run.named("epicvibe-workloads")
    assert component.type == "django-platform:security_groups:WorkloadSecurityGroups"
    groups = {r.name: r.inputs for r in run.children_of(component) if r.type == SECURITY_GROUP}
    assert set(groups) == {"epicvibe-workloads-web", "epicvibe-workloads-worker"}
    for name, inputs in groups.items():
        assert not inputs.get("ingress"), name
        assert inputs["vpcId"] == run.stack_outputs["vpcId"]
        assert inputs["tags"]["Stack"] == stack


def test_component_built_directly_places_groups_in_the_given_vpc(build: Callable[..., Registrations]) -> None:
    from components.security_groups import WorkloadSecurityGroups, WorkloadSecurityGroupsArgs

    built = build(
        lambda: WorkloadSecurityGroups("unit", WorkloadSecurityGroupsArgs(vpc_id="vpc-0abc", tags={"A": "b"}))
    )
    groups = built.of_type(SECURITY_GROUP)
    assert sorted(g.name for g in groups) == ["unit-web", "unit-worker"]
    assert all(g.inputs["vpcId"] == "vpc-0abc" and g.inputs["tags"]["A"] == "b" for g in groups)
