"""What an operator sets for storage, its one validator, the signing-key check and the handle the
edge and the web task take for signed media.

The leaf of the package: nothing from pulumi_aws, so `settings.py` can check the signing key (and
the edge's config can name `MediaSigning`) without importing the component.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
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
