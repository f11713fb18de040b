"""The stack's customer-managed KMS key: one key per stack for RDS, Redis, S3, logs and secrets.

One key rather than one per service keeps the key policy reviewable in one place; the services
that are not named in it (RDS, ElastiCache, Secrets Manager, S3 for the app's role) reach the key
through IAM policies in this account, which the root statement enables, usually narrowed with
`kms:ViaService`. CloudWatch Logs and CloudFront cannot use IAM here (they act as service
principals), so the policy names them, each restricted to this account's resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, type_token
from .config_base import Problem, ValidatedConfig, between, collect

ALIAS_PATTERN = re.compile(r"^[a-zA-Z0-9/_-]{1,250}$")
# KMS ScheduleKeyDeletion's PendingWindowInDays.
DELETION_WINDOW_DAYS = (7, 30)


@dataclass(frozen=True, kw_only=True)
class KmsConfig(ValidatedConfig):
    """What an operator sets for the stack's key."""

    deletion_window_days: int
    """Days a scheduled deletion of the key waits, 7 to 30; until then the key can be restored."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        return collect(between("deletion_window_days", values["deletion_window_days"], *DELETION_WINDOW_DAYS))


@dataclass(frozen=True)
class KmsKeyArgs:
    alias: str
    """Alias without the `alias/` prefix, unique in the account and region, e.g. `epicvibe-prod`. Required."""
    config: KmsConfig
    """What the operator set. Required."""
    description: str = "Stack data key"
    """Key description shown in the console. Default: "Stack data key"."""
    protect: bool = False
    """Pulumi `protect` on the key: everything it encrypts is unreadable without it. Default: False."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags merged into every taggable child. Default: none."""

    def __post_init__(self) -> None:
        if (
            self.alias.startswith("alias/")
            or not ALIAS_PATTERN.match(self.alias)
            or self.alias.startswith("aws")
        ):
            raise ValueError(
                f"alias {self.alias!r}: give the name without 'alias/', letters, digits, '/', '_' or '-', "
                "not starting with 'aws' (reserved), e.g. 'epicvibe-prod'"
            )


def key_policy(account_id: str, region: str) -> str:
    """The key policy as JSON: account root (so IAM policies work), CloudWatch Logs for this account's
    log groups in this region, CloudFront distributions of this account (OAC reading SSE-KMS objects), and
    this account's CloudWatch alarms (publishing to the encrypted alarm topic)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    # Without this statement no IAM policy could grant use of the key, and a key
                    # policy that locks the account out can only be fixed by AWS support.
                    "Sid": "AccountAdministersTheKeyThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account_id}:log-group:*"
                        }
                    },
                },
                {
                    # The distribution is created after the buckets and this key, so its ARN is not
                    # known here; any distribution of this account is as narrow as it can be, and the
                    # bucket policies name the exact distribution.
                    "Sid": "CloudFrontReadsObjectsThroughOriginAccessControl",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"AWS:SourceArn": f"arn:aws:cloudfront::{account_id}:distribution/*"},
                    },
                },
                {
                    # Alarms publish to the KMS-encrypted alarm topic as the CloudWatch service; without
                    # this statement SNS drops every alarm notification silently.
                    "Sid": "CloudWatchAlarmsPublishToEncryptedTopics",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account_id}:alarm:*"},
                    },
                },
            ],
        }
    )


class KmsKey(pulumi.ComponentResource):
    """A symmetric key with yearly rotation, its policy, and an alias."""

    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(self, name: str, args: KmsKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("kms", "KmsKey"), name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region

        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.config.deletion_window_days,
            policy=pulumi.Output.all(account_id, region).apply(lambda values: key_policy(*values)),
            tags=merge_tags(args.tags, Name=args.alias),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.alias}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.key_arn = key.arn
        self.key_id = key.key_id
        self.alias_name = alias.name
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id, "alias_name": self.alias_name})
