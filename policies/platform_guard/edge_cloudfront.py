"""Edge rules for CloudFront: HTTPS and TLS 1.2 at least for viewers and origins, a VPC origin on
HTTPS in production, and signed URLs for private media."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .props import NAME, UNKNOWN, is_production, is_sequence, list_setting, non_empty
from .rule import Subject, resource_rule

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


# --- cloudfront-https-only -------------------------------------------------------------------


def _viewer_https(r: Subject) -> None:
    behaviors = [("defaultCacheBehavior", r.get(r.props, "defaultCacheBehavior"))]
    behaviors += [(f"orderedCacheBehaviors[{i}]", b) for i, b in r.items(r.props, "orderedCacheBehaviors")]
    for where, behavior in behaviors:
        policy = r.get(behavior, "viewerProtocolPolicy", label=f"{where}.viewerProtocolPolicy")
        if isinstance(policy, str) and policy == "allow-all":
            path = r.get(behavior, "pathPattern")
            scope = f" ({path})" if isinstance(path, str) else ""
            r.report(
                f"{where}{scope} has viewerProtocolPolicy 'allow-all': viewers can use plain HTTP, so "
                "session cookies and form posts travel unencrypted. Use 'redirect-to-https' or 'https-only'."
            )


cloudfront_https_only = resource_rule(
    name="cloudfront-https-only",
    description="Every CloudFront cache behavior serves viewers over HTTPS only (redirect-to-https or https-only, never allow-all).",
    types={DISTRIBUTION},
    reads=["defaultCacheBehavior", "orderedCacheBehaviors"],
    check=_viewer_https,
)


# --- cloudfront-minimum-tls ------------------------------------------------------------------


def _tls12_or_later(version: str) -> bool:
    return version.startswith("TLSv1.2_") or version.startswith("TLSv1.3")


def _minimum_tls(r: Subject) -> None:
    certificate = r.get(r.props, "viewerCertificate")
    acm = r.get(certificate, "acmCertificateArn", label="viewerCertificate.acmCertificateArn")
    iam = r.get(certificate, "iamCertificateId", label="viewerCertificate.iamCertificateId")
    version = r.get(certificate, "minimumProtocolVersion", label="viewerCertificate.minimumProtocolVersion")
    if any(v is UNKNOWN for v in (certificate, acm, iam, version)):
        return
    if non_empty(acm) or non_empty(iam):
        effective = version if isinstance(version, str) and version else "TLSv1"
        if not _tls12_or_later(effective):
            r.report(
                f"minimumProtocolVersion is {effective}{'' if version else ' (the default)'}: viewers may "
                "negotiate TLS 1.0/1.1. Set it to TLSv1.2_2021 or later."
            )
    elif is_production():
        r.report(
            "the distribution uses the default *.cloudfront.net certificate, with which CloudFront always "
            "accepts TLS 1.0. A production stack needs its own domain and ACM certificate with "
            "minimumProtocolVersion TLSv1.2_2021 or later."
        )


cloudfront_minimum_tls = resource_rule(
    name="cloudfront-minimum-tls",
    description=(
        "CloudFront viewers negotiate TLS 1.2 or later: a custom certificate sets minimumProtocolVersion "
        "TLSv1.2_*; the default certificate (TLS 1.0) is accepted only outside production."
    ),
    types={DISTRIBUTION},
    reads=["viewerCertificate"],
    check=_minimum_tls,
)


# --- cloudfront-origin-tls -------------------------------------------------------------------

# From the CloudFront API's SslProtocol enum (SSLv3, TLSv1, TLSv1.1, TLSv1.2): the ones before 1.2.
OUTDATED_ORIGIN_PROTOCOLS = frozenset({"SSLv3", "TLSv1", "TLSv1.1"})


def _viewer_policies(r: Subject, origin_id: Any) -> set[str]:
    """The viewer protocol policies of the behaviors that send requests to `origin_id`."""
    behaviors = [r.prop("defaultCacheBehavior")] + [b for _, b in r.items(r.props, "orderedCacheBehaviors")]
    return {
        str(b.get("viewerProtocolPolicy"))
        for b in behaviors
        if isinstance(b, Mapping) and b.get("targetOriginId") == origin_id
    }


def _origin_tls(r: Subject) -> None:
    for index, origin in r.items(r.props, "origins"):
        custom = r.get(origin, "customOriginConfig", label=f"origins[{index}].customOriginConfig")
        if not isinstance(custom, Mapping):
            continue  # S3 (OAC) and VPC origins: CloudFront always uses HTTPS
        origin_id = r.get(origin, "originId") or index
        policy = r.get(custom, "originProtocolPolicy", label=f"origins[{index}].originProtocolPolicy")
        plain_viewers = policy == "match-viewer" and "allow-all" in _viewer_policies(r, origin_id)
        if isinstance(policy, str) and (policy == "http-only" or plain_viewers):
            why = "always" if policy == "http-only" else "whenever a viewer uses HTTP (a behavior allows it)"
            r.report(
                f"origins[{index}] ('{origin_id}') has originProtocolPolicy '{policy}': CloudFront talks to "
                f"the origin over plain HTTP {why}, so requests, cookies and responses cross the internet "
                "unencrypted. Use 'https-only' with a certificate on the origin."
            )
        protocols = [
            p for _, p in r.items(custom, "originSslProtocols", label=f"origins[{index}].originSslProtocols")
        ]
        old = sorted({str(p) for p in protocols if isinstance(p, str) and p in OUTDATED_ORIGIN_PROTOCOLS})
        if old:
            r.report(
                f"origins[{index}] ('{origin_id}') allows originSslProtocols {', '.join(old)}: CloudFront may "
                "negotiate a broken TLS version with the origin. List only TLSv1.2."
            )


cloudfront_origin_tls = resource_rule(
    name="cloudfront-origin-tls",
    description="CloudFront reaches custom origins over HTTPS only (https-only) and with TLS 1.2, never SSLv3/TLSv1/TLSv1.1.",
    types={DISTRIBUTION},
    reads=["origins"],
    check=_origin_tls,
)


# --- prod-cloudfront-vpc-origin-https -------------------------------------------------------

VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"


def _vpc_origin(r: Subject) -> None:
    config = r.prop("vpcOriginEndpointConfig")
    if is_sequence(config):
        config = config[0] if config else None
    policy = r.get(config, "originProtocolPolicy", label="vpcOriginEndpointConfig.originProtocolPolicy")
    if isinstance(policy, str) and policy != "https-only":
        r.report(
            f"vpcOriginEndpointConfig.originProtocolPolicy is '{policy}': CloudFront sends requests, cookies "
            "and responses to the load balancer in plain text inside the VPC. Give the ALB an HTTPS listener "
            "with a certificate for the origin name and set it to 'https-only'."
        )


prod_cloudfront_vpc_origin_https = resource_rule(
    name="prod-cloudfront-vpc-origin-https",
    description="In production, CloudFront VPC origins (CloudFront to an internal ALB) use HTTPS only.",
    types={VPC_ORIGIN},
    reads=["vpcOriginEndpointConfig"],
    check=_vpc_origin,
    production_only=True,
)


# --- cloudfront-private-media-signed ---------------------------------------------------------

DEFAULT_PRIVATE_PATTERNS = ["/media/*"]
DEFAULT_PUBLIC_PATTERNS = ["/media/public/*"]


def _glob(pattern: str) -> re.Pattern[str]:
    """CloudFront path patterns: `*` any characters (slashes included), `?` one; a leading `/` optional."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lstrip("/"))
    return re.compile(f"^/?{body}$")


