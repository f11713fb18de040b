"""Edge: CloudFront in front of the internal ALB and the buckets, the WAF, the custom domain.

The component is built directly with plain-string stand-ins for the app and data tiers' outputs,
and checked through what the engine would receive.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _sync_await

from components.edge import FORWARDED_HOST_FUNCTION, MANAGED_RULE_GROUPS, Edge, EdgeArgs, EdgeConfig
from components.handles import AlbTarget, Buckets
from offline.engine import RegisteredResource, Registrations, activate_mocks, build_components
from offline.mock_answers_edge import (
    CLOUDFRONT_HOSTED_ZONE_ID,
    MANAGED_CACHE_POLICIES,
    MANAGED_ORIGIN_REQUEST_POLICIES,
)
from offline.stack_config import load_stack_config
from settings import load_settings
from tests._handles import alb_target, buckets, stack_wide
from tests.conftest import ROOT, STACKS, build_shared
from tests.test_edge_pieces import DEFAULTS as CONFIG_DEFAULTS

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
CERTIFICATE = "aws:acm/certificate:Certificate"
CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
PROVIDER = "pulumi:providers:aws"
LOG_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
AMPLIFY_APP = "aws:amplify/app:App"
AMPLIFY_BRANCH = "aws:amplify/branch:Branch"

ALB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/epicvibe-alb/50dc6c495c0c9188"
ALB_DNS = "internal-epicvibe-alb-1234567890.eu-west-1.elb.amazonaws.com"
STATIC_DOMAIN = "epicvibe-static-0a1b2c.s3.eu-west-1.amazonaws.com"
MEDIA_DOMAIN = "epicvibe-media-0a1b2c.s3.eu-west-1.amazonaws.com"
DOMAIN = "epicvibe.example.com"
ZONE = "Z0000000EXAMPLE0ZONE"
TOKEN = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"


def alb(**changes: Any) -> AlbTarget:
    """The load balancer's handle: HTTP to its DNS name unless changed."""
    return alb_target(
        **{"arn": ALB_ARN, "dns_name": ALB_DNS, "https": False, "origin_domain_name": None, **changes}
    )


def stored(**changes: Any) -> Buckets:
    """The storage's handle: no media signing unless changed."""
    values = {
        "static_regional_domain_name": STATIC_DOMAIN,
        "media_regional_domain_name": MEDIA_DOMAIN,
        "log_name": "epicvibe-logs-0a1b2c",
        "static_name": "epicvibe-static-0a1b2c",
    }
    return buckets(**{**values, **changes})


def edge_args(**overrides: Any) -> EdgeArgs:
    """Stand-ins shaped like the LoadBalancer and Storage outputs the lead will pass; overrides of
    EdgeConfig's fields go into the config (Pulumi.yaml's defaults otherwise)."""
    config = {name: overrides.pop(name) for name in list(overrides) if name in CONFIG_DEFAULTS}
    values: dict[str, Any] = {
        "config": EdgeConfig(**{**CONFIG_DEFAULTS, **config}),
        "load_balancer": alb(),
        "buckets": stored(),
        "stack": stack_wide(tags={"Stack": "test", "Owner": "platform-team"}),
    }
    values.update(overrides)
    return EdgeArgs(**values)


def build_edge(build: Callable[..., Registrations], **overrides: Any) -> tuple[Edge, Registrations]:
    holder: dict[str, Edge] = {}

    def construct() -> None:
        holder["edge"] = Edge("edge", edge_args(**overrides))

    built = build(construct)
    return holder["edge"], built


@pytest.fixture(scope="module")
def default_edge() -> Iterator[tuple[Edge, Registrations]]:
    """The edge from `edge_args()` alone, built once for the module: the tests that need nothing
    else only read it."""
    holder: dict[str, Edge] = {}

    def construct() -> None:
        holder["edge"] = Edge("edge", edge_args())

    for built in build_shared(construct):
        yield holder["edge"], built


def resolve(output: pulumi.Output[Any]) -> Any:
    return _sync_await(output.future())


def distribution(built: Registrations) -> dict[str, Any]:
    (found,) = built.of_type(DISTRIBUTION)
    return found.inputs


