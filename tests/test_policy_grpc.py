"""The pack as the engine meets it: its own process, started like the CLI starts it, driven over
the analyzer gRPC protocol (offline/analyzer.py), never through the SDK's private servicer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

from offline.analyzer import analyze
from offline.engine import ProgramRun
from offline.pack_process import DEFAULT_PACK_DIR, PROJECT_VIRTUALENV, PackError, PolicyPackProcess
from offline.policy_config import PolicyConfigEntry, PolicyConfigError, parse_policy_config
from offline.stack_config import StackConfig, load_stack_config
from platform_guard import PACK_NAME, POLICIES
from tests.conftest import ROOT
from tests.fixtures import Build


@pytest.fixture(scope="module")
def staging_config() -> StackConfig:
    return load_stack_config(ROOT, "staging")


@pytest.fixture(scope="module")
def pack(staging_config: StackConfig) -> Iterator[PolicyPackProcess]:
    process = PolicyPackProcess(DEFAULT_PACK_DIR, staging_config, virtualenv=PROJECT_VIRTUALENV)
    with process:
        yield process
    assert process._process is not None and process._process.poll() is not None, "the pack must be stopped"


def _unknown() -> pulumi.Output[Any]:
    async def value() -> None:
        return None

    async def known() -> bool:
        return False

    return pulumi.Output(set(), value(), known())


def _exposed_database() -> None:
    sg = aws.ec2.SecurityGroup(
        "db-sg",
        vpc_id="vpc-0123",
        ingress=[{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_blocks": ["0.0.0.0/0"]}],
    )
    aws.rds.Instance(
        "db",
        engine="postgres",
        instance_class="db.t4g.micro",
        allocated_storage=20,
        publicly_accessible=True,
        storage_encrypted=True,
        vpc_security_group_ids=[sg.id],
        db_subnet_group_name="data",
    )
    aws.ec2.SecurityGroupRule(
        "maybe-open",
        type="ingress",
        security_group_id=sg.id,
        protocol="tcp",
        from_port=6379,
        to_port=6379,
        cidr_blocks=[_unknown()],
    )


@pytest.mark.subprocess
def test_the_pack_describes_itself_over_grpc(pack: PolicyPackProcess) -> None:
    info = pack.stub().GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME
    assert {p.name for p in info.policies} == {p.name for p in POLICIES}
    advisory = {p.name for p in info.policies if p.enforcementLevel == analyzer_pb2.ADVISORY}
    # Only the preview note is advisory; private media and the prod VPC origin are enforced since
    # the program signs /media/* and reaches the ALB over HTTPS in production.
    assert advisory == {"preview-unjudged-resources"}
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY, analyzer_pb2.ADVISORY}
    assert all(p.description for p in info.policies)


@pytest.mark.subprocess
def test_violations_come_back_as_mandatory_diagnostics(
    pack: PolicyPackProcess,
    staging_config: StackConfig,
    build: Build,
) -> None:
    registered = build(_exposed_database)
    analysis = analyze(ProgramRun(registered.resources, staging_config, {}), pack)

    mandatory = {(f.policy, f.resource_name) for f in analysis.mandatory}
    assert mandatory == {
        ("no-internet-ingress-to-database-ports", "db-sg"),
        ("database-not-publicly-accessible", "db"),
    }
    pending = [f for f in analysis.findings if f.not_judged]
    assert [(f.policy, f.resource_name, f.level) for f in pending] == [
        ("no-internet-ingress-to-database-ports", "maybe-open", "advisory")
    ]
    assert "cidrBlocks[0] cannot be judged yet" in pending[0].message
    # One advisory finding counts what the preview could not judge, and names it.
    [summary] = [f for f in analysis.findings if f.policy == "preview-unjudged-resources"]
    assert summary.level == "advisory"
    assert summary.message.startswith("1 resource could not be judged in this preview")
    assert "SecurityGroupRule 'maybe-open': cidrBlocks" in summary.message
    # Production rules answered "not applicable" for the development-profile stack.
    assert analysis.not_applicable["prod-database-multi-az"] == 1


@pytest.mark.subprocess
def test_policy_pack_config_changes_levels_in_the_pack(
    pack: PolicyPackProcess,
    staging_config: StackConfig,
    build: Build,
) -> None:
    registered = build(_exposed_database)
    run = ProgramRun(registered.resources, staging_config, {})
    config = parse_policy_config(
        json.dumps({"all": "advisory", "database-not-publicly-accessible": {"enforcementLevel": "disabled"}})
    )
    analysis = analyze(run, pack, config)
    assert not analysis.mandatory
    assert {(f.policy, f.level) for f in analysis.findings if not f.not_judged} == {
        ("no-internet-ingress-to-database-ports", "advisory"),
        ("preview-unjudged-resources", "advisory"),
    }
    # The next preview without overrides is back to the defaults.
    assert analyze(run, pack).mandatory


@pytest.mark.subprocess
def test_stack_policies_see_property_dependencies(
    pack: PolicyPackProcess,
    staging_config: StackConfig,
    build: Build,
) -> None:
    def public_subnet_group() -> None:
        subnet = aws.ec2.Subnet("pub", vpc_id="vpc-1", cidr_block="10.0.0.0/24", map_public_ip_on_launch=True)
        aws.rds.SubnetGroup("db-subnets", subnet_ids=[subnet.id])

    registered = build(public_subnet_group)
    analysis = analyze(ProgramRun(registered.resources, staging_config, {}), pack)
    [finding] = analysis.mandatory
    assert (finding.policy, finding.resource_name, finding.phase) == (
        "data-subnet-groups-private",
        "db-subnets",
        "stack",
    )


@pytest.mark.subprocess
def test_production_rules_follow_the_stack_config_passed_to_the_pack(
    build: Build,
) -> None:
    registered = build(lambda: aws.cloudwatch.LogGroup("app", retention_in_days=30))
    prod = load_stack_config(ROOT, "staging", {"stackProfile": "production"})
    with PolicyPackProcess(DEFAULT_PACK_DIR, prod, virtualenv=PROJECT_VIRTUALENV) as production_pack:
        analysis = analyze(ProgramRun(registered.resources, prod, {}), production_pack)
    assert [(f.policy, f.resource_name) for f in analysis.mandatory] == [("cloudwatch-log-retention", "app")]


@pytest.mark.subprocess
def test_invalid_policy_settings_are_refused_before_analysis(
    pack: PolicyPackProcess, staging_config: StackConfig
) -> None:
    config = {"no-internet-ingress-to-database-ports": PolicyConfigEntry(None, {"databasePorts": ["5432"]})}
    with pytest.raises(PolicyConfigError, match=r"databasePorts: \[0\] expected integer"):
        analyze(ProgramRun([], staging_config, {}), pack, config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "must be a JSON object"),
        ('{"x": "strict"}', "'strict' is not an enforcement level"),
        ('{"x": 3}', "must be an enforcement level or an object"),
        ("{", "not valid JSON"),
    ],
)
def test_policy_config_parse_errors(text: str, message: str) -> None:
    with pytest.raises(PolicyConfigError, match=message):
        parse_policy_config(text)


@pytest.mark.subprocess
def test_a_pack_that_fails_to_start_reports_its_stderr(tmp_path: Any, staging_config: StackConfig) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text(
        f"runtime:\n  name: python\n  options:\n    virtualenv: {ROOT / '.venv'}\n"
    )
    (tmp_path / "__main__.py").write_text("raise SystemExit('cannot import the rules: boom')\n")
    with PolicyPackProcess(tmp_path, staging_config) as broken, pytest.raises(PackError) as error:
        broken.stub(timeout=60)
    assert "failed to start" in str(error.value)
    assert "boom" in str(error.value)


def test_a_missing_virtualenv_is_reported(tmp_path: Any, staging_config: StackConfig) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text(
        "runtime:\n  name: python\n  options:\n    virtualenv: nowhere\n"
    )
    with pytest.raises(PackError, match="doesn't appear to be a virtual environment"):
        PolicyPackProcess(tmp_path, staging_config).start()


def _task_definition_waiting_on_a_database() -> None:
    # As in a real preview: the container definitions embed an address that exists only after
    # `pulumi up`, so the whole JSON string is unknown.
    aws.ecs.TaskDefinition(
        "web",
        family="web",
        container_definitions=_unknown(),
        requires_compatibilities=["FARGATE"],
        network_mode="awsvpc",
        cpu="256",
        memory="512",
    )


def test_a_preview_says_how_many_resources_it_could_not_judge_and_why(
    pack: PolicyPackProcess,
    staging_config: StackConfig,
    build: Build,
) -> None:
    registered = build(_task_definition_waiting_on_a_database)
    analysis = analyze(ProgramRun(registered.resources, staging_config, {}), pack)
    assert not analysis.mandatory
    waiting = {f.policy for f in analysis.findings if f.not_judged and f.resource_name == "web"}
    assert waiting >= {
        "ecs-no-plaintext-secrets",
        "ecs-django-debug-off",
        "ecs-django-allowed-hosts-explicit",
    }
    [summary] = [f for f in analysis.findings if f.policy == "preview-unjudged-resources"]
    assert summary.message.startswith("1 resource could not be judged in this preview")
    assert (
        "TaskDefinition 'web': containerDefinitions (for ecs-django-allowed-hosts-explicit" in summary.message
    )