def _probes(pattern: str) -> list[str]:
    """Sample request paths under a private pattern: files of common kinds, nested or not."""
    base = "/" + pattern.lstrip("/")
    return [
        base.replace("*", sample, 1).replace("*", "x") for sample in ("proof.pdf", "u/1/cert.jpg", "file")
    ]


def _s3_origin(r: Subject, origin_id: Any) -> bool:
    for _index, origin in r.items(r.props, "origins"):
        if r.get(origin, "originId") != origin_id:
            continue
        domain = r.get(origin, "domainName")
        return (
            non_empty(r.get(origin, "s3OriginConfig"))
            or non_empty(r.get(origin, "originAccessControlId"))
            or (
                (isinstance(domain, str) and ".s3." in domain)
                or (isinstance(domain, str) and ".s3-" in domain)
            )
        )
    return False


def _private_media(r: Subject) -> None:
    private = [str(p) for p in (r.config.get("privatePathPatterns") or DEFAULT_PRIVATE_PATTERNS)]
    public = [_glob(str(p)) for p in (r.config.get("publicPathPatterns") or DEFAULT_PUBLIC_PATTERNS)]
    ordered = [(f"orderedCacheBehaviors[{i}]", b) for i, b in r.items(r.props, "orderedCacheBehaviors")]
    default = ("defaultCacheBehavior", r.prop("defaultCacheBehavior"))
    if any(b is UNKNOWN for _, b in ordered) or default[1] is UNKNOWN:
        return
    reported: set[str] = set()
    for pattern in private:
        for path in _probes(pattern):
            if any(p.match(path) for p in public):
                continue
            where, behavior = next(
                (
                    (w, b)
                    for w, b in ordered
                    if isinstance(b, Mapping)
                    and isinstance(b.get("pathPattern"), str)
                    and _glob(b["pathPattern"]).match(path)
                ),
                default,
            )
            if where in reported or not isinstance(behavior, Mapping):
                continue
            if not _s3_origin(r, behavior.get("targetOriginId")):
                continue  # served by the application, which checks permissions itself
            groups = behavior.get("trustedKeyGroups")
            if non_empty(groups):
                continue
            reported.add(where)
            shown = behavior.get("pathPattern", "*")
            r.report(
                f"{where} ('{shown}') serves private media ({pattern}, e.g. {path}) from a bucket without "
                "trustedKeyGroups: anyone who has or guesses a URL can download payment proofs and "
                "certificates. Require signed URLs or cookies (trusted_key_groups=[key group id]) and put "
                "truly public files under a public prefix such as /media/public/*."
            )


cloudfront_private_media_signed = resource_rule(
    name="cloudfront-private-media-signed",
    description=(
        "A distribution serves private media paths (default /media/*, except /media/public/*) from a bucket "
        "only through cache behaviors with a trusted key group, so every download needs a signed URL or cookie."
    ),
    types={DISTRIBUTION},
    reads=["orderedCacheBehaviors", "defaultCacheBehavior", "origins"],
    check=_private_media,
    config={
        "privatePathPatterns": list_setting(
            NAME, "Path patterns whose objects need a signature.", DEFAULT_PRIVATE_PATTERNS
        ),
        "publicPathPatterns": list_setting(
            NAME,
            "Path patterns inside the private ones that may be served unsigned.",
            DEFAULT_PUBLIC_PATTERNS,
        ),
    },
)
