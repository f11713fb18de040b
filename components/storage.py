"""S3 for the platform: the media bucket (user uploads), the static bucket (collectstatic) and the
log bucket (ALB and CloudFront access logs), with optional cross-region replication of media.

Every bucket is private the same way: all four public-access-block flags, ACLs disabled
(BucketOwnerEnforced), default encryption, and a bucket policy that refuses plain HTTP and TLS
older than 1.2. Nothing is ever served from S3 directly: browsers upload with presigned URLs (CORS
below) and read through CloudFront, which the bucket policies admit once the distribution exists.
This component is the only owner of each bucket's policy, so the grants live in one place.

Private media (payment proofs, certificates) are downloaded only with CloudFront signed URLs or
cookies: given the signing public key, Storage registers it with CloudFront in a key group and
creates the empty secret the matching private key is kept in (docs/private-media.md). The edge
trusts the key group on `/media/*`; the web task reads the secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ._base import merge_tags, service_trust_policy, type_token

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
ALB_LOG_PREFIX = "alb"
CLOUDFRONT_LOG_PREFIX = "cloudfront"
# S3 server access logs of the media bucket (direct browser uploads): who put or fetched what.
MEDIA_ACCESS_LOG_PREFIX = "s3/media/"
ABORT_INCOMPLETE_UPLOADS_DAYS = 7
REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
# Browsers send these with presigned PUT/POST uploads; x-amz-* covers the checksum headers that
# current SDKs add. Nothing else is needed, so nothing else is allowed.
CORS_ALLOWED_HEADERS = ("content-type", "content-md5", "content-disposition", "x-amz-*")
# CloudFront verifies signed URLs and cookies with RSA 2048 or ECDSA P-256 keys; django-storages
# (and botocore's CloudFrontSigner recipe) sign with RSA only, so RSA 2048 it is.
MEDIA_SIGNING_KEY_BITS = 2048


def media_signing_key_problem(pem: str) -> str | None:
    """What is wrong with a CloudFront signing public key (PEM), or None. Never quotes the value:
    a private key pasted by mistake must not end up in an error message or a log."""
    if "PRIVATE KEY" in pem:
        return (
            "is a private key (value not shown): give the public half only "
            "(`openssl rsa -in private_key.pem -pubout`), and put the private key in the secret"
        )
    text = pem.strip()
    if not (text.startswith("-----BEGIN PUBLIC KEY-----") and text.endswith("-----END PUBLIC KEY-----")):
        return (
            "is not a PEM public key (value not shown): expected '-----BEGIN PUBLIC KEY-----' ... "
            "'-----END PUBLIC KEY-----' (SubjectPublicKeyInfo, as `openssl rsa -pubout` writes it)"
        )
    try:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return (
            "does not parse as a PEM public key (value not shown): regenerate it with `openssl rsa -pubout`"
        )
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size != MEDIA_SIGNING_KEY_BITS:
        size = key.key_size if isinstance(key, rsa.RSAPublicKey) else None
        kind = f"an RSA {size}-bit key" if size else f"a {type(key).__name__.lstrip('_')}"
        return (
            f"is {kind}: CloudFront signed URLs here need RSA {MEDIA_SIGNING_KEY_BITS} "
            f"(`openssl genrsa -out private_key.pem {MEDIA_SIGNING_KEY_BITS}`)"
        )
    return None


@dataclass(frozen=True)
class MediaSigning:
    """Handle for signing private media: what the edge trusts and what the web task signs with."""

    key_group_id: pulumi.Output[str]
    """CloudFront key group to put in `trusted_key_groups` of the private media behavior."""
    public_key_id: pulumi.Output[str]
    """CloudFront's id of the public key: the `Key-Pair-Id` of every signed URL or cookie."""
    private_key_secret_arn: pulumi.Output[str]
    """Secrets Manager secret holding the private key (PEM); created empty, filled by an operator."""
    private_key_secret_name: pulumi.Output[str]
    """That secret's name, known in a preview (its ARN ends in characters AWS adds at creation)."""


