"""The buckets' lifecycle rules, as data: what is tiered, what expires, and when."""

from __future__ import annotations

from typing import Any

from .config import ABORT_INCOMPLETE_UPLOADS_DAYS

ABORT_UPLOADS = {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS}


def abort_uploads_rule() -> dict[str, Any]:
    """Incomplete multipart uploads are removed (their parts are billed until then)."""
    return {
        "id": "abort-incomplete-uploads",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "abort_incomplete_multipart_upload": dict(ABORT_UPLOADS),
    }


def media_rules(
    *, ia_transition_days: int, glacier_transition_days: int, noncurrent_expiration_days: int
) -> list[dict[str, Any]]:
    """Current media versions move to Standard-IA, then Glacier Instant Retrieval; overwritten or
    deleted versions expire after `noncurrent_expiration_days`."""
    return [
        {
            "id": "tier-current-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            # Glacier Instant Retrieval, not Flexible Retrieval: an old flyer or certificate must
            # still open on a GET through CloudFront, without a restore request.
            "transitions": [
                {"days": ia_transition_days, "storage_class": "STANDARD_IA"},
                {"days": glacier_transition_days, "storage_class": "GLACIER_IR"},
            ],
        },
        {
            "id": "expire-old-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "noncurrent_version_expiration": {"noncurrent_days": noncurrent_expiration_days},
            "expiration": {"expired_object_delete_marker": True},
            "abort_incomplete_multipart_upload": dict(ABORT_UPLOADS),
        },
    ]


def log_rules(expiration_days: int) -> list[dict[str, Any]]:
    """Access logs expire after `expiration_days`."""
    return [
        {
            "id": "expire-logs",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"days": expiration_days},
            "abort_incomplete_multipart_upload": dict(ABORT_UPLOADS),
        }
    ]
