"""The public edge: one CloudFront distribution in front of the internal ALB and the static and
media buckets, the WAF that screens it, the certificate and DNS of a custom domain, and an optional
Amplify app for front-end assets.

Everything CloudFront-scoped that AWS keeps in us-east-1 (the ACM certificate, the WAF web ACL and
its logs, the standard-logging delivery) names that region on the resource (pulumi-aws 7's
`region`), through the stack's own provider, so the stack's `aws:*` config (profile, assumed roles,
allowed accounts, default tags) applies there too and the stack's own region can be anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, type_token
from .storage import MediaSigning

EDGE_REGION = "us-east-1"
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
AMPLIFY_STAGES = ("PRODUCTION", "BETA", "DEVELOPMENT", "EXPERIMENTAL")

# Managed CloudFront policies, looked up by name: the lookup fails loudly if AWS ever renames one,
# where a pasted id would silently point at whatever it then means.
CACHING_DISABLED = "Managed-CachingDisabled"
CACHING_OPTIMIZED = "Managed-CachingOptimized"
# Forwards every viewer header, cookie and query string except Host, so the ALB sees the origin's own
# name as Host (which its certificate and the VPC origin expect) and Django gets everything else.
ALL_VIEWER_EXCEPT_HOST = "Managed-AllViewerExceptHostHeader"
CORS_S3_ORIGIN = "Managed-CORS-S3Origin"

# Media objects live under the bucket's `media/` prefix and are served at /media/*. Only a prefix
# inside it may be public; everything else under /media/ needs a signature.
MEDIA_PATH_PATTERN = "/media/*"
PUBLIC_MEDIA_PATTERN = re.compile(r"^/media(/[A-Za-z0-9_.-]+)+/\*$")

# The viewer's Host header, copied before CloudFront replaces it with the origin's name, so that
# Django (USE_X_FORWARDED_HOST = True) builds absolute URLs with the site's real host.
FORWARDED_HOST_HEADER = "X-Forwarded-Host"
FORWARDED_HOST_FUNCTION = """\
function handler(event) {
    var request = event.request;
    // Overwrite whatever the viewer sent: only the Host CloudFront accepted may reach Django.
    request.headers['x-forwarded-host'] = { value: request.headers.host.value };
    return request;
}
"""

# Order is evaluation order: the cheap rate limit and IP reputation first, then the inspections.
MANAGED_RULE_GROUPS = (
    ("AWSManagedRulesAmazonIpReputationList", "ip-reputation"),
    ("AWSManagedRulesCommonRuleSet", "common"),
    ("AWSManagedRulesKnownBadInputsRuleSet", "known-bad-inputs"),
    ("AWSManagedRulesSQLiRuleSet", "sqli"),
)
UNAVAILABLE_CODES = (502, 503, 504)
# Partition variables CloudFront standard logging (v2) fills in per object, below `log_prefix`.
LOG_SUFFIX_PATH = "{DistributionId}/{yyyy}/{MM}/{dd}/{HH}"

MAINTENANCE_PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Back shortly</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:20vh auto;padding:0 1rem;color:#222}</style>
</head>
<body>
<h1>We'll be back shortly</h1>
<p>The site is being updated or is briefly unavailable. Please try again in a minute.</p>
</body>
</html>
"""


