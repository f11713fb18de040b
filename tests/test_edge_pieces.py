"""The edge's pure pieces, checked without Pulumi: which path is served from where and which needs a
signature, what the WAF blocks and keeps out of its log, and the headers every response carries.

Paths are matched the way CloudFront does: behaviors in order, first match wins, `*` any run of
characters (slashes included), `?` one character, case-sensitive; no match means the default
behavior (the app).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pulumi
import pytest

from components.edge import (
    EDGE_REGION,
    MANAGED_RULE_GROUPS,
    PUBLIC_MEDIA_PATTERN,
    EdgeArgs,
    EdgeConfig,
    Policies,
    edge_problems,
    ordered_behaviors,
)
from components.edge.behaviors import default_behavior, error_responses, origins, viewer_certificate
from components.edge.config import (
    HOSTED_ZONE_PATTERN,
    PRICE_CLASSES,
    WAF_RATE_LIMIT_MAXIMUM,
    WAF_RATE_LIMIT_MINIMUM,
)
from components.edge.headers import amplify_custom_headers, security_headers_config
from components.edge.waf import log_key_policy, redacted_fields, web_acl_rules
from settings import declared_keys
from tests._handles import alb_target, buckets, stack_wide
from tests.conftest import ROOT

POLICIES = Policies(
    caching_disabled="caching-disabled",
    caching_optimized="caching-optimized",
    all_viewer_except_host="all-viewer-except-host",
    cors_s3="cors-s3",
    security_headers="security-headers",
)
KEY_GROUP = "key-group-1"
# EdgeConfig with the values Pulumi.yaml gives a stack that sets nothing.
DEFAULTS: dict[str, Any] = {
    "waf_enabled": True,
    "waf_rate_limit": 2000,
    "price_class": "PriceClass_100",
    "domain_name": None,
    "hosted_zone_id": None,
    "amplify_repository": None,
    "amplify_branch": "main",
    "amplify_domain_prefix": "app",
    "amplify_access_token": None,
}
REQUIRED: dict[str, Any] = {
    "config": EdgeConfig(**DEFAULTS),
    "load_balancer": alb_target(https=True, origin_domain_name="origin.epicvibe.example"),
    "buckets": buckets(),
    "stack": stack_wide(),
}


def cloudfront_matches(pattern: str, path: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, path) is not None


def served_by(path: str, behaviors: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """(origin, trusted key groups) of the behavior CloudFront picks for `path`."""
    for behavior in behaviors:
        if cloudfront_matches(behavior["path_pattern"], path):
            return behavior["target_origin_id"], behavior.get("trusted_key_groups", [])
    return "alb", []


@pytest.mark.parametrize(
    ("path", "origin", "key_groups"),
    [
        ("/static/css/site.css", "static", []),
        ("/media/public/flyer.pdf", "media", []),
        ("/media/proofs/payment-42.pdf", "media", [KEY_GROUP]),
        ("/media/certificates/2026/ada.pdf", "media", [KEY_GROUP]),
        # A folder that only starts like the public one is still private.
        ("/media/publicity/plan.pdf", "media", [KEY_GROUP]),
        ("/admin/login/", "alb", []),
        ("/", "alb", []),
    ],
)
def test_with_a_key_group_private_media_needs_a_signature_and_public_media_does_not(
    path: str, origin: str, key_groups: list[str]
) -> None:
    behaviors = ordered_behaviors("/media/public/*", POLICIES, KEY_GROUP)
    assert served_by(path, behaviors) == (origin, key_groups)


def test_behaviors_are_ordered_static_then_public_media_then_signed_media() -> None:
    behaviors = ordered_behaviors("/media/flyers/*", POLICIES, KEY_GROUP)
    assert [b["path_pattern"] for b in behaviors] == ["/static/*", "/media/flyers/*", "/media/*"]
    assert [b["path_pattern"] for b in behaviors if "trusted_key_groups" in b] == ["/media/*"]


@pytest.mark.parametrize("path", ["/media/proofs/payment-42.pdf", "/media/x", "/media/public"])
def test_without_a_key_group_no_private_media_comes_from_the_bucket(path: str) -> None:
    behaviors = ordered_behaviors("/media/public/*", POLICIES)
    assert served_by(path, behaviors) == ("alb", [])
    assert not any("trusted_key_groups" in b for b in behaviors)
    assert served_by("/media/public/flyer.pdf", behaviors) == ("media", [])


def test_bucket_paths_are_read_only_cached_and_https_only() -> None:
    for behavior in ordered_behaviors("/media/public/*", POLICIES, KEY_GROUP):
        assert behavior["allowed_methods"] == ["GET", "HEAD", "OPTIONS"]
        assert behavior["viewer_protocol_policy"] == "redirect-to-https"
        assert behavior["cache_policy_id"] == "caching-optimized"
        assert behavior["response_headers_policy_id"] == "security-headers"


def test_the_app_is_never_cached_and_receives_the_viewers_host() -> None:
    behavior = default_behavior(POLICIES, "arn:function")
    assert behavior["target_origin_id"] == "alb"
    assert behavior["cache_policy_id"] == "caching-disabled"
    assert behavior["origin_request_policy_id"] == "all-viewer-except-host"
    assert behavior["viewer_protocol_policy"] == "redirect-to-https"
    assert behavior["function_associations"] == [
        {"event_type": "viewer-request", "function_arn": "arn:function"}
    ]


def test_buckets_are_reached_only_through_origin_access_control_and_the_alb_through_the_vpc() -> None:
    found = origins(
        alb_host="alb.internal",
        vpc_origin_id="vo-1",
        static_domain="static.s3",
        static_access_control_id="oac-static",
        media_domain="media.s3",
        media_access_control_id="oac-media",
    )
    by_id = {o["origin_id"]: o for o in found}
    assert by_id["alb"]["vpc_origin_config"] == {"vpc_origin_id": "vo-1"}
    assert by_id["static"]["origin_access_control_id"] == "oac-static"
    assert by_id["media"]["origin_access_control_id"] == "oac-media"
    assert not any("custom_origin_config" in o or "s3_origin_config" in o for o in found)


def test_app_failures_show_the_maintenance_page_as_503() -> None:
    responses = error_responses("/static/maintenance.html", 10)
    assert {r["error_code"] for r in responses} == {502, 503, 504}
    assert all(
        r["response_code"] == 503 and r["response_page_path"] == "/static/maintenance.html" for r in responses
    )


def test_a_custom_domain_gets_tls_1_2_over_sni() -> None:
    assert viewer_certificate("arn:cert") == {
        "acm_certificate_arn": "arn:cert",
        "ssl_support_method": "sni-only",
        "minimum_protocol_version": "TLSv1.2_2021",
    }
    assert viewer_certificate()["cloudfront_default_certificate"] is True


def test_the_waf_rate_limits_per_ip_first_then_runs_the_managed_groups_in_order() -> None:
    rules = web_acl_rules("site-prod", 2000)
    assert [r["priority"] for r in rules] == list(range(len(rules)))
    first = rules[0]
    assert first["action"] == {"block": {}}
    assert first["statement"]["rate_based_statement"]["limit"] == 2000
    assert first["statement"]["rate_based_statement"]["aggregate_key_type"] == "IP"
    groups = [r["statement"]["managed_rule_group_statement"]["name"] for r in rules[1:]]
    assert groups == [group for group, _ in MANAGED_RULE_GROUPS]
    # `none` keeps each group's own block actions; `count` would only watch.
    assert all(r["override_action"] == {"none": {}} for r in rules[1:])
    metrics = [r["visibility_config"]["metric_name"] for r in rules]
    assert len(set(metrics)) == len(metrics) and all(m.startswith("site-prod-") for m in metrics)


def test_the_waf_log_never_holds_credentials() -> None:
    redacted = {field["single_header"]["name"] for field in redacted_fields()}
    assert {"authorization", "cookie"} <= redacted


def test_only_cloudwatch_logs_for_the_one_waf_log_group_may_use_its_key() -> None:
    policy = json.loads(log_key_policy("123456789012", "aws-waf-logs-site-prod"))
    logs = next(s for s in policy["Statement"] if s["Principal"].get("Service"))
    assert logs["Principal"] == {"Service": f"logs.{EDGE_REGION}.amazonaws.com"}
    assert logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws:logs:{EDGE_REGION}:123456789012:log-group:aws-waf-logs-site-prod"
    )
    assert "kms:*" not in logs["Action"]


def test_the_front_end_and_the_distribution_send_the_same_security_headers() -> None:
    cloudfront = security_headers_config(63_072_000)
    amplify = amplify_custom_headers(63_072_000)
    assert cloudfront["strict_transport_security"]["access_control_max_age_sec"] == 63_072_000
    assert "value: max-age=63072000; includeSubDomains" in amplify
    assert cloudfront["frame_options"]["frame_option"] == "DENY"
    assert "key: X-Frame-Options\n        value: DENY" in amplify
    assert cloudfront["referrer_policy"]["referrer_policy"] in amplify
    assert cloudfront["strict_transport_security"]["preload"] is False


def test_every_bad_input_is_reported_at_once_naming_field_value_and_fix() -> None:
    assert edge_problems(EdgeArgs(**REQUIRED)) == []
    with pytest.raises(ValueError) as raised:
        EdgeArgs(
            **REQUIRED, maintenance_page_path="/maintenance.html", log_prefix="/logs", amplify_stage="LIVE"
        )
    message = str(raised.value)
    assert "maintenance_page_path '/maintenance.html': put it under /static/" in message
    assert "log_prefix '/logs': a key prefix without leading or trailing '/'" in message
    assert "amplify_stage 'LIVE': use one of PRODUCTION" in message


# --- EdgeConfig: its one validator, without Pulumi ----------------------------------------------------


def test_the_defaults_and_a_full_configuration_make_a_config() -> None:
    assert EdgeConfig.problems(DEFAULTS) == []
    full = {
        **DEFAULTS,
        "domain_name": "www.epicvibe.example.com",
        "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
        "amplify_repository": "https://github.com/acme/frontend",
        "amplify_branch": "release/web",
        "amplify_access_token": pulumi.Output.secret("t" * 40),
        "price_class": "PriceClass_All",
        "waf_rate_limit": 10,
    }
    assert EdgeConfig(**full).domain_name == "www.epicvibe.example.com"


@pytest.mark.parametrize(
    ("overrides", "field", "value", "fix"),
    [
        ({"waf_rate_limit": 9}, "waf_rate_limit", 9, "from 10 to 2000000000"),
        ({"waf_rate_limit": 2_000_000_001}, "waf_rate_limit", 2_000_000_001, "from 10 to 2000000000"),
        ({"price_class": "PriceClass_50"}, "price_class", "PriceClass_50", "'PriceClass_200'"),
        (
            {"domain_name": "https://epicvibe.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"},
            "domain_name",
            "https://epicvibe.example.com",
            "lower-case host name",
        ),
        (
            {"domain_name": "epicvibe.example.com", "hosted_zone_id": "zone-1"},
            "hosted_zone_id",
            "zone-1",
            "Route 53 hosted zone id",
        ),
        ({"domain_name": "epicvibe.example.com"}, "hosted_zone_id", "", "set together with the domain name"),
        (
            {"hosted_zone_id": "Z0123456789ABCDEFGHIJ"},
            "hosted_zone_id",
            "Z0123456789ABCDEFGHIJ",
            "set together",
        ),
        (
            {"amplify_repository": "git@github.com:acme/frontend.git", "amplify_access_token": "x"},
            "amplify_repository",
            "git@github.com:acme/frontend.git",
            "HTTPS URL",
        ),
        (
            {"amplify_repository": "https://github.com/acme/frontend"},
            "amplify_repository",
            "https://github.com/acme/frontend",
            "--secret amplifyAccessToken",
        ),
        ({"amplify_access_token": "x"}, "amplify_repository", "", "set both or neither"),
        ({"amplify_branch": "my branch"}, "amplify_branch", "my branch", "branch name"),
        ({"amplify_branch": ""}, "amplify_branch", "", "branch name"),
        ({"amplify_domain_prefix": "App"}, "amplify_domain_prefix", "App", "one lower-case DNS label"),
    ],
)
def test_config_refuses_naming_field_value_and_fix(
    overrides: dict[str, Any], field: str, value: Any, fix: str
) -> None:
    (problem,) = EdgeConfig.problems({**DEFAULTS, **overrides})
    assert (problem.field, problem.value) == (field, value)
    assert fix in problem.fix
    with pytest.raises(ValueError, match=f"invalid EdgeConfig: {field}"):
        EdgeConfig(**{**DEFAULTS, **overrides})


def test_price_classes_and_the_waf_rate_bounds_are_the_ones_aws_models() -> None:
    # botocore's service models are AWS's own API definitions. The config leaf does not read them at
    # plan time (it stays cheap to import); this holds the two equal. The offered price classes are
    # a subset: the model may list values the stack does not offer.
    import botocore.session

    session = botocore.session.get_session()

    def shape(service: str, name: str) -> Any:
        return session.get_service_model(service).shape_for(name)

    assert set(PRICE_CLASSES) <= set(shape("cloudfront", "PriceClass").enum)
    limit = shape("wafv2", "RateBasedStatement").members["Limit"]
    assert (limit.metadata["min"], limit.metadata["max"]) == (WAF_RATE_LIMIT_MINIMUM, WAF_RATE_LIMIT_MAXIMUM)
    zone_id = shape("route53", "ResourceId")
    assert HOSTED_ZONE_PATTERN.match("Z" + "A" * (zone_id.metadata["max"] - 1))
    assert not HOSTED_ZONE_PATTERN.match("Z" + "A" * zone_id.metadata["max"])


def test_pulumi_yaml_states_the_waf_rate_bounds_the_config_enforces() -> None:
    description = " ".join(declared_keys()["wafRateLimit"].description.split())
    assert f"({WAF_RATE_LIMIT_MINIMUM} to {WAF_RATE_LIMIT_MAXIMUM})" in description


def test_the_access_token_never_appears_in_a_refusal() -> None:
    token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"
    problems = EdgeConfig.problems({**DEFAULTS, "amplify_access_token": token})
    assert problems
    assert all(token not in str(problem) for problem in problems)


@pytest.mark.parametrize(
    ("pattern", "public"),
    [
        ("/media/public/*", True),
        ("/media/a/b/*", True),
        ("/media/*", False),
        ("/media/p*/*", False),
        ("/static/*", False),
    ],
)
def test_only_a_folder_under_media_can_be_public(pattern: str, public: bool) -> None:
    assert bool(PUBLIC_MEDIA_PATTERN.fullmatch(pattern)) is public


@pytest.mark.subprocess
def test_reading_the_edge_and_storage_config_does_not_import_pulumi_aws() -> None:
    # settings/ builds StorageConfig (and checks the signing key) from storage, and the edge's
    # config imports PUBLIC_MEDIA_PATTERN from it.
    code = (
        "import sys, components.edge, components.storage; "
        "from components.storage import PUBLIC_MEDIA_PATTERN, StorageConfig, media_signing_key_problem; "
        "print('pulumi_aws' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
