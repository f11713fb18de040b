"""What the edge's tests share: resource types, stand-in handles for the app and data tiers, the
build helpers and readers of the distribution (`test_edge.py`, `test_edge_domain.py`,
`test_private_media.py`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await

from components.edge import Edge, EdgeArgs, EdgeConfig
from components.handles import AlbTarget, Buckets
from offline.engine import RegisteredResource, Registrations
from tests._handles import alb_target, buckets, stack_wide
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


def build_default_edge() -> Edge:
    """The edge from `edge_args()` alone: the `default_edge` fixture's build."""
    return Edge("edge", edge_args())
