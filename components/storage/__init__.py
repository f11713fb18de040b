"""Storage, in layers: `config` (what an operator sets, the signing-key check, the `MediaSigning`
handle) at the bottom; the pure pieces `policies` (bucket and replication IAM documents) and
`lifecycle` (lifecycle rules) above it; the `component` that creates resources on top. Lower
layers never import higher ones.

`Storage` is loaded on first use, so importing the config (as `settings/` does for
`StorageConfig`, and the edge for `PUBLIC_MEDIA_PATTERN`) does not import pulumi_aws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import (
    ALB_LOG_PREFIX,
    CLOUDFRONT_LOG_PREFIX,
    CORS_ALLOWED_HEADERS,
    HTTPS_ORIGIN,
    LOCAL_ORIGIN,
    MEDIA_ACCESS_LOG_PREFIX,
    MEDIA_SIGNING_KEY_BITS,
    PUBLIC_MEDIA_PATTERN,
    REGION_PATTERN,
    MediaSigning,
    StorageArgs,
    StorageConfig,
    media_signing_key_problem,
)
from .lifecycle import abort_uploads_rule, log_rules, media_rules
from .policies import ELB_LOG_ACCOUNTS, content_bucket_policy, log_bucket_policy, replication_role_policy

if TYPE_CHECKING:
    from .component import Storage

__all__ = [
    "ALB_LOG_PREFIX",
    "CLOUDFRONT_LOG_PREFIX",
    "CORS_ALLOWED_HEADERS",
    "ELB_LOG_ACCOUNTS",
    "HTTPS_ORIGIN",
    "LOCAL_ORIGIN",
    "MEDIA_ACCESS_LOG_PREFIX",
    "MEDIA_SIGNING_KEY_BITS",
    "PUBLIC_MEDIA_PATTERN",
    "REGION_PATTERN",
    "MediaSigning",
    "Storage",
    "StorageArgs",
    "StorageConfig",
    "abort_uploads_rule",
    "content_bucket_policy",
    "log_bucket_policy",
    "log_rules",
    "media_rules",
    "media_signing_key_problem",
    "replication_role_policy",
]


def __getattr__(name: str) -> Any:
    if name == "Storage":
        from .component import Storage

        return Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
