"""The whole program on both stacks: what a user relies on across tiers, checked on the resources the
real `__main__.py` registers (engine-shaped inputs: camelCase, numbers as floats). The engine registers
resources concurrently, so nothing here relies on registration order. The conventions every
component keeps (type tokens, child names, tags) are in test_platform_conventions.py."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from offline.engine import ProgramRun, RegisteredResource
from tests._app_tier import task_settings
from tests.conftest import STACKS

PACKAGE = "django-platform"
ALB = "aws:lb/loadBalancer:LoadBalancer"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
)
DB_INSTANCE = "aws:rds/instance:Instance"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EC2_INSTANCE = "aws:ec2/instance:Instance"

DEPLOY_PIPELINE_OUTPUTS = (
    "siteUrl",
    "distributionId",
    "ecsClusterName",
    "migrateTaskDefinitionArn",
    "migrateSubnetIds",
    "migrateSecurityGroupIds",
    "webServiceName",
    "awsRegion",
    "bastionPortForwardCommand",
)
KEEPS_DATA = {"staging": False, "prod": True}

stacks = pytest.mark.parametrize("stack", STACKS)


# --- lookups ---------------------------------------------------------------------------------------


def one(run: ProgramRun, type_token: str) -> RegisteredResource:
    (resource,) = run.of_type(type_token)
    return resource


def config(run: ProgramRun, key: str) -> str:
    return run.config.values[key if ":" in key else f"{PACKAGE}:{key}"]


def site_host(run: ProgramRun) -> str:
    host = urlsplit(run.stack_outputs["siteUrl"]).hostname
    assert host, run.stack_outputs["siteUrl"]
    return host


def origin_host(run: ProgramRun) -> str:
    """The name CloudFront uses for the ALB: its DNS name, or with an HTTPS origin the name its
    certificate covers (origin.<domainName> when the stack creates that certificate)."""
    https = [li for li in run.of_type("aws:lb/listener:Listener") if li.inputs["protocol"] == "HTTPS"]
    if not https:
        return str(one(run, ALB).outputs["dnsName"])
    return config(run, "albOriginDomainName") or f"origin.{config(run, 'domainName')}"


def app_subnets(run: ProgramRun) -> list[str]:
    subnets: list[str] = run.stack_outputs["appSubnetIds"]
    assert subnets and not set(subnets) & set(run.stack_outputs["publicSubnetIds"])
    return sorted(subnets)


def group_ids_of(run: ProgramRun, component_name: str) -> set[str]:
    component = run.named(component_name)
    return {r.id for r in run.children_of(component) if r.type == SECURITY_GROUP}


def workload_groups(run: ProgramRun) -> set[str]:
    groups = group_ids_of(run, f"{config(run, 'appName')}-workloads")
    assert len(groups) == 2, groups  # web, worker (and one-off tasks)
    return groups


def bastion_groups(run: ProgramRun) -> set[str]:
    (instance,) = [r for r in run.of_type(EC2_INSTANCE) if r.name.endswith("-bastion-instance")]
    groups = set(instance.inputs["vpcSecurityGroupIds"])
    assert groups
    return groups


def web_service(run: ProgramRun) -> RegisteredResource:
    """The service the load balancer sends requests to."""
    (service,) = [s for s in run.of_type(SERVICE) if s.inputs.get("loadBalancers")]
    return service


def task_definition_of(run: ProgramRun, service: RegisteredResource) -> RegisteredResource:
    (definition,) = [
        d for d in run.of_type(TASK_DEFINITION) if d.outputs["arn"] == service.inputs["taskDefinition"]
    ]
    return definition


def container(definition: RegisteredResource, name: str) -> dict[str, Any]:
    definitions = definition.inputs["containerDefinitions"]
    assert isinstance(definitions, str), "container definitions are not known at preview"
    (found,) = [c for c in json.loads(definitions) if c["name"] == name]
    return dict(found)


def admitted_sources(run: ProgramRun, group_id: str) -> list[tuple[str, float, float]]:
    """(source group, from port, to port) of every rule admitting traffic into `group_id`; a rule
    from anything but a security group (CIDR, prefix list) is reported as such."""
    sources = []
    for rule in run.of_type(*INGRESS_RULES):
        inputs = rule.inputs
        if inputs["securityGroupId"] != group_id or inputs.get("type", "ingress") != "ingress":
            continue
        source = inputs.get("referencedSecurityGroupId") or inputs.get("sourceSecurityGroupId")
        sources.append((source or f"not a group: {rule.name}", inputs["fromPort"], inputs["toPort"]))
    for group in run.of_type(SECURITY_GROUP):
        if group.id == group_id:
            assert not group.inputs.get("ingress"), f"{group.name} has inline ingress rules"
    return sources


def policy_statements(run: ProgramRun, bucket_name: str) -> list[dict[str, Any]]:
    (policy,) = [p for p in run.of_type(BUCKET_POLICY) if p.inputs["bucket"] == bucket_name]
    statements: list[dict[str, Any]] = json.loads(policy.inputs["policy"])["Statement"]
    return statements


# --- the request path ------------------------------------------------------------------------------


@stacks
def test_the_distribution_reaches_the_internal_alb_through_its_vpc_origin(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    alb, vpc_origin, distribution = one(run, ALB), one(run, VPC_ORIGIN), one(run, DISTRIBUTION)
    assert vpc_origin.inputs["vpcOriginEndpointConfig"]["arn"] == alb.outputs["arn"]
    (origin,) = [o for o in distribution.inputs["origins"] if "vpcOriginConfig" in o]
    assert origin["vpcOriginConfig"]["vpcOriginId"] == vpc_origin.id
    assert origin["domainName"] == origin_host(run)
    assert distribution.inputs["defaultCacheBehavior"]["targetOriginId"] == origin["originId"]
    # No other way in: every other origin is an S3 bucket read through origin access control.
    others = [o for o in distribution.inputs["origins"] if o is not origin]
    assert others and all(o.get("originAccessControlId") and "customOriginConfig" not in o for o in others)


@stacks
def test_the_alb_is_internal_in_the_app_subnets_and_admits_no_address_range(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    alb = one(run, ALB)
    assert alb.inputs["internal"] is True
    assert alb.inputs["loadBalancerType"] == "application"
    assert sorted(alb.inputs["subnets"]) == app_subnets(run)
    for group_id in alb.inputs["securityGroups"]:
        rules = [r.inputs for r in run.of_type(*INGRESS_RULES) if r.inputs["securityGroupId"] == group_id]
        assert rules
        assert not [r for r in rules if r.get("cidrIpv4") or r.get("cidrIpv6") or r.get("cidrBlocks")]


@stacks
def test_the_site_url_is_the_distributions_name(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    distribution = one(run, DISTRIBUTION)
    aliases = distribution.inputs.get("aliases") or []
    expected = aliases[0] if aliases else distribution.outputs["domainName"]
    assert len(aliases) <= 1
    assert run.stack_outputs["siteUrl"] == f"https://{expected}"


# --- the content buckets ---------------------------------------------------------------------------


@stacks
@pytest.mark.parametrize("bucket_output", ["mediaBucketName", "staticBucketName"])
def test_content_buckets_grant_reads_only_to_this_stacks_distribution(
    stack_runs: dict[str, ProgramRun], stack: str, bucket_output: str
) -> None:
    run = stack_runs[stack]
    bucket = run.stack_outputs[bucket_output]
    distribution_arn = one(run, DISTRIBUTION).outputs["arn"]
    assert distribution_arn.startswith("arn:aws:cloudfront::")
    grants = [s for s in policy_statements(run, bucket) if s["Effect"] == "Allow"]
    assert grants, f"{bucket}: no grant, CloudFront cannot read it"
    for grant in grants:
        assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert grant["Action"] in ("s3:GetObject", ["s3:GetObject"])
        assert grant["Resource"] == f"arn:aws:s3:::{bucket}/*"
        assert grant["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution_arn}}


@stacks
def test_the_media_bucket_accepts_direct_uploads_from_the_site_only(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    media = run.stack_outputs["mediaBucketName"]
    (cors,) = [c for c in run.of_type(BUCKET_CORS) if c.inputs["bucket"] == media]
    origins = {origin for rule in cors.inputs["corsRules"] for origin in rule["allowedOrigins"]}
    configured = set(json.loads(config(run, "storageCorsOrigins")))
    assert origins == {run.stack_outputs["siteUrl"]} | configured
    assert "*" not in str(sorted(origins))
    # Only the static and media buckets are readable through CloudFront, and only the media bucket
    # takes browser uploads.
    assert sorted(c.inputs["bucket"] for c in run.of_type(BUCKET_CORS)) == [media]


# --- Django ----------------------------------------------------------------------------------------


@stacks
def test_django_allows_exactly_the_origin_host_and_the_site_host(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    service = web_service(run)
    (registration,) = service.inputs["loadBalancers"]
    env = task_settings(run, container(task_definition_of(run, service), registration["containerName"]))
    (origin,) = [o for o in one(run, DISTRIBUTION).inputs["origins"] if "vpcOriginConfig" in o]
    assert origin["domainName"] == origin_host(run)  # the Host header Django receives
    hosts = env["ALLOWED_HOSTS"].split(",")
    assert sorted(hosts) == sorted([origin_host(run), site_host(run)])
    assert env["CSRF_TRUSTED_ORIGINS"].split(",") == [run.stack_outputs["siteUrl"]]
    # No Django container anywhere accepts any host.
    for definition in run.of_type(TASK_DEFINITION):
        for entry in json.loads(definition.inputs["containerDefinitions"]):
            assert "*" not in task_settings(run, entry).get("ALLOWED_HOSTS", ""), definition.name


@stacks
def test_tasks_run_in_the_app_subnets_without_public_ips(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    services = run.of_type(SERVICE)
    assert len(services) >= 2
    for service in services:
        network = service.inputs["networkConfiguration"]
        assert network["assignPublicIp"] is False, service.name
        assert sorted(network["subnets"]) == app_subnets(run), service.name
        assert set(network["securityGroups"]) <= workload_groups(run), service.name
    assert sorted(run.stack_outputs["migrateSubnetIds"]) == app_subnets(run)
    assert set(run.stack_outputs["migrateSecurityGroupIds"]) <= workload_groups(run)


# --- the data tier ---------------------------------------------------------------------------------


@stacks
def test_the_database_admits_only_the_workloads_and_the_bastion(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    port = float(run.stack_outputs["databasePort"])
    instances = run.of_type(DB_INSTANCE)
    assert instances
    groups = {g for i in instances for g in i.inputs["vpcSecurityGroupIds"]}
    assert groups and not groups & (workload_groups(run) | bastion_groups(run))
    for group in sorted(groups):
        sources = admitted_sources(run, group)
        assert sorted(sources) == sorted(
            (source, port, port) for source in workload_groups(run) | bastion_groups(run)
        )


@stacks
def test_the_cache_admits_only_the_workloads(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    cache = one(run, REPLICATION_GROUP)
    port = float(cache.inputs.get("port", 6379))
    groups = set(cache.inputs["securityGroupIds"])
    assert groups and not groups & (workload_groups(run) | bastion_groups(run))
    for group in sorted(groups):
        sources = admitted_sources(run, group)
        assert sorted(sources) == sorted((source, port, port) for source in workload_groups(run))


@stacks
def test_data_stores_are_protected_exactly_when_the_stack_keeps_data(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    stateful = run.of_type(DB_INSTANCE, REPLICATION_GROUP, BUCKET)
    assert {r.type for r in stateful} == {DB_INSTANCE, REPLICATION_GROUP, BUCKET}
    wrong = sorted(r.name for r in stateful if r.protect is not KEEPS_DATA[stack])
    assert wrong == []


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_kms_keys_are_protected_exactly_when_the_stack_keeps_data(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    keys = run.of_type(KMS_KEY)
    assert keys
    wrong = sorted(r.name for r in keys if r.protect is not KEEPS_DATA[stack])
    assert wrong == []


# --- operations ------------------------------------------------------------------------------------


@stacks
def test_every_log_group_has_a_retention_and_the_stack_key(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    groups = run.of_type(LOG_GROUP)
    assert groups
    key_arn = run.stack_outputs["kmsKeyArn"]
    assert key_arn.startswith("arn:aws:kms:")
    for group in groups:
        assert group.inputs.get("retentionInDays", 0) > 0, group.name
        if group.inputs.get("region") == "us-east-1":
            # A log group's key must be in its region: the WAF log has a us-east-1 key of its own.
            assert group.inputs.get("kmsKeyId", "").startswith("arn:aws:kms:us-east-1:"), group.name
        else:
            assert group.inputs.get("kmsKeyId") == key_arn, group.name


# --- what the deploy pipeline reads ----------------------------------------------------------------


@stacks
def test_the_stack_exports_what_the_deploy_pipeline_needs(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    outputs = run.stack_outputs
    assert sorted(k for k in DEPLOY_PIPELINE_OUTPUTS if not outputs.get(k)) == []
    assert outputs["siteUrl"] == f"https://{site_host(run)}"
    assert outputs["distributionId"] == one(run, DISTRIBUTION).id
    assert outputs["ecsClusterName"] == one(run, CLUSTER).outputs["name"]
    web = web_service(run)
    assert outputs["webServiceName"] == web.outputs["name"]
    assert outputs["awsRegion"] == config(run, "aws:region")
    # The migrations task: registered by this program, run by no service, in the tasks' network.
    (migrate,) = [
        d for d in run.of_type(TASK_DEFINITION) if d.outputs["arn"] == outputs["migrateTaskDefinitionArn"]
    ]
    assert migrate.outputs["arn"] not in {s.inputs["taskDefinition"] for s in run.of_type(SERVICE)}
    commands = [c.get("command", []) for c in json.loads(migrate.inputs["containerDefinitions"])]
    assert any("migrate" in command for command in commands), commands
    assert sorted(outputs["migrateSubnetIds"]) == sorted(web.inputs["networkConfiguration"]["subnets"])
    assert set(outputs["migrateSecurityGroupIds"]) <= workload_groups(run)
    # Developers reach the database through the bastion (no public endpoint).
    (bastion,) = [r for r in run.of_type(EC2_INSTANCE) if r.name.endswith("-bastion-instance")]
    command = outputs["bastionPortForwardCommand"]
    assert bastion.id in command and outputs["databaseAddress"] in command
    assert str(int(outputs["databasePort"])) in command


@pytest.mark.parametrize(("stack", "days"), [("staging", 7), ("prod", 30)])
def test_deleted_secrets_stay_recoverable_longest_where_data_is_kept(
    stack_runs: dict[str, ProgramRun], stack: str, days: int
) -> None:
    secrets = stack_runs[stack].of_type("aws:secretsmanager/secret:Secret")
    # Prod signs private media: its private key's secret (staging configures no key).
    signing = ["epicvibe-storage-media-signing-private-key"] if stack == "prod" else []
    assert sorted(s.name for s in secrets) == [
        "epicvibe-app-secret-key",
        "epicvibe-cache-auth-token",
        "epicvibe-database-master-secret",
        *signing,
    ]
    assert {s.inputs["recoveryWindowInDays"] for s in secrets} == {days}
