"""The IAM documents of the Django services: pure functions from plain values (ARNs, region,
account, flags) to policy JSON, testable without Pulumi. The component resolves the Outputs and
calls these; what each statement allows, and why, is stated here once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._base import service_trust_policy
from ..release_tasks import static_writer_policy

__all__ = [
    "ecs_task_trust_policy",
    "exec_session_policy",
    "execution_role_policy",
    "parameter_value_froms",
    "static_writer_policy",
    "task_role_policy",
]


def _document(statements: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def ecs_task_trust_policy(region: str, account: str) -> str:
    """Only ECS, acting for this account's tasks, may assume the roles (confused-deputy guard)."""
    return service_trust_policy(
        "ecs-tasks.amazonaws.com",
        {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{region}:{account}:*"},
        },
    )


def parameter_value_froms(secrets: Iterable[Mapping[str, str]]) -> list[str]:
    """The `valueFrom`s of task secrets that are Parameter Store ARNs, sorted and distinct."""
    return sorted({s["valueFrom"] for s in secrets if s["valueFrom"].split(":")[2] == "ssm"})


def execution_role_policy(
    *,
    secret_arns: Iterable[str],
    kms_key_arn: str,
    region: str,
    log_group_arns: Iterable[str],
    repository_arn: str | None,
    secrets: Iterable[Mapping[str, str]],
) -> str:
    """What ECS itself needs to start a task: read its secrets (`secret_arns`) and the parameters its
    `secrets` name, write its log streams, and pull from `repository_arn` when the image is in ECR."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadTaskSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": sorted(set(secret_arns)),
        },
        {
            "Sid": "DecryptTaskSecrets",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": kms_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
        },
        {
            # ECS fetches every `valueFrom` in Parameter Store with GetParameters: the settings'
            # parameters and the secrets' references (then read with the grants above), exactly
            # those the task definitions name. String parameters need no kms:Decrypt.
            "Sid": "ReadTaskParameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": parameter_value_froms(secrets),
        },
        {
            "Sid": "WriteTaskLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{arn}:log-stream:*" for arn in log_group_arns],
        },
    ]
    if repository_arn:
        statements += [
            {
                "Sid": "PullImage",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "Resource": repository_arn,
            },
            {
                # GetAuthorizationToken has no resource type: IAM accepts only "*" for it.
                "Sid": "RegistryLogin",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
        ]
    return _document(statements)


def _exec_statements(
    *, region: str, account: str, exec_log_group_arn: str, kms_key_arn: str
) -> list[dict[str, Any]]:
    return [
        {
            # The SSM Session Manager channel actions have no resource type; IAM accepts
            # only "*" for them. Who may open a session is decided by ecs:ExecuteCommand on
            # the caller's side, and every session is logged (cluster configuration).
            "Sid": "EcsExecChannels",
            "Effect": "Allow",
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            "Resource": "*",
        },
        {
            "Sid": "EcsExecAuditLog",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [exec_log_group_arn, f"{exec_log_group_arn}:log-stream:*"],
        },
        {
            # The agent checks the audit log group's encryption before writing; this
            # action is authorised on the account's log-group namespace, not on one group.
            "Sid": "EcsExecAuditLogCheck",
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": f"arn:aws:logs:{region}:{account}:log-group:*",
        },
        {
            # Sessions are encrypted with the stack key (cluster configuration).
            "Sid": "EcsExecSessionKey",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": kms_key_arn,
        },
    ]


XRAY_STATEMENT: Mapping[str, Any] = {
    # X-Ray's trace and sampling APIs have no resource type: "*" is the only scope.
    "Sid": "XRayDaemon",
    "Effect": "Allow",
    "Action": [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    ],
    "Resource": "*",
}


def task_role_policy(
    *,
    media_bucket_arn: str,
    kms_key_arn: str,
    region: str,
    account: str,
    database_resource_ids: Iterable[str],
    database_user: str,
    exec_log_group_arn: str,
    exec_enabled: bool,
    xray_enabled: bool,
) -> str:
    """What the Django code may do: the media bucket's objects, IAM login as `database_user` on
    exactly these database instances, ECS Exec and X-Ray when enabled."""
    statements: list[dict[str, Any]] = [
        {
            # Presigned URLs carry the task role's permissions, so direct uploads and
            # downloads from browsers and the mobile app are bounded by this statement.
            "Sid": "MediaObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": f"{media_bucket_arn}/*",
        },
        {"Sid": "MediaListing", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": media_bucket_arn},
        {
            # IAM database authentication: only the app user, only on this stack's instances.
            "Sid": "DatabaseIamLogin",
            "Effect": "Allow",
            "Action": "rds-db:connect",
            "Resource": [
                f"arn:aws:rds-db:{region}:{account}:dbuser:{rid}/{database_user}"
                for rid in database_resource_ids
            ],
        },
        {
            "Sid": "MediaEncryption",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": kms_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        },
    ]
    if exec_enabled:
        statements += _exec_statements(
            region=region, account=account, exec_log_group_arn=exec_log_group_arn, kms_key_arn=kms_key_arn
        )
    if xray_enabled:
        statements.append(dict(XRAY_STATEMENT))
    return _document(statements)


def exec_session_policy(
    *, region: str, account: str, cluster_arn: str, cluster_name: str, kms_key_arn: str
) -> str:
    """Who may open an ECS Exec session in this cluster's tasks: attach it to them."""
    tasks = f"arn:aws:ecs:{region}:{account}:task/{cluster_name}/*"
    return _document(
        [
            {
                "Sid": "ExecuteCommandInThisCluster",
                "Effect": "Allow",
                "Action": "ecs:ExecuteCommand",
                "Resource": [cluster_arn, tasks],
            },
            {
                "Sid": "FindTheTask",
                "Effect": "Allow",
                "Action": ["ecs:DescribeTasks", "ecs:ListTasks"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"ecs:cluster": cluster_arn}},
            },
            {
                # The session is encrypted with the stack key.
                "Sid": "SessionKey",
                "Effect": "Allow",
                "Action": "kms:GenerateDataKey",
                "Resource": kms_key_arn,
            },
        ]
    )
