"""What an operator sets for the edge (`EdgeConfig`, its one validator), the component's other inputs
(`EdgeArgs`), and the constants every layer shares.

The leaf of the package: it imports nothing above it and nothing from pulumi_aws (only storage's
config leaf, the layer below the edge), so `settings/` can import `EdgeConfig` and the patterns
cheaply, and the pure pieces (behaviors, WAF, headers, functions)
and the component all build on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from ..app_values import HOST_NAME
from ..catalogs import CLOUDFRONT_REGION
from ..config_base import Problem, ValidatedConfig, between, collect, one_of
from ..handles import AlbTarget, Buckets, StackWide

# Storage owns the pattern (its config judges mediaPublicPathPattern); the edge serves that folder.
from ..storage.config import PUBLIC_MEDIA_PATTERN

# CloudFront-scoped resources (certificate, web ACL, its logs, log delivery) live in this region.
EDGE_REGION = CLOUDFRONT_REGION
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
STATIC_PATH_PATTERN = "/static/*"
MEDIA_PATH_PATTERN = "/media/*"

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

DNS_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
HOSTED_ZONE_PATTERN = re.compile(r"^Z[A-Z0-9]{1,31}$")
REPOSITORY_PATTERN = re.compile(r"^https://[A-Za-z0-9.-]+/\S+[^/\s]$")
# AWS WAF's bounds on a rate-based rule's limit (requests per evaluation window, here 5 minutes).
WAF_RATE_LIMIT_MINIMUM = 10
WAF_RATE_LIMIT_MAXIMUM = 2_000_000_000
ENVIRONMENT_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
CREDENTIAL_WORDS = ("SECRET", "TOKEN", "PASSWORD", "KEY")


@dataclass(frozen=True, kw_only=True)
class EdgeConfig(ValidatedConfig):
    """What an operator sets for the edge."""

    waf_enabled: bool
    """Attach a WAFv2 web ACL (managed rule groups plus a per-IP rate limit) to the distribution."""
    waf_rate_limit: int
    """Requests one client IP may send per 5 minutes before the WAF blocks it (10 to 2000000000)."""
    price_class: str
    """CloudFront price class: which edge locations serve the site (one of `PRICE_CLASSES`)."""
    domain_name: str | None
    """Custom host name of the site; comes with `hosted_zone_id`. None: the distribution's
    `*.cloudfront.net` name and CloudFront's default certificate."""
    hosted_zone_id: str | None
    """Route 53 zone holding `domain_name` (certificate validation and alias records); None
    exactly when `domain_name` is None. The load balancer's origin certificate is validated there too."""
    amplify_repository: str | None
    """HTTPS URL of the Git repository of an Amplify front end; comes with `amplify_access_token`.
    None: no Amplify app."""
    amplify_branch: str
    """Branch of the repository that Amplify builds and deploys."""
    amplify_domain_prefix: str
    """With `domain_name`: the front end is served at `<prefix>.<domain_name>`. One DNS label."""
    amplify_access_token: pulumi.Output[str] | None
    """Token Amplify reads the repository with: a stack secret, never echoed (settings/ judges
    its length and that it was set as a secret). None exactly when `amplify_repository` is None."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        return [*_site_problems(values), *_amplify_problems(values)]


def _site_problems(values: Mapping[str, Any]) -> list[Problem]:
    domain, zone = values["domain_name"], values["hosted_zone_id"]
    return collect(
        between(
            "waf_rate_limit",
            values["waf_rate_limit"],
            WAF_RATE_LIMIT_MINIMUM,
            WAF_RATE_LIMIT_MAXIMUM,
            "requests per client IP per 5 minutes, AWS WAF's bounds",
        ),
        one_of("price_class", values["price_class"], PRICE_CLASSES),
        _unless(
            domain is None or HOST_NAME.match(domain),
            "domain_name",
            domain,
            "expected a lower-case host name such as 'www.example.com' (no scheme, path or trailing dot)",
        ),
        _unless(
            zone is None or HOSTED_ZONE_PATTERN.match(zone),
            "hosted_zone_id",
            zone,
            "expected a Route 53 hosted zone id such as 'Z0123456789ABCDEFGHIJ'",
        ),
        _unless(
            (domain is None) == (zone is None),
            "hosted_zone_id",
            zone or "",
            f"set together with the domain name (now {domain or ''!r}): the certificate is validated "
            "and the alias records are created in that zone",
        ),
    )


def _amplify_problems(values: Mapping[str, Any]) -> list[Problem]:
    repository, branch = values["amplify_repository"], values["amplify_branch"]
    # Both token problems are filed under the repository: the token itself is a secret and is never
    # shown, not even as the value at fault.
    has_token = values["amplify_access_token"] is not None
    return collect(
        _unless(
            repository is None or REPOSITORY_PATTERN.match(repository),
            "amplify_repository",
            repository,
            "expected the repository's HTTPS URL, e.g. 'https://github.com/acme/frontend'",
        ),
        _unless(
            repository is None or has_token,
            "amplify_repository",
            repository,
            "needs the Amplify access token (`pulumi config set --secret amplifyAccessToken <token>`)",
        ),
        _unless(
            repository is not None or not has_token,
            "amplify_repository",
            "",
            "an access token is given without a repository: set both or neither",
        ),
        _unless(bool(branch) and " " not in branch, "amplify_branch", branch, "expected a branch name"),
        _unless(
            bool(DNS_LABEL.fullmatch(values["amplify_domain_prefix"])),
            "amplify_domain_prefix",
            values["amplify_domain_prefix"],
            "expected one lower-case DNS label such as 'app'",
        ),
    )


def _unless(ok: object, field: str, value: Any, fix: str) -> Problem | None:
    return None if ok else Problem(field=field, value=value, fix=fix)


@dataclass(frozen=True, kw_only=True)
class EdgeArgs:
    config: EdgeConfig
    """What the operator set. Required."""
    load_balancer: AlbTarget
    """The internal ALB (`LoadBalancer.target`) the VPC origin reaches: by its ARN; over HTTPS only
    when it has a TLS listener (`https`), otherwise over HTTP inside AWS's network; under its
    `origin_domain_name` (TLS SNI, certificate check and the Host header Django receives) when set,
    its DNS name otherwise. Required."""
    stack: StackWide
    """The stack's shared values: its log retention for the WAF's request log (CloudWatch Logs,
    us-east-1, encrypted with a key of its own there, which `keep_data` protects); `tags`. Required."""
    buckets: Buckets
    """The storage's buckets (`Storage.buckets`): static files served under `/static/*`, media under
    `/media/*` (signed with its `media_signing` key group when set: every private media download
    then needs a URL or cookie signed with its key; without it CloudFront serves no private media at
    all, `/media/*` has no behavior of its own and reaches the app, and only
    `media_public_path_pattern` is served from the bucket), access logs under `log_prefix` in the
    log bucket. Required."""
    upload_maintenance_page: bool = True
    """Upload the maintenance page to the static bucket at `maintenance_page_path`. Default: True;
    False leaves it to the deploy pipeline."""
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
    amplify_stage: str = "PRODUCTION"
    """Amplify branch stage. Default: PRODUCTION."""
    amplify_environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Build-time environment of the front end, besides API_URL (always the site's URL, where Django
    answers). Names must not look like credentials. Default: none."""
    media_public_path_pattern: str = "/media/public/*"
    """Path pattern inside /media/ served from the bucket without a signature (truly public files,
    e.g. event flyers); ordered before `/media/*`. Default: /media/public/*."""

    def __post_init__(self) -> None:
        if problems := edge_problems(self):
            raise ValueError("; ".join(problems))


