"""What stops a real first `pulumi up`, or breaks the platform days after it.

The mocks accept anything AWS would refuse, so each test here states the AWS rule it encodes and
checks it on what the real program registers for both stacks.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.database import DatabaseArgs
from offline.engine import ProgramRun, RegisteredResource, run_program
from tests._handles import placement, stack_wide
from tests.conftest import ROOT, STACKS
from tests.test_database import database_config

DB_INSTANCE = "aws:rds/instance:Instance"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
CF_FUNCTION = "aws:cloudfront/function:Function"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
LISTENER = "aws:lb/listener:Listener"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
CLUSTER = "aws:ecs/cluster:Cluster"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
IAM_POLICY = "aws:iam/policy:Policy"
PROVIDER = "pulumi:providers:aws"

stacks = pytest.mark.parametrize("stack", STACKS)


def containers(definition: RegisteredResource) -> list[dict[str, Any]]:
    value = definition.inputs["containerDefinitions"]
    assert isinstance(value, str)
    return list(json.loads(value))


def statements(policy: RegisteredResource) -> list[dict[str, Any]]:
    return list(json.loads(policy.inputs["policy"])["Statement"])


def role_policy(run: ProgramRun, suffix: str) -> RegisteredResource:
    (found,) = [p for p in run.of_type(ROLE_POLICY) if p.name.endswith(suffix)]
    return found


# --- 1 and 3: database credentials ---------------------------------------------------------------


@stacks
def test_no_instance_with_replicas_has_an_rds_managed_master_password(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    """RDS can't create a read replica of a source whose master password Secrets Manager manages."""
    run = stack_runs[stack]
    instances = run.of_type(DB_INSTANCE)
    primary = next(i for i in instances if not i.inputs.get("replicateSourceDb"))
    assert not primary.inputs.get("manageMasterUserPassword")
    # Nor is the password a plain input, which Pulumi would keep in state inputs and outputs.
    assert "password" not in primary.inputs
    assert primary.inputs.get("iamDatabaseAuthenticationEnabled") is True


