"""Edge rules for load balancers: HTTP listeners that only redirect, strict header parsing, modern
TLS policies, and in production an ALB reachable only through CloudFront."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource

from .props import UNKNOWN, Judge, is_sequence, non_empty, truthy
from .rule import Stack, Subject, resource_rule, stack_rule
from .stack_graph import label, linked

LOAD_BALANCERS = frozenset({"aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"})
LISTENERS = frozenset({"aws:lb/listener:Listener", "aws:alb/listener:Listener"})
LISTENER_RULES = frozenset({"aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"})


# --- lb-http-redirects-to-https --------------------------------------------------------------


def _redirects_to_https(r: Judge, action: Any, where: str) -> bool:
    kind = r.get(action, "type", label=f"{where}.type")
    protocol = r.get(action, "redirect", "protocol", label=f"{where}.redirect.protocol")
    return (
        isinstance(kind, str)
        and kind == "redirect"
        and isinstance(protocol, str)
        and protocol.upper() == "HTTPS"
    )


def _listens_on_http(stack: Stack, listener: PolicyResource, balancers: list[PolicyResource]) -> bool:
    """Whether the listener is known to take plain HTTP."""
    protocol = stack.get(listener.props, "protocol", label=f"{label(listener)} protocol")
    if protocol is UNKNOWN:
        return False
    if protocol is None:
        # The provider defaults to HTTP for application load balancers.
        kinds = [stack.get(b.props, "loadBalancerType") for b in balancers]
        return bool(balancers) and all(k in (None, "application") for k in kinds)
    return str(protocol).upper() == "HTTP"


def _http_listeners(stack: Stack) -> None:
    rules_of: dict[str, list[PolicyResource]] = {}
    for rule in (r for r in stack.resources if r.resource_type in LISTENER_RULES):
        for listener in linked(rule, "listenerArn", LISTENERS):
            rules_of.setdefault(listener.urn, []).append(rule)
    for listener in (r for r in stack.resources if r.resource_type in LISTENERS):
        where = label(listener)
        balancers = linked(listener, "loadBalancerArn", LOAD_BALANCERS)
        if not _listens_on_http(stack, listener, balancers):
            continue
        if not balancers:
            stack.outside(f"whether the load balancer of {where} is internet-facing")
            continue
        internal = [stack.get(b.props, "internal", label=f"{label(b)} internal") for b in balancers]
        if any(flag is UNKNOWN for flag in internal) or all(truthy(flag) for flag in internal):
            continue  # internal load balancers are reached only through the VPC (CloudFront VPC origin)
        balancer = balancers[0].name
        actions = stack.items(listener.props, "defaultActions", label=f"{where} defaultActions")
        bad = [
            i
            for i, action in actions
            if action is not UNKNOWN
            and not _redirects_to_https(stack, action, f"{where} defaultActions[{i}]")
        ]
        if bad or not actions:
            stack.report(
                f"HTTP listener '{listener.name}' on internet-facing load balancer '{balancer}' serves "
                "requests instead of redirecting them: its default action must be a redirect with "
                "protocol HTTPS (status HTTP_301).",
                listener,
            )
        for rule in rules_of.get(listener.urn, []):
            rule_actions = stack.items(rule.props, "actions", label=f"{label(rule)} actions")
            if any(
                a is not UNKNOWN and not _redirects_to_https(stack, a, f"{label(rule)} actions[{i}]")
                for i, a in rule_actions
            ):
                stack.report(
                    f"listener rule '{rule.name}' on HTTP listener '{listener.name}' of "
                    f"internet-facing load balancer '{balancer}' does something other than redirect to HTTPS.",
                    rule,
                )


lb_http_redirects_to_https = stack_rule(
    name="lb-http-redirects-to-https",
    description=(
        "An HTTP listener on an internet-facing load balancer only redirects to HTTPS (default action "
        "and every listener rule); internal load balancers behind CloudFront are exempt."
    ),
    types=LISTENERS,
    reads=["protocol", "defaultActions"],
    check=_http_listeners,
)


# --- alb-drops-invalid-headers ---------------------------------------------------------------


def _drop_invalid_headers(r: Subject) -> None:
    kind = r.get(r.props, "loadBalancerType")
    flag = r.get(r.props, "dropInvalidHeaderFields")
    if kind in (None, "application") and flag is not UNKNOWN and not truthy(flag):
        r.report(
            "dropInvalidHeaderFields is not true: the ALB forwards headers with invalid names to "
            "Django, which enables request smuggling and header-confusion tricks. Set "
            "drop_invalid_header_fields=True."
        )


alb_drops_invalid_headers = resource_rule(
    name="alb-drops-invalid-headers",
    description="Application load balancers drop HTTP headers with invalid names instead of forwarding them to the app.",
    types=LOAD_BALANCERS,
    reads=["loadBalancerType", "dropInvalidHeaderFields"],
    check=_drop_invalid_headers,
)


# --- lb-listener-modern-tls ------------------------------------------------------------------

# ELB security policies whose minimum is TLS 1.2 carry it in their name (ELBSecurityPolicy-TLS-1-2-*,
# -TLS13-1-2-*, -TLS13-1-3-*, -FS-1-2-*); the API default for HTTPS/TLS listeners created outside the
# console is ELBSecurityPolicy-2016-08, which accepts TLS 1.0.
MODERN_TLS_POLICY = re.compile(r"^ELBSecurityPolicy-(TLS|TLS13|FS)-1-[23](-|$)")
API_DEFAULT_TLS_POLICY = "ELBSecurityPolicy-2016-08"


API_DOMAINS = frozenset({"aws:apigateway/domainName:DomainName", "aws:apigatewayv2/domainName:DomainName"})
CLASSIC_POLICY = "aws:elb/loadBalancerPolicy:LoadBalancerPolicy"
OUTDATED_CLASSIC_PROTOCOLS = frozenset(
    {"Protocol-SSLv2", "Protocol-SSLv3", "Protocol-TLSv1", "Protocol-TLSv1.1"}
)


def _api_domain_tls(r: Subject) -> None:
    if r.type == "aws:apigateway/domainName:DomainName":
        policy, where = r.prop("securityPolicy"), "securityPolicy"
    else:
        config = r.prop("domainNameConfiguration")
        if is_sequence(config):
            config = config[0] if config else None
        policy = r.get(config, "securityPolicy", label="domainNameConfiguration.securityPolicy")
        where = "domainNameConfiguration.securityPolicy"
    if isinstance(policy, str) and policy.upper() == "TLS_1_0":
        r.report(f"{where} is TLS_1_0: clients may negotiate TLS 1.0/1.1. Set it to TLS_1_2.")


def _classic_policy(r: Subject) -> None:
    for index, attribute in r.items(r.props, "policyAttributes"):
        if not isinstance(attribute, Mapping):
            continue
        name, value = attribute.get("name"), attribute.get("value")
        if (
            name == "Reference-Security-Policy"
            and isinstance(value, str)
            and not MODERN_TLS_POLICY.match(value)
        ):
            r.report(
                f"policyAttributes[{index}] references {value}, which accepts TLS versions before 1.2. Reference "
                "ELBSecurityPolicy-TLS-1-2-2017-01 (or move to an ALB with a TLS13-1-2 policy)."
            )
        elif name in OUTDATED_CLASSIC_PROTOCOLS and truthy(value):
            r.report(
                f"policyAttributes[{index}] enables {name}. Set it to false; allow only Protocol-TLSv1.2."
            )


def _listener_tls(r: Subject) -> None:
    if r.type in API_DOMAINS:
        _api_domain_tls(r)
        return
    if r.type == CLASSIC_POLICY:
        _classic_policy(r)
        return
    protocol = r.prop("protocol")
    if not (isinstance(protocol, str) and protocol.upper() in ("HTTPS", "TLS")):
        return
    policy = r.prop("sslPolicy")
    if policy is UNKNOWN:
        return
    effective = policy if isinstance(policy, str) and policy else API_DEFAULT_TLS_POLICY
    if not MODERN_TLS_POLICY.match(effective):
        r.report(
            f"sslPolicy is {effective}{'' if policy else ' (the API default)'}, which accepts TLS versions "
            "before 1.2. Set ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06' (or another TLS 1.2+ policy)."
        )


lb_listener_modern_tls = resource_rule(
    name="lb-listener-modern-tls",
    description=(
        "HTTPS and TLS listeners (ALB, NLB, classic ELB policies) and API Gateway custom domains accept "
        "TLS 1.2 as the minimum."
    ),
    types=LISTENERS | API_DOMAINS | {CLASSIC_POLICY},
    reads=["protocol", "sslPolicy", "securityPolicy", "domainNameConfiguration", "policyAttributes"],
    check=_listener_tls,
)


# --- prod-alb-behind-cloudfront --------------------------------------------------------------

WAF_ASSOCIATIONS = frozenset(
    {"aws:wafv2/webAclAssociation:WebAclAssociation", "aws:wafregional/webAclAssociation:WebAclAssociation"}
)
SECURITY_GROUPS = frozenset({"aws:ec2/securityGroup:SecurityGroup"})
SG_RULES = frozenset(
    {
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    }
)


def _open_to_addresses(stack: Stack, group: Any) -> bool:
    """Whether the group admits any address range (rather than only prefix lists such as CloudFront's
    origin-facing list, or other security groups)."""
    for _, rule in stack.items(group.props, "ingress", label=f"{label(group)} ingress"):
        if isinstance(rule, Mapping) and (
            non_empty(rule.get("cidrBlocks")) or non_empty(rule.get("ipv6CidrBlocks"))
        ):
            return True
    for rule in stack.of_type(SG_RULES):
        if group.urn not in {g.urn for g in linked(rule, "securityGroupId", SECURITY_GROUPS)}:
            continue
        kind = stack.prop(rule, "type")
        if kind not in (None, "ingress") and rule.resource_type.startswith("aws:ec2/securityGroupRule"):
            continue
        if any(
            non_empty(stack.prop(rule, k)) for k in ("cidrBlocks", "ipv6CidrBlocks", "cidrIpv4", "cidrIpv6")
        ):
            return True
    return False


def _origin_header_required(stack: Stack, balancer: Any) -> bool:
    """CloudFront adds a secret header and every listener refuses requests without it: each default
    action answers itself (fixed-response or redirect) and some listener rule matches an HTTP header."""
    listeners = [
        lst
        for lst in stack.of_type(LISTENERS)
        if balancer.urn in {b.urn for b in linked(lst, "loadBalancerArn", LOAD_BALANCERS)}
    ]
    if not listeners:
        return False
    for listener in listeners:
        actions = [
            a
            for _, a in stack.items(
                listener.props, "defaultActions", label=f"{label(listener)} defaultActions"
            )
        ]
        if not actions or any(
            not isinstance(a, Mapping) or a.get("type") not in ("fixed-response", "redirect") for a in actions
        ):
            return False
    listener_urns = {lst.urn for lst in listeners}
    for rule in stack.of_type(LISTENER_RULES):
        if not {lst.urn for lst in linked(rule, "listenerArn", LISTENERS)} & listener_urns:
            continue
        for _, condition in stack.items(rule.props, "conditions", label=f"{label(rule)} conditions"):
            if isinstance(condition, Mapping) and non_empty(condition.get("httpHeader")):
                return True
    return False


def _alb_bypass(stack: Stack) -> None:
    protected = {
        lb.urn
        for assoc in stack.of_type(WAF_ASSOCIATIONS)
        for lb in linked(assoc, "resourceArn", LOAD_BALANCERS)
    }
    for balancer in stack.of_type(LOAD_BALANCERS):
        kind = stack.prop(balancer, "loadBalancerType")
        internal = stack.prop(balancer, "internal")
        if kind not in (None, "application") or internal is UNKNOWN or truthy(internal):
            continue
        if balancer.urn in protected:
            continue
        groups = linked(balancer, "securityGroups", SECURITY_GROUPS)
        if not groups:
            if non_empty(stack.prop(balancer, "securityGroups")):
                stack.outside(f"the security groups of {label(balancer)}")
            continue  # without a group of its own the ALB only admits its VPC's default group
        if not any(_open_to_addresses(stack, g) for g in groups):
            continue  # admits only prefix lists (CloudFront's origin-facing list) or security groups
        if _origin_header_required(stack, balancer):
            continue
        stack.report(
            f"internet-facing application load balancer '{balancer.name}' has no WAF association and its "
            "security groups admit address ranges: clients can reach it directly, bypassing CloudFront "
            "and the WAF. Make it internal behind a CloudFront VPC origin, or admit only the "
            "com.amazonaws.global.cloudfront.origin-facing prefix list and require CloudFront's secret "
            "origin header in the listener rules, or associate the web ACL with the ALB.",
            balancer,
        )


prod_alb_behind_cloudfront = stack_rule(
    name="prod-alb-behind-cloudfront",
    description=(
        "In production, no internet-facing ALB can be reached around CloudFront and the WAF: it is internal "
        "(CloudFront VPC origin), has a WAF association, or admits only CloudFront's prefix list."
    ),
    types=LOAD_BALANCERS,
    reads=["internal", "securityGroups"],
    check=_alb_bypass,
    production_only=True,
)
