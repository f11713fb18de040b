"""Outputs AWS computes for the edge, observability and registry resources (CloudFront, ACM,
Route 53, WAF, log delivery, Amplify, SNS, CloudWatch, ECR), and the CloudFront managed-policy
lookups, as offline.mocks.AwsMocks answers them."""

from __future__ import annotations

from typing import Any

import pulumi

from .mock_ids import ACCOUNT_ID, CallHook, StateHook, digest

STATE_HOOKS: dict[str, StateHook] = {}
CALL_HOOKS: dict[str, CallHook] = {}


# --- edge and observability ---------------------------------------------------------------------

# Managed CloudFront policies by name, with the ids AWS publishes for them.
MANAGED_CACHE_POLICIES = {
    "Managed-CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    "Managed-CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    "Managed-CachingOptimizedForUncompressedObjects": "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
}
MANAGED_ORIGIN_REQUEST_POLICIES = {
    "Managed-AllViewer": "216adef6-5c7f-47e4-b989-5492eafa07d3",
    "Managed-AllViewerExceptHostHeader": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
    "Managed-CORS-S3Origin": "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
    "Managed-CORS-CustomOrigin": "59781a5b-3903-41f3-afcb-af62929ccde1",
    "Managed-UserAgentRefererHeaders": "acba4595-bd28-49b8-b9fe-13317c0390fa",
}
MANAGED_RESPONSE_HEADERS_POLICIES = {
    "Managed-SecurityHeadersPolicy": "67f7725c-6f97-4210-82d7-5512b31e9d03",
    "Managed-CORS-With-Preflight": "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
}
# Every CloudFront distribution's alias target lives in this Route 53 zone.
CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"


def _uuid(*parts: str) -> str:
    h = digest(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _managed_policy_lookup(kind: str, known: dict[str, str]) -> CallHook:
    def lookup(args: dict[str, Any], _region: str) -> dict[str, Any]:
        name = str(args.get("name") or "")
        if name not in known:
            # The provider fails the same way when no policy has that name.
            raise ValueError(f"no CloudFront {kind} policy named {name!r}")
        return {"id": known[name], "name": name, "etag": digest(name, length=14).upper()}

    return lookup


def _distribution_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> str:
    distribution_id = "E" + digest("distribution", args.name, length=13).upper()
    state["arn"] = f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{distribution_id}"
    state["domainName"] = f"d{digest('domain', args.name, length=13)}.cloudfront.net"
    state["hostedZoneId"] = CLOUDFRONT_HOSTED_ZONE_ID
    state["status"] = "Deployed"
    state["etag"] = digest("etag", args.name, length=14).upper()
    return distribution_id


def _vpc_origin_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> str:
    origin_id = "vo_" + digest("vpc-origin", args.name, length=22)
    state["arn"] = f"arn:aws:cloudfront::{ACCOUNT_ID}:vpcorigin/{origin_id}"
    state["etag"] = digest("etag", args.name, length=14).upper()
    return origin_id


def _global_cloudfront_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> str:
    """Policies, origin access controls and functions: global CloudFront objects (no region)."""
    kind = args.typ.rsplit(":", 1)[-1]
    state["etag"] = digest("etag", args.name, length=14).upper()
    if kind == "Function":
        state["arn"] = f"arn:aws:cloudfront::{ACCOUNT_ID}:function/{state['name']}"
        state["status"] = "UNASSOCIATED"
        return str(state["name"])
    if kind == "OriginAccessControl":
        object_id = "E" + digest(kind, args.name, length=13).upper()
        state["arn"] = f"arn:aws:cloudfront::{ACCOUNT_ID}:origin-access-control/{object_id}"
        return object_id
    object_id = _uuid(kind, args.name)
    state["arn"] = f"arn:aws:cloudfront::{ACCOUNT_ID}:response-headers-policy/{object_id}"
    return object_id


def _certificate_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> str:
    arn = f"arn:aws:acm:{region}:{ACCOUNT_ID}:certificate/{_uuid('certificate', args.name)}"
    state["arn"] = arn
    names = [str(state.get("domainName") or "")] + [
        str(n) for n in state.get("subjectAlternativeNames") or []
    ]
    state["domainValidationOptions"] = [
        {
            "domainName": domain,
            "resourceRecordName": f"_{digest('name', domain, length=32)}.{domain}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{digest('value', domain, length=32)}.xlfgrmvvlj.acm-validations.aws.",
        }
        for domain in dict.fromkeys(names)
        if domain
    ]
    state["status"] = "PENDING_VALIDATION"
    return arn


def _certificate_validation_state(
    _args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], _region: str
) -> str:
    state.pop("arn", None)
    return str(state.get("certificateArn") or resource_id)


def _route53_record_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> str:
    state.pop("arn", None)
    state["fqdn"] = str(state.get("name", "")).rstrip(".")
    return f"{state.get('zoneId')}_{state['fqdn']}_{state.get('type')}"


