"""Edge: HTTPS for viewers, TLS 1.2 at least, HTTP listeners that only redirect, strict header parsing."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .props import UNKNOWN, Judge, is_production, non_empty, truthy
from .stack_graph import label, linked

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LOAD_BALANCERS = frozenset({"aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"})
LISTENERS = frozenset({"aws:lb/listener:Listener", "aws:alb/listener:Listener"})
LISTENER_RULES = frozenset({"aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"})

# --- cloudfront-https-only -------------------------------------------------------------------


def _viewer_https(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != DISTRIBUTION:
        return
    judge = Judge(args.name)
    behaviors = [("defaultCacheBehavior", judge.get(args.props, "defaultCacheBehavior"))]
    behaviors += [
        (f"orderedCacheBehaviors[{i}]", b) for i, b in judge.items(args.props, "orderedCacheBehaviors")
    ]
    for where, behavior in behaviors:
        policy = judge.get(behavior, "viewerProtocolPolicy", label=f"{where}.viewerProtocolPolicy")
        if isinstance(policy, str) and policy == "allow-all":
            path = judge.get(behavior, "pathPattern")
            scope = f" ({path})" if isinstance(path, str) else ""
            report(
                f"{where}{scope} has viewerProtocolPolicy 'allow-all': viewers can use plain HTTP, so "
                "session cookies and form posts travel unencrypted. Use 'redirect-to-https' or 'https-only'.",
                None,
            )
    judge.settle()


cloudfront_https_only = ResourceValidationPolicy(
    name="cloudfront-https-only",
    description="Every CloudFront cache behavior serves viewers over HTTPS only (redirect-to-https or https-only, never allow-all).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_viewer_https,
)


# --- cloudfront-minimum-tls ------------------------------------------------------------------


def _tls12_or_later(version: str) -> bool:
    return version.startswith("TLSv1.2_") or version.startswith("TLSv1.3")


def _minimum_tls(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != DISTRIBUTION:
        return
    judge = Judge(args.name)
    certificate = judge.get(args.props, "viewerCertificate")
    acm = judge.get(certificate, "acmCertificateArn", label="viewerCertificate.acmCertificateArn")
    iam = judge.get(certificate, "iamCertificateId", label="viewerCertificate.iamCertificateId")
    version = judge.get(
        certificate, "minimumProtocolVersion", label="viewerCertificate.minimumProtocolVersion"
    )
    if any(v is UNKNOWN for v in (certificate, acm, iam, version)):
        judge.settle()
        return
    if non_empty(acm) or non_empty(iam):
        effective = version if isinstance(version, str) and version else "TLSv1"
        if not _tls12_or_later(effective):
            report(
                f"minimumProtocolVersion is {effective}{'' if version else ' (the default)'}: viewers may "
                "negotiate TLS 1.0/1.1. Set it to TLSv1.2_2021 or later.",
                None,
            )
    elif is_production():
        report(
            "the distribution uses the default *.cloudfront.net certificate, with which CloudFront always "
            "accepts TLS 1.0. A production stack needs its own domain and ACM certificate with "
            "minimumProtocolVersion TLSv1.2_2021 or later.",
            None,
        )
    judge.settle()


cloudfront_minimum_tls = ResourceValidationPolicy(
    name="cloudfront-minimum-tls",
    description=(
        "CloudFront viewers negotiate TLS 1.2 or later: a custom certificate sets minimumProtocolVersion "
        "TLSv1.2_*; the default certificate (TLS 1.0) is accepted only outside production."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_minimum_tls,
)


# --- lb-http-redirects-to-https --------------------------------------------------------------


def _redirects_to_https(judge: Judge, action: Any, where: str) -> bool:
    kind = judge.get(action, "type", label=f"{where}.type")
    protocol = judge.get(action, "redirect", "protocol", label=f"{where}.redirect.protocol")
    return (
        isinstance(kind, str)
        and kind == "redirect"
        and isinstance(protocol, str)
        and protocol.upper() == "HTTPS"
    )


def _http_listeners(args: StackValidationArgs, report: ReportViolation) -> None:
    judge = Judge()
    rules_of: dict[str, list[PolicyResource]] = {}
    for rule in (r for r in args.resources if r.resource_type in LISTENER_RULES):
        for listener in linked(rule, "listenerArn", LISTENERS):
            rules_of.setdefault(listener.urn, []).append(rule)
    for listener in (r for r in args.resources if r.resource_type in LISTENERS):
        where = label(listener)
        protocol = judge.get(listener.props, "protocol", label=f"{where} protocol")
        balancers = linked(listener, "loadBalancerArn", LOAD_BALANCERS)
        if protocol is UNKNOWN:
            continue
        if protocol is None:
            # The provider defaults to HTTP for application load balancers.
            kinds = [judge.get(b.props, "loadBalancerType") for b in balancers]
            if not balancers or any(k not in (None, "application") for k in kinds):
                continue
        elif str(protocol).upper() != "HTTP":
            continue
        if not balancers:
            judge.outside(f"whether the load balancer of {where} is internet-facing")
            continue
        internal = [judge.get(b.props, "internal", label=f"{label(b)} internal") for b in balancers]
        if any(flag is UNKNOWN for flag in internal) or all(truthy(flag) for flag in internal):
            continue  # internal load balancers are reached only through the VPC (CloudFront VPC origin)
        balancer = balancers[0].name
        actions = judge.items(listener.props, "defaultActions", label=f"{where} defaultActions")
        bad = [
            i
            for i, action in actions
            if action is not UNKNOWN
            and not _redirects_to_https(judge, action, f"{where} defaultActions[{i}]")
        ]
        if bad or not actions:
            report(
                f"HTTP listener '{listener.name}' on internet-facing load balancer '{balancer}' serves "
                "requests instead of redirecting them: its default action must be a redirect with "
                "protocol HTTPS (status HTTP_301).",
                listener.urn,
            )
        for rule in rules_of.get(listener.urn, []):
            rule_actions = judge.items(rule.props, "actions", label=f"{label(rule)} actions")
            if any(
                a is not UNKNOWN and not _redirects_to_https(judge, a, f"{label(rule)} actions[{i}]")
                for i, a in rule_actions
            ):
                report(
                    f"listener rule '{rule.name}' on HTTP listener '{listener.name}' of "
                    f"internet-facing load balancer '{balancer}' does something other than redirect to HTTPS.",
                    rule.urn,
                )
    judge.settle()


lb_http_redirects_to_https = StackValidationPolicy(
    name="lb-http-redirects-to-https",
    description=(
        "An HTTP listener on an internet-facing load balancer only redirects to HTTPS (default action "
        "and every listener rule); internal load balancers behind CloudFront are exempt."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_http_listeners,
)


# --- alb-drops-invalid-headers ---------------------------------------------------------------


def _drop_invalid_headers(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in LOAD_BALANCERS:
        return
    judge = Judge(args.name)
    kind = judge.get(args.props, "loadBalancerType")
    flag = judge.get(args.props, "dropInvalidHeaderFields")
    if kind in (None, "application") and flag is not UNKNOWN and not truthy(flag):
        report(
            "dropInvalidHeaderFields is not true: the ALB forwards headers with invalid names to "
            "Django, which enables request smuggling and header-confusion tricks. Set "
            "drop_invalid_header_fields=True.",
            None,
        )
    judge.settle()


alb_drops_invalid_headers = ResourceValidationPolicy(
    name="alb-drops-invalid-headers",
    description="Application load balancers drop HTTP headers with invalid names instead of forwarding them to the app.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_drop_invalid_headers,
)


POLICIES = [
    cloudfront_https_only,
    cloudfront_minimum_tls,
    lb_http_redirects_to_https,
    alb_drops_invalid_headers,
]