@dataclass(frozen=True)
class StorageArgs:
    kms_key_arn: pulumi.Input[str]
    """Stack KMS key for SSE-KMS on the media and static buckets. Required."""
    cors_allowed_origins: Sequence[pulumi.Input[str]] = ()
    """Origins allowed to upload to the media bucket with presigned PUT/POST (`https://host`).
    Default: none (no CORS configuration, so browsers cannot upload directly)."""
    cloudfront_distribution_arn: pulumi.Input[str] | None = None
    """Distribution allowed to read the media and static buckets through OAC. Default: None (no grant)."""
    ia_transition_days: int = 30
    """Days before a media object moves to Standard-IA (at least 30). Default: 30."""
    glacier_transition_days: int = 180
    """Days before a media object moves to Glacier Instant Retrieval (IA days + 30 or more). Default: 180."""
    noncurrent_expiration_days: int = 90
    """Days an overwritten or deleted media version is kept. Default: 90."""
    log_expiration_days: int = 90
    """Days access logs are kept in the log bucket. Default: 90."""
    replication_region: str | None = None
    """Region to replicate the media bucket to, or None for no replication. Default: None."""
    keep_data: bool = False
    """Pulumi `protect` on the buckets and no `force_destroy`, so objects survive `pulumi destroy`. Default: False."""
    media_signing_public_key: str | None = None
    """PEM RSA 2048 public key that signs private media URLs. Given: a CloudFront public key and key
    group (`media_signing`) and an empty secret for the private key. Default: None (no signing; the
    edge then serves no private media, see EdgeArgs.media_signing)."""
    secret_recovery_window_days: int = 7
    """Days a deleted signing-key secret stays recoverable (7 to 30). Default: 7."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags merged into every taggable child. Default: none."""

    def __post_init__(self) -> None:
        if self.media_signing_public_key is not None and (
            problem := media_signing_key_problem(self.media_signing_public_key)
        ):
            raise ValueError(f"media_signing_public_key {problem}")
        if not 7 <= self.secret_recovery_window_days <= 30:
            raise ValueError(f"secret_recovery_window_days {self.secret_recovery_window_days}: use 7 to 30")
        if self.ia_transition_days < 30:
            raise ValueError(f"ia_transition_days {self.ia_transition_days}: S3 needs at least 30")
        if self.glacier_transition_days < self.ia_transition_days + 30:
            raise ValueError(
                f"glacier_transition_days {self.glacier_transition_days}: use at least "
                f"ia_transition_days + 30 ({self.ia_transition_days + 30})"
            )
        for name in ("noncurrent_expiration_days", "log_expiration_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} {getattr(self, name)}: use 1 or more days")
        for origin in self.cors_allowed_origins:
            if isinstance(origin, str) and (
                "*" in origin or not origin.startswith(("https://", "http://localhost", "http://127.0.0.1"))
            ):
                raise ValueError(
                    f"cors_allowed_origins entry {origin!r}: give exact https origins such as "
                    "'https://app.example.com' (local http origins only for development)"
                )
        if self.replication_region is not None and not REGION_PATTERN.match(self.replication_region):
            raise ValueError(
                f"replication_region {self.replication_region!r}: give a region such as 'eu-central-1', or None"
            )


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


