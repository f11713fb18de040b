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
    from tests._handles import placement

    built = build(
        lambda: WorkloadSecurityGroups(
            "unit", WorkloadSecurityGroupsArgs(placement=placement(vpc_id="vpc-0abc"), tags={"A": "b"})
        )
    )
    groups = built.of_type(SECURITY_GROUP)
    assert sorted(g.name for g in groups) == ["unit-web", "unit-worker"]
    assert all(g.inputs["vpcId"] == "vpc-0abc" and g.inputs["tags"]["A"] == "b" for g in groups)


@pytest.mark.parametrize(
    "entry", ["0.0.0.0/0:all", "0.0.0.0/0", "10.0.0.1/8:587", "::/0:587", "0.0.0.0/0:0", "0.0.0.0/0:65536"]
)
def test_extra_egress_refuses_each_bad_entry_naming_it_and_the_form(entry: str) -> None:
    from components.security_groups import WorkloadSecurityGroupsConfig

    with pytest.raises(ValueError) as refused:
        WorkloadSecurityGroupsConfig(extra_egress=("0.0.0.0/0:587", entry))
    text = str(refused.value)
    assert f"extra_egress {entry!r}" in text
    assert "'<IPv4 range>:<TCP port>'" in text
    assert text.count("extra_egress ") == 1  # the good entry is not blamed


def test_extra_egress_entries_become_range_and_port() -> None:
    from components.security_groups import WorkloadSecurityGroupsConfig

    config = WorkloadSecurityGroupsConfig(extra_egress=("0.0.0.0/0:587", "10.20.0.0/16:5439"))
    assert config.destinations == (("0.0.0.0/0", 587), ("10.20.0.0/16", 5439))