def edge_problems(args: EdgeArgs) -> list[str]:
    """Every problem with the inputs `args` holds besides its config (which `EdgeConfig` judged when
    it was built), each naming the field, its value and the fix (none: valid)."""
    problems = []
    if not PUBLIC_MEDIA_PATTERN.fullmatch(args.media_public_path_pattern):
        problems.append(
            f"media_public_path_pattern {args.media_public_path_pattern!r}: use a folder under /media/ "
            "ending in '/*', such as '/media/public/*' (letters, digits, '_', '-', '.'; no other "
            "wildcards), so that only that folder is served unsigned"
        )
    if not args.maintenance_page_path.startswith("/static/"):
        problems.append(
            f"maintenance_page_path {args.maintenance_page_path!r}: put it under /static/, or "
            "CloudFront would ask the failing app for its error page"
        )
    if not args.log_prefix or args.log_prefix.strip("/") != args.log_prefix:
        problems.append(f"log_prefix {args.log_prefix!r}: a key prefix without leading or trailing '/'")
    if not 0 <= args.error_caching_seconds <= 300:
        problems.append(f"error_caching_seconds {args.error_caching_seconds}: use 0 to 300")
    if args.hsts_max_age_seconds < 300:
        problems.append(f"hsts_max_age_seconds {args.hsts_max_age_seconds}: use at least 300")
    bad = {
        name
        for name in args.amplify_environment
        if not ENVIRONMENT_NAME.fullmatch(name)
        or name == "API_URL"
        or any(word in name.split("_") for word in CREDENTIAL_WORDS)
    }
    if bad:
        problems.append(
            f"amplify_environment {sorted(bad)!r}: use upper-case names other than API_URL, none naming "
            "a credential (the front end's build environment is not secret)"
        )
    if args.amplify_stage not in AMPLIFY_STAGES:
        problems.append(f"amplify_stage {args.amplify_stage!r}: use one of {', '.join(AMPLIFY_STAGES)}")
    return problems