@dataclass(frozen=True)
class EdgeArgs:
    alb_arn: pulumi.Input[str]
    """ARN of the internal ALB the VPC origin reaches (`LoadBalancer.arn`). Required."""
    alb_dns_name: pulumi.Input[str]
    """DNS name of that ALB (`LoadBalancer.dns_name`). Required."""
    alb_https: bool
    """Whether the ALB has a TLS listener (`LoadBalancer.https`): CloudFront then reaches it over
    HTTPS only, otherwise over HTTP inside AWS's network. Required."""
    static_bucket_regional_domain_name: pulumi.Input[str]
    """Regional domain name of the static-files bucket, served under `/static/*`. Required."""
    media_bucket_regional_domain_name: pulumi.Input[str]
    """Regional domain name of the media bucket, served under `/media/*`. Required."""
    log_bucket_name: pulumi.Input[str]
    """Bucket that receives the access logs under `log_prefix`. Required."""
    static_bucket_name: pulumi.Input[str] | None = None
    """Name of the static bucket; when given, the maintenance page is uploaded to it at
    `maintenance_page_path`. Default: None (the deploy pipeline must put the page there)."""
    origin_domain_name: pulumi.Input[str] | None = None
    """Host name CloudFront uses for the ALB (TLS SNI, certificate check and the Host header Django
    receives). With an HTTPS listener set it to a name the ALB's certificate covers. Default: the ALB
    DNS name."""
    domain_name: str | None = None
    """Custom host name of the site; needs `hosted_zone_id`. Default: None (the distribution's
    `*.cloudfront.net` name and CloudFront's default certificate)."""
    hosted_zone_id: str | None = None
    """Route 53 zone holding `domain_name`: certificate validation and alias records go there.
    Default: None."""
    waf_enabled: bool = True
    """Attach a WAFv2 web ACL (managed rule groups plus a per-IP rate limit). Default: True."""
    waf_rate_limit: int = 2000
    """Requests per client IP per 5 minutes before the WAF blocks it. Default: 2000."""
    price_class: str = "PriceClass_100"
    """CloudFront price class. Default: PriceClass_100."""
    maintenance_page_path: str = "/static/maintenance.html"
    """Page shown instead of a 502/503/504 from the app; must be under `/static/` so that it is
    fetched from the bucket, not from the failing app. Default: /static/maintenance.html."""
    error_caching_seconds: int = 10
    """How long CloudFront keeps serving the maintenance page before asking the app again.
    Default: 10."""
    hsts_max_age_seconds: int = 63_072_000
    """Strict-Transport-Security max-age. Default: 63072000 (two years)."""
    log_prefix: str = "cloudfront"
    """Key prefix of the access logs in the log bucket. Default: cloudfront."""
    amplify_repository: str | None = None
    """HTTPS URL of a Git repository for an Amplify app; needs `amplify_access_token`.
    Default: None (no Amplify app)."""
    amplify_branch: str = "main"
    """Branch Amplify builds. Default: main."""
    amplify_access_token: pulumi.Input[str] | None = None
    """Access token (a stack secret) Amplify reads the repository with. Default: None."""
    waf_log_retention_days: int = 90
    """Days the WAF's request log (CloudWatch Logs, us-east-1) is kept. Default: 90."""
    keep_data: bool = False
    """Protect the us-east-1 key that encrypts the WAF log. Default: False."""
    amplify_stage: str = "PRODUCTION"
    """Amplify branch stage. Default: PRODUCTION."""
    amplify_domain_prefix: str = "app"
    """With `domain_name`: the front end is served at `<prefix>.<domain_name>` (an Amplify domain
    association in the same hosted zone). Default: app."""
    amplify_environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Build-time environment of the front end, besides API_URL (always the site's URL, where Django
    answers). Names must not look like credentials. Default: none."""
    media_signing: MediaSigning | None = None
    """Key group (`Storage.media_signing`) CloudFront trusts on `/media/*`: every private media
    download needs a URL or cookie signed with its key. Default: None, and then CloudFront serves no
    private media at all: `/media/*` has no behavior of its own and reaches the app (default
    behavior), never the bucket; only `media_public_path_pattern` is served from the bucket."""
    media_public_path_pattern: str = "/media/public/*"
    """Path pattern inside /media/ served from the bucket without a signature (truly public files,
    e.g. event flyers); ordered before `/media/*`. Default: /media/public/*."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags merged into every taggable child. Default: none."""

    def __post_init__(self) -> None:
        if not PUBLIC_MEDIA_PATTERN.fullmatch(self.media_public_path_pattern):
            raise ValueError(
                f"media_public_path_pattern {self.media_public_path_pattern!r}: use a folder under /media/ "
                "ending in '/*', such as '/media/public/*' (letters, digits, '_', '-', '.'; no other "
                "wildcards), so that only that folder is served unsigned"
            )
        if bool(self.domain_name) != bool(self.hosted_zone_id):
            raise ValueError(
                f"domain_name {self.domain_name!r} and hosted_zone_id {self.hosted_zone_id!r}: give both "
                "(certificate and alias records live in that zone) or neither"
            )
        if self.price_class not in PRICE_CLASSES:
            raise ValueError(f"price_class {self.price_class!r}: use one of {', '.join(PRICE_CLASSES)}")
        if not 10 <= self.waf_rate_limit <= 2_000_000_000:
            raise ValueError(f"waf_rate_limit {self.waf_rate_limit}: use 10 to 2000000000 requests")
        if not self.maintenance_page_path.startswith("/static/"):
            raise ValueError(
                f"maintenance_page_path {self.maintenance_page_path!r}: put it under /static/, or "
                "CloudFront would ask the failing app for its error page"
            )
        if not 0 <= self.error_caching_seconds <= 300:
            raise ValueError(f"error_caching_seconds {self.error_caching_seconds}: use 0 to 300")
        if self.hsts_max_age_seconds < 300:
            raise ValueError(f"hsts_max_age_seconds {self.hsts_max_age_seconds}: use at least 300")
        if not self.log_prefix or self.log_prefix.strip("/") != self.log_prefix:
            raise ValueError(f"log_prefix {self.log_prefix!r}: a key prefix without leading or trailing '/'")
        if self.amplify_repository and self.amplify_access_token is None:
            raise ValueError(
                f"amplify_repository {self.amplify_repository!r} needs amplify_access_token "
                "(`pulumi config set --secret amplifyAccessToken <token>`)"
            )
        if self.amplify_access_token is not None and not self.amplify_repository:
            raise ValueError("amplify_access_token is given without amplify_repository: set both or neither")
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", self.amplify_domain_prefix):
            raise ValueError(
                f"amplify_domain_prefix {self.amplify_domain_prefix!r}: use one DNS label such as 'app'"
            )
        bad = [
            k for k in self.amplify_environment if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", k) or k == "API_URL"
        ]
        bad += [
            k
            for k in self.amplify_environment
            if any(w in k.split("_") for w in ("SECRET", "TOKEN", "PASSWORD", "KEY"))
        ]
        if bad:
            raise ValueError(
                f"amplify_environment {sorted(set(bad))!r}: use upper-case names other than API_URL, none naming "
                "a credential (the front end's build environment is not secret)"
            )
        if self.amplify_stage not in AMPLIFY_STAGES:
            raise ValueError(f"amplify_stage {self.amplify_stage!r}: use one of {', '.join(AMPLIFY_STAGES)}")


class Edge(pulumi.ComponentResource):
    """CloudFront + WAF + custom domain in front of the app (see the module docstring)."""

    distribution_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    distribution_domain_name: pulumi.Output[str]
    site_host: pulumi.Output[str]
    """The host viewers use: the custom domain when configured, else the `*.cloudfront.net` name."""
    site_url: pulumi.Output[str]
    origin_host: pulumi.Output[str]
    """The Host header Django receives from CloudFront: the ALB's name (or `origin_domain_name`)."""
    forwarded_host_header: str
    """Header carrying the viewer's Host to Django (read it with USE_X_FORWARDED_HOST = True)."""
    web_acl_arn: pulumi.Output[str] | None
    waf_metric_name: str | None
    """CloudWatch `WebACL` dimension of the web ACL's metrics (in us-east-1), for alarms."""
    certificate_arn: pulumi.Output[str] | None
    amplify_app_id: pulumi.Output[str] | None
    amplify_default_domain: pulumi.Output[str] | None

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("edge", "Edge"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Names AWS requires to be unique per account carry the stack, so staging and prod can share one.
        physical = f"{name}-{pulumi.get_stack()}"
        tags = args.tags

        at_edge = child

        invoke = pulumi.InvokeOutputOptions(parent=self)
        caching_disabled = aws.cloudfront.get_cache_policy_output(name=CACHING_DISABLED, opts=invoke).id
        caching_optimized = aws.cloudfront.get_cache_policy_output(name=CACHING_OPTIMIZED, opts=invoke).id
        all_viewer_except_host = aws.cloudfront.get_origin_request_policy_output(
            name=ALL_VIEWER_EXCEPT_HOST, opts=invoke
        ).id
        cors_s3 = aws.cloudfront.get_origin_request_policy_output(name=CORS_S3_ORIGIN, opts=invoke).id

        origin_host = pulumi.Output.from_input(args.origin_domain_name or args.alb_dns_name)
        vpc_origin = aws.cloudfront.VpcOrigin(
            f"{name}-alb-origin",
            vpc_origin_endpoint_config={
                "name": f"{physical}-alb",
                "arn": args.alb_arn,
                "http_port": 80,
                "https_port": 443,
                "origin_protocol_policy": "https-only" if args.alb_https else "http-only",
                "origin_ssl_protocols": {"items": ["TLSv1.2"], "quantity": 1},
            },
            tags=merge_tags(tags, Name=f"{name}-alb-origin"),
            opts=child,
        )

        # One origin access control per bucket: CloudFront signs every request (SigV4, always), and
        # each bucket's policy admits only this distribution's ARN, so the buckets stay private.
        access_controls = {
            role: aws.cloudfront.OriginAccessControl(
                f"{name}-{role}-oac",
                description=f"CloudFront reads the {role} bucket of {physical}",
                origin_access_control_origin_type="s3",
                signing_behavior="always",
                signing_protocol="sigv4",
                opts=child,
            )
            for role in ("static", "media")
        }

        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-security-headers",
            comment=f"Security headers for {physical}",
            # Our own rather than Managed-SecurityHeadersPolicy: that one sends SAMEORIGIN frames and
            # a one-year HSTS; we deny framing outright and keep HSTS for two years.
            security_headers_config={
                "strict_transport_security": {
                    "access_control_max_age_sec": args.hsts_max_age_seconds,
                    "include_subdomains": True,
                    # Preloading commits the whole domain to HTTPS in browsers for months: the domain
                    # owner's decision, not a default.
                    "preload": False,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": True},
                # The legacy XSS auditor causes more harm than it prevents; `0` switches it off.
                "xss_protection": {"protection": False, "override": True},
            },
            opts=child,
        )

        forwarded_host = aws.cloudfront.Function(
            f"{name}-forwarded-host",
            runtime="cloudfront-js-2.0",
            comment="Copies the viewer's Host into X-Forwarded-Host for Django",
            code=FORWARDED_HOST_FUNCTION,
            publish=True,
            # No tags: CreateFunction with tags is reported to fail with a 409, and a function is
            # found through its distribution, not its tags.
            opts=child,
        )

        web_acl = self._web_acl(name, physical, args, at_edge) if args.waf_enabled else None
        certificate_arn = self._certificate(name, args, at_edge) if args.domain_name else None

        if certificate_arn is not None:
            viewer_certificate: dict[str, Any] = {
                "acm_certificate_arn": certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": "TLSv1.2_2021",
            }
        else:
            # On *.cloudfront.net CloudFront always applies its TLSv1 security policy (TLS 1.0 to 1.3)
            # whatever is asked for; stating it keeps the plan honest and free of perpetual diffs.
            viewer_certificate = {"cloudfront_default_certificate": True, "minimum_protocol_version": "TLSv1"}

        def bucket_behaviour(path: str, origin_id: str, key_group_id: Any = None) -> dict[str, Any]:
            signed = {"trusted_key_groups": [key_group_id]} if key_group_id is not None else {}
            return {
                **signed,
                "path_pattern": path,
                "target_origin_id": origin_id,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": caching_optimized,
                "origin_request_policy_id": cors_s3,
                "response_headers_policy_id": headers.id,
                "compress": True,
            }

        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            comment=f"{physical}: app, static files and media",
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=args.price_class,
            aliases=[args.domain_name] if args.domain_name else None,
            web_acl_id=web_acl.arn if web_acl is not None else None,
            origins=[
                {
                    "origin_id": "alb",
                    "domain_name": origin_host,
                    "vpc_origin_config": {"vpc_origin_id": vpc_origin.id},
                },
                {
                    "origin_id": "static",
                    "domain_name": args.static_bucket_regional_domain_name,
                    "origin_access_control_id": access_controls["static"].id,
                },
                {
                    "origin_id": "media",
                    "domain_name": args.media_bucket_regional_domain_name,
                    "origin_access_control_id": access_controls["media"].id,
                },
            ],
            default_cache_behavior={
                "target_origin_id": "alb",
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                "cached_methods": ["GET", "HEAD"],
                # Django pages are per user (sessions, CSRF): never cached at the edge.
                "cache_policy_id": caching_disabled,
                "origin_request_policy_id": all_viewer_except_host,
                "response_headers_policy_id": headers.id,
                "compress": True,
                "function_associations": [
                    {"event_type": "viewer-request", "function_arn": forwarded_host.arn}
                ],
            },
            # First match wins, in this order: the public media prefix before the rest of /media/.
            ordered_cache_behaviors=[
                bucket_behaviour("/static/*", "static"),
                bucket_behaviour(args.media_public_path_pattern, "media"),
                *(
                    [bucket_behaviour(MEDIA_PATH_PATTERN, "media", args.media_signing.key_group_id)]
                    if args.media_signing is not None
                    else []
                ),
            ],
            custom_error_responses=[
                {
                    "error_code": code,
                    "response_code": 503,
                    "response_page_path": args.maintenance_page_path,
                    "error_caching_min_ttl": args.error_caching_seconds,
                }
                for code in UNAVAILABLE_CODES
            ],
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=viewer_certificate,
            tags=merge_tags(tags, Name=f"{name}-cdn"),
            opts=child,
        )

        if args.static_bucket_name is not None:
            aws.s3.BucketObjectv2(
                f"{name}-maintenance-page",
                bucket=args.static_bucket_name,
                key=args.maintenance_page_path.lstrip("/"),
                content=MAINTENANCE_PAGE,
                content_type="text/html; charset=utf-8",
                cache_control="no-cache",
                tags=tags,
                opts=child,
            )

        self._access_logs(name, args, distribution, at_edge)

        if args.domain_name and args.hosted_zone_id:
            for record_type in ("A", "AAAA"):
                aws.route53.Record(
                    f"{name}-alias-{record_type.lower()}",
                    zone_id=args.hosted_zone_id,
                    name=args.domain_name,
                    type=record_type,
                    aliases=[
                        {
                            "name": distribution.domain_name,
                            "zone_id": distribution.hosted_zone_id,
                            "evaluate_target_health": False,
                        }
                    ],
                    opts=child,
                )

        amplify_app_id: pulumi.Output[str] | None = None
        amplify_default_domain: pulumi.Output[str] | None = None
        self.site_host = (
            pulumi.Output.from_input(args.domain_name) if args.domain_name else distribution.domain_name
        )
        self.site_url = pulumi.Output.concat("https://", self.site_host)
        if args.amplify_repository:
            amplify_app_id, amplify_default_domain = self._amplify(name, args, child, self.site_url)

        self.distribution_id = distribution.id
        self.distribution_arn = distribution.arn
        self.distribution_domain_name = distribution.domain_name
        self.origin_host = origin_host
        self.forwarded_host_header = FORWARDED_HOST_HEADER
        self.web_acl_arn = web_acl.arn if web_acl is not None else None
        self.waf_metric_name = f"{physical}-waf" if web_acl is not None else None
        self.certificate_arn = certificate_arn
        self.amplify_app_id = amplify_app_id
        self.amplify_default_domain = amplify_default_domain
        self.register_outputs(
            {
                "distribution_id": self.distribution_id,
                "distribution_arn": self.distribution_arn,
                "distribution_domain_name": self.distribution_domain_name,
                "site_host": self.site_host,
                "site_url": self.site_url,
                "origin_host": self.origin_host,
                "forwarded_host_header": self.forwarded_host_header,
                "web_acl_arn": self.web_acl_arn,
                "waf_metric_name": self.waf_metric_name,
                "certificate_arn": self.certificate_arn,
                "amplify_app_id": self.amplify_app_id,
                "amplify_default_domain": self.amplify_default_domain,
            }
        )

    def _web_acl(
        self, name: str, physical: str, args: EdgeArgs, at_edge: pulumi.ResourceOptions
    ) -> aws.wafv2.WebAcl:
        def visibility(metric: str) -> dict[str, Any]:
            return {
                "cloudwatch_metrics_enabled": True,
                "metric_name": metric,
                "sampled_requests_enabled": True,
            }

        rules: list[dict[str, Any]] = [
            {
                "name": "rate-limit-per-ip",
                "priority": 0,
                "action": {"block": {}},
                "statement": {
                    "rate_based_statement": {
                        "limit": args.waf_rate_limit,
                        "aggregate_key_type": "IP",
                        "evaluation_window_sec": 300,
                    }
                },
                "visibility_config": visibility(f"{physical}-rate-limit"),
            }
        ]
        # Note: the common rule set blocks request bodies over 8 KB (SizeRestrictions_BODY). Uploads go
        # straight to S3 with presigned URLs, so that only limits form posts through Django.
        for priority, (group, short) in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append(
                {
                    "name": group,
                    "priority": priority,
                    "override_action": {"none": {}},
                    "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
                    "visibility_config": visibility(f"{physical}-{short}"),
                }
            )
        web_acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            description=f"Screens requests to {physical} before CloudFront serves them",
            scope="CLOUDFRONT",
            default_action={"allow": {}},
            rules=rules,
            visibility_config=visibility(f"{physical}-waf"),
            tags=merge_tags(args.tags, Name=f"{name}-waf"),
            region=EDGE_REGION,
            opts=at_edge,
        )
        self._waf_logging(name, physical, args, web_acl)
        return web_acl

    def _waf_logging(self, name: str, physical: str, args: EdgeArgs, web_acl: aws.wafv2.WebAcl) -> None:
        """The WAF's request log in CloudWatch Logs. WAF writes only to a group named `aws-waf-logs-*`
        in the web ACL's region (us-east-1 for CloudFront); a log group's key must be in its own
        region, so the stack key can't be used and the log gets a small us-east-1 key of its own.
        Credentials never reach the log: the Authorization and Cookie headers are redacted."""
        group_name = f"aws-waf-logs-{physical}"
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        key = aws.kms.Key(
            f"{name}-waf-logs-key",
            description=f"Encrypts the WAF log {group_name} in {EDGE_REGION}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(lambda account_id: _log_key_policy(account_id, group_name)),
            tags=merge_tags(args.tags, Name=f"{name}-waf-logs"),
            region=EDGE_REGION,
            opts=pulumi.ResourceOptions(parent=self, protect=args.keep_data),
        )
        group = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs",
            name=group_name,
            retention_in_days=args.waf_log_retention_days,
            kms_key_id=key.arn,
            tags=merge_tags(args.tags, Name=group_name),
            region=EDGE_REGION,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=web_acl.arn,
            log_destination_configs=[group.arn],
            redacted_fields=[
                {"single_header": {"name": "authorization"}},
                {"single_header": {"name": "cookie"}},
            ],
            region=EDGE_REGION,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _certificate(self, name: str, args: EdgeArgs, at_edge: pulumi.ResourceOptions) -> pulumi.Output[str]:
        """An ACM certificate in us-east-1 (the only region CloudFront reads), DNS-validated in the zone."""
        assert args.domain_name and args.hosted_zone_id  # checked by EdgeArgs
        domain = args.domain_name
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=domain,
            validation_method="DNS",
            tags=merge_tags(args.tags, Name=domain),
            region=EDGE_REGION,
            opts=at_edge,
        )

        def validation(field_name: str) -> pulumi.Output[str]:
            # Records are created per known domain name, so their number never depends on an apply.
            return certificate.domain_validation_options.apply(
                lambda options: next(str(getattr(o, field_name)) for o in options if o.domain_name == domain)
            )

        record = aws.route53.Record(
            f"{name}-certificate-validation",
            zone_id=args.hosted_zone_id,
            name=validation("resource_record_name"),
            type=validation("resource_record_type"),
            records=[validation("resource_record_value")],
            ttl=300,
            # ACM reuses the same record for a re-issued certificate; taking it over keeps re-creation working.
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        validated = aws.acm.CertificateValidation(
            f"{name}-certificate-validated",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            region=EDGE_REGION,
            opts=at_edge,
        )
        return validated.certificate_arn

    def _access_logs(
        self,
        name: str,
        args: EdgeArgs,
        distribution: aws.cloudfront.Distribution,
        at_edge: pulumi.ResourceOptions,
    ) -> None:
        """CloudFront standard logging (v2): delivered by CloudWatch Logs as the `delivery.logs`
        service under the bucket policy, so the log bucket keeps ACLs disabled (BucketOwnerEnforced);
        legacy logging would need an ACL grant to CloudFront's log account."""
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-access-logs",
            log_type="ACCESS_LOGS",
            resource_arn=distribution.arn,
            tags=args.tags,
            region=EDGE_REGION,
            opts=at_edge,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-access-logs-bucket",
            output_format="json",
            delivery_destination_configuration={
                "destination_resource_arn": pulumi.Output.concat(
                    "arn:", partition, ":s3:::", args.log_bucket_name, "/", args.log_prefix
                )
            },
            tags=args.tags,
            region=EDGE_REGION,
            opts=at_edge,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-access-logs-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            s3_delivery_configurations=[
                {"suffix_path": LOG_SUFFIX_PATH, "enable_hive_compatible_path": False}
            ],
            tags=args.tags,
            region=EDGE_REGION,
            opts=at_edge,
        )

    def _amplify(
        self, name: str, args: EdgeArgs, child: pulumi.ResourceOptions, site_url: pulumi.Output[str]
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """Amplify builds the front-end repository and hosts it on its own CloudFront, with the same
        security headers as the distribution."""
        custom_headers = "\n".join(
            [
                "customHeaders:",
                "  - pattern: '**'",
                "    headers:",
                "      - key: Strict-Transport-Security",
                f"        value: max-age={args.hsts_max_age_seconds}; includeSubDomains",
                "      - key: X-Content-Type-Options",
                "        value: nosniff",
                "      - key: X-Frame-Options",
                "        value: DENY",
                "      - key: Referrer-Policy",
                "        value: strict-origin-when-cross-origin",
                "",
            ]
        )
        app = aws.amplify.App(
            f"{name}-frontend",
            repository=args.amplify_repository,
            access_token=args.amplify_access_token,
            platform="WEB",
            enable_branch_auto_build=True,
            custom_headers=custom_headers,
            environment_variables={**args.amplify_environment, "API_URL": site_url},
            tags=merge_tags(args.tags, Name=f"{name}-frontend"),
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["accessToken"]),
        )
        branch = aws.amplify.Branch(
            f"{name}-frontend-{args.amplify_branch.replace('/', '-')}",
            app_id=app.id,
            branch_name=args.amplify_branch,
            stage=args.amplify_stage,
            enable_auto_build=True,
            tags=args.tags,
            opts=child,
        )
        if args.domain_name:
            # Amplify validates the certificate it issues and adds the records itself when the zone
            # is in Route 53 in this account; `pulumi up` does not wait for that (it can take hours).
            aws.amplify.DomainAssociation(
                f"{name}-frontend-domain",
                app_id=app.id,
                domain_name=args.domain_name,
                sub_domains=[{"branch_name": branch.branch_name, "prefix": args.amplify_domain_prefix}],
                wait_for_verification=False,
                opts=child,
            )
        return app.id, app.default_domain


def _log_key_policy(account_id: str, group_name: str) -> str:
    """The account administers the key; CloudWatch Logs may use it for this one log group only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsEncryptsTheWafLog",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{EDGE_REGION}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnEquals": {
                            "kms:EncryptionContext:aws:logs:arn": (
                                f"arn:aws:logs:{EDGE_REGION}:{account_id}:log-group:{group_name}"
                            )
                        }
                    },
                },
            ],
        }
    )
