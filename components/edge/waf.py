"""The web ACL as data: its rules, what its request log leaves out, and the log key's policy."""

from __future__ import annotations

import json
from typing import Any

from .config import EDGE_REGION

# Order is evaluation order: the cheap rate limit and IP reputation first, then the inspections.
MANAGED_RULE_GROUPS = (
    ("AWSManagedRulesAmazonIpReputationList", "ip-reputation"),
    ("AWSManagedRulesCommonRuleSet", "common"),
    ("AWSManagedRulesKnownBadInputsRuleSet", "known-bad-inputs"),
    ("AWSManagedRulesSQLiRuleSet", "sqli"),
)
RATE_WINDOW_SECONDS = 300
# Headers that carry credentials (HTTP auth, session and CSRF cookies): never written to the log.
REDACTED_HEADERS = ("authorization", "cookie")


def visibility(metric: str) -> dict[str, Any]:
    """Metrics and sampled requests on, under CloudWatch metric name `metric`."""
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def web_acl_rules(physical: str, rate_limit: int) -> list[dict[str, Any]]:
    """A per-IP rate limit (blocks), then the managed rule groups in `MANAGED_RULE_GROUPS` order.

    The common rule set blocks request bodies over 8 KB (SizeRestrictions_BODY). Uploads go straight
    to S3 with presigned URLs, so that only limits form posts through Django."""
    rate_limit_rule = {
        "name": "rate-limit-per-ip",
        "priority": 0,
        "action": {"block": {}},
        "statement": {
            "rate_based_statement": {
                "limit": rate_limit,
                "aggregate_key_type": "IP",
                "evaluation_window_sec": RATE_WINDOW_SECONDS,
            }
        },
        "visibility_config": visibility(f"{physical}-rate-limit"),
    }
    managed = [
        {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
            "visibility_config": visibility(f"{physical}-{short}"),
        }
        for priority, (group, short) in enumerate(MANAGED_RULE_GROUPS, start=1)
    ]
    return [rate_limit_rule, *managed]


def redacted_fields() -> list[dict[str, Any]]:
    """The logging configuration's `redacted_fields`: every header in `REDACTED_HEADERS`."""
    return [{"single_header": {"name": header}} for header in REDACTED_HEADERS]


def log_key_policy(account_id: str, group_name: str) -> str:
    """The account administers the key; CloudWatch Logs may use it for this one log group only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsEncryptsTheWafLog",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{EDGE_REGION}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnEquals": {
                            "kms:EncryptionContext:aws:logs:arn": (
                                f"arn:aws:logs:{EDGE_REGION}:{account_id}:log-group:{group_name}"
                            )
                        }
                    },
                },
            ],
        }
    )
