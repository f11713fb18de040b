"""S3 for the platform: the media bucket (user uploads), the static bucket (collectstatic) and the
log bucket (ALB and CloudFront access logs), with optional cross-region replication of media.

Every bucket is private the same way: all four public-access-block flags, ACLs disabled
(BucketOwnerEnforced), default encryption, and a bucket policy that refuses plain HTTP and TLS
older than 1.2. Nothing is ever served from S3 directly: browsers upload with presigned URLs (CORS
below) and read through CloudFront, which the bucket policies admit once the distribution exists.
This component is the only owner of each bucket's policy, so the grants live in one place.

The distribution needs the buckets as origins, and the content buckets' policies (OAC grants pinned
to the distribution's ARN) and the media bucket's CORS rule (the site's origin) need the
distribution: the constructor creates the buckets and the log bucket's policy (the ALB waits for
it), and `serve_through`, called once the edge exists, the rest.

Private media (payment proofs, certificates) are downloaded only with CloudFront signed URLs or
cookies: given the signing public key, Storage registers it with CloudFront in a key group and
creates the empty secret the matching private key is kept in (docs/private-media.md). The edge
trusts the key group on `/media/*`; the web task reads the secret.

The policies and lifecycle rules are pure functions in `policies` and `lifecycle`; this module only
turns them into resources.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from .._base import merge_tags, service_trust_policy, type_token
from ..handles import Buckets
from .config import CORS_ALLOWED_HEADERS, MEDIA_ACCESS_LOG_PREFIX, MediaSigning, StorageArgs
from .lifecycle import abort_uploads_rule, log_rules, media_rules
from .policies import content_bucket_policy, log_bucket_policy, replication_role_policy


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

        media, media_guards = self._private_bucket(
            "media", kms_key_arn=args.stack.kms_key_arn, versioned=True
        )
        self._lifecycle("media", media, media_guards, self._media_rules())
        static, static_guards = self._private_bucket(
            "static", kms_key_arn=args.stack.kms_key_arn, versioned=False
        )
        self._lifecycle("static", static, static_guards, [abort_uploads_rule()])
        # What serve_through configures once the distribution exists.
        self._content = {"media": (media, media_guards), "static": (static, static_guards)}
        self._served = False

        # SSE-S3: ALB access logs cannot be written to an SSE-KMS bucket.
        logs, log_guards = self._private_bucket("logs", kms_key_arn=None, versioned=False)
        self._lifecycle(
            "logs",
            logs,
            log_guards,
            log_rules(args.config.log_expiration_days),
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

        if args.config.replication_region:
            self._replicate_media(media, media_guards, args.config.replication_region, account_id, region)

        signing_key = args.config.media_signing_public_key
        self.media_signing = self._media_signing(signing_key) if signing_key else None

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

    def serve_through(
        self, *, distribution_arn: pulumi.Input[str] | None, site_origin: pulumi.Input[str] | None = None
    ) -> None:
        """Admit the distribution to the media and static buckets, and let the site's pages upload.

        Call it once, right after the edge exists: until then the media and static buckets have no
        bucket policy, so not even the TLS-only rule. `distribution_arn`: the distribution allowed
        to read both buckets through OAC (None: a TLS-only policy that admits nobody).
        `site_origin`: the site's own origin (`https://host`), allowed to upload to the media bucket
        with presigned PUT/POST besides the configured `cors_origins` (None: only those; no CORS
        configuration at all when there are none)."""
        if self._served:
            raise ValueError(f"{self._name}: serve_through is called once; the bucket policies exist already")
        self._served = True
        distribution = pulumi.Output.from_input(distribution_arn if distribution_arn is not None else "")
        media, media_guards = self._content["media"]
        self._policy(
            "media",
            media,
            media_guards,
            pulumi.Output.all(media.arn, distribution).apply(
                lambda v: content_bucket_policy(v[0], v[1] or None)
            ),
        )
        cors_origins = [*self._args.config.cors_origins, *([site_origin] if site_origin is not None else [])]
        if cors_origins:
            aws.s3.BucketCorsConfiguration(
                f"{self._name}-media-cors",
                bucket=media.id,
                cors_rules=[
                    {
                        "id": "presigned-uploads",
                        "allowed_methods": ["PUT", "POST"],
                        "allowed_origins": cors_origins,
                        "allowed_headers": list(CORS_ALLOWED_HEADERS),
                        # Multipart uploads read each part's ETag to complete the upload.
                        "expose_headers": ["ETag"],
                        "max_age_seconds": 3000,
                    }
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=media_guards),
            )
        static, static_guards = self._content["static"]
        self._policy(
            "static",
            static,
            static_guards,
            pulumi.Output.all(static.arn, distribution).apply(
                lambda v: content_bucket_policy(v[0], v[1] or None)
            ),
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
            kms_key_id=args.stack.kms_key_arn,
            recovery_window_in_days=args.stack.secret_recovery_window_days,
            tags=merge_tags(args.stack.tags, Name=f"{name}-media-signing-private-key"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.stack.keep_data),
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
            force_destroy=not args.stack.keep_data,
            tags=merge_tags(args.stack.tags, Name=f"{name}-{role}", Role=role),
            region=region,
            opts=pulumi.ResourceOptions(parent=self, protect=args.stack.keep_data),
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

    def _media_rules(self) -> list[dict[str, Any]]:
        config = self._args.config
        return media_rules(
            ia_transition_days=config.ia_transition_days,
            glacier_transition_days=config.glacier_transition_days,
            noncurrent_expiration_days=config.noncurrent_expiration_days,
        )

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
            tags=merge_tags(args.stack.tags, Name=f"{name}-replica"),
            region=replica_region,
            opts=pulumi.ResourceOptions(parent=self, protect=args.stack.keep_data),
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
            tags=args.stack.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-replication-policy",
            role=role.id,
            policy=pulumi.Output.all(
                media.arn, replica.arn, args.stack.kms_key_arn, replica_key.arn, region
            ).apply(lambda v: replication_role_policy(v[0], v[1], v[2], v[3], v[4], replica_region)),
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

    @property
    def buckets(self) -> Buckets:
        """The buckets as the edge and the application need them."""
        return Buckets(
            media_name=self.media_bucket_name,
            media_arn=self.media_bucket_arn,
            media_regional_domain_name=self.media_bucket_regional_domain_name,
            static_name=self.static_bucket_name,
            static_regional_domain_name=self.static_bucket_regional_domain_name,
            log_name=self.log_bucket_name,
            media_signing=self.media_signing,
        )
