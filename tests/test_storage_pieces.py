"""The storage tier's pure pieces, checked without Pulumi: what the config refuses, what each bucket
policy refuses and whom it admits, what the replication role may touch, and what the lifecycle
rules keep."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.config_base import Problem
from components.storage import (
    ELB_LOG_ACCOUNTS,
    StorageConfig,
    abort_uploads_rule,
    content_bucket_policy,
    log_bucket_policy,
    log_rules,
    media_rules,
    replication_role_policy,
)

BUCKET = "arn:aws:s3:::site-media"
DISTRIBUTION = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"
ACCOUNT = "123456789012"

# A valid config: Pulumi.yaml's defaults, one extra upload origin and replication.
VALID_STORAGE: dict[str, Any] = {
    "ia_transition_days": 30,
    "glacier_transition_days": 180,
    "noncurrent_expiration_days": 90,
    "log_expiration_days": 90,
    "cors_origins": ("https://app.example.com", "http://localhost:8000"),
    "replication_region": "eu-central-1",
    "media_signing_public_key": None,
    "media_public_path_pattern": "/media/public/*",
}


def storage_config(**overrides: Any) -> StorageConfig:
    return StorageConfig(**{**VALID_STORAGE, **overrides})


def test_a_valid_storage_config_constructs_and_keeps_its_values() -> None:
    config = storage_config()
    assert StorageConfig.problems(VALID_STORAGE) == []
    assert config.cors_origins == ("https://app.example.com", "http://localhost:8000")
    assert storage_config(replication_region="", ia_transition_days=3620, glacier_transition_days=3650)


@pytest.mark.parametrize(
    ("overrides", "field", "value", "fix"),
    [
        ({"ia_transition_days": 29}, "ia_transition_days", 29, "from 30 to 3620"),
        # Above 3620 no Glacier day would be accepted.
        (
            {"ia_transition_days": 3621, "glacier_transition_days": 3650},
            "ia_transition_days",
            3621,
            "by day 3650",
        ),
        ({"glacier_transition_days": 3651}, "glacier_transition_days", 3651, "from 60 to 3650"),
        (
            {"ia_transition_days": 60, "glacier_transition_days": 89},
            "glacier_transition_days",
            89,
            "at least 90",
        ),
        ({"noncurrent_expiration_days": 0}, "noncurrent_expiration_days", 0, "from 1 to 3650"),
        ({"log_expiration_days": 3651}, "log_expiration_days", 3651, "from 1 to 3650"),
        ({"cors_origins": ("*",)}, "cors_origins", "*", "no wildcard"),
        (
            {"cors_origins": ("https://*.example.com",)},
            "cors_origins",
            "https://*.example.com",
            "no wildcard",
        ),
        (
            {"cors_origins": ("https://app.example.com/",)},
            "cors_origins",
            "https://app.example.com/",
            "no path",
        ),
        (
            {"cors_origins": ("http://app.example.com",)},
            "cors_origins",
            "http://app.example.com",
            "localhost",
        ),
        ({"cors_origins": ("https://App.example.com",)}, "cors_origins", "https://App.example.com", "scheme"),
        ({"replication_region": "eu-central-1a"}, "replication_region", "eu-central-1a", "'eu-central-1'"),
        ({"replication_region": "mars"}, "replication_region", "mars", "or '' for none"),
        (
            {"media_public_path_pattern": "/media/*"},
            "media_public_path_pattern",
            "/media/*",
            "a folder under",
        ),
        (
            {"media_public_path_pattern": "/media/p*/*"},
            "media_public_path_pattern",
            "/media/p*/*",
            "no other",
        ),
        (
            {"media_public_path_pattern": "/static/*"},
            "media_public_path_pattern",
            "/static/*",
            "/media/public/*",
        ),
    ],
)
def test_each_storage_rule_refuses_naming_field_value_and_fix(
    overrides: dict[str, Any], field: str, value: Any, fix: str
) -> None:
    (problem,) = StorageConfig.problems({**VALID_STORAGE, **overrides})
    assert (problem.field, problem.value) == (field, value)
    assert fix in problem.fix, problem.fix
    with pytest.raises(ValueError, match=f"invalid StorageConfig: {field} "):
        storage_config(**overrides)


def test_an_out_of_range_ia_day_is_reported_once_not_again_against_glacier() -> None:
    found = StorageConfig.problems(
        {**VALID_STORAGE, "ia_transition_days": 5000, "glacier_transition_days": 200}
    )
    assert [problem.field for problem in found] == ["ia_transition_days"]


def test_every_bad_value_is_reported_at_once() -> None:
    found = StorageConfig.problems(
        {**VALID_STORAGE, "log_expiration_days": 0, "cors_origins": ("*", "ftp://x.example.com")}
    )
    assert [(p.field, p.value) for p in found] == [
        ("log_expiration_days", 0),
        ("cors_origins", "*"),
        ("cors_origins", "ftp://x.example.com"),
    ]


def test_a_bad_signing_key_is_refused_without_its_value() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0IG1hdGVyaWFs\n-----END RSA PRIVATE KEY-----"
    (problem,) = StorageConfig.problems({**VALID_STORAGE, "media_signing_public_key": pem})
    assert problem == Problem(field="media_signing_public_key", value=None, fix=problem.fix, shown=False)
    assert "private key" in problem.fix
    assert "c2VjcmV0IG1hdGVyaWFs" not in str(problem)
    with pytest.raises(ValueError) as refused:
        storage_config(media_signing_public_key=pem)
    assert "c2VjcmV0IG1hdGVyaWFs" not in str(refused.value)


def statements(document: str) -> list[dict[str, Any]]:
    parsed = json.loads(document)
    assert parsed["Version"] == "2012-10-17"
    return list(parsed["Statement"])


def refuses_plain_http_and_old_tls(found: list[dict[str, Any]], bucket: str) -> bool:
    denies = [s for s in found if s["Effect"] == "Deny"]
    conditions = [s["Condition"] for s in denies if s["Principal"] == "*" and s["Action"] == "s3:*"]
    covered = all(s["Resource"] == [bucket, f"{bucket}/*"] for s in denies)
    return (
        covered
        and {"Bool": {"aws:SecureTransport": "false"}} in conditions
        and {"NumericLessThan": {"s3:TlsVersion": "1.2"}} in conditions
    )


@pytest.mark.parametrize("distribution", [DISTRIBUTION, None])
def test_content_buckets_refuse_plain_http_and_tls_older_than_1_2(distribution: str | None) -> None:
    assert refuses_plain_http_and_old_tls(statements(content_bucket_policy(BUCKET, distribution)), BUCKET)


def test_content_buckets_admit_only_this_distribution_and_only_to_read() -> None:
    allows = [s for s in statements(content_bucket_policy(BUCKET, DISTRIBUTION)) if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "CloudFrontReadsThroughOriginAccessControl",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"{BUCKET}/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": DISTRIBUTION}},
        }
    ]


def test_without_a_distribution_a_content_bucket_admits_nobody() -> None:
    assert [s for s in statements(content_bucket_policy(BUCKET, None)) if s["Effect"] == "Allow"] == []


def test_the_log_bucket_admits_only_log_writers_for_this_account_under_their_prefixes() -> None:
    logs = "arn:aws:s3:::site-logs"
    found = statements(log_bucket_policy(logs, ACCOUNT, "eu-west-1", BUCKET))
    assert refuses_plain_http_and_old_tls(found, logs)
    allows = [s for s in found if s["Effect"] == "Allow"]
    writes = {s["Sid"]: s["Resource"] for s in allows if s["Action"] == "s3:PutObject"}
    assert writes == {
        "AlbAccessLogs": f"{logs}/alb/AWSLogs/{ACCOUNT}/*",
        "CloudFrontLogsThroughLogDelivery": f"{logs}/cloudfront/*",
        "MediaServerAccessLogs": f"{logs}/s3/media/*",
    }
    for statement in allows:
        # Nobody may read the logs through this policy, and service writers act for this account only.
        assert statement["Action"] in ("s3:PutObject", "s3:GetBucketAcl")
        if "Service" in statement["Principal"]:
            assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    media = next(s for s in allows if s["Sid"] == "MediaServerAccessLogs")
    assert media["Condition"]["ArnLike"] == {"aws:SourceArn": BUCKET}


def test_older_regions_admit_their_elb_account_for_alb_logs() -> None:
    found = statements(log_bucket_policy("arn:aws:s3:::logs", ACCOUNT, "eu-west-1"))
    alb = next(s for s in found if s["Sid"] == "AlbAccessLogs")
    assert alb["Principal"] == {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNTS['eu-west-1']}:root"}
    assert not any(s["Sid"] == "MediaServerAccessLogs" for s in found)


def test_replication_touches_only_the_two_buckets_and_uses_each_key_only_through_s3() -> None:
    replica = "arn:aws:s3:::site-media-replica"
    source_key = "arn:aws:kms:eu-west-1:123456789012:key/source"
    replica_key = "arn:aws:kms:eu-central-1:123456789012:key/replica"
    found = statements(
        replication_role_policy(BUCKET, replica, source_key, replica_key, "eu-west-1", "eu-central-1")
    )
    resources = {
        r for s in found for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    assert resources == {BUCKET, f"{BUCKET}/*", f"{replica}/*", source_key, replica_key}
    by_key = {s["Resource"]: s for s in found if s["Resource"] in (source_key, replica_key)}
    assert by_key[source_key]["Action"] == "kms:Decrypt"
    assert by_key[source_key]["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert by_key[replica_key]["Condition"]["StringEquals"] == {
        "kms:ViaService": "s3.eu-central-1.amazonaws.com"
    }
    assert all(s["Effect"] == "Allow" and "*" not in str(s["Action"]) for s in found)


def test_media_tiers_to_instant_retrieval_and_keeps_old_versions_for_the_configured_days() -> None:
    rules = {
        r["id"]: r
        for r in media_rules(
            ia_transition_days=30, glacier_transition_days=180, noncurrent_expiration_days=90
        )
    }
    transitions = rules["tier-current-versions"]["transitions"]
    assert [(t["days"], t["storage_class"]) for t in transitions] == [
        (30, "STANDARD_IA"),
        (180, "GLACIER_IR"),
    ]
    old = rules["expire-old-versions"]
    assert old["noncurrent_version_expiration"] == {"noncurrent_days": 90}
    # Current objects never expire: only delete markers without versions behind them are removed.
    assert old["expiration"] == {"expired_object_delete_marker": True}


def test_every_bucket_clears_incomplete_uploads_and_logs_expire() -> None:
    media = media_rules(ia_transition_days=30, glacier_transition_days=180, noncurrent_expiration_days=90)
    for rules in (media, log_rules(14), [abort_uploads_rule()]):
        assert any(r.get("abort_incomplete_multipart_upload") == {"days_after_initiation": 7} for r in rules)
        assert all(r["status"] == "Enabled" and r["filter"] == {"prefix": ""} for r in rules)
    assert log_rules(14)[0]["expiration"] == {"days": 14}