def behaviours(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return [inputs["defaultCacheBehavior"], *inputs["orderedCacheBehaviors"]]


def origin(inputs: dict[str, Any], origin_id: str) -> dict[str, Any]:
    return next(o for o in inputs["origins"] if o["originId"] == origin_id)


def in_us_east_1(resource: RegisteredResource) -> bool:
    """Placed in us-east-1 by its own `region`, through the stack's provider (no explicit one)."""
    return resource.inputs.get("region") == "us-east-1" and not resource.provider


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


# --- TLS, certificate and DNS --------------------------------------------------------------------


def test_custom_domain_uses_a_validated_us_east_1_certificate_with_tls_1_2(
    build: Callable[..., Registrations],
) -> None:
    edge, built = build_edge(build, domain_name=DOMAIN, hosted_zone_id=ZONE)
    assert not built.of_type(PROVIDER)

    (certificate,) = built.of_type(CERTIFICATE)
    assert certificate.inputs["domainName"] == DOMAIN
    assert certificate.inputs["validationMethod"] == "DNS"
    assert in_us_east_1(certificate)
    assert certificate.outputs["arn"].startswith("arn:aws:acm:us-east-1:")

    (validation_option,) = certificate.outputs["domainValidationOptions"]
    validation_record = built.named("edge-certificate-validation")
    assert validation_record.inputs["zoneId"] == ZONE
    assert validation_record.inputs["name"] == validation_option["resourceRecordName"]
    assert validation_record.inputs["type"] == "CNAME"
    assert validation_record.inputs["records"] == [validation_option["resourceRecordValue"]]

    (validated,) = built.of_type(CERTIFICATE_VALIDATION)
    assert in_us_east_1(validated)
    assert validated.inputs["validationRecordFqdns"] == [validation_record.outputs["fqdn"]]

    inputs = distribution(built)
    assert inputs["aliases"] == [DOMAIN]
    assert inputs["viewerCertificate"] == {
        "acmCertificateArn": certificate.outputs["arn"],
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    # The distribution may only use the certificate once it is validated.
    assert validated.urn in built.named("edge-cdn").property_dependencies["viewerCertificate"]

    for record_type in ("A", "AAAA"):
        alias = built.named(f"edge-alias-{record_type.lower()}")
        assert alias.inputs["type"] == record_type
        assert alias.inputs["name"] == DOMAIN
        assert alias.inputs["zoneId"] == ZONE
        (target,) = alias.inputs["aliases"]
        assert target["zoneId"] == CLOUDFRONT_HOSTED_ZONE_ID
        assert target["name"].endswith(".cloudfront.net")

    assert resolve(edge.site_host) == DOMAIN
    assert resolve(edge.site_url) == f"https://{DOMAIN}"
    assert resolve(edge.certificate_arn) == certificate.outputs["arn"]  # type: ignore[arg-type]


def test_without_a_domain_the_cloudfront_name_and_certificate_are_used(
    default_edge: tuple[Edge, Registrations],
) -> None:
    edge, built = default_edge
    assert not built.of_type(CERTIFICATE, CERTIFICATE_VALIDATION, RECORD)
    inputs = distribution(built)
    assert not inputs.get("aliases")
    # CloudFront applies its TLSv1 policy to *.cloudfront.net whatever is asked; the plan says so.
    assert inputs["viewerCertificate"] == {
        "cloudfrontDefaultCertificate": True,
        "minimumProtocolVersion": "TLSv1",
    }
    host = resolve(edge.site_host)
    assert host.endswith(".cloudfront.net")
    assert host == built.named("edge-cdn").outputs["domainName"]
    assert resolve(edge.site_url) == f"https://{host}"
    assert edge.certificate_arn is None


@pytest.mark.parametrize(
    ("origin_domain_name", "expected"),
    [(None, ALB_DNS), ("origin.epicvibe.example.com", "origin.epicvibe.example.com")],
)
def test_origin_host_is_the_host_header_django_receives(
    build: Callable[..., Registrations], origin_domain_name: str | None, expected: str
) -> None:
    edge, built = build_edge(
        build, load_balancer=alb(https=origin_domain_name is not None, origin_domain_name=origin_domain_name)
    )
    assert resolve(edge.origin_host) == expected
    # AllViewerExceptHostHeader: CloudFront sends the origin's domain name as Host.
    assert origin(distribution(built), "alb")["domainName"] == expected


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"domain_name": DOMAIN}, "hosted_zone_id '': set together with the domain name"),
        ({"hosted_zone_id": ZONE}, f"hosted_zone_id '{ZONE}': set together with the domain name"),
        ({"price_class": "PriceClass_Cheap"}, "price_class 'PriceClass_Cheap'"),
        ({"waf_rate_limit": 5}, "waf_rate_limit 5"),
        ({"error_caching_seconds": 3600}, "error_caching_seconds 3600"),
        ({"log_prefix": "/cloudfront/"}, "log_prefix '/cloudfront/'"),
        ({"amplify_repository": "https://github.com/acme/frontend"}, "needs the Amplify access token"),
        ({"amplify_access_token": TOKEN}, "access token is given without a repository"),
        ({"amplify_stage": "prod"}, "amplify_stage 'prod'"),
    ],
)
def test_invalid_args_are_refused_naming_the_value_and_the_fix(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        edge_args(**overrides)


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


# --- per stack: settings drive the component the way __main__.py will --------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_stack_settings_shape_the_edge(stack: str) -> None:
    config = load_stack_config(ROOT, stack)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    monitor = activate_mocks(config.project, stack)
    edge_settings = load_settings().edge

    built = build_components(
        monitor,
        lambda: Edge(
            "epicvibe-edge",
            dataclasses.replace(edge_args(), config=edge_settings),
        ),
    )
    inputs = distribution(built)
    assert ("webAclId" in inputs) is edge_settings.waf_enabled  # required in production
    if stack == "prod":
        assert inputs["aliases"] == ["epicvibe.example.com"]
        assert inputs["viewerCertificate"]["minimumProtocolVersion"] == "TLSv1.2_2021"
        assert inputs["priceClass"] == "PriceClass_200"
        assert len(built.of_type(RECORD)) == 3  # validation, A, AAAA
    else:
        assert inputs["viewerCertificate"]["cloudfrontDefaultCertificate"] is True
        assert inputs["priceClass"] == "PriceClass_100"
        assert not built.of_type(CERTIFICATE, RECORD)


def test_amplify_serves_the_front_end_on_the_domain_and_knows_the_api(
    build: Callable[..., Registrations],
) -> None:
    _, built = build_edge(
        build,
        domain_name=DOMAIN,
        hosted_zone_id=ZONE,
        amplify_repository="https://github.com/acme/frontend",
        amplify_access_token=pulumi.Output.secret(TOKEN),
        amplify_domain_prefix="www2",
        amplify_environment={"SENTRY_DSN_HOST": "o1.ingest.sentry.io"},
    )
    (app,) = built.of_type(AMPLIFY_APP)
    assert app.inputs["environmentVariables"] == {
        "API_URL": f"https://{DOMAIN}",
        "SENTRY_DSN_HOST": "o1.ingest.sentry.io",
    }
    (association,) = built.of_type("aws:amplify/domainAssociation:DomainAssociation")
    assert association.inputs["domainName"] == DOMAIN
    assert association.inputs["subDomains"] == [{"branchName": "main", "prefix": "www2"}]
    assert association.inputs["waitForVerification"] is False


def test_amplify_without_a_domain_keeps_its_own_and_refuses_credentials_in_its_environment(
    build: Callable[..., Registrations],
) -> None:
    _, built = build_edge(
        build,
        amplify_repository="https://github.com/acme/frontend",
        amplify_access_token=pulumi.Output.secret(TOKEN),
    )
    assert not built.of_type("aws:amplify/domainAssociation:DomainAssociation")
    with pytest.raises(ValueError, match="API_TOKEN"):
        edge_args(
            amplify_repository="https://github.com/acme/frontend",
            amplify_access_token=TOKEN,
            amplify_environment={"API_TOKEN": "x"},
        )
