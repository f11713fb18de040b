"""Edge: CloudFront HTTPS and TLS minimum, HTTP listeners that only redirect, header parsing."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from platform_guard import BY_NAME
from tests.policy_harness import UNKNOWN, Res, check_resource, check_stack

HTTPS_ONLY = BY_NAME["cloudfront-https-only"]
TLS = BY_NAME["cloudfront-minimum-tls"]
REDIRECTS = BY_NAME["lb-http-redirects-to-https"]
HEADERS = BY_NAME["alb-drops-invalid-headers"]
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"

REDIRECT = {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
FORWARD = {"type": "forward", "targetGroupArn": "arn:tg"}


def test_allow_all_on_the_default_behavior_is_flagged() -> None:
    outcome = check_resource(
        HTTPS_ONLY, DISTRIBUTION, {"defaultCacheBehavior": {"viewerProtocolPolicy": "allow-all"}}
    )
    assert outcome.messages and outcome.messages[0].startswith(
        "defaultCacheBehavior has viewerProtocolPolicy"
    )
    assert check_resource(
        HTTPS_ONLY, DISTRIBUTION, {"defaultCacheBehavior": {"viewerProtocolPolicy": "https-only"}}
    ).passed


def test_custom_certificate_without_minimum_defaults_to_tls1() -> None:
    outcome = check_resource(TLS, DISTRIBUTION, {"viewerCertificate": {"acmCertificateArn": "arn:aws:acm:c"}})
    assert outcome.messages and "TLSv1 (the default)" in outcome.messages[0]


@pytest.mark.parametrize(
    "version", ["TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"]
)
def test_tls12_and_later_policies_pass(version: str) -> None:
    props = {"viewerCertificate": {"iamCertificateId": "ASCA", "minimumProtocolVersion": version}}
    assert check_resource(TLS, DISTRIBUTION, props).passed


def test_default_certificate_is_accepted_only_outside_production() -> None:
    props = {"viewerCertificate": {"cloudfrontDefaultCertificate": True}}
    assert check_resource(TLS, DISTRIBUTION, props).passed
    outcome = check_resource(TLS, DISTRIBUTION, props, profile="production")
    assert outcome.messages and "default *.cloudfront.net certificate" in outcome.messages[0]


def test_unknown_certificate_is_not_judged_yet() -> None:
    outcome = check_resource(TLS, DISTRIBUTION, {"viewerCertificate": {"acmCertificateArn": UNKNOWN}})
    assert not outcome.violations and outcome.not_judged


def listener_stack(
    lb_type: str = "aws:lb/loadBalancer:LoadBalancer",
    listener_type: str = "aws:lb/listener:Listener",
    internal: object = False,
    protocol: object = "HTTP",
    action: Mapping[str, object] = FORWARD,
    rule_action: Mapping[str, object] | None = None,
) -> list[Res]:
    listener_props: dict[str, object] = {"port": 80.0, "defaultActions": [action]}
    if protocol is not None:
        listener_props["protocol"] = protocol
    resources = [
        Res("alb", lb_type, {"internal": internal}),
        Res("http", listener_type, listener_props, deps={"loadBalancerArn": ["alb"]}),
    ]
    if rule_action is not None:
        resources.append(
            Res(
                "rule",
                listener_type.replace("listener:Listener", "listenerRule:ListenerRule"),
                {"priority": 10.0, "actions": [rule_action]},
                deps={"listenerArn": ["http"]},
            )
        )
    return resources


@pytest.mark.parametrize(
    ("lb_type", "listener_type"),
    [
        ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener"),
        ("aws:alb/loadBalancer:LoadBalancer", "aws:alb/listener:Listener"),
    ],
)
def test_old_and_new_tokens(lb_type: str, listener_type: str) -> None:
    assert check_stack(REDIRECTS, listener_stack(lb_type, listener_type)).violations
    assert check_stack(REDIRECTS, listener_stack(lb_type, listener_type, action=REDIRECT)).passed


def test_internal_load_balancers_are_exempt() -> None:
    assert check_stack(REDIRECTS, listener_stack(internal=True)).passed


def test_listener_without_protocol_on_an_alb_is_http() -> None:
    assert check_stack(REDIRECTS, listener_stack(protocol=None)).violations


def test_https_listeners_may_forward() -> None:
    assert check_stack(REDIRECTS, listener_stack(protocol="HTTPS")).passed


def test_redirect_keeping_http_is_not_a_redirect_to_https() -> None:
    keep = {"type": "redirect", "redirect": {"protocol": "#{protocol}", "statusCode": "HTTP_301"}}
    assert check_stack(REDIRECTS, listener_stack(action=keep)).violations


def test_listener_rules_that_forward_over_http_are_flagged() -> None:
    outcome = check_stack(REDIRECTS, listener_stack(action=REDIRECT, rule_action=FORWARD))
    assert outcome.urns == [Res("rule", "aws:lb/listenerRule:ListenerRule").urn]


def test_unknown_internal_flag_is_not_judged_yet() -> None:
    outcome = check_stack(REDIRECTS, listener_stack(internal=UNKNOWN))
    assert not outcome.violations and outcome.not_judged and "internal" in outcome.not_judged


def test_drop_invalid_headers_applies_to_application_load_balancers_only() -> None:
    assert check_resource(
        HEADERS, "aws:alb/loadBalancer:LoadBalancer", {"dropInvalidHeaderFields": False}
    ).violations
    assert check_resource(HEADERS, "aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "network"}).passed


def test_listener_of_a_load_balancer_outside_the_stack_cannot_be_judged() -> None:
    listener = Res(
        "http", "aws:lb/listener:Listener", {"loadBalancerArn": "arn:existing", "protocol": "HTTP"}
    )
    outcome = check_stack(REDIRECTS, [listener])
    assert not outcome.violations
    assert outcome.not_judged and "not created by this stack" in outcome.not_judged
