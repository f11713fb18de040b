"""Edge: CloudFront in front of the internal ALB and the buckets, the WAF, access logs, Amplify and
tags; the custom domain, its certificate and the per-stack shape are in `test_edge_domain.py`.

The component is built directly with plain-string stand-ins for the app and data tiers' outputs,
and checked through what the engine would receive.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pytest
from pulumi.runtime import rpc

from components.edge import FORWARDED_HOST_FUNCTION, MANAGED_RULE_GROUPS, Edge
from offline.engine import Registrations
from offline.mock_answers_edge import (
    MANAGED_CACHE_POLICIES,
    MANAGED_ORIGIN_REQUEST_POLICIES,
)
from tests._edge import (
    ALB_ARN,
    ALB_DNS,
    AMPLIFY_APP,
    AMPLIFY_BRANCH,
    BUCKET_OBJECT,
    CERTIFICATE,
    DISTRIBUTION,
    DOMAIN,
    HEADERS_POLICY,
    LOG_DELIVERY,
    LOG_DESTINATION,
    LOG_SOURCE,
    MEDIA_DOMAIN,
    OAC,
    STATIC_DOMAIN,
    TOKEN,
    VPC_ORIGIN,
    WEB_ACL,
    ZONE,
    alb,
    behaviours,
    build_edge,
    distribution,
    edge_args,
    in_us_east_1,
    origin,
    resolve,
)

# --- origins and behaviours -------------------------------------------------------------------------


def test_default_behaviour_reaches_the_alb_through_a_vpc_origin_uncached(
    default_edge: tuple[Edge, Registrations],
) -> None:
    _, built = default_edge
    inputs = distribution(built)
    (vpc_origin,) = built.of_type(VPC_ORIGIN)
    assert vpc_origin.inputs["vpcOriginEndpointConfig"]["arn"] == ALB_ARN

    alb = origin(inputs, "alb")
    assert alb["domainName"] == ALB_DNS
    assert alb["vpcOriginConfig"]["vpcOriginId"].startswith("vo_")
    assert vpc_origin.urn in built.named("edge-cdn").property_dependencies["origins"]
    # A VPC origin, not a public custom origin: the ALB stays internal.
    assert "customOriginConfig" not in alb

    default = inputs["defaultCacheBehavior"]
    assert default["targetOriginId"] == "alb"
    assert default["cachePolicyId"] == MANAGED_CACHE_POLICIES["Managed-CachingDisabled"]
    assert (
        default["originRequestPolicyId"]
        == MANAGED_ORIGIN_REQUEST_POLICIES["Managed-AllViewerExceptHostHeader"]
    )
    assert {"POST", "PUT", "PATCH", "DELETE"} <= set(default["allowedMethods"])


@pytest.mark.parametrize(("alb_https", "policy"), [(True, "https-only"), (False, "http-only")])
def test_origin_protocol_follows_the_albs_listener(
    build: Callable[..., Registrations], alb_https: bool, policy: str
) -> None:
    _, built = build_edge(build, load_balancer=alb(https=alb_https))
    (vpc_origin,) = built.of_type(VPC_ORIGIN)
    config = vpc_origin.inputs["vpcOriginEndpointConfig"]
    assert config["originProtocolPolicy"] == policy
    assert config["originSslProtocols"]["items"] == ["TLSv1.2"]


def test_static_and_media_are_served_from_their_buckets_through_origin_access_control(
    default_edge: tuple[Edge, Registrations],
) -> None:
    _, built = default_edge
    inputs = distribution(built)
    controls = {r.name: r for r in built.of_type(OAC)}
    assert set(controls) == {"edge-static-oac", "edge-media-oac"}
    for control in controls.values():
        assert control.inputs["originAccessControlOriginType"] == "s3"
        assert control.inputs["signingBehavior"] == "always"
        assert control.inputs["signingProtocol"] == "sigv4"

    by_path = {b["pathPattern"]: b for b in inputs["orderedCacheBehaviors"]}
    # Without a signing key only the public media prefix is served from the bucket
    # (tests/test_private_media.py covers /media/* with its key group).
    assert set(by_path) == {"/static/*", "/media/public/*"}
    for role, domain, path in (
        ("static", STATIC_DOMAIN, "/static/*"),
        ("media", MEDIA_DOMAIN, "/media/public/*"),
    ):
        behaviour = by_path[path]
        assert behaviour["targetOriginId"] == role
        assert behaviour["allowedMethods"] == ["GET", "HEAD", "OPTIONS"]
        assert behaviour["cachePolicyId"] == MANAGED_CACHE_POLICIES["Managed-CachingOptimized"]
        bucket_origin = origin(inputs, role)
        assert bucket_origin["domainName"] == domain
        assert bucket_origin["originAccessControlId"].startswith("E")
        # Each bucket is signed for by its own access control, and neither uses a legacy identity.
        assert controls[f"edge-{role}-oac"].urn in built.named("edge-cdn").property_dependencies["origins"]
        assert "s3OriginConfig" not in bucket_origin
    assert (
        origin(inputs, "static")["originAccessControlId"] != origin(inputs, "media")["originAccessControlId"]
    )


def test_every_behaviour_redirects_http_to_https_and_compresses(
    default_edge: tuple[Edge, Registrations],
) -> None:
    _, built = default_edge
    inputs = distribution(built)
    assert len(behaviours(inputs)) == 3
    for behaviour in behaviours(inputs):
        assert behaviour["viewerProtocolPolicy"] == "redirect-to-https"
        assert behaviour["compress"] is True
    assert inputs["isIpv6Enabled"] is True
    assert inputs["httpVersion"] == "http2and3"


def test_security_headers_reach_every_response(default_edge: tuple[Edge, Registrations]) -> None:
    _, built = default_edge
    (policy,) = built.of_type(HEADERS_POLICY)
    headers = policy.inputs["securityHeadersConfig"]
    hsts = headers["strictTransportSecurity"]
    assert hsts["accessControlMaxAgeSec"] >= 31_536_000
    assert hsts["includeSubdomains"] is True and hsts["override"] is True
    assert headers["contentTypeOptions"]["override"] is True
    assert headers["frameOptions"] == {"frameOption": "DENY", "override": True}
    assert headers["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    assert {b["responseHeadersPolicyId"] for b in behaviours(distribution(built))} == {
        policy.outputs["arn"].rsplit("/", 1)[-1]
    }
    dependencies = built.named("edge-cdn").property_dependencies
    assert policy.urn in dependencies["defaultCacheBehavior"]
    assert policy.urn in dependencies["orderedCacheBehaviors"]


def test_viewer_host_is_forwarded_for_django(default_edge: tuple[Edge, Registrations]) -> None:
    edge, built = default_edge
    (function,) = built.of_type("aws:cloudfront/function:Function")
    assert function.inputs["runtime"] == "cloudfront-js-2.0"
    assert function.inputs["code"] == FORWARDED_HOST_FUNCTION
    assert "x-forwarded-host" in FORWARDED_HOST_FUNCTION
    associations = distribution(built)["defaultCacheBehavior"]["functionAssociations"]
    assert associations == [{"eventType": "viewer-request", "functionArn": function.outputs["arn"]}]
    # The buckets need no Host rewriting.
    assert all("functionAssociations" not in b for b in distribution(built)["orderedCacheBehaviors"])
    assert edge.forwarded_host_header == "X-Forwarded-Host"


def test_app_outages_show_the_maintenance_page_from_the_static_bucket(
    default_edge: tuple[Edge, Registrations],
) -> None:
    _, built = default_edge
    responses = {r["errorCode"]: r for r in distribution(built)["customErrorResponses"]}
    assert set(responses) == {502, 503, 504}
    for response in responses.values():
        assert response["responsePagePath"] == "/static/maintenance.html"
        assert response["responseCode"] == 503
        assert response["errorCachingMinTtl"] <= 30
    (page,) = built.of_type(BUCKET_OBJECT)
    assert page.inputs["bucket"] == "epicvibe-static-0a1b2c"
    assert page.inputs["key"] == "static/maintenance.html"
    assert page.inputs["contentType"].startswith("text/html")
    assert "<html" in page.inputs["content"]


def test_without_the_upload_no_page_is_uploaded(build: Callable[..., Registrations]) -> None:
    _, built = build_edge(build, upload_maintenance_page=False)
    assert not built.of_type(BUCKET_OBJECT)
    assert distribution(built)["customErrorResponses"]


def test_a_maintenance_page_outside_static_is_refused() -> None:
    with pytest.raises(ValueError, match=r"maintenance_page_path '/maintenance.html'.*under /static/"):
        edge_args(maintenance_page_path="/maintenance.html")


@pytest.mark.parametrize("price_class", ["PriceClass_100", "PriceClass_200", "PriceClass_All"])
def test_price_class_comes_from_the_args(build: Callable[..., Registrations], price_class: str) -> None:
    _, built = build_edge(build, price_class=price_class)
    assert distribution(built)["priceClass"] == price_class


# --- WAF ----------------------------------------------------------------------------------------


def test_waf_screens_the_distribution_with_managed_rules_and_a_rate_limit(
    build: Callable[..., Registrations],
) -> None:
    edge, built = build_edge(build, waf_rate_limit=750)
    (acl,) = built.of_type(WEB_ACL)
    assert in_us_east_1(acl)
    assert acl.inputs["scope"] == "CLOUDFRONT"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    assert distribution(built)["webAclId"] == acl.outputs["arn"]
    assert acl.outputs["arn"].startswith("arn:aws:wafv2:us-east-1:123456789012:global/webacl/")
    assert resolve(edge.web_acl_arn) == acl.outputs["arn"]  # type: ignore[arg-type]

    rules = {rule["name"]: rule for rule in acl.inputs["rules"]}
    rate = rules.pop("rate-limit-per-ip")
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"]["limit"] == 750
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    assert (
        set(rules)
        == {group for group, _ in MANAGED_RULE_GROUPS}
        == {
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesSQLiRuleSet",
            "AWSManagedRulesAmazonIpReputationList",
        }
    )
    for name, rule in rules.items():
        statement = rule["statement"]["managedRuleGroupStatement"]
        assert statement == {"vendorName": "AWS", "name": name}
        # `none` keeps each group's own block actions; `count` would only watch.
        assert rule["overrideAction"] == {"none": {}}

    priorities = [rule["priority"] for rule in acl.inputs["rules"]]
    assert len(set(priorities)) == len(priorities)
    metric_names = set()
    for config in [acl.inputs["visibilityConfig"], *(r["visibilityConfig"] for r in acl.inputs["rules"])]:
        assert config["cloudwatchMetricsEnabled"] is True
        assert config["sampledRequestsEnabled"] is True
        metric_names.add(config["metricName"])
    assert len(metric_names) == 6
    assert edge.waf_metric_name == acl.inputs["visibilityConfig"]["metricName"] == "edge-test-waf"


def test_without_waf_nothing_is_attached(build: Callable[..., Registrations]) -> None:
    edge, built = build_edge(build, waf_enabled=False)
    assert not built.of_type(WEB_ACL)
    assert "webAclId" not in distribution(built)
    assert edge.web_acl_arn is None and edge.waf_metric_name is None


# --- logging, Amplify, tags -----------------------------------------------------------------------


def test_access_logs_go_to_the_log_bucket_through_standard_logging_v2(
    default_edge: tuple[Edge, Registrations],
) -> None:
    _, built = default_edge
    (source,) = built.of_type(LOG_SOURCE)
    (destination,) = built.of_type(LOG_DESTINATION)
    (delivery,) = built.of_type(LOG_DELIVERY)
    for resource in (source, destination, delivery):
        # CloudFront's delivery source only exists in us-east-1.
        assert in_us_east_1(resource)
    assert source.inputs["logType"] == "ACCESS_LOGS"
    assert source.inputs["resourceArn"] == built.named("edge-cdn").outputs["arn"]
    assert (
        destination.inputs["deliveryDestinationConfiguration"]["destinationResourceArn"]
        == "arn:aws:s3:::epicvibe-logs-0a1b2c/cloudfront"
    )
    assert delivery.inputs["deliverySourceName"] == source.outputs["name"]
    assert delivery.inputs["deliveryDestinationArn"] == destination.outputs["arn"]
    # Legacy logging would need ACLs on the log bucket, which BucketOwnerEnforced disables.
    assert "loggingConfig" not in distribution(built)


def test_amplify_app_and_branch_only_with_a_repository(default_edge: tuple[Edge, Registrations]) -> None:
    edge, built = default_edge
    assert not built.of_type(AMPLIFY_APP, AMPLIFY_BRANCH)
    assert edge.amplify_app_id is None


def test_amplify_builds_the_configured_branch_with_the_secret_token(
    build: Callable[..., Registrations],
) -> None:
    edge, built = build_edge(
        build,
        amplify_repository="https://github.com/acme/frontend",
        amplify_access_token=pulumi.Output.secret(TOKEN),
        amplify_branch="release",
        amplify_stage="BETA",
    )
    (app,) = built.of_type(AMPLIFY_APP)
    (branch,) = built.of_type(AMPLIFY_BRANCH)
    assert app.inputs["repository"] == "https://github.com/acme/frontend"
    # The token travels as a secret: the engine stores it encrypted and never prints it.
    assert app.inputs["accessToken"] == {rpc._special_sig_key: rpc._special_secret_sig, "value": TOKEN}
    assert "Strict-Transport-Security" in app.inputs["customHeaders"]
    assert branch.inputs["branchName"] == "release"
    assert branch.inputs["stage"] == "BETA"
    assert resolve(edge.amplify_default_domain).endswith(".amplifyapp.com")  # type: ignore[arg-type]


def test_tags_reach_every_taggable_child(build: Callable[..., Registrations]) -> None:
    _, built = build_edge(build, domain_name=DOMAIN, hosted_zone_id=ZONE)
    taggable = {
        DISTRIBUTION,
        VPC_ORIGIN,
        WEB_ACL,
        CERTIFICATE,
        LOG_SOURCE,
        LOG_DESTINATION,
        LOG_DELIVERY,
        BUCKET_OBJECT,
    }
    for resource in built.of_type(*taggable):
        assert resource.inputs["tags"]["Owner"] == "platform-team", resource.name
        assert resource.inputs["tags"]["Stack"] == "test", resource.name
    assert {r.type for r in built.of_type(*taggable)} == taggable