def test_the_database_refuses_a_managed_master_password_with_replicas() -> None:
    with pytest.raises(ValueError, match="read replica"):
        DatabaseArgs(
            identifier="epicvibe-prod",
            placement=placement(vpc_id="vpc-1", data_subnet_ids=[]),
            stack=stack_wide(kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/x"),
            config=database_config(read_replica_count=1),
            managed_master_password=True,
        )


@stacks
def test_tasks_log_in_with_iam_tokens_not_an_injected_password(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    """ECS injects secrets only at task start; a rotated password would lock running tasks out."""
    run = stack_runs[stack]
    for definition in run.of_type(TASK_DEFINITION):
        for container in containers(definition):
            names = {s["name"] for s in container.get("secrets", [])}
            assert "DATABASE_PASSWORD" not in names, definition.name
            if container["name"] in ("web", "worker", "beat", "migrate"):
                env = {e["name"]: e["value"] for e in container["environment"]}
                assert env["DATABASE_AUTH"] == "iam"
                assert env["DATABASE_USER"]
    connect = [s for s in statements(role_policy(run, "-task-policy")) if s.get("Sid") == "DatabaseIamLogin"]
    (statement,) = connect
    assert statement["Action"] == "rds-db:connect"
    resources = statement["Resource"]
    instances = run.of_type(DB_INSTANCE)
    assert len(resources) == len(instances)
    for instance in instances:
        assert any(f":dbuser:{instance.outputs['resourceId']}/" in r for r in resources)


# --- 2: beat ---------------------------------------------------------------------------------------


@stacks
def test_az_rebalancing_only_where_a_deployment_may_exceed_100_percent(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    services = stack_runs[stack].of_type(SERVICE)
    assert services
    for service in services:
        if service.inputs.get("availabilityZoneRebalancing") == "ENABLED":
            assert service.inputs["deploymentMaximumPercent"] > 100, service.name
    (beat,) = [s for s in services if s.name.endswith("-beat")]
    assert beat.inputs["deploymentMaximumPercent"] == 100
    assert beat.inputs["availabilityZoneRebalancing"] == "DISABLED"


def test_rebalancing_is_refused_with_a_maximum_of_100_percent() -> None:
    from components.django_service import rebalancing_for

    assert rebalancing_for(200) == "ENABLED"
    assert rebalancing_for(100) == "DISABLED"
    with pytest.raises(ValueError, match="maximum"):
        rebalancing_for(100, required=True)


# --- 4: origin TLS ------------------------------------------------------------------------------


def test_prod_cloudfront_reaches_the_alb_over_https_only(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    (origin,) = run.of_type(VPC_ORIGIN)
    assert origin.inputs["vpcOriginEndpointConfig"]["originProtocolPolicy"] == "https-only"
    listeners = run.of_type(LISTENER)
    https = [li for li in listeners if li.inputs["protocol"] == "HTTPS"]
    assert len(https) == 1 and https[0].inputs["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-2")
    for listener in listeners:
        if listener.inputs["protocol"] == "HTTP":
            assert [a["type"] for a in listener.inputs["defaultActions"]] == ["redirect"]
    certificates = [
        c
        for c in run.of_type("aws:acm/certificate:Certificate")
        if c.inputs["domainName"].startswith("origin.")
    ]
    assert len(certificates) == 1 and not certificates[0].inputs.get("region")


def test_production_refuses_an_origin_without_tls() -> None:
    with pytest.raises(pulumi.RunError, match="domainName"):
        run_program(ROOT, "prod", overrides={"domainName": "", "hostedZoneId": ""})


# --- 5: one cross-region mechanism -----------------------------------------------------------------


@pytest.mark.slow
def test_us_east_1_resources_use_the_stacks_provider_and_its_config() -> None:
    run = run_program(ROOT, "prod", overrides={"aws:profile": "deployer"})
    assert not run.of_type(PROVIDER), "explicit providers ignore the stack's aws:* config"
    edge = [r for r in run.resources if r.inputs.get("region") == "us-east-1"]
    kinds = {r.type for r in edge}
    assert "aws:wafv2/webAcl:WebAcl" in kinds
    assert "aws:sns/topic:Topic" in kinds
    assert "aws:acm/certificateValidation:CertificateValidation" in kinds


# --- 6: ordering and permissions ---------------------------------------------------------------


def test_instances_wait_for_the_enhanced_monitoring_policy(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    (attachment,) = [
        r for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if "monitoring" in r.name
    ]
    for instance in run.of_type(DB_INSTANCE):
        assert attachment.urn in instance.dependencies, instance.name


@stacks
def test_the_flow_log_role_has_what_the_vpc_guide_lists_and_the_flow_log_waits(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    policy = role_policy(run, "-flow-logs-policy")
    actions = {
        a
        for s in statements(policy)
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
    } <= actions
    (flow_log,) = run.of_type(FLOW_LOG)
    assert policy.urn in flow_log.dependencies


# --- 7: CloudFront Function --------------------------------------------------------------------


@stacks
def test_the_cloudfront_function_has_no_tags(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    (function,) = stack_runs[stack].of_type(CF_FUNCTION)
    assert not function.inputs.get("tags")


# --- 8 and 15: ECS Exec ---------------------------------------------------------------------------


@stacks
def test_exec_enabled_services_have_writable_roots_and_others_are_read_only(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    """ECS Exec isn't supported with readonlyRootFilesystem."""
    run = stack_runs[stack]
    definitions = {d.outputs["arn"]: d for d in run.of_type(TASK_DEFINITION)}
    for service in run.of_type(SERVICE):
        app = containers(definitions[service.inputs["taskDefinition"]])[0]
        if service.inputs["enableExecuteCommand"]:
            assert app["readonlyRootFilesystem"] is False, service.name
        else:
            assert app["readonlyRootFilesystem"] is True, service.name


def test_exec_is_off_in_production_and_on_in_staging(stack_runs: dict[str, ProgramRun]) -> None:
    assert not any(s.inputs["enableExecuteCommand"] for s in stack_runs["prod"].of_type(SERVICE))
    assert all(s.inputs["enableExecuteCommand"] for s in stack_runs["staging"].of_type(SERVICE))
    assert "ecsExecSessionPolicyArn" in stack_runs["staging"].stack_outputs
    assert "ecsExecSessionPolicyArn" not in stack_runs["prod"].stack_outputs


def test_the_exec_session_policy_names_this_cluster_and_key(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["staging"]
    (policy,) = [p for p in run.of_type(IAM_POLICY) if p.name.endswith("-exec-session")]
    found = statements(policy)
    execute = next(s for s in found if s["Action"] == "ecs:ExecuteCommand")
    assert all(":ecs:" in r for r in execute["Resource"])
    assert any(s["Action"] == "kms:GenerateDataKey" for s in found)


def test_exec_with_interface_endpoints_needs_ssmmessages() -> None:
    with pytest.raises(pulumi.RunError, match="ssmmessages"):
        # Entry-sized prod has no interface endpoints (docs/cost.md); the rule is about a VPC that has them.
        run_program(ROOT, "prod", overrides={"ecsExecEnabled": "true", "interfaceEndpoints": '["logs"]'})


@stacks
def test_exec_sessions_use_the_stack_key_and_the_audit_log_keeps_a_year(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    (cluster,) = run.of_type(CLUSTER)
    exec_config = cluster.inputs["configuration"]["executeCommandConfiguration"]
    assert exec_config["kmsKeyId"] == run.stack_outputs["kmsKeyArn"]
    group_name = exec_config["logConfiguration"]["cloudWatchLogGroupName"]
    (group,) = [g for g in run.of_type(LOG_GROUP) if g.inputs.get("name") == group_name]
    assert group.inputs["retentionInDays"] >= 365


# --- 9: Amplify token ------------------------------------------------------------------------------


def test_the_cli_does_not_demand_the_amplify_token_on_every_stack() -> None:
    """The CLI requires a declared key with no default; a secret may not carry one."""
    import yaml

    spec = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]["amplifyAccessToken"]
    assert "default" in spec


def test_an_amplify_token_set_in_plain_text_is_refused() -> None:
    with pytest.raises(pulumi.RunError, match=r"amplifyAccessToken.*--secret") as caught:
        run_program(
            ROOT,
            "staging",
            overrides={
                "amplifyRepository": "https://github.com/acme/frontend",
                "amplifyAccessToken": "ghp_plaintext_token_0123456789",
            },
        )
    assert "ghp_plaintext_token_0123456789" not in str(caught.value)


# --- 10: placeholders ----------------------------------------------------------------------------


def test_placeholders_refuse_a_real_update_naming_the_keys() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run_program(ROOT, "prod", preview=False)
    message = str(caught.value)
    for key in ("domainName", "hostedZoneId", "appImage", "alarmEmail"):
        assert f"django-platform:{key}" in message


def test_placeholders_only_warn_in_a_preview(
    stack_runs: dict[str, ProgramRun], stack_warnings: dict[str, list[str]]
) -> None:
    run = stack_runs["prod"]  # a preview, like `make plan`
    assert run.of_type(DB_INSTANCE)
    (warning,) = [w for w in stack_warnings["prod"] if "placeholder" in w]
    for key in ("domainName", "hostedZoneId", "appImage", "alarmEmail"):
        assert f"django-platform:{key}" in warning


# --- 11: secrets validated with the rest ---------------------------------------------------------


def test_bad_secrets_are_reported_with_the_other_errors_before_any_resource() -> None:
    from offline.engine import activate_mocks, load_stack_config
    from settings import load_settings

    config = load_stack_config(
        ROOT,
        "prod",
        {
            "cacheAuthToken": "short/@token-with-bad-characters",
            "djangoSecretKey": "tooshort",
            "webMinTasks": "1",
        },
    )
    pulumi.runtime.set_all_config(dict(config.values), list(config.values))
    monitor = activate_mocks(config.project, "prod")
    with pytest.raises(pulumi.RunError) as caught:
        load_settings()
    message = str(caught.value)
    assert "cacheAuthToken" in message and "'/'" in message and "'@'" in message
    assert "djangoSecretKey" in message and "8 characters" in message
    assert "webMinTasks" in message
    assert "short/@token" not in message and "tooshort" not in message
    assert not monitor.registrations


# --- 12: the no-healthy-hosts alarm and the schedule -----------------------------------------------


def test_the_no_healthy_hosts_alarm_knows_the_schedule_where_tasks_scale_to_zero(
    stack_runs: dict[str, ProgramRun],
) -> None:
    (staging,) = [a for a in stack_runs["staging"].of_type(ALARM) if a.name.endswith("-no-healthy-hosts")]
    queries = staging.inputs["metricQueries"]
    # Without Container Insights: the ALB's metric, and the schedule's hours as metric math.
    assert {q["metric"]["metricName"] for q in queries if q.get("metric")} == {"HealthyHostCount"}
    (wanted,) = [q for q in queries if q["id"] == "wanted"]
    assert "HOUR(filled)" in wanted["expression"] and "DAY(filled)" in wanted["expression"]
    (result,) = [q for q in queries if q.get("returnData")]
    assert "wanted" in result["expression"]
    (cluster,) = stack_runs["staging"].of_type("aws:ecs/cluster:Cluster")
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    (prod,) = [a for a in stack_runs["prod"].of_type(ALARM) if a.name.endswith("-no-healthy-hosts")]
    assert prod.inputs["metricName"] == "HealthyHostCount"


@pytest.mark.slow
def test_a_schedule_the_alarm_cannot_read_needs_container_insights() -> None:
    with pytest.raises(pulumi.RunError, match=r"containerInsights.*cannot turn into hours"):
        run_program(ROOT, "staging", overrides={"nightlyScaleUpCron": "rate(1 day)"})
    run = run_program(
        ROOT, "staging", overrides={"nightlyScaleUpCron": "rate(1 day)", "containerInsights": "enabled"}
    )
    (alarm,) = [a for a in run.of_type(ALARM) if a.name.endswith("-no-healthy-hosts")]
    metrics = {q["metric"]["metricName"] for q in alarm.inputs["metricQueries"] if q.get("metric")}
    assert metrics == {"HealthyHostCount", "DesiredTaskCount"}


# --- 13: WAF logging -----------------------------------------------------------------------------


def test_the_waf_logs_to_cloudwatch_without_credentials(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    (logging,) = run.of_type(WAF_LOGGING)
    (group,) = [
        g for g in run.of_type(LOG_GROUP) if str(g.inputs.get("name", "")).startswith("aws-waf-logs-")
    ]
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert group.inputs["region"] == "us-east-1" and group.inputs["retentionInDays"] >= 30
    assert group.inputs["kmsKeyId"]
    redacted = {f["singleHeader"]["name"] for f in logging.inputs["redactedFields"]}
    assert redacted == {"authorization", "cookie"}


# --- 14: media access logs -----------------------------------------------------------------------


@stacks
def test_the_media_bucket_logs_its_requests_to_the_log_bucket(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    (logging,) = run.of_type(BUCKET_LOGGING)
    assert logging.inputs["bucket"] == run.stack_outputs["mediaBucketName"]
    assert logging.inputs["targetBucket"] == run.stack_outputs["logBucketName"]
    (policy,) = [
        p
        for p in run.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if p.inputs["bucket"] == run.stack_outputs["logBucketName"]
    ]
    assert any(s.get("Principal") == {"Service": "logging.s3.amazonaws.com"} for s in statements(policy))


# --- 16: egress ------------------------------------------------------------------------------------


@stacks
def test_workloads_send_https_the_data_tier_and_listed_extras_only(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    workload_groups = [g for g in run.of_type(SECURITY_GROUP) if g.name.endswith(("-web", "-worker"))]
    assert len(workload_groups) == 2
    for group in workload_groups:
        assert not group.inputs.get("egress")
        rules = [r for r in run.of_type(EGRESS_RULE) if r.inputs["securityGroupId"] == group.id]
        for rule in rules:
            assert rule.inputs["ipProtocol"] != "-1", rule.name
            if rule.inputs.get("cidrIpv4"):
                assert (rule.inputs["fromPort"], rule.inputs["toPort"]) in {(443, 443), (587, 587)}, rule.name
            else:
                assert rule.inputs.get("referencedSecurityGroupId"), rule.name
        ports = {(r.inputs["fromPort"], bool(r.inputs.get("referencedSecurityGroupId"))) for r in rules}
        assert {(443, False), (5432, True), (6379, True)} <= ports


@pytest.mark.slow
def test_extra_egress_destinations_are_configurable() -> None:
    run = run_program(ROOT, "staging", overrides={"appExtraEgress": '["0.0.0.0/0:587"]'})
    assert any(r.inputs["fromPort"] == 587 for r in run.of_type(EGRESS_RULE))
    with pytest.raises(pulumi.RunError, match="appExtraEgress"):
        run_program(ROOT, "staging", overrides={"appExtraEgress": '["0.0.0.0/0:all"]'})


# --- 17: Database Insights -----------------------------------------------------------------------


@stacks
def test_alarms_send_operators_to_database_insights(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    texts = [a.inputs["alarmDescription"] for a in stack_runs[stack].of_type(ALARM)]
    assert not any("Performance Insights" in t for t in texts)
    assert any("Database Insights" in t for t in texts)
