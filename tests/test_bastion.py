"""The SSM bastion: private, no inbound rule, IMDSv2, encrypted disk, Session Manager only, and the
exact port-forwarding command a developer runs to reach the database on localhost:5432."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable

import pytest

from components.bastion import BastionArgs, BastionConfig, port_forward_command
from offline.engine import ProgramRun, Registrations
from tests._handles import database_endpoint, placement, stack_wide

INSTANCE = "aws:ec2/instance:Instance"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_instance_is_private_graviton_imdsv2_and_encrypted(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    instance = run.named("epicvibe-bastion-instance").inputs
    assert instance["subnetId"] in run.stack_outputs["appSubnetIds"]
    assert instance["associatePublicIpAddress"] is False
    assert instance["instanceType"] == "t4g.nano"
    assert instance["metadataOptions"]["httpTokens"] == "required"
    assert instance["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert instance["rootBlockDevice"]["encrypted"] is True
    assert instance["rootBlockDevice"]["kmsKeyId"] == run.stack_outputs["kmsKeyArn"]
    assert "keyName" not in instance and "userData" not in instance
    assert re.fullmatch(r"ami-[0-9a-f]{17}", instance["ami"])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_nothing_can_connect_to_the_bastion(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    group = run.named("epicvibe-bastion-sg")
    assert not group.inputs.get("ingress")
    own_id = group.id
    assert [r for r in run.of_type(INGRESS, SG_RULE) if r.inputs.get("securityGroupId") == own_id] == []
    egress = {
        (r.inputs["fromPort"], r.inputs["cidrIpv4"])
        for r in run.of_type(EGRESS)
        if r.inputs["securityGroupId"] == own_id
    }
    assert egress == {(443, "0.0.0.0/0"), (5432, run.stack_outputs["vpcCidr"])}


def test_instance_role_has_session_manager_core_and_nothing_else(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    role = run.named("epicvibe-bastion-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    attachments = [a.inputs for a in run.of_type(ATTACHMENT) if a.inputs["role"] == role.outputs["name"]]
    assert attachments == [
        {"role": role.outputs["name"], "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}
    ]
    assert not [
        p
        for p in run.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.inputs["role"] in (role.outputs["name"], role.id)
    ]
    profile = run.named("epicvibe-bastion-profile")
    assert profile.inputs["role"] == role.outputs["name"]
    assert run.named("epicvibe-bastion-instance").inputs["iamInstanceProfile"] == profile.outputs["name"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_exported_command_forwards_localhost_5432_to_the_database(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    command = run.stack_outputs["bastionPortForwardCommand"]
    instance_id = run.named("epicvibe-bastion-instance").id
    database = run.stack_outputs["databaseAddress"]
    assert command == (
        f"aws ssm start-session --target {instance_id} "
        "--document-name AWS-StartPortForwardingSessionToRemoteHost "
        f'--parameters \'{{"host":["{database}"],"portNumber":["5432"],"localPortNumber":["5432"]}}\' '
        "--region eu-west-1"
    )
    # It must survive a POSIX shell: the JSON is one argument.
    words = shlex.split(command)
    parameters = json.loads(words[words.index("--parameters") + 1])
    assert parameters == {"host": [database], "portNumber": ["5432"], "localPortNumber": ["5432"]}


def test_developers_get_a_policy_for_this_bastion_and_document_only(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["prod"]
    instance_arn = run.named("epicvibe-bastion-instance").outputs["arn"]
    policy = json.loads(run.named("epicvibe-bastion-session-policy").inputs["policy"])
    start = next(s for s in policy["Statement"] if s["Action"] == "ssm:StartSession")
    assert start["Resource"] == [
        instance_arn,
        "arn:aws:ssm:eu-west-1::document/AWS-StartPortForwardingSessionToRemoteHost",
    ]
    others = [s for s in policy["Statement"] if s is not start]
    assert all(s["Resource"] == "arn:aws:ssm:*:*:session/${aws:userid}-*" for s in others)
    assert (
        run.stack_outputs["bastionSessionPolicyArn"]
        == run.named("epicvibe-bastion-session-policy").outputs["arn"]
    )


@pytest.mark.slow  # a whole-program run of its own, shared with test_database
def test_disabled_bastion_leaves_nothing_behind(staging_without_bastion: ProgramRun) -> None:
    run = staging_without_bastion
    assert [r.name for r in run.resources if "bastion" in r.name] == []
    assert "bastionPortForwardCommand" not in run.stack_outputs
    assert run.of_type(INSTANCE) == []


def test_instance_type_setting_reaches_the_instance(run_stack: Callable[..., ProgramRun]) -> None:
    run = run_stack("staging", bastionInstanceType="t4g.micro")
    assert run.named("epicvibe-bastion-instance").inputs["instanceType"] == "t4g.micro"


def test_command_for_another_port() -> None:
    command = port_forward_command("i-0abc", "db.example.internal", 6543, "eu-central-1")
    assert '"portNumber":["6543"],"localPortNumber":["6543"]' in command
    assert command.endswith("--region eu-central-1")


def test_a_non_graviton_instance_type_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match=r"instance_type 't3.nano': expected a Graviton"):
        BastionConfig(enabled=True, instance_type="t3.nano")


def test_a_port_that_is_no_tcp_port_is_refused() -> None:
    with pytest.raises(ValueError, match="TCP port"):
        BastionArgs(
            config=BastionConfig(enabled=True, instance_type="t4g.nano"),
            placement=placement(),
            stack=stack_wide(kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/unit"),
            database=database_endpoint(address="db"),
            database_port=0,
        )


def test_component_built_directly_goes_into_the_first_app_subnet_of_the_placement(
    build: Callable[..., Registrations],
) -> None:
    from components.bastion import Bastion

    built = build(
        lambda: Bastion(
            "unit",
            BastionArgs(
                config=BastionConfig(enabled=True, instance_type="t4g.nano"),
                placement=placement(
                    vpc_id="vpc-1", vpc_cidr="10.9.0.0/16", app_subnet_ids=["subnet-a", "subnet-b"]
                ),
                stack=stack_wide(kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/unit"),
                database=database_endpoint(address="db.example.internal"),
            ),
        )
    )
    assert built.named("unit-instance").inputs["subnetId"] == "subnet-a"
    assert built.named("unit-sg").inputs["vpcId"] == "vpc-1"
    assert built.named("unit-egress-database").inputs["cidrIpv4"] == "10.9.0.0/16"
