"""Workload security groups: identities for the data tier to admit, with no ingress of their own."""

from __future__ import annotations

import pytest

from offline.engine import ProgramRun

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_web_and_worker_groups_have_no_ingress(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    component = run.named("epicvibe-workloads")
    assert component.type == "django-platform:security:WorkloadSecurityGroups"
    groups = {r.name: r.inputs for r in run.children_of(component) if r.type == SECURITY_GROUP}
    assert set(groups) == {"epicvibe-workloads-web", "epicvibe-workloads-worker"}
    for name, inputs in groups.items():
        assert not inputs.get("ingress"), name
        assert inputs["vpcId"] == run.stack_outputs["vpcId"]
        assert inputs["tags"]["Stack"] == stack
