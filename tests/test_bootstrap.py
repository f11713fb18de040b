"""The CI roles of bootstrap/ against what the platform program really does, on both stacks' plans.

- The preview role must allow every invoke the program makes during a preview (recorded here under
  the mock engine, mapped to IAM actions by bootstrap/ci_roles.py's INVOKE_ACTIONS).
- The deploy role must be able to create and tag every resource type the program plans (mapped by
  RESOURCE_ACTIONS), in the region the resource lives in, and pass each role to its service.

The two role bugs of the hand-written roles (the preview's blanket `ssm:GetParameter*` deny that
refused the bastion's AMI lookup, and a deploy role without `iam:TagInstanceProfile`) are run
through the same checks and must be reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from bootstrap.ci_roles import (
    INVOKE_ACTIONS,
    PASSED_TO,
    RESOURCE_ACTIONS,
    deploy_policy,
    preview_policy,
    stack_subjects,
)
from offline.engine import ProgramRun, RegisteredResource, run_program
from offline.mock_ids import ACCOUNT_ID
from tests.conftest import ROOT, STACKS
from tests.fixtures import RecordedInvoke
from tests.iam_simulation import decision

APP = "epicvibe"
GLOBAL_SERVICES = {"iam", "cloudfront", "route53"}
# Where each stack's resources may live (bootstrap/Pulumi.ci.yaml says the same).
STACK_REGIONS = {"staging": ["eu-west-1", "us-east-1"], "prod": ["eu-west-1", "us-east-1", "eu-central-1"]}
# Inputs that name the role a type passes to its service.
ROLE_INPUTS = {
    "aws:ecs/taskDefinition:TaskDefinition": ("executionRoleArn", "taskRoleArn"),
    "aws:ec2/flowLog:FlowLog": ("iamRoleArn",),
    "aws:rds/instance:Instance": ("monitoringRoleArn",),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ("role",),
    "aws:iam/instanceProfile:InstanceProfile": ("role",),
}


@dataclass(frozen=True)
class Invoke:
    token: str
    args: dict[str, Any]
    region: str


@dataclass
class RecordedRun:
    run: ProgramRun
    invokes: list[Invoke]


@pytest.fixture(scope="module")
def recorded(
    stack_runs: dict[str, ProgramRun], stack_invokes: dict[str, list[RecordedInvoke]]
) -> dict[str, RecordedRun]:
    """Both stacks previewed (the session's shared runs), with every invoke the program made."""
    return {
        stack: RecordedRun(stack_runs[stack], [Invoke(*i) for i in stack_invokes[stack]]) for stack in STACKS
    }


# --- the preview role ---------------------------------------------------------------------------


def read_only_access() -> list[dict[str, Any]]:
    """The AWS managed ReadOnlyAccess policy, as far as these checks need it: reads of every service."""
    return [{"Effect": "Allow", "Action": ["*:Get*", "*:Describe*", "*:List*"], "Resource": "*"}]


def invoke_resource(invoke: Invoke, action: str) -> str:
    if action.startswith("ssm:GetParameter"):
        name = str(invoke.args["name"])
        owner = "" if name.startswith("/aws/service/") else ACCOUNT_ID
        return f"arn:aws:ssm:{invoke.region}:{owner}:parameter{name}"
    return "*"


def preview_problems(statements: list[dict[str, Any]], invokes: list[Invoke]) -> list[str]:
    problems = []
    for invoke in invokes:
        for action in INVOKE_ACTIONS[invoke.token]:
            resource = invoke_resource(invoke, action)
            verdict = decision(statements, action, resource, {"aws:RequestedRegion": invoke.region})
            if verdict != "allowed":
                problems.append(f"{invoke.token}: {action} on {resource} is {verdict}")
    return problems


def test_every_invoke_of_both_stacks_is_mapped(recorded: dict[str, RecordedRun]) -> None:
    tokens = {i.token for r in recorded.values() for i in r.invokes}
    assert "aws:ssm/getParameter:getParameter" in tokens  # the recording works
    assert tokens - set(INVOKE_ACTIONS) == set()


@pytest.mark.parametrize("stack", STACKS)
def test_the_preview_role_allows_every_invoke(recorded: dict[str, RecordedRun], stack: str) -> None:
    statements = read_only_access() + json.loads(preview_policy())["Statement"]
    assert preview_problems(statements, recorded[stack].invokes) == []


def test_the_old_blanket_parameter_deny_is_caught(recorded: dict[str, RecordedRun]) -> None:
    old = {
        "Effect": "Deny",
        "Action": ["s3:GetObject*", "secretsmanager:GetSecretValue", "ssm:GetParameter*", "kms:Decrypt"],
        "Resource": "*",
    }
    problems = preview_problems([*read_only_access(), old], recorded["staging"].invokes)
    assert problems and all("ssm:GetParameter on arn:aws:ssm:" in p for p in problems)


def test_the_preview_role_still_refuses_data() -> None:
    statements = (
        read_only_access()
        + json.loads(
            preview_policy(state_bucket="acme-pulumi-state", secrets_key_arn="arn:aws:kms:eu-west-1:1:key/k")
        )["Statement"]
    )
    private = f"arn:aws:ssm:eu-west-1:{ACCOUNT_ID}:parameter/epicvibe/db-password"
    assert decision(statements, "ssm:GetParameter", private) == "denied"
    assert decision(statements, "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:x") == "denied"
    assert decision(statements, "s3:GetObject", "arn:aws:s3:::epicvibe-media/a.jpg") == "denied"
    assert decision(statements, "kms:Decrypt", "arn:aws:kms:eu-west-1:1:key/other") == "denied"
    # A self-managed backend: the preview reads its state and decrypts its secrets.
    assert decision(statements, "s3:GetObject", "arn:aws:s3:::acme-pulumi-state/.pulumi/x.json") == "allowed"
    assert decision(statements, "kms:Decrypt", "arn:aws:kms:eu-west-1:1:key/k") == "allowed"
    lock = "arn:aws:s3:::acme-pulumi-state/.pulumi/locks/organization/django-platform/staging/x.json"
    assert decision(statements, "s3:PutObject", lock) == "allowed"
    assert decision(statements, "s3:PutObject", "arn:aws:s3:::acme-pulumi-state/.pulumi/stacks/x.json") == (
        "implicit"
    )


# --- the deploy role ----------------------------------------------------------------------------


def region_of(run: ProgramRun, resource: RegisteredResource) -> str:
    if resource.inputs.get("region"):
        return str(resource.inputs["region"])
    providers = {p.urn: p for p in run.resources if p.type == "pulumi:providers:aws"}
    provider = providers.get(resource.provider.rsplit("::", 1)[0]) if resource.provider else None
    if provider is not None and provider.inputs.get("region"):
        return str(provider.inputs["region"])
    return str(run.config.values["aws:region"])


def role_arn(value: str) -> str:
    return value if value.startswith("arn:") else f"arn:aws:iam::{ACCOUNT_ID}:role/{value}"


def iam_resource(resource: RegisteredResource) -> str:
    kind = resource.type.split(":")[-1]
    if kind in ("RolePolicy", "RolePolicyAttachment"):
        return role_arn(str(resource.inputs["role"]))
    path = {"Role": "role", "InstanceProfile": "instance-profile", "Policy": "policy"}[kind]
    return f"arn:aws:iam::{ACCOUNT_ID}:{path}/{resource.outputs['name']}"


def passed_roles(run: ProgramRun, resource: RegisteredResource) -> list[str]:
    if resource.type == "aws:ec2/instance:Instance":
        profiles = {str(p.outputs["name"]): p for p in run.of_type("aws:iam/instanceProfile:InstanceProfile")}
        return [role_arn(str(profiles[str(resource.inputs["iamInstanceProfile"])].inputs["role"]))]
    return [
        role_arn(str(resource.inputs[k]))
        for k in ROLE_INPUTS.get(resource.type, ())
        if resource.inputs.get(k)
    ]


def deploy_problems(statements: list[dict[str, Any]], run: ProgramRun) -> list[str]:
    problems = []
    for resource in run.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        if resource.type not in RESOURCE_ACTIONS:
            problems.append(f"{resource.type}: not in RESOURCE_ACTIONS")
            continue
        region = region_of(run, resource)
        for action in RESOURCE_ACTIONS[resource.type]:
            service = action.split(":")[0]
            target = iam_resource(resource) if service == "iam" else "*"
            context = {"aws:RequestedRegion": "us-east-1" if service in GLOBAL_SERVICES else region}
            verdict = decision(statements, action, target, context)
            if verdict != "allowed":
                problems.append(f"{resource.name} ({resource.type}): {action} in {region} is {verdict}")
        for role in passed_roles(run, resource):
            context = {"iam:PassedToService": PASSED_TO[resource.type], "aws:RequestedRegion": "us-east-1"}
            if decision(statements, "iam:PassRole", role, context) != "allowed":
                problems.append(f"{resource.name}: iam:PassRole of {role} to {PASSED_TO[resource.type]}")
    return problems


def stack_deploy_policy(stack: str, **overrides: Any) -> list[dict[str, Any]]:
    document = deploy_policy(account_id=ACCOUNT_ID, app_name=APP, regions=STACK_REGIONS[stack], **overrides)
    return json.loads(document)["Statement"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_deploy_role_creates_and_tags_every_planned_resource(
    recorded: dict[str, RecordedRun], stack: str
) -> None:
    run = recorded[stack].run
    assert len(run.resources) > 100
    assert deploy_problems(stack_deploy_policy(stack), run) == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_deploy_role_makes_the_programs_lookups(recorded: dict[str, RecordedRun], stack: str) -> None:
    assert preview_problems(stack_deploy_policy(stack), recorded[stack].invokes) == []


def test_a_deploy_role_without_tag_instance_profile_is_caught(recorded: dict[str, RecordedRun]) -> None:
    statements = stack_deploy_policy("staging")
    for statement in statements:
        if statement.get("Sid") == "AppIamOnly":
            statement["Action"] = [a for a in statement["Action"] if a != "iam:TagInstanceProfile"]
    problems = deploy_problems(statements, recorded["staging"].run)
    assert problems == [
        "epicvibe-bastion-profile (aws:iam/instanceProfile:InstanceProfile): "
        "iam:TagInstanceProfile in eu-west-1 is implicit"
    ]


def test_staging_cannot_deploy_into_the_replication_region(recorded: dict[str, RecordedRun]) -> None:
    # prod replicates media to eu-central-1: a role limited to staging's regions could not create it.
    problems = deploy_problems(stack_deploy_policy("staging"), recorded["prod"].run)
    assert problems and all("eu-central-1" in p for p in problems)


def test_iam_is_limited_to_the_apps_names() -> None:
    statements = stack_deploy_policy("prod")
    admin = f"arn:aws:iam::{ACCOUNT_ID}:role/OrganizationAccountAccessRole"
    assert decision(statements, "iam:PutRolePolicy", admin) == "implicit"
    assert decision(
        statements, "iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT_ID}:role/ci-epicvibe-prod-deploy"
    ) == ("implicit")
    context = {"iam:PassedToService": "lambda.amazonaws.com"}
    assert (
        decision(statements, "iam:PassRole", f"arn:aws:iam::{ACCOUNT_ID}:role/epicvibe-x", context)
        == "implicit"
    )


# --- the bootstrap program ----------------------------------------------------------------------


def test_the_bootstrap_program_creates_the_provider_and_two_roles_per_stack() -> None:
    run = run_program(ROOT / "bootstrap", "ci")
    (provider,) = run.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    roles = {r.name: r for r in run.of_type("aws:iam/role:Role")}
    assert set(roles) == {"staging-preview", "staging-deploy", "prod-preview", "prod-deploy"}
    for stack, environment in (("staging", "staging"), ("prod", "production")):
        subjects = stack_subjects("my-org/django-platform", environment)
        for kind in ("preview", "deploy"):
            role = roles[f"{stack}-{kind}"]
            assert not str(role.inputs["name"]).startswith(f"{APP}-")
            (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
            assert statement["Condition"]["StringEquals"] == {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": subjects[kind],
            }
        deploy = json.loads(run.named(f"{stack}-deploy-policy").inputs["policy"])["Statement"]
        assert deploy == stack_deploy_policy(stack)
    assert set(run.stack_outputs) == {
        "stagingPreviewRoleArn",
        "stagingDeployRoleArn",
        "prodPreviewRoleArn",
        "prodDeployRoleArn",
    }