def _web_acl_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> str:
    acl_id = _uuid("webacl", args.name)
    # CloudFront-scoped ACLs live in us-east-1 under `global/`, whatever provider region is asked for.
    scope, acl_region = (
        ("global", "us-east-1") if state.get("scope") == "CLOUDFRONT" else ("regional", region)
    )
    state["arn"] = f"arn:aws:wafv2:{acl_region}:{ACCOUNT_ID}:{scope}/webacl/{state['name']}/{acl_id}"
    state["capacity"] = 1127.0
    state["lockToken"] = _uuid("lock", args.name)
    return acl_id


def _log_delivery_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> str | None:
    kind = {"logDeliverySource": "delivery-source", "logDeliveryDestination": "delivery-destination"}.get(
        args.typ.split("/")[1].split(":")[0]
    )
    if kind is None:  # the delivery itself: AWS names it by a generated id
        state["arn"] = (
            f"arn:aws:logs:{region}:{ACCOUNT_ID}:delivery:{digest('delivery', args.name, length=16)}"
        )
        return digest("delivery", args.name, length=16)
    state["arn"] = f"arn:aws:logs:{region}:{ACCOUNT_ID}:{kind}:{state['name']}"
    return str(state["name"])


def _amplify_app_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> str:
    app_id = "d" + digest("amplify", args.name, length=13)
    state["arn"] = f"arn:aws:amplify:{region}:{ACCOUNT_ID}:apps/{app_id}"
    state["defaultDomain"] = f"{app_id}.amplifyapp.com"
    return app_id


def _sns_topic_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> str:
    arn = f"arn:aws:sns:{region}:{ACCOUNT_ID}:{state['name']}"
    state["arn"] = arn
    return arn  # SNS topics are addressed by ARN


def _sns_subscription_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> str:
    arn = f"{state.get('topic')}:{_uuid('subscription', args.name)}"
    state["arn"] = arn
    # E-mail subscriptions stay pending until the recipient clicks the link.
    state["pendingConfirmation"] = state.get("protocol") == "email"
    return arn


def _metric_alarm_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> str:
    state["arn"] = f"arn:aws:cloudwatch:{region}:{ACCOUNT_ID}:alarm:{state['name']}"
    return str(state["name"])


def _dashboard_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> str:
    state.pop("name", None)
    state.pop("arn", None)
    state["dashboardArn"] = f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{state['dashboardName']}"
    return str(state["dashboardName"])


CALL_HOOKS["aws:cloudfront/getCachePolicy:getCachePolicy"] = _managed_policy_lookup(
    "cache", MANAGED_CACHE_POLICIES
)
CALL_HOOKS["aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy"] = _managed_policy_lookup(
    "origin request", MANAGED_ORIGIN_REQUEST_POLICIES
)
CALL_HOOKS["aws:cloudfront/getResponseHeadersPolicy:getResponseHeadersPolicy"] = _managed_policy_lookup(
    "response headers", MANAGED_RESPONSE_HEADERS_POLICIES
)
STATE_HOOKS["aws:cloudfront/distribution:Distribution"] = _distribution_state
STATE_HOOKS["aws:cloudfront/vpcOrigin:VpcOrigin"] = _vpc_origin_state
for _token in (
    "aws:cloudfront/originAccessControl:OriginAccessControl",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
    "aws:cloudfront/function:Function",
):
    STATE_HOOKS[_token] = _global_cloudfront_state
STATE_HOOKS["aws:acm/certificate:Certificate"] = _certificate_state
STATE_HOOKS["aws:acm/certificateValidation:CertificateValidation"] = _certificate_validation_state
STATE_HOOKS["aws:route53/record:Record"] = _route53_record_state
STATE_HOOKS["aws:wafv2/webAcl:WebAcl"] = _web_acl_state
for _token in (
    "aws:cloudwatch/logDeliverySource:LogDeliverySource",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
    "aws:cloudwatch/logDelivery:LogDelivery",
):
    STATE_HOOKS[_token] = _log_delivery_state
STATE_HOOKS["aws:amplify/app:App"] = _amplify_app_state
STATE_HOOKS["aws:sns/topic:Topic"] = _sns_topic_state
STATE_HOOKS["aws:sns/topicSubscription:TopicSubscription"] = _sns_subscription_state
STATE_HOOKS["aws:cloudwatch/metricAlarm:MetricAlarm"] = _metric_alarm_state
STATE_HOOKS["aws:cloudwatch/dashboard:Dashboard"] = _dashboard_state


# --- image registry ----------------------------------------------------------------------


def _ecr_repository_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> str:
    name = str(state["name"])
    state["arn"] = f"arn:aws:ecr:{region}:{ACCOUNT_ID}:repository/{name}"
    state.setdefault("registryId", ACCOUNT_ID)
    state.setdefault("repositoryUrl", f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{name}")
    return name


STATE_HOOKS["aws:ecr/repository:Repository"] = _ecr_repository_state
