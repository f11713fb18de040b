"""Monthly cost of a planned stack, from its registered resources and a table of list prices.

Quantities come from what the program registered (instance classes, node counts, task sizes and
autoscaling bounds, scheduled scale-downs, capacity provider strategies, endpoints x subnets, ...),
never from the stack's name. What the plan cannot know (requests, bytes, stored GB, log volume) comes
from a usage profile (offline/prices/usage.json, overridable with a file). Prices come from
offline/prices/<region>.json, where every figure names its source and the day it was read.

Two figures: the minimum scale (every autoscaled service at its lower bound, as its schedules leave
it) and the maximum scale (every service at its upper bound, storage at its autoscaling ceiling).
Anything the tables cannot price is reported as a problem with what to add, never counted as $0.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .cost_schedule import HOURS_PER_MONTH, Bounds, ScheduledBounds, ScheduleError, hours_at_bounds

PRICES_DIR = Path(__file__).resolve().parent / "prices"
GLOBAL = "global"


class CostError(Exception):
    """A usage file or price table the estimate cannot use: shown without a traceback."""


class UnknownRegion(CostError):
    """No price table for a region: every item placed there is unpriced."""


class PlannedResource(Protocol):
    """What the estimate reads of a registration (offline.engine.RegisteredResource has it all)."""

    urn: str
    type: str
    name: str
    custom: bool
    provider: str
    inputs: dict[str, Any]
    property_dependencies: dict[str, list[str]]


@dataclass
class Planned:
    """A registration built by hand (tests, synthetic stacks)."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any] = field(default_factory=dict)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    custom: bool = True
    provider: str = ""


@dataclass(frozen=True)
class Price:
    usd: float
    per: str
    source: str
    read: str