class Storage(pulumi.ComponentResource):
    media_bucket_name: pulumi.Output[str]
    media_bucket_arn: pulumi.Output[str]
    media_bucket_regional_domain_name: pulumi.Output[str]
    static_bucket_name: pulumi.Output[str]
    static_bucket_arn: pulumi.Output[str]
    static_bucket_regional_domain_name: pulumi.Output[str]
    log_bucket_name: pulumi.Output[str]
    log_bucket_arn: pulumi.Output[str]
    log_bucket_domain_name: pulumi.Output[str]
    log_bucket_policy: aws.s3.BucketPolicy
    """The log bucket's policy, for resources that must not exist before log delivery is allowed."""
    media_signing: MediaSigning | None
    """Key group, key id and private-key secret for signed media URLs; None without a public key."""

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("storage", "Storage"), name, None, opts)
        self._name = name
        self._args = args
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        distribution_arn = (
            pulumi.Output.from_input(args.cloudfront_distribution_arn)
            if args.cloudfront_distribution_arn is not None
            else pulumi.Output.from_input("")
        )

        media, media_guards = self._private_bucket("media", kms_key_arn=args.kms_key_arn, versioned=True)
        self._lifecycle("media", media, media_guards, self._media_rules())
        self._policy(
            "media",
            media,
            media_guards,
            pulumi.Output.all(media.arn, distribution_arn).apply(
                lambda v: content_bucket_policy(v[0], v[1] or None)
            ),
        )
        if args.cors_allowed_origins:
            aws.s3.BucketCorsConfiguration(
                f"{name}-media-cors",
                bucket=media.id,
                cors_rules=[
                    {
                        "id": "presigned-uploads",
                        "allowed_methods": ["PUT", "POST"],
                        "allowed_origins": list(args.cors_allowed_origins),
                        "allowed_headers": list(CORS_ALLOWED_HEADERS),
                        # Multipart uploads read each part's ETag to complete the upload.
                        "expose_headers": ["ETag"],
                        "max_age_seconds": 3000,
                    }
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=media_guards),
            )

        static, static_guards = self._private_bucket("static", kms_key_arn=args.kms_key_arn, versioned=False)
        self._lifecycle("static", static, static_guards, [self._abort_uploads_rule()])
        self._policy(
            "static",
            static,
            static_guards,
            pulumi.Output.all(static.arn, distribution_arn).apply(
                lambda v: content_bucket_policy(v[0], v[1] or None)
            ),
        )

        # SSE-S3: ALB access logs cannot be written to an SSE-KMS bucket.
        logs, log_guards = self._private_bucket("logs", kms_key_arn=None, versioned=False)
        self._lifecycle(
            "logs",
            logs,
            log_guards,
            [
                {
                    "id": "expire-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.log_expiration_days},
                    "abort_incomplete_multipart_upload": {
                        "days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS
                    },
                }
            ],
        )
        self.log_bucket_policy = self._policy(
            "logs",
            logs,
            log_guards,
            pulumi.Output.all(logs.arn, account_id, region, media.arn).apply(lambda v: log_bucket_policy(*v)),
        )
        aws.s3.BucketLogging(
            f"{name}-media-access-logs",
            bucket=media.id,
            target_bucket=logs.id,
            target_prefix=MEDIA_ACCESS_LOG_PREFIX,
            # S3 checks that it may write to the target when logging is configured.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*media_guards, self.log_bucket_policy]),
        )

        if args.replication_region:
            self._replicate_media(media, media_guards, args.replication_region, account_id, region)

        self.media_signing = (
            self._media_signing(args.media_signing_public_key) if args.media_signing_public_key else None
        )

        self.media_bucket_name = media.bucket
        self.media_bucket_arn = media.arn
        self.media_bucket_regional_domain_name = media.bucket_regional_domain_name
        self.static_bucket_name = static.bucket
        self.static_bucket_arn = static.arn
        self.static_bucket_regional_domain_name = static.bucket_regional_domain_name
        self.log_bucket_name = logs.bucket
        self.log_bucket_arn = logs.arn
        self.log_bucket_domain_name = logs.bucket_domain_name
        signing = self.media_signing
        self.register_outputs(
            {
                "media_bucket_name": self.media_bucket_name,
                "media_bucket_arn": self.media_bucket_arn,
                "media_bucket_regional_domain_name": self.media_bucket_regional_domain_name,
                "static_bucket_name": self.static_bucket_name,
                "static_bucket_arn": self.static_bucket_arn,
                "static_bucket_regional_domain_name": self.static_bucket_regional_domain_name,
                "log_bucket_name": self.log_bucket_name,
                "log_bucket_arn": self.log_bucket_arn,
                "log_bucket_domain_name": self.log_bucket_domain_name,
                "media_signing_key_group_id": signing.key_group_id if signing else None,
                "media_signing_public_key_id": signing.public_key_id if signing else None,
                "media_signing_secret_arn": signing.private_key_secret_arn if signing else None,
            }
        )

    def _media_signing(self, public_key: str) -> MediaSigning:
        """The CloudFront public key and key group, and the secret the private key lives in.

        The secret is created empty, like the database's master secret: the private key never passes
        through Pulumi's config or state. An operator generates the pair and puts the private half
        with `aws secretsmanager put-secret-value` (docs/private-media.md). CloudFront public keys and
        key groups take no tags."""
        name, args = self._name, self._args
        child = pulumi.ResourceOptions(parent=self)
        key = aws.cloudfront.PublicKey(
            f"{name}-media-signing-key",
            comment="Verifies signed URLs and cookies for private media",
            # With no trailing newline the stored key reads back different and every plan shows a
            # diff (terraform-provider-aws#20081); a key read from a file has one, config may not.
            encoded_key=public_key.strip() + "\n",
            opts=child,
        )
        group = aws.cloudfront.KeyGroup(
            f"{name}-media-signers",
            comment="Keys trusted to sign private media URLs",
            items=[key.id],
            opts=child,
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-media-signing-private-key",
            description=(
                "PEM private key that signs CloudFront URLs for private media (read by the web task only; "
                "set after the first deploy)"
            ),
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=args.secret_recovery_window_days,
            tags=merge_tags(args.tags, Name=f"{name}-media-signing-private-key"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.keep_data),
        )
        return MediaSigning(
            key_group_id=group.id,
            public_key_id=key.id,
            private_key_secret_arn=secret.arn,
            private_key_secret_name=secret.name,
        )

    def _private_bucket(
        self,
        role: str,
        *,
        kms_key_arn: pulumi.Input[str] | None,
        versioned: bool,
        region: str | None = None,
    ) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
        """A bucket with the guards every bucket here has; returns it and the guard resources that
        later configuration waits for (S3 refuses concurrent changes to one bucket)."""
        name, args = self._name, self._args
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-{role}",
            force_destroy=not args.keep_data,
            tags=merge_tags(args.tags, Name=f"{name}-{role}", Role=role),
            region=region,
            opts=pulumi.ResourceOptions(parent=self, protect=args.keep_data),
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-{role}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            region=region,
            opts=child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-{role}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        default_encryption = (
            {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn}
            if kms_key_arn is not None
            else {"sse_algorithm": "AES256"}
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-{role}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": default_encryption,
                    # One data key per bucket instead of a KMS call per object: far fewer KMS requests.
                    "bucket_key_enabled": kms_key_arn is not None,
                }
            ],
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ownership]),
        )
        guards: list[pulumi.Resource] = [block, ownership, encryption]
        if versioned:
            guards.append(
                aws.s3.BucketVersioning(
                    f"{name}-{role}-versioning",
                    bucket=bucket.id,
                    versioning_configuration={"status": "Enabled"},
                    region=region,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[encryption]),
                )
            )
        return bucket, guards

    def _policy(
        self,
        role: str,
        bucket: aws.s3.Bucket,
        guards: list[pulumi.Resource],
        policy: pulumi.Input[str],
        region: str | None = None,
    ) -> aws.s3.BucketPolicy:
        return aws.s3.BucketPolicy(
            f"{self._name}-{role}-policy",
            bucket=bucket.id,
            policy=policy,
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=guards),
        )

    def _lifecycle(
        self,
        role: str,
        bucket: aws.s3.Bucket,
        guards: list[pulumi.Resource],
        rules: list[dict[str, Any]],
        region: str | None = None,
    ) -> aws.s3.BucketLifecycleConfiguration:
        return aws.s3.BucketLifecycleConfiguration(
            f"{self._name}-{role}-lifecycle",
            bucket=bucket.id,
            rules=rules,
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=guards),
        )

    @staticmethod
    def _abort_uploads_rule() -> dict[str, Any]:
        return {
            "id": "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS},
        }

    def _media_rules(self) -> list[dict[str, Any]]:
        args = self._args
        return [
            {
                "id": "tier-current-versions",
                "status": "Enabled",
                "filter": {"prefix": ""},
                # Glacier Instant Retrieval, not Flexible Retrieval: an old flyer or certificate must
                # still open on a GET through CloudFront, without a restore request.
                "transitions": [
                    {"days": args.ia_transition_days, "storage_class": "STANDARD_IA"},
                    {"days": args.glacier_transition_days, "storage_class": "GLACIER_IR"},
                ],
            },
            {
                "id": "expire-old-versions",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_expiration_days},
                "expiration": {"expired_object_delete_marker": True},
                "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS},
            },
        ]

    def _replicate_media(
        self,
        media: aws.s3.Bucket,
        media_guards: list[pulumi.Resource],
        replica_region: str,
        account_id: pulumi.Output[str],
        region: pulumi.Output[str],
    ) -> None:
        name, args = self._name, self._args
        # pulumi-aws 7 places a resource in another region with its `region` argument. A second
        # provider would do the same but would not inherit the stack's aws:* config (profile,
        # assumed role), so replication would be set up with other credentials than the rest.
        # A KMS key is regional: the replicas are encrypted with a key of their own region.
        replica_key = aws.kms.Key(
            f"{name}-replica-key",
            description=f"{name} media replicas",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=merge_tags(args.tags, Name=f"{name}-replica"),
            region=replica_region,
            opts=pulumi.ResourceOptions(parent=self, protect=args.keep_data),
        )
        replica, replica_guards = self._private_bucket(
            "media-replica", kms_key_arn=replica_key.arn, versioned=True, region=replica_region
        )
        self._lifecycle("media-replica", replica, replica_guards, self._media_rules(), region=replica_region)
        self._policy(
            "media-replica",
            replica,
            replica_guards,
            replica.arn.apply(lambda arn: content_bucket_policy(arn, None)),
            region=replica_region,
        )

        role = aws.iam.Role(
            f"{name}-replication-role",
            description="S3 replication of the media bucket",
            assume_role_policy=account_id.apply(
                lambda account: service_trust_policy(
                    "s3.amazonaws.com", {"StringEquals": {"aws:SourceAccount": account}}
                )
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-replication-policy",
            role=role.id,
            policy=pulumi.Output.all(media.arn, replica.arn, args.kms_key_arn, replica_key.arn, region).apply(
                lambda v: replication_role_policy(v[0], v[1], v[2], v[3], v[4], replica_region)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketReplicationConfig(
            f"{name}-media-replication",
            bucket=media.id,
            role=role.arn,
            rules=[
                {
                    "id": f"media-to-{replica_region}",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "delete_marker_replication": {"status": "Enabled"},
                    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                    "destination": {
                        "bucket": replica.arn,
                        "encryption_configuration": {"replica_kms_key_id": replica_key.arn},
                    },
                }
            ],
            # Replication needs versioning on both sides, and the role's policy in place.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*media_guards, *replica_guards, policy]),
        )
