"""The stack's ECR repository: immutable scanned releases under the stack key, a lifecycle that keeps
the newest N, and a push role only the named GitHub subjects may assume."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from components.registry import Registry, RegistryArgs
from components.registry_values import RegistryConfig, lifecycle_policy
from offline.engine import ProgramRun, Registrations
from tests._handles import stack_wide
from tests.test_settings import KEY, load, refusal

KMS = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
MAIN = "repo:my-org/my-app:ref:refs/heads/main"
REPOSITORY = "aws:ecr/repository:Repository"


def registry_config(**overrides: object) -> RegistryConfig:
    values: dict = {"enabled": True, "keep_releases": 20, "push_subjects": (MAIN,), **overrides}
    return RegistryConfig(**values)


def build_registry(build: Callable, **overrides: object) -> Registrations:
    # No repository_name: the repository takes the stack's physical name.
    args = RegistryArgs(
        config=registry_config(**overrides), stack=stack_wide(kms_key_arn=KMS, physical_name="epicvibe-test")
    )
    return build(lambda: Registry("reg", args))


def test_releases_are_immutable_scanned_and_encrypted_with_the_stack_key(build: Callable) -> None:
    repository = build_registry(build).named("reg-repository")
    assert repository.inputs["name"] == "epicvibe-test"
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KMS}]
    assert repository.inputs["forceDelete"] is False


def test_the_lifecycle_keeps_the_newest_n_images(build: Callable) -> None:
    policy = json.loads(build_registry(build, keep_releases=7).named("reg-lifecycle").inputs["policy"])
    (rule,) = policy["rules"]
    # `any` must be the last rule ECR evaluates; alone, it counts every image, tagged or not.
    assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 7}
    assert rule["action"] == {"type": "expire"}


def test_only_the_named_github_subjects_may_assume_the_push_role(build: Callable) -> None:
    run = build_registry(build, push_subjects=(MAIN, "repo:my-org/my-app:environment:staging"))
    (statement,) = json.loads(run.named("reg-push-role").inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {
        "Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": ["repo:my-org/my-app:environment:staging", MAIN],
        }
    }


def test_the_push_role_reaches_this_repository_only(build: Callable) -> None:
    run = build_registry(build)
    statements = json.loads(run.named("reg-push-policy").inputs["policy"])["Statement"]
    scoped = {s["Sid"]: s for s in statements}
    assert scoped["PushRelease"]["Resource"] == "arn:aws:ecr:eu-west-1:123456789012:repository/epicvibe-test"
    assert "ecr:PutImage" in scoped["PushRelease"]["Action"]
    assert not any(a.startswith("ecr:Delete") or a == "ecr:*" for a in scoped["PushRelease"]["Action"])
    # GetAuthorizationToken has no resource type: "*" is the only scope IAM accepts for it.
    assert scoped["RegistryLogin"] == {
        "Sid": "RegistryLogin",
        "Effect": "Allow",
        "Action": "ecr:GetAuthorizationToken",
        "Resource": "*",
    }


def test_no_subjects_no_push_role(build: Callable) -> None:
    run = build_registry(build, push_subjects=())
    assert not run.of_type("aws:iam/role:Role")
    assert run.of_type(REPOSITORY)


def test_a_bad_repository_name_is_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match="repository_name 'Epic Vibe'"):
        RegistryArgs(repository_name="Epic Vibe", config=registry_config(), stack=stack_wide(kms_key_arn=KMS))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"keep_releases": 0}, "keep_releases 0: expected a whole number from 1 to 1000"),
        ({"keep_releases": 1001}, "keep_releases 1001: expected a whole number from 1 to 1000"),
        ({"push_subjects": ("repo:my-org/*:*",)}, "entry 'repo:my-org/*:*': .*wildcards are refused"),
        (
            {"push_subjects": (MAIN, "my-org/my-app")},
            "entry 'my-org/my-app': name an exact GitHub OIDC subject",
        ),
    ],
)
def test_the_config_refuses_each_bad_value_naming_field_value_and_fix(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("*:*'", r"\*:\*'")):
        registry_config(**overrides)


def test_the_config_reports_every_bad_subject_at_once() -> None:
    problems = RegistryConfig.problems(
        {"enabled": True, "keep_releases": 0, "push_subjects": ("a", MAIN, "b")}
    )
    assert [(p.field, p.fix.split(":")[0]) for p in problems] == [
        ("keep_releases", "expected a whole number from 1 to 1000"),
        ("push_subjects", "entry 'a'"),
        ("push_subjects", "entry 'b'"),
    ]


def test_a_valid_config_constructs() -> None:
    assert registry_config(keep_releases=1000, push_subjects=()).keep_releases == 1000


def test_lifecycle_policy_is_valid_json_for_any_bound() -> None:
    for keep in (1, 1000):
        assert json.loads(lifecycle_policy(keep))["rules"][0]["selection"]["countNumber"] == keep


@pytest.mark.parametrize(("stack", "protected"), [("staging", False), ("prod", True)])
def test_each_stack_owns_its_repository_and_exports_its_url(
    stack_runs: dict[str, ProgramRun], stack: str, protected: bool
) -> None:
    run = stack_runs[stack]
    (repository,) = run.of_type(REPOSITORY)
    assert repository.inputs["name"] == f"epicvibe-{stack}"
    assert repository.protect is protected
    assert repository.inputs["encryptionConfigurations"][0]["kmsKey"] == run.stack_outputs["kmsKeyArn"]
    assert run.stack_outputs["imageRepositoryUrl"] == (
        f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/epicvibe-{stack}"
    )
    assert run.stack_outputs["imagePushRoleArn"].startswith("arn:aws:iam::123456789012:role/")
    # The committed first image lives in the stack's own repository, which the tasks may pull from.
    assert run.config.values[f"{KEY}appImage"].startswith(run.stack_outputs["imageRepositoryUrl"] + ":")
    # The release running, for a workstation's `pulumi up -c appImage=...` (docs/delivery.md).
    assert run.stack_outputs["appImage"] == run.config.values[f"{KEY}appImage"]


def test_building_from_a_directory_leaves_the_repository_to_awsx() -> None:
    settings = load("staging", appImage="", appDockerContext="examples/django_app")
    assert settings.registry.enabled is False


def test_a_wildcard_push_subject_is_refused_by_the_settings() -> None:
    message = refusal(imagePushSubjects='["repo:my-org/*"]')
    line = next(line for line in message.splitlines() if f"{KEY}imagePushSubjects:" in line)
    assert "'repo:my-org/*'" in line and "wildcards are refused" in line


def test_keep_releases_is_bounded() -> None:
    assert "imageKeepReleases" in refusal(imageKeepReleases="0")
