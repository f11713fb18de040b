"""ElastiCache: cluster mode off for Celery, TLS and AUTH, encrypted with the stack key, failover
and a replica in production, 6379 only from the workloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pulumi.runtime import rpc

from components.cache import Cache, CacheArgs, CacheConfig
from offline.engine import ProgramRun, RegisteredResource, Registrations
from offline.stack_config import SECRET_PLACEHOLDER
from tests._handles import placement, stack_wide, workload_groups
from tests.test_cache_config import VALID_CONFIG

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/unit"


def group(run: Registrations) -> RegisteredResource:
    (found,) = run.of_type(GROUP)
    return found


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_only_web_and_worker_reach_6379(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    cache_sg = run.named("epicvibe-cache-sg")
    assert not cache_sg.inputs.get("ingress")
    rules = [r.inputs for r in run.of_type(INGRESS) if r.inputs["securityGroupId"] == cache_sg.id]
    assert {r["referencedSecurityGroupId"] for r in rules} == {
        run.named("epicvibe-workloads-web").id,
        run.named("epicvibe-workloads-worker").id,
    }
    assert all((r["ipProtocol"], r["fromPort"], r["toPort"]) == ("tcp", 6379, 6379) for r in rules)
    assert all("cidrIpv4" not in r and "cidrIpv6" not in r for r in rules)
    assert group(run).inputs["securityGroupIds"] == [cache_sg.id]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_encrypted_at_rest_with_the_stack_key_and_tls_with_auth_in_transit(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    inputs = group(run).inputs
    assert inputs["atRestEncryptionEnabled"] is True
    assert inputs["kmsKeyId"] == run.stack_outputs["kmsKeyArn"]
    assert inputs["transitEncryptionEnabled"] is True and inputs["transitEncryptionMode"] == "required"
    assert is_secret(inputs["authToken"])
    assert inputs["authToken"]["value"] == SECRET_PLACEHOLDER


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_auth_token_is_kept_in_a_kms_encrypted_secret(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    (secret,) = [s for s in run.of_type(SECRET) if s.name == "epicvibe-cache-auth-token"]
    assert secret.inputs["kmsKeyId"] == run.stack_outputs["kmsKeyArn"]
    (version,) = [v for v in run.of_type(SECRET_VERSION) if v.inputs["secretId"] == secret.id]
    assert is_secret(version.inputs["secretString"])
    assert run.stack_outputs["cacheAuthSecretArn"] == secret.outputs["arn"]


@pytest.mark.parametrize(
    ("stack", "nodes", "failover", "node_type", "snapshots"),
    [("staging", 1, False, "cache.t4g.micro", 1), ("prod", 2, True, "cache.t4g.small", 7)],
)
def test_replicas_failover_and_multi_az_per_stack(
    stack_runs: dict[str, ProgramRun], stack: str, nodes: int, failover: bool, node_type: str, snapshots: int
) -> None:
    inputs = group(stack_runs[stack]).inputs
    assert inputs["numCacheClusters"] == nodes
    assert inputs["automaticFailoverEnabled"] is failover
    assert inputs["multiAzEnabled"] is failover
    assert inputs["nodeType"] == node_type
    assert inputs["snapshotRetentionLimit"] == snapshots


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_cluster_mode_is_off_in_the_data_subnets(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    inputs = group(run).inputs
    assert inputs["clusterMode"] == "disabled"
    assert "numNodeGroups" not in inputs and "replicasPerNodeGroup" not in inputs
    subnets = run.named("epicvibe-cache-subnets")
    assert subnets.inputs["subnetIds"] == run.stack_outputs["dataSubnetIds"]
    assert inputs["subnetGroupName"] == subnets.outputs["name"]
    assert inputs["replicationGroupId"] == f"epicvibe-{stack}"


@pytest.mark.parametrize(("stack", "kept"), [("staging", False), ("prod", True)])
def test_protected_with_a_final_snapshot_only_where_data_is_kept(
    stack_runs: dict[str, ProgramRun], stack: str, kept: bool
) -> None:
    found = group(stack_runs[stack])
    assert found.protect is kept
    assert ("finalSnapshotIdentifier" in found.inputs) is kept


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_slow_log_goes_to_a_group_with_retention_and_the_stack_key(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    log_group = run.named("epicvibe-cache-slow-log")
    assert log_group.inputs["retentionInDays"] == (30 if stack == "staging" else 90)
    assert log_group.inputs["kmsKeyId"] == run.stack_outputs["kmsKeyArn"]
    (delivery,) = group(run).inputs["logDeliveryConfigurations"]
    assert delivery["destination"] == log_group.inputs["name"] and delivery["logType"] == "slow-log"


def test_url_template_points_at_the_primary_over_tls_without_the_token(
    build: Callable[..., Registrations],
) -> None:
    captured: dict[str, Cache] = {}

    def construct() -> None:
        captured["cache"] = Cache(
            "unit",
            CacheArgs(
                config=CacheConfig(**{**VALID_CONFIG, "auth_token": "a-token-of-sixteen-or-more"}),
                replication_group_id="unit-cache",
                placement=placement(vpc_id="vpc-0123", data_subnet_ids=["subnet-data-a"]),
                stack=stack_wide(kms_key_arn=KEY_ARN),
                clients=workload_groups(web_security_group_id="sg-app", worker_security_group_id="sg-worker"),
            ),
        )

    built = build(construct)
    from pulumi.runtime.sync_await import _sync_await

    url = _sync_await(captured["cache"].url_template.future())
    primary = group(built).outputs["primaryEndpointAddress"]
    assert url == f"rediss://:{{auth_token}}@{primary}:6379/0"
    assert "a-token-of-sixteen-or-more" not in url
    # Registrations arrive from the SDK's threads in no fixed order: the two rules, one per client.
    assert sorted(r.inputs["referencedSecurityGroupId"] for r in built.of_type(INGRESS)) == [
        "sg-app",
        "sg-worker",
    ]
    assert group(built).protect is False


def test_settings_reach_the_replication_group(run_stack: Callable[..., ProgramRun]) -> None:
    run = run_stack(
        "staging",
        cacheEngine="valkey",
        cacheEngineVersion="8.0",
        cacheReplicaCount="2",
        cacheAutomaticFailover="true",
        cacheMultiAz="true",
        cacheMaintenanceWindow="tue:01:00-tue:02:00",
    )
    inputs = group(run).inputs
    assert (inputs["engine"], inputs["engineVersion"]) == ("valkey", "8.0")
    assert inputs["numCacheClusters"] == 3
    assert inputs["maintenanceWindow"] == "tue:01:00-tue:02:00"


@pytest.mark.parametrize("group_id", ["x" * 41, "Cache", "cache--sessions", "7cache", "cache-"])
def test_a_replication_group_id_elasticache_refuses_is_refused_with_the_fix(group_id: str) -> None:
    with pytest.raises(ValueError, match="2 to 40 lower-case letters") as caught:
        CacheArgs(
            config=CacheConfig(**VALID_CONFIG),
            replication_group_id=group_id,
            placement=placement(),
            stack=stack_wide(kms_key_arn=KEY_ARN),
        )
    assert repr(group_id) in str(caught.value)
