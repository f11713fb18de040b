"""What an operator sets for storage (`StorageConfig`, its one validator), the constants and
patterns its values are judged by, and the handle the edge and the web task take for signed media.

The leaf of the package: nothing from pulumi_aws and nothing above it, so `settings/` can map
keys onto the config and the edge's config can use `PUBLIC_MEDIA_PATTERN` and `MediaSigning`
without importing the component. The edge sits above storage (it serves storage's buckets), so the
public media pattern, which both judge, lives here and the edge imports it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..config_base import Problem, ValidatedConfig, between, collect
from ..handles import StackWide

ALB_LOG_PREFIX = "alb"
CLOUDFRONT_LOG_PREFIX = "cloudfront"
# S3 server access logs of the media bucket (direct browser uploads): who put or fetched what.
MEDIA_ACCESS_LOG_PREFIX = "s3/media/"
ABORT_INCOMPLETE_UPLOADS_DAYS = 7
REGION_PATTERN = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
# A browser origin as browsers send it: scheme and lower-case host (and port), no path, no wildcard.
HTTPS_ORIGIN = re.compile(rf"https://{_LABEL}(\.{_LABEL})+(:\d{{1,5}})?")
LOCAL_ORIGIN = re.compile(r"http://(localhost|127\.0\.0\.1)(:\d{1,5})?")
# Media objects are served at /media/*; only a folder inside it may be served unsigned.
PUBLIC_MEDIA_PATTERN = re.compile(r"^/media(/[A-Za-z0-9_.-]+)+/\*$")
# Our bounds on lifecycle days (ten years). S3 keeps an object 30 days in Standard-IA before it may
# move on, so the IA transition must leave room for the Glacier one within them.
MAX_LIFECYCLE_DAYS = 3650
IA_MINIMUM_DAYS = 30
IA_STAY_DAYS = 30
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
class StorageConfig(ValidatedConfig):
    """What an operator sets for storage."""

    ia_transition_days: int
    """Days after upload a media object moves to S3 Standard-IA (30 to 3620: S3's minimum, and room
    for the Glacier transition 30 days later within ten years)."""
    glacier_transition_days: int
    """Days after upload a media object moves to Glacier Instant Retrieval (60 to 3650, and at least
    `ia_transition_days` + 30: S3 keeps an object 30 days in Standard-IA before it may move on)."""
    noncurrent_expiration_days: int
    """Days an overwritten or deleted media version is kept (1 to 3650)."""
    log_expiration_days: int
    """Days ALB, CloudFront and media access logs are kept in the log bucket (1 to 3650)."""
    cors_origins: tuple[str, ...]
    """Browser origins allowed to upload to the media bucket with presigned PUT/POST, besides the
    site's own: `https://host[:port]`, or `http://localhost[:port]` / `http://127.0.0.1[:port]`."""
    replication_region: str
    """Region the media bucket is replicated to; '' for no replication. Another region than the
    stack's own (settings/ checks that, knowing the stack's region)."""
    media_signing_public_key: str | None
    """PEM RSA 2048 public key that signs private media URLs. Given: a CloudFront public key and key
    group (`Storage.media_signing`) and an empty secret for the private key. None: no signing, and
    the edge serves no private media."""
    media_public_path_pattern: str
    """The folder under /media/ served without a signature, as a CloudFront path pattern ending in
    '/*' (the edge's behavior for it; everything else under /media/ needs a signature)."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        ia, glacier = values["ia_transition_days"], values["glacier_transition_days"]
        room = "Glacier Instant Retrieval follows at least 30 days later, by day 3650"
        found = collect(
            between("ia_transition_days", ia, IA_MINIMUM_DAYS, MAX_LIFECYCLE_DAYS - IA_STAY_DAYS, room),
            between("glacier_transition_days", glacier, IA_MINIMUM_DAYS + IA_STAY_DAYS, MAX_LIFECYCLE_DAYS),
        )
        # Judged once both are in range: a refused IA value is reported for itself, not again here.
        if not found and glacier < ia + IA_STAY_DAYS:
            found.append(
                Problem(
                    field="glacier_transition_days",
                    value=glacier,
                    # Worded without field or key names: it reads the same in a settings report
                    # (keyed by config key) and in the config's own ValueError.
                    fix=f"expected at least {ia + IA_STAY_DAYS}, {IA_STAY_DAYS} days after the Standard-IA "
                    f"transition (day {ia}): S3 keeps an object {IA_STAY_DAYS} days in Standard-IA before "
                    "it may move on",
                )
            )
        found += collect(
            between(
                "noncurrent_expiration_days", values["noncurrent_expiration_days"], 1, MAX_LIFECYCLE_DAYS
            ),
            between("log_expiration_days", values["log_expiration_days"], 1, MAX_LIFECYCLE_DAYS),
        )
        found += [
            Problem(
                field="cors_origins",
                value=origin,
                fix="expected origins such as 'https://app.example.com' (scheme and host, no path, no "
                "wildcard), or 'http://localhost:8000' outside production",
            )
            for origin in values["cors_origins"]
            if not (HTTPS_ORIGIN.fullmatch(origin) or LOCAL_ORIGIN.fullmatch(origin))
        ]
        region = values["replication_region"]
        if region and not REGION_PATTERN.fullmatch(region):
            found.append(
                Problem(
                    field="replication_region",
                    value=region,
                    fix="expected an AWS region, e.g. 'eu-central-1', or '' for none",
                )
            )
        key = values["media_signing_public_key"]
        if key is not None and (problem := media_signing_key_problem(key)):
            # Never echoed: a private key pasted here by mistake must not reach a terminal or a log.
            found.append(Problem(field="media_signing_public_key", value=None, fix=problem, shown=False))
        pattern = values["media_public_path_pattern"]
        if not PUBLIC_MEDIA_PATTERN.fullmatch(pattern):
            found.append(
                Problem(
                    field="media_public_path_pattern",
                    value=pattern,
                    fix="expected a folder under /media/ ending in '/*', e.g. '/media/public/*' (letters, "
                    "digits, '_', '-', '.'; no other wildcards)",
                )
            )
        return found


@dataclass(frozen=True, kw_only=True)
class StorageArgs:
    config: StorageConfig
    """What the operator set. Required."""
    stack: StackWide
    """The stack's shared values: its KMS key for SSE-KMS on the media and static buckets and the
    signing-key secret; with `keep_data`, Pulumi `protect` on the buckets and no `force_destroy`, so
    objects survive `pulumi destroy`, and the longest recovery window for a deleted signing-key
    secret; `tags`. Required."""
