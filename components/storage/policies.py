"""The storage tier's IAM documents, as pure functions of ARNs, account and region: the bucket
policies (TLS only; reads by one CloudFront distribution; log delivery by the services that write
logs, on behalf of this account) and the replication role's policy."""

from __future__ import annotations

import json
from typing import Any

from .config import ALB_LOG_PREFIX, CLOUDFRONT_LOG_PREFIX, MEDIA_ACCESS_LOG_PREFIX

# Regions opened before August 2022 deliver ALB access logs from a regional Elastic Load Balancing
# account; newer ones from the `logdelivery.elasticloadbalancing.amazonaws.com` service principal.
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-south-1": "718504428378",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-north-1": "897822967062",
    "eu-south-1": "635631232127",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}


def _tls_only(bucket_arn: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _tls_12(bucket_arn: str) -> dict[str, Any]:
    return {
        "Sid": "DenyTlsOlderThan12",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
    }


def content_bucket_policy(bucket_arn: str, distribution_arn: str | None) -> str:
    """Media and static buckets: TLS only, and reads by exactly one CloudFront distribution (OAC)."""
    statements = [_tls_only(bucket_arn), _tls_12(bucket_arn)]
    if distribution_arn:
        statements.append(
            {
                "Sid": "CloudFrontReadsThroughOriginAccessControl",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def log_bucket_policy(
    bucket_arn: str, account_id: str, region: str, media_bucket_arn: str | None = None
) -> str:
    """Log bucket: TLS only; ALB access logs under `alb/`; CloudWatch Logs delivery (CloudFront
    standard logging v2) under `cloudfront/`, only on behalf of this account; and, given
    `media_bucket_arn`, that bucket's S3 server access logs under `s3/media/` (the logging service
    writes them; with ACLs disabled only a bucket policy can admit it)."""
    elb_account = ELB_LOG_ACCOUNTS.get(region)
    alb_principal = (
        {"AWS": f"arn:aws:iam::{elb_account}:root"}
        if elb_account
        else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    )
    delivery_conditions = {
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:*:{account_id}:delivery-source:*"},
    }
    statements = [
        _tls_only(bucket_arn),
        _tls_12(bucket_arn),
        {
            "Sid": "AlbAccessLogs",
            "Effect": "Allow",
            "Principal": alb_principal,
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{ALB_LOG_PREFIX}/AWSLogs/{account_id}/*",
        },
        {
            "Sid": "CloudFrontLogsThroughLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{CLOUDFRONT_LOG_PREFIX}/*",
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceAccount": account_id,
                },
                "ArnLike": delivery_conditions["ArnLike"],
            },
        },
        {
            "Sid": "LogDeliveryChecksBucketAcl",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": delivery_conditions,
        },
    ]
    if media_bucket_arn:
        statements.append(
            {
                "Sid": "MediaServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{MEDIA_ACCESS_LOG_PREFIX}*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": media_bucket_arn},
                },
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def replication_role_policy(
    source_arn: str,
    replica_arn: str,
    source_key_arn: str,
    replica_key_arn: str,
    source_region: str,
    replica_region: str,
) -> str:
    """What S3 replication needs, on exactly the two buckets and the two keys."""

    def s3_context(bucket_arn: str) -> dict[str, Any]:
        # With S3 Bucket Keys the encryption context is the bucket ARN, otherwise the object ARN.
        return {"StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]}}

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadReplicationConfiguration",
                    "Effect": "Allow",
                    "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                    "Resource": source_arn,
                },
                {
                    "Sid": "ReadSourceVersions",
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionTagging",
                    ],
                    "Resource": f"{source_arn}/*",
                },
                {
                    "Sid": "WriteReplicas",
                    "Effect": "Allow",
                    "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                    "Resource": f"{replica_arn}/*",
                },
                {
                    "Sid": "DecryptSourceObjects",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": source_key_arn,
                    "Condition": {
                        "StringEquals": {"kms:ViaService": f"s3.{source_region}.amazonaws.com"},
                        **s3_context(source_arn),
                    },
                },
                {
                    "Sid": "EncryptReplicas",
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                    "Resource": replica_key_arn,
                    "Condition": {
                        "StringEquals": {"kms:ViaService": f"s3.{replica_region}.amazonaws.com"},
                        **s3_context(replica_arn),
                    },
                },
            ],
        }
    )
