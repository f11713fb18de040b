"""What the distribution serves from where, as data: origins, cache behaviors in evaluation order,
error pages and the viewer certificate.

Pure functions of plain values: ids and names may be strings (tests) or Pulumi outputs (the
component) and are only placed, never inspected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import MEDIA_PATH_PATTERN, STATIC_PATH_PATTERN, UNAVAILABLE_CODES

ALB_ORIGIN = "alb"
STATIC_ORIGIN = "static"
MEDIA_ORIGIN = "media"
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
CACHED_METHODS = ["GET", "HEAD"]


@dataclass(frozen=True, kw_only=True)
class Policies:
    """Ids of the cache, origin-request and response-headers policies the behaviors use."""

    caching_disabled: Any
    caching_optimized: Any
    all_viewer_except_host: Any
    cors_s3: Any
    security_headers: Any


def bucket_behavior(
    path: str, origin_id: str, policies: Policies, key_group_id: Any = None
) -> dict[str, Any]:
    """Read-only, cached, HTTPS-only; with `key_group_id`, only for URLs or cookies signed by it."""
    signed = {"trusted_key_groups": [key_group_id]} if key_group_id is not None else {}
    return {
        **signed,
        "path_pattern": path,
        "target_origin_id": origin_id,
        "viewer_protocol_policy": "redirect-to-https",
        "allowed_methods": READ_METHODS,
        "cached_methods": CACHED_METHODS,
        "cache_policy_id": policies.caching_optimized,
        "origin_request_policy_id": policies.cors_s3,
        "response_headers_policy_id": policies.security_headers,
        "compress": True,
    }


def ordered_behaviors(
    public_media_pattern: str, policies: Policies, media_key_group_id: Any = None
) -> list[dict[str, Any]]:
    """First match wins, in this order: static files, the public media prefix, then the rest of
    /media/ behind the key group. Without a key group /media/* gets no behavior of its own, so it
    reaches the app (the default behavior), never the bucket: no private media is served unsigned."""
    behaviors = [
        bucket_behavior(STATIC_PATH_PATTERN, STATIC_ORIGIN, policies),
        bucket_behavior(public_media_pattern, MEDIA_ORIGIN, policies),
    ]
    if media_key_group_id is not None:
        behaviors.append(bucket_behavior(MEDIA_PATH_PATTERN, MEDIA_ORIGIN, policies, media_key_group_id))
    return behaviors


def default_behavior(policies: Policies, viewer_request_function_arn: Any) -> dict[str, Any]:
    """Everything else goes to Django, uncached, with the viewer's Host in X-Forwarded-Host."""
    return {
        "target_origin_id": ALB_ORIGIN,
        "viewer_protocol_policy": "redirect-to-https",
        "allowed_methods": ALL_METHODS,
        "cached_methods": CACHED_METHODS,
        # Django pages are per user (sessions, CSRF): never cached at the edge.
        "cache_policy_id": policies.caching_disabled,
        "origin_request_policy_id": policies.all_viewer_except_host,
        "response_headers_policy_id": policies.security_headers,
        "compress": True,
        "function_associations": [
            {"event_type": "viewer-request", "function_arn": viewer_request_function_arn}
        ],
    }


def origins(
    *,
    alb_host: Any,
    vpc_origin_id: Any,
    static_domain: Any,
    static_access_control_id: Any,
    media_domain: Any,
    media_access_control_id: Any,
) -> list[dict[str, Any]]:
    """The ALB through a VPC origin (it stays internal), and each bucket through its own OAC."""
    return [
        {
            "origin_id": ALB_ORIGIN,
            "domain_name": alb_host,
            "vpc_origin_config": {"vpc_origin_id": vpc_origin_id},
        },
        {
            "origin_id": STATIC_ORIGIN,
            "domain_name": static_domain,
            "origin_access_control_id": static_access_control_id,
        },
        {
            "origin_id": MEDIA_ORIGIN,
            "domain_name": media_domain,
            "origin_access_control_id": media_access_control_id,
        },
    ]


def error_responses(maintenance_page_path: str, error_caching_seconds: int) -> list[dict[str, Any]]:
    """The app's 502/503/504 become a 503 with the maintenance page (served from the bucket)."""
    return [
        {
            "error_code": code,
            "response_code": 503,
            "response_page_path": maintenance_page_path,
            "error_caching_min_ttl": error_caching_seconds,
        }
        for code in UNAVAILABLE_CODES
    ]


def viewer_certificate(certificate_arn: Any = None) -> dict[str, Any]:
    """The ACM certificate of the custom domain (TLS 1.2+, SNI), or CloudFront's own."""
    if certificate_arn is not None:
        return {
            "acm_certificate_arn": certificate_arn,
            "ssl_support_method": "sni-only",
            "minimum_protocol_version": "TLSv1.2_2021",
        }
    # On *.cloudfront.net CloudFront always applies its TLSv1 security policy (TLS 1.0 to 1.3)
    # whatever is asked for; stating it keeps the plan honest and free of perpetual diffs.
    return {"cloudfront_default_certificate": True, "minimum_protocol_version": "TLSv1"}
