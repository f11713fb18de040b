"""S3: encryption and public access blocks correlated to buckets, ACLs, bucket policies."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi_aws as aws
import pytest

from platform_guard import BY_NAME
from tests.fixtures import Build
from tests.policy_harness import UNKNOWN, Res, check_resource, check_stack, engine_props

ENCRYPTED = BY_NAME["s3-bucket-encrypted"]
BLOCKED = BY_NAME["s3-public-access-block"]
ACL_RULE = BY_NAME["s3-no-public-acl"]
POLICY_RULE = BY_NAME["s3-policy-no-public-principal"]

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SSE_V2 = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ALL_BLOCKED = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}


def sse(algorithm: str) -> dict[str, object]:
    return {
        "rules": [
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}, "bucketKeyEnabled": True}
        ]
    }


@pytest.mark.parametrize(("bucket_type", "sse_type"), [(BUCKET, SSE), (BUCKET_V2, SSE_V2), (BUCKET, SSE_V2)])
@pytest.mark.parametrize("algorithm", ["aws:kms", "aws:kms:dsse", "AES256"])
def test_old_and_new_tokens_and_sse_s3_count_as_encrypted(
    bucket_type: str, sse_type: str, algorithm: str
) -> None:
    resources = [
        Res("logs", bucket_type, {"bucket": "logs-bucket"}),
        Res("logs-sse", sse_type, {"bucket": "logs-bucket", **sse(algorithm)}, deps={"bucket": ["logs"]}),
    ]
    assert check_stack(ENCRYPTED, resources).passed


def test_an_unknown_algorithm_is_reported_on_the_configuration() -> None:
    resources = [
        Res("media", BUCKET, {}),
        Res("media-sse", SSE, {"bucket": UNKNOWN, **sse("DES")}, deps={"bucket": ["media"]}),
    ]
    outcome = check_stack(ENCRYPTED, resources)
    assert outcome.urns == [Res("media-sse", SSE).urn]


def test_configuration_of_another_bucket_does_not_count() -> None:
    resources = [
        Res("media", BUCKET, {"bucket": "media-bucket"}),
        Res("static", BUCKET, {"bucket": "static-bucket"}),
        Res("static-sse", SSE, {"bucket": "static-bucket", **sse("aws:kms")}, deps={"bucket": ["static"]}),
    ]
    outcome = check_stack(ENCRYPTED, resources)
    assert outcome.urns == [Res("media", BUCKET).urn]


def test_buckets_are_matched_by_name_when_no_dependency_is_recorded() -> None:
    resources = [
        Res("media", BUCKET, {"bucket": "media-bucket"}),
        Res("media-sse", SSE, {"bucket": "media-bucket", **sse("aws:kms")}),
    ]
    assert check_stack(ENCRYPTED, resources).passed


def test_inline_encryption_of_the_older_forms_counts() -> None:
    inline = {
        "serverSideEncryptionConfiguration": {
            "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
        }
    }
    assert check_stack(ENCRYPTED, [Res("old", BUCKET, inline)]).passed
    inline_v2 = {
        "serverSideEncryptionConfigurations": [
            {"rules": [{"applyServerSideEncryptionByDefaults": [{"sseAlgorithm": "aws:kms"}]}]}
        ]
    }
    assert check_stack(ENCRYPTED, [Res("old", BUCKET_V2, inline_v2)]).passed


def test_bucket_without_configuration_whose_inline_value_is_unknown_is_not_judged() -> None:
    outcome = check_stack(ENCRYPTED, [Res("media", BUCKET, {"serverSideEncryptionConfiguration": UNKNOWN})])
    assert not outcome.violations and outcome.not_judged


def test_every_bucket_needs_its_own_public_access_block() -> None:
    resources = [
        Res("media", BUCKET_V2, {}),
        Res("static", BUCKET, {}),
        Res("media-pab", PAB, {"bucket": UNKNOWN, **ALL_BLOCKED}, deps={"bucket": ["media"]}),
    ]
    outcome = check_stack(BLOCKED, resources)
    assert outcome.urns == [Res("static", BUCKET).urn]
    assert "has no public access block" in outcome.messages[0]


def test_an_account_wide_block_covers_every_bucket() -> None:
    resources = [
        Res("media", BUCKET, {}),
        Res("account", "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", dict(ALL_BLOCKED)),
    ]
    assert check_stack(BLOCKED, resources).passed


def test_unknown_block_flags_are_not_judged_yet() -> None:
    resources = [
        Res("media", BUCKET, {}),
        Res("media-pab", PAB, {**ALL_BLOCKED, "blockPublicPolicy": UNKNOWN}, deps={"bucket": ["media"]}),
    ]
    outcome = check_stack(BLOCKED, resources)
    assert not outcome.violations and outcome.not_judged and "blockPublicPolicy" in outcome.not_judged


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (BUCKET, {"acl": "public-read-write"}),
        (BUCKET_V2, {"acl": "authenticated-read"}),
        (
            BUCKET,
            {
                "grants": [
                    {
                        "type": "Group",
                        "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                        "permissions": ["READ"],
                    }
                ]
            },
        ),
        (
            "aws:s3/bucketAclV2:BucketAclV2",
            {
                "bucket": "b",
                "accessControlPolicy": {
                    "owner": {"id": "owner"},
                    "grants": [
                        {
                            "grantee": {
                                "type": "Group",
                                "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                            },
                            "permission": "READ",
                        }
                    ],
                },
            },
        ),
        ("aws:s3/bucketObjectv2:BucketObjectv2", {"bucket": "b", "key": "a.jpg", "acl": "public-read"}),
    ],
)
def test_public_acls_in_every_place(type_: str, props: dict[str, object]) -> None:
    assert len(check_resource(ACL_RULE, type_, props).violations) == 1


def test_log_delivery_and_private_acls_pass() -> None:
    assert check_resource(ACL_RULE, "aws:s3/bucketAcl:BucketAcl", {"acl": "log-delivery-write"}).passed
    assert check_resource(ACL_RULE, BUCKET, {"acl": "private"}).passed


def policy(statement: Mapping[str, object]) -> dict[str, object]:
    return {"bucket": "b", "policy": json.dumps({"Version": "2012-10-17", "Statement": statement})}


@pytest.mark.parametrize(
    "statement",
    [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]},
            "Action": "s3:*",
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "NotPrincipal": {"AWS": "arn:aws:iam::1:root"},
            "Action": "s3:GetObject",
            "Resource": "*",
        },
        # A condition anyone satisfies does not pin the caller.
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        },
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::*"}},
        },
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
        },
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
        },
    ],
)
def test_wildcard_principals_without_a_pinning_condition_are_public(statement: dict[str, object]) -> None:
    assert (
        len(check_resource(POLICY_RULE, "aws:s3/bucketPolicy:BucketPolicy", policy(statement)).violations)
        == 1
    )


@pytest.mark.parametrize(
    "statement",
    [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}},
        },
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"},
    ],
)
def test_pinned_wildcards_denies_and_service_principals_pass(statement: dict[str, object]) -> None:
    assert check_resource(POLICY_RULE, "aws:s3/bucketPolicy:BucketPolicy", policy(statement)).passed


def test_inline_bucket_policy_is_checked_too() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    assert check_resource(POLICY_RULE, BUCKET_V2, policy(statement)).violations


def test_unknown_policy_document_is_not_judged_yet() -> None:
    outcome = check_resource(
        POLICY_RULE, "aws:s3/bucketPolicy:BucketPolicy", {"bucket": "b", "policy": UNKNOWN}
    )
    assert (
        not outcome.violations and outcome.not_judged and "policy cannot be judged yet" in outcome.not_judged
    )


def test_real_bucket_policy_registration_with_cloudfront_oac(
    build: Build,
) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::media/*",
                "Condition": {
                    "StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}
                },
            }
        ],
    }
    registered = build(
        lambda: aws.s3.BucketPolicy("media-policy", bucket="media", policy=json.dumps(document))
    )
    props = engine_props(registered.named("media-policy"))
    assert isinstance(props["policy"], str)  # the engine sends the document as a JSON string
    assert check_resource(POLICY_RULE, "aws:s3/bucketPolicy:BucketPolicy", props).passed