class PriceBook:
    """Price tables per region, loaded on first use from `directory`/<region>.json."""

    def __init__(self, directory: Path = PRICES_DIR) -> None:
        self.directory = directory
        self._tables: dict[str, dict[str, Price]] = {}

    def regions(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.json") if p.stem not in (GLOBAL, "usage"))

    def price(self, region: str, key: str) -> Price:
        if region not in self._tables:
            path = self.directory / f"{region}.json"
            if not path.is_file():
                raise UnknownRegion(
                    f"no price table for region {region!r} (known: {', '.join(self.regions())}): "
                    f"add {path.relative_to(self.directory.parent.parent)} with a source for every price"
                )
            entries = json.loads(path.read_text())["prices"]
            self._tables[region] = {k: Price(**v) for k, v in entries.items()}
        table = self._tables[region]
        if key not in table:
            raise CostError(
                f"no {region} price for {key!r}: add it to offline/prices/{region}.json with its source"
            )
        return table[key]


# --- usage ---------------------------------------------------------------------------------------


def load_usage(path: Path | str | None = None, directory: Path = PRICES_DIR) -> dict[str, float]:
    """The default profile (offline/prices/usage.json), with the keys a usage file sets replaced."""
    defaults = {
        key: float(spec["value"])
        for key, spec in json.loads((directory / "usage.json").read_text())["profile"].items()
    }
    if path is None:
        return defaults
    try:
        override = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise CostError(f"usage file {path}: {error}") from None
    if not isinstance(override, dict):
        raise CostError(f'usage file {path}: expected a JSON object such as {{"requestsPerMonth": 5000000}}')
    bad = [
        f"{key}={value!r}"
        for key, value in override.items()
        if key not in defaults or isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
    ]
    if bad:
        raise CostError(
            f"usage file {path}: {', '.join(bad)} not understood; keys are {', '.join(sorted(defaults))}, "
            "each a number >= 0"
        )
    return {**defaults, **{key: float(value) for key, value in override.items()}}


# --- line items and the estimate -----------------------------------------------------------------


@dataclass(frozen=True)
class LineItem:
    resource: str
    item: str
    region: str
    key: str
    unit_price: float
    per: str
    quantity_min: float
    quantity_max: float

    @property
    def monthly_min(self) -> float:
        return self.quantity_min * self.unit_price

    @property
    def monthly_max(self) -> float:
        return self.quantity_max * self.unit_price


@dataclass
class Estimate:
    stack: str
    region: str
    usage: dict[str, float]
    items: list[LineItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def total_min(self) -> float:
        return sum(i.monthly_min for i in self.items)

    @property
    def total_max(self) -> float:
        return sum(i.monthly_max for i in self.items)

    def drivers(self, count: int = 5) -> list[tuple[str, float, float]]:
        """The resources costing most at minimum scale: (resource, $ min, $ max)."""
        by_resource: dict[str, list[float]] = {}
        for item in self.items:
            sums = by_resource.setdefault(item.resource, [0.0, 0.0])
            sums[0] += item.monthly_min
            sums[1] += item.monthly_max
        ranked = sorted(by_resource.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
        return [(name, mn, mx) for name, (mn, mx) in ranked[:count]]

    def as_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "hoursPerMonth": HOURS_PER_MONTH,
            "totalMin": round(self.total_min, 2),
            "totalMax": round(self.total_max, 2),
            "complete": not self.problems,
            "problems": list(self.problems),
            "usage": dict(self.usage),
            "drivers": [
                {"resource": r, "min": round(a, 2), "max": round(b, 2)} for r, a, b in self.drivers()
            ],
            "items": [
                {**asdict(i), "monthlyMin": round(i.monthly_min, 2), "monthlyMax": round(i.monthly_max, 2)}
                for i in self.items
            ],
        }


class _Pricing:
    """One estimate in progress: the resources, their links, and the prices looked up so far."""

    def __init__(
        self, resources: list[PlannedResource], region: str, usage: dict[str, float], book: PriceBook
    ):
        self.resources = resources
        self.by_urn = {r.urn: r for r in resources}
        self.region = region
        self.usage = usage
        self.book = book
        self.estimate = Estimate("", region, usage)

    def region_of(self, resource: PlannedResource) -> str:
        if isinstance(resource.inputs.get("region"), str):
            return str(resource.inputs["region"])
        provider = self.by_urn.get(resource.provider.rsplit("::", 1)[0]) if resource.provider else None
        if provider is not None and isinstance(provider.inputs.get("region"), str):
            return str(provider.inputs["region"])
        return self.region

    def linked(self, resource: PlannedResource, prop: str, type_token: str) -> list[PlannedResource]:
        """Resources of `type_token` that `resource`'s input `prop` depends on."""
        found = [self.by_urn.get(u) for u in resource.property_dependencies.get(prop, [])]
        return [r for r in found if r is not None and r.type == type_token]

    def dependents(self, target: PlannedResource, type_token: str, prop: str) -> list[PlannedResource]:
        """Resources of `type_token` whose input `prop` depends on `target`."""
        return [
            r
            for r in self.resources
            if r.type == type_token and target.urn in r.property_dependencies.get(prop, [])
        ]

    def add(
        self,
        resource: PlannedResource | str,
        item: str,
        key: str,
        qmin: float,
        qmax: float | None = None,
        region: str | None = None,
    ) -> None:
        name = resource if isinstance(resource, str) else resource.name
        where = region or (self.region if isinstance(resource, str) else self.region_of(resource))
        try:
            price = self.book.price(where, key)
        except UnknownRegion as error:
            self.problem(f"nothing in {where} is priced: {error}")
            return
        except CostError as error:
            self.problem(f"{name}: {item} not priced: {error}")
            return
        self.estimate.items.append(
            LineItem(name, item, where, key, price.usd, price.per, qmin, qmin if qmax is None else qmax)
        )

    def problem(self, message: str) -> None:
        if message not in self.estimate.problems:
            self.estimate.problems.append(message)


Rule = Callable[[_Pricing, PlannedResource], None]
RULES: dict[str, Rule] = {}


def rule(*type_tokens: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        for token in type_tokens:
            RULES[token] = function
        return function

    return register


# Resources AWS does not bill for, or whose cost is counted elsewhere: each with the reason.
FREE: dict[str, str] = {
    **{
        f"aws:ec2/{t}": "no charge for VPC structure and security groups"
        for t in (
            "vpc:Vpc",
            "subnet:Subnet",
            "routeTable:RouteTable",
            "routeTableAssociation:RouteTableAssociation",
            "route:Route",
            "internetGateway:InternetGateway",
            "securityGroup:SecurityGroup",
            "defaultSecurityGroup:DefaultSecurityGroup",
        )
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "no charge for security group rules",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "no charge for security group rules",
    "aws:ec2/flowLog:FlowLog": "its log volume is part of the usage profile's logGb",
    "aws:cloudwatch/logGroup:LogGroup": "ingestion is priced once from the usage profile's logGb",
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": "priced with its aws:cloudwatch/logDelivery",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": "priced with its aws:cloudwatch/logDelivery",
    "aws:rds/subnetGroup:SubnetGroup": "no charge",
    "aws:rds/parameterGroup:ParameterGroup": "no charge",
    "aws:elasticache/subnetGroup:SubnetGroup": "no charge",
    "aws:ecs/taskDefinition:TaskDefinition": "priced through the service that runs it (one-off tasks bill only while run)",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "read by the services' Spot share",
    "aws:appautoscaling/target:Target": "no charge; read by its service's bounds",
    "aws:appautoscaling/policy:Policy": "no charge",
    "aws:appautoscaling/scheduledAction:ScheduledAction": "no charge; read by its service's hours",
    "aws:lb/listener:Listener": "part of the load balancer's hours and LCUs",
    "aws:lb/targetGroup:TargetGroup": "part of the load balancer's hours and LCUs",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "no charge",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": "no charge",
    "aws:cloudfront/vpcOrigin:VpcOrigin": "no additional charge for VPC origins",
    "aws:secretsmanager/secretVersion:SecretVersion": "part of its secret's monthly price",
    "aws:kms/alias:Alias": "no charge",
    "aws:acm/certificate:Certificate": "public ACM certificates are free",
    "aws:acm/certificateValidation:CertificateValidation": "no charge",
    "aws:route53/record:Record": "alias queries to CloudFront are free; the zone is priced where it is created",
    "aws:sns/topic:Topic": "alarm notifications stay inside SNS's free 1M publishes and 1,000 e-mails",
    "aws:sns/topicPolicy:TopicPolicy": "no charge",
    "aws:sns/topicSubscription:TopicSubscription": "no charge",
    "aws:iam/instanceProfile:InstanceProfile": "no charge",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "no charge; it bounds the repository's storage (usage: ecrGb)",
    "aws:ssm/parameter:Parameter": "standard-tier parameters are free (advanced tier and higher throughput are not used)",
    "aws:s3/bucketLogging:BucketLogging": "server access log delivery is free; the logs are stored in the log bucket (usage: s3Gb)",
    "aws:cloudfront/publicKey:PublicKey": "no charge for CloudFront public keys",
    "aws:cloudfront/keyGroup:KeyGroup": "no charge for CloudFront key groups",
    **{
        f"aws:s3/{t}": "S3 storage is priced once from the usage profile's s3Gb"
        for t in (
            "bucket:Bucket",
            "bucketV2:BucketV2",
            "bucketCorsConfiguration:BucketCorsConfiguration",
            "bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "bucketObjectv2:BucketObjectv2",
            "bucketOwnershipControls:BucketOwnershipControls",
            "bucketPolicy:BucketPolicy",
            "bucketPublicAccessBlock:BucketPublicAccessBlock",
            "bucketVersioning:BucketVersioning",
            "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "bucketAcl:BucketAcl",
        )
    },
}
FREE_PREFIXES = ("aws:iam/", "pulumi:providers:")


def estimate(
    resources: Iterable[PlannedResource],
    *,
    region: str,
    stack: str = "",
    usage: Mapping[str, float] | None = None,
    book: PriceBook | None = None,
) -> Estimate:
    """Price `resources` (one program's registrations) at `region`'s list prices, 730 h a month."""
    from . import cost_rules, cost_rules_ecs  # noqa: F401  (register the rules)

    pricing = _Pricing(list(resources), region, dict(usage or load_usage()), book or PriceBook())
    pricing.estimate.stack = stack
    unpriced: dict[str, int] = {}
    for resource in pricing.resources:
        if not resource.custom or resource.type in FREE or resource.type.startswith(FREE_PREFIXES):
            continue
        if resource.type not in RULES:
            unpriced[resource.type] = unpriced.get(resource.type, 0) + 1
            continue
        try:
            RULES[resource.type](pricing, resource)
        except (ScheduleError, CostError, KeyError, TypeError, ValueError) as error:
            pricing.problem(f"{resource.name} ({resource.type}) not priced: {error}")
    for stack_rule in STACK_RULES:
        stack_rule(pricing)
    for type_token, count in sorted(unpriced.items()):
        pricing.problem(
            f"{type_token} ({count}) has no pricing rule: add one to offline/cost_rules.py, "
            "or list it in offline.cost.FREE with the reason it costs nothing"
        )
    return pricing.estimate


StackRule = Callable[[_Pricing], None]
STACK_RULES: list[StackRule] = []

__all__ = [
    "Bounds",
    "CostError",
    "Estimate",
    "LineItem",
    "Planned",
    "PriceBook",
    "ScheduledBounds",
    "estimate",
    "hours_at_bounds",
    "load_usage",
]


if __name__ == "__main__":  # `python -m offline.cost table|diff ...`
    import sys

    from .cost_report import main

    sys.exit(main())
