"""What a release needs from the ECS services: `pulumi up` waits for the rollout, scaling follows
memory as well as CPU and requests, and internal callers find the web tasks by name in the VPC."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.discovery import DiscoveryConfig
from components.django_service import DjangoServices, ServiceScaling
from offline.engine import ProgramRun, Registrations
from tests._app_tier import VPC_ID, services_args
from tests.test_settings import KEY, refusal

SERVICE = "aws:ecs/service:Service"
POLICY = "aws:appautoscaling/policy:Policy"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_service_makes_pulumi_up_wait_for_its_rollout(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    services = stack_runs[stack].of_type(SERVICE)
    assert len(services) == 3
    assert all(service.inputs["waitForSteadyState"] is True for service in services)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_web_and_worker_scale_on_memory_too(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    policies = {p.name: p.inputs for p in stack_runs[stack].of_type(POLICY)}
    for role in ("web", "worker"):
        configuration = policies[f"epicvibe-app-{role}-memory"]["targetTrackingScalingPolicyConfiguration"]
        assert configuration["predefinedMetricSpecification"] == {
            "predefinedMetricType": "ECSServiceAverageMemoryUtilization"
        }
        assert configuration["targetValue"] == 75
        scaling = f"epicvibe-app-{role}-scaling"
        assert (
            policies[f"epicvibe-app-{role}-memory"]["resourceId"]
            == stack_runs[stack].named(scaling).inputs["resourceId"]
        )


def test_memory_target_is_bounded() -> None:
    with pytest.raises(ValueError, match="memory_target_percent 95: expected a whole number from 10 to 90"):
        ServiceScaling(memory_target_percent=95)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_internal_callers_reach_web_by_its_cloud_map_name(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    (namespace,) = run.of_type("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace")
    assert namespace.inputs["name"] == f"epicvibe-{stack}.internal"
    assert namespace.inputs["vpc"] == run.stack_outputs["vpcId"]
    (discovery,) = run.of_type("aws:servicediscovery/service:Service")
    assert discovery.inputs["name"] == "web"
    assert discovery.inputs["dnsConfig"]["dnsRecords"] == [{"ttl": 10, "type": "A"}]
    assert discovery.inputs["dnsConfig"]["namespaceId"] == namespace.id
    web = run.named("epicvibe-app-web")
    assert web.inputs["serviceRegistries"] == {"registryArn": discovery.outputs["arn"]}
    assert "serviceRegistries" not in run.named("epicvibe-app-worker").inputs
    rule = run.named("epicvibe-app-web-from-workers").inputs
    groups = {g.name: g.id for g in run.of_type("aws:ec2/securityGroup:SecurityGroup")}
    assert rule["securityGroupId"] == groups["epicvibe-workloads-web"]
    assert rule["referencedSecurityGroupId"] == groups["epicvibe-workloads-worker"]
    assert (rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (8000, 8000, "tcp")


def test_without_a_namespace_nothing_is_registered(run_stack: Callable[..., ProgramRun]) -> None:
    run = run_stack("staging", serviceDiscoveryNamespace="")
    assert not run.of_type("aws:servicediscovery/service:Service")
    assert "serviceRegistries" not in run.named("epicvibe-app-web").inputs
    with pytest.raises(KeyError):
        run.named("epicvibe-app-web-from-workers")


def test_a_bad_namespace_is_refused() -> None:
    message = refusal(serviceDiscoveryNamespace="Not A Name")
    assert f"{KEY}serviceDiscoveryNamespace: " in message and "epicvibe-staging.internal" in message


def test_the_namespace_is_a_private_zone_of_the_tasks_vpc(build: Callable[..., Registrations]) -> None:
    # The VPC comes with the placement the tasks run in, so a namespace can no longer lack one.
    built = build(
        lambda: DjangoServices("app", services_args(discovery=DiscoveryConfig(namespace="epicvibe.internal")))
    )
    (namespace,) = built.of_type("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace")
    assert (namespace.inputs["name"], namespace.inputs["vpc"]) == ("epicvibe.internal", VPC_ID)
    with pytest.raises(ValueError, match="'Not A Name'"):
        DiscoveryConfig(namespace="Not A Name")
