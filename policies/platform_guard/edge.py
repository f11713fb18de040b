"""Edge: HTTPS for viewers, TLS 1.2 at least, HTTP listeners that only redirect, strict header parsing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyResource,
)

from .props import UNKNOWN, Judge, is_production, is_sequence, non_empty, truthy
from .rule import Stack, Subject, resource_rule, stack_rule
from .stack_graph import label, linked

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LOAD_BALANCERS = frozenset({"aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"})
LISTENERS = frozenset({"aws:lb/listener:Listener", "aws:alb/listener:Listener"})
LISTENER_RULES = frozenset({"aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"})

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


POLICIES: list[Policy] = [
    cloudfront_https_only,
    cloudfront_minimum_tls,
    lb_http_redirects_to_https,
    alb_drops_invalid_headers,
]


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
        "privatePathPatterns": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Path patterns whose objects need a signature.",
            "default": DEFAULT_PRIVATE_PATTERNS,
        },
        "publicPathPatterns": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Path patterns inside the private ones that may be served unsigned.",
            "default": DEFAULT_PUBLIC_PATTERNS,
        },
    },
)


POLICIES += [
    cloudfront_origin_tls,
    lb_listener_modern_tls,
    cloudfront_private_media_signed,
    prod_alb_behind_cloudfront,
    prod_cloudfront_vpc_origin_https,
]
