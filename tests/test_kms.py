"""The stack KMS key: rotation, a policy that names only this account's services, protect in prod."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from components.kms import KmsConfig, KmsKey, KmsKeyArgs
from offline.engine import ProgramRun, Registrations

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
ACCOUNT = "123456789012"
WINDOW_30 = KmsConfig(deletion_window_days=30)


def key_policy(run: Registrations) -> list[dict]:
    return json.loads(run.named("epicvibe-kms-key").inputs["policy"])["Statement"]


@pytest.mark.parametrize(("stack", "window", "protected"), [("staging", 7, False), ("prod", 30, True)])
def test_key_rotates_and_is_protected_only_where_data_is_kept(
    stack_runs: dict[str, ProgramRun], stack: str, window: int, protected: bool
) -> None:
    run = stack_runs[stack]
    key = run.named("epicvibe-kms-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == window
    assert key.protect is protected
    assert run.named("epicvibe-kms-alias").inputs["name"] == f"alias/epicvibe-{stack}"
    assert run.stack_outputs["kmsKeyAlias"] == f"alias/epicvibe-{stack}"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_only_the_account_root_is_granted_without_a_condition(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    statements = key_policy(stack_runs[stack])
    unconditioned = [s for s in statements if "Condition" not in s]
    assert unconditioned == [
        {
            "Sid": "AccountAdministersTheKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    assert all(s["Effect"] == "Allow" for s in statements)


def test_cloudwatch_logs_may_use_the_key_only_for_this_accounts_log_groups(
    stack_runs: dict[str, ProgramRun],
) -> None:
    logs = next(s for s in key_policy(stack_runs["prod"]) if "logs." in str(s["Principal"]))
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:*"}
    }
    assert "kms:*" not in logs["Action"]


def test_cloudfront_may_only_decrypt_for_distributions_of_this_account(
    stack_runs: dict[str, ProgramRun],
) -> None:
    cloudfront = next(
        s for s in key_policy(stack_runs["prod"]) if s["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    )
    assert cloudfront["Action"] == "kms:Decrypt"
    assert cloudfront["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"AWS:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/*"},
    }


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_flow_logs_are_encrypted_with_the_stack_key(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    assert run.named("epicvibe-network-flow-logs").inputs["kmsKeyId"] == run.stack_outputs["kmsKeyArn"]


def test_component_built_directly_exposes_key_and_alias(build: Callable[..., Registrations]) -> None:
    built = build(
        lambda: KmsKey("unit", KmsKeyArgs(alias="unit-test", config=WINDOW_30, tags={"Team": "data"}))
    )
    (key,) = built.of_type(KEY)
    (alias,) = built.of_type(ALIAS)
    assert key.outputs["arn"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/")
    assert alias.inputs["targetKeyId"] == key.outputs["keyId"]
    assert key.inputs["tags"]["Team"] == "data"
    assert key.protect is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alias": "alias/epicvibe"}, "without 'alias/'"),
        ({"alias": "aws-managed"}, "reserved"),
        ({"alias": "has space"}, "letters, digits"),
    ],
)
def test_bad_arguments_are_refused_with_the_fix(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KmsKeyArgs(**kwargs, config=WINDOW_30)


@pytest.mark.parametrize("days", [0, 6, 31, 365])
def test_the_config_refuses_a_deletion_window_kms_refuses(days: int) -> None:
    with pytest.raises(
        ValueError, match=f"deletion_window_days {days}: expected a whole number from 7 to 30"
    ):
        KmsConfig(deletion_window_days=days)


@pytest.mark.parametrize("days", [7, 30])
def test_the_config_accepts_the_bounds_of_the_window(days: int) -> None:
    assert KmsConfig(deletion_window_days=days).deletion_window_days == days
