"""Pulumi mocks that answer like AWS: realistic ids, ARNs, endpoints and data-source results.

The program never knows it runs under these: they only stand in for the engine and the provider,
so the code path is the one `pulumi up` takes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import rpc

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

# Physical-id prefixes AWS uses for EC2-family resources.
EC2_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/instance:Instance": "i",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
}


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _service_and_kind(type_token: str) -> tuple[str, str]:
    """`aws:ec2/vpc:Vpc` -> ("ec2", "vpc")."""
    module = type_token.split(":")[1]
    service, _, kind = module.partition("/")
    return service, kind.lower() or service


# A state hook may return a new physical id for types whose ids AWS formats its own way
# (CloudFront distribution ids, ACM certificate ARNs); returning None keeps the default.
StateHook = Callable[[pulumi.runtime.MockResourceArgs, str, dict[str, Any], str], "str | None"]
CallHook = Callable[[dict[str, Any], str], dict[str, Any]]


class AwsMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes the way the AWS provider would.

    `state_hooks` maps a type token to a function that adds the outputs AWS computes for that
    type (endpoints, DNS names); `call_hooks` maps an invoke token to a function of (args, region)
    that answers it. Tiers register their own below as they need them.
    """

    state_hooks: dict[str, StateHook] = {}
    call_hooks: dict[str, CallHook] = {}

    def __init__(self, region: str | None = None, *, preview_unknowns: bool = False) -> None:
        self.region = region or DEFAULT_REGION
        self.preview_unknowns = preview_unknowns
        """Answer as a first `pulumi preview` does: what the provider computes at creation unknown."""
        # Explicit providers (e.g. the edge tier's us-east-1 provider) by the id the mock gave them, so
        # that what they manage gets ARNs in their region rather than the stack's.
        self.provider_regions: dict[str, str] = {}

    def _provider_region(self, provider_ref: str | None) -> str | None:
        """The region of the explicit provider a resource names (`<urn>::<id>`), if it set one."""
        if not provider_ref:
            return None
        return self.provider_regions.get(provider_ref.rsplit("::", 1)[-1])

    def _region(self) -> str:
        return str(pulumi.runtime.config.CONFIG.get().get("aws:region") or self.region)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, state = self._answer(args)
        if not self.preview_unknowns or args.typ.startswith("pulumi:providers:"):
            return resource_id, state
        return first_preview(args.inputs, resource_id, state)

    def _answer(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        # pulumi-aws 7: a resource's own `region` wins over its provider's.
        region = str(state.get("region") or "") or self._provider_region(args.provider) or self._region()
        if args.typ.startswith("pulumi:providers:"):
            provider_id = f"{args.name}-provider-id"
            if state.get("region"):
                self.provider_regions[provider_id] = str(state["region"])
            return provider_id, state
        if not args.custom:
            # Components have no physical id; remote ones (awsx) still answer with outputs.
            component_hook = self.state_hooks.get(args.typ)
            if component_hook is not None:
                component_hook(args, "", state, region)
            return None, state

        service, kind = _service_and_kind(args.typ)
        prefix = EC2_ID_PREFIXES.get(args.typ)
        resource_id = (
            f"{prefix}-{_digest(args.typ, args.name)}"
            if prefix
            else f"{args.name}-{_digest(args.name, length=7)}"
        )
        # Autonamed resources get their physical name from the provider, not from the inputs.
        state.setdefault("name", f"{args.name}-{_digest(args.name, length=7)}")
        name = str(state["name"])

        if service == "iam":
            state.setdefault("arn", f"arn:aws:iam::{ACCOUNT_ID}:{kind}/{name}")
        elif service in ("cloudwatch", "logs") and kind == "loggroup":
            state.setdefault("arn", f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{name}")
        elif service == "s3":
            state.setdefault("bucket", state.get("bucket") or name)
            state.setdefault("arn", f"arn:aws:s3:::{state['bucket']}")
            resource_id = str(state["bucket"]) if kind in ("bucket", "bucketv2") else resource_id
        else:
            state.setdefault("arn", f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{kind}/{resource_id}")
        state.setdefault("tagsAll", state.get("tags") or {})

        hook = self.state_hooks.get(args.typ)
        if hook is not None:
            resource_id = hook(args, resource_id, state, region) or resource_id
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        region = str(args.args.get("region") or self._provider_region(args.provider) or self._region())
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{letter}" for letter in "abc"]
            return {
                "id": region,
                "names": names,
                "zoneIds": [f"use1-az{i}" for i in (1, 2, 3)],
                "state": "available",
            }
        if token == "aws:index/getRegion:getRegion":
            return {"id": region, "name": region, "region": region, "endpoint": f"ec2.{region}.amazonaws.com"}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "id": ACCOUNT_ID,
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline-plan",
                "userId": "AIDAOFFLINEPLAN",
            }
        if token in self.call_hooks:
            return self.call_hooks[token](dict(args.args), region)
        if token == "aws:index/getPartition:getPartition":
            return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com"}
        return dict(args.args)


# Physical names the provider assigns in its Check step (autonaming) when the program sets none: a
# preview already shows them, unlike everything AWS assigns when it creates the resource.
AUTONAMED_PROPERTIES = frozenset({"name", "bucket"})


def first_preview(
    inputs: dict[str, Any], resource_id: str | None, state: dict[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    """A resource's answer as a first preview has it, before anything exists: the inputs it was
    given and its autonamed physical name stay known; its id and every output the provider computes
    at creation (ARNs, endpoints, addresses, generated ids) are unknown."""
    planned = {
        key: value if key in inputs or key in AUTONAMED_PROPERTIES or key == "tagsAll" else rpc.UNKNOWN
        for key, value in state.items()
    }
    # An empty id is how the engine says "not known yet"; components have none either way.
    return ("" if resource_id is not None else None), planned


def _vpc_state(
    _args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], _region: str
) -> None:
    state.setdefault("defaultSecurityGroupId", f"sg-{_digest(resource_id, 'default')}")
    state.setdefault("mainRouteTableId", f"rtb-{_digest(resource_id, 'main')}")


AwsMocks.state_hooks["aws:ec2/vpc:Vpc"] = _vpc_state


# --- data tier: outputs AWS computes for RDS, ElastiCache, S3, EC2, KMS, Secrets Manager


def _rds_instance_state(
    _args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    identifier = str(state.get("identifier") or resource_id)
    state["identifier"] = identifier
    address = f"{identifier}.c{_digest(ACCOUNT_ID, region, length=11)}.{region}.rds.amazonaws.com"
    port = int(state.get("port") or 5432)
    state.update(
        arn=f"arn:aws:rds:{region}:{ACCOUNT_ID}:db:{identifier}",
        address=address,
        endpoint=f"{address}:{port}",
        port=port,
        resourceId=f"db-{_digest(identifier, length=26).upper()}",
        hostedZoneId="Z29XKXDKYMONMX",
    )
    if state.get("manageMasterUserPassword"):
        state["masterUserSecrets"] = [
            {
                "secretArn": f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:rds!db-"
                f"{_digest(identifier, 'secret', length=8)}-{_digest(identifier, length=6)}",
                "kmsKeyId": state.get("masterUserSecretKmsKeyId") or "",
                "secretStatus": "active",
            }
        ]


def _replication_group_state(
    _args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    group_id = str(state.get("replicationGroupId") or resource_id)
    parts = region.split("-")
    short_region = f"{parts[0]}{''.join(p[0] for p in parts[1:-1])}{parts[-1]}"
    suffix = f"{_digest(group_id, length=6)}.{short_region}.cache.amazonaws.com"
    nodes = int(state.get("numCacheClusters") or 1)
    state.update(
        replicationGroupId=group_id,
        arn=f"arn:aws:elasticache:{region}:{ACCOUNT_ID}:replicationgroup:{group_id}",
        primaryEndpointAddress=f"master.{group_id}.{suffix}",
        readerEndpointAddress=f"replica.{group_id}.{suffix}",
        port=int(state.get("port") or 6379),
        memberClusters=[f"{group_id}-{n:03d}" for n in range(1, nodes + 1)],
    )


def _bucket_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    bucket = str(state["bucket"])
    bucket_region = str(state.get("region") or region)
    state.update(
        region=bucket_region,
        bucketDomainName=f"{bucket}.s3.amazonaws.com",
        bucketRegionalDomainName=f"{bucket}.s3.{bucket_region}.amazonaws.com",
    )


def _instance_state(
    _args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    octets = [int(_digest(resource_id, str(n), length=2), 16) for n in range(2)]
    private_ip = f"10.0.{octets[0]}.{octets[1] or 1}"
    state.update(
        arn=f"arn:aws:ec2:{region}:{ACCOUNT_ID}:instance/{resource_id}",
        privateIp=private_ip,
        privateDns=f"ip-{private_ip.replace('.', '-')}.{region}.compute.internal",
        publicIp="",
        instanceState="running",
    )


def _kms_key_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    raw = _digest("kms", args.name, length=32)
    key_id = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
    key_region = str(state.get("region") or region)
    state.update(keyId=key_id, arn=f"arn:aws:kms:{key_region}:{ACCOUNT_ID}:key/{key_id}")


def _kms_alias_state(
    _args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    state["arn"] = f"arn:aws:kms:{region}:{ACCOUNT_ID}:{state.get('name') or resource_id}"


def _secret_state(
    _args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    state["arn"] = (
        f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{state['name']}-{_digest(resource_id, length=6)}"
    )


def _instance_profile_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> None:
    state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{state['name']}"


def _ssm_parameter_call(args: dict[str, Any], region: str) -> dict[str, Any]:
    name = str(args.get("name", ""))
    value = f"ami-{_digest(name, region)}" if "/ami-" in name else f"value-of-{name}"
    return {
        "id": name,
        "name": name,
        "arn": f"arn:aws:ssm:{region}::parameter{name}",
        "type": "String",
        "value": value,
        "insecureValue": value,
        "version": 1,
        "withDecryption": bool(args.get("withDecryption", True)),
    }


def _ssm_parameter_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> str:
    # A hierarchical name starts with "/", which the ARN keeps after "parameter"; a flat one gets one.
    name = str(state["name"])
    state["arn"] = (
        f"arn:aws:ssm:{region}:{ACCOUNT_ID}:parameter{name if name.startswith('/') else '/' + name}"
    )
    state.setdefault("tier", "Standard")
    state.setdefault("version", 1)
    return name


AwsMocks.state_hooks["aws:rds/instance:Instance"] = _rds_instance_state
AwsMocks.state_hooks["aws:ssm/parameter:Parameter"] = _ssm_parameter_state
AwsMocks.state_hooks["aws:elasticache/replicationGroup:ReplicationGroup"] = _replication_group_state
AwsMocks.state_hooks["aws:s3/bucket:Bucket"] = _bucket_state
AwsMocks.state_hooks["aws:ec2/instance:Instance"] = _instance_state
AwsMocks.state_hooks["aws:kms/key:Key"] = _kms_key_state
AwsMocks.state_hooks["aws:kms/alias:Alias"] = _kms_alias_state
AwsMocks.state_hooks["aws:secretsmanager/secret:Secret"] = _secret_state
AwsMocks.state_hooks["aws:iam/instanceProfile:InstanceProfile"] = _instance_profile_state
AwsMocks.call_hooks["aws:ssm/getParameter:getParameter"] = _ssm_parameter_call


# --- application tier: load balancer, ECS, Secrets Manager, ECR (awsx) -------------------------
# Outputs AWS computes for these types, in the shapes the tier's consumers parse: ALB and target
# group ARNs whose suffixes feed the request-count scaling metric, ECS ARNs with task definition
# revisions, Secrets Manager ARNs with their random six-character suffix.


def _alb_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    name = str(state["name"])
    suffix = f"app/{name}/{_digest(name, length=16)}"
    state["arn"] = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/{suffix}"
    state.setdefault("arnSuffix", suffix)
    prefix = "internal-" if state.get("internal") else ""
    state.setdefault(
        "dnsName", f"{prefix}{name}-{int(_digest(name, length=8), 16)}.{region}.elb.amazonaws.com"
    )
    state.setdefault("zoneId", "Z" + _digest(region, "elb-zone", length=13).upper())


def _target_group_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    name = str(state["name"])
    suffix = f"targetgroup/{name}/{_digest(name, length=16)}"
    state["arn"] = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:{suffix}"
    state.setdefault("arnSuffix", suffix)


def _listener_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    state["arn"] = (
        f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:listener/app/{args.name}/{_digest(args.name, length=16)}"
    )


def _ecs_cluster_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    state["arn"] = f"arn:aws:ecs:{region}:{ACCOUNT_ID}:cluster/{state['name']}"


def _ecs_service_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    cluster = str(state.get("cluster") or "default").rsplit("/", 1)[-1]
    state["arn"] = f"arn:aws:ecs:{region}:{ACCOUNT_ID}:service/{cluster}/{state['name']}"


def _ecs_task_definition_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    family = str(state.get("family") or args.name)
    state["revision"] = 1
    state["arnWithoutRevision"] = f"arn:aws:ecs:{region}:{ACCOUNT_ID}:task-definition/{family}"
    state["arn"] = f"{state['arnWithoutRevision']}:1"


AwsMocks.state_hooks["aws:lb/loadBalancer:LoadBalancer"] = _alb_state
AwsMocks.state_hooks["aws:lb/targetGroup:TargetGroup"] = _target_group_state
AwsMocks.state_hooks["aws:lb/listener:Listener"] = _listener_state
AwsMocks.state_hooks["aws:ecs/cluster:Cluster"] = _ecs_cluster_state
AwsMocks.state_hooks["aws:ecs/service:Service"] = _ecs_service_state
AwsMocks.state_hooks["aws:ecs/taskDefinition:TaskDefinition"] = _ecs_task_definition_state


def _cloudfront_origin_facing_prefix_list(args: dict[str, Any], region: str) -> dict[str, Any]:
    name = str(args.get("name") or "com.amazonaws.global.cloudfront.origin-facing")
    list_id = f"pl-{_digest(region, name, length=8)}"
    return {
        "id": list_id,
        "name": name,
        "arn": f"arn:aws:ec2:{region}:aws:prefix-list/{list_id}",
        "addressFamily": "IPv4",
        "maxEntries": 55,
        "ownerId": "AWS",
        "version": 1,
        "entries": [],
        "tags": {},
    }


AwsMocks.call_hooks["aws:ec2/getManagedPrefixList:getManagedPrefixList"] = (
    _cloudfront_origin_facing_prefix_list
)


# awsx's ECR components are remote components (one registration each, not custom resources): their
# outputs come through the same hooks, called for non-custom registrations as well.
def _awsx_repository_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    state.setdefault(
        "url", f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{args.name}-{_digest(args.name, length=7)}"
    )


def _awsx_image_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> None:
    state.setdefault("imageUri", f"{state.get('repositoryUrl')}@sha256:{_digest(args.name, length=64)}")


AwsMocks.state_hooks["awsx:ecr:Repository"] = _awsx_repository_state
AwsMocks.state_hooks["awsx:ecr:Image"] = _awsx_image_state


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
    h = _digest(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _managed_policy_lookup(kind: str, known: dict[str, str]) -> CallHook:
    def lookup(args: dict[str, Any], _region: str) -> dict[str, Any]:
        name = str(args.get("name") or "")
        if name not in known:
            # The provider fails the same way when no policy has that name.
            raise ValueError(f"no CloudFront {kind} policy named {name!r}")
        return {"id": known[name], "name": name, "etag": _digest(name, length=14).upper()}

    return lookup


def _distribution_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> str:
    distribution_id = "E" + _digest("distribution", args.name, length=13).upper()
    state["arn"] = f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{distribution_id}"
    state["domainName"] = f"d{_digest('domain', args.name, length=13)}.cloudfront.net"
    state["hostedZoneId"] = CLOUDFRONT_HOSTED_ZONE_ID
    state["status"] = "Deployed"
    state["etag"] = _digest("etag", args.name, length=14).upper()
    return distribution_id


def _vpc_origin_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> str:
    origin_id = "vo_" + _digest("vpc-origin", args.name, length=22)
    state["arn"] = f"arn:aws:cloudfront::{ACCOUNT_ID}:vpcorigin/{origin_id}"
    state["etag"] = _digest("etag", args.name, length=14).upper()
    return origin_id


def _global_cloudfront_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> str:
    """Policies, origin access controls and functions: global CloudFront objects (no region)."""
    kind = args.typ.rsplit(":", 1)[-1]
    state["etag"] = _digest("etag", args.name, length=14).upper()
    if kind == "Function":
        state["arn"] = f"arn:aws:cloudfront::{ACCOUNT_ID}:function/{state['name']}"
        state["status"] = "UNASSOCIATED"
        return str(state["name"])
    if kind == "OriginAccessControl":
        object_id = "E" + _digest(kind, args.name, length=13).upper()
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
            "resourceRecordName": f"_{_digest('name', domain, length=32)}.{domain}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{_digest('value', domain, length=32)}.xlfgrmvvlj.acm-validations.aws.",
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
            f"arn:aws:logs:{region}:{ACCOUNT_ID}:delivery:{_digest('delivery', args.name, length=16)}"
        )
        return _digest("delivery", args.name, length=16)
    state["arn"] = f"arn:aws:logs:{region}:{ACCOUNT_ID}:{kind}:{state['name']}"
    return str(state["name"])


def _amplify_app_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> str:
    app_id = "d" + _digest("amplify", args.name, length=13)
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


AwsMocks.call_hooks["aws:cloudfront/getCachePolicy:getCachePolicy"] = _managed_policy_lookup(
    "cache", MANAGED_CACHE_POLICIES
)
AwsMocks.call_hooks["aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy"] = _managed_policy_lookup(
    "origin request", MANAGED_ORIGIN_REQUEST_POLICIES
)
AwsMocks.call_hooks["aws:cloudfront/getResponseHeadersPolicy:getResponseHeadersPolicy"] = (
    _managed_policy_lookup("response headers", MANAGED_RESPONSE_HEADERS_POLICIES)
)
AwsMocks.state_hooks["aws:cloudfront/distribution:Distribution"] = _distribution_state
AwsMocks.state_hooks["aws:cloudfront/vpcOrigin:VpcOrigin"] = _vpc_origin_state
for _token in (
    "aws:cloudfront/originAccessControl:OriginAccessControl",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
    "aws:cloudfront/function:Function",
):
    AwsMocks.state_hooks[_token] = _global_cloudfront_state
AwsMocks.state_hooks["aws:acm/certificate:Certificate"] = _certificate_state
AwsMocks.state_hooks["aws:acm/certificateValidation:CertificateValidation"] = _certificate_validation_state
AwsMocks.state_hooks["aws:route53/record:Record"] = _route53_record_state
AwsMocks.state_hooks["aws:wafv2/webAcl:WebAcl"] = _web_acl_state
for _token in (
    "aws:cloudwatch/logDeliverySource:LogDeliverySource",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
    "aws:cloudwatch/logDelivery:LogDelivery",
):
    AwsMocks.state_hooks[_token] = _log_delivery_state
AwsMocks.state_hooks["aws:amplify/app:App"] = _amplify_app_state
AwsMocks.state_hooks["aws:sns/topic:Topic"] = _sns_topic_state
AwsMocks.state_hooks["aws:sns/topicSubscription:TopicSubscription"] = _sns_subscription_state
AwsMocks.state_hooks["aws:cloudwatch/metricAlarm:MetricAlarm"] = _metric_alarm_state
AwsMocks.state_hooks["aws:cloudwatch/dashboard:Dashboard"] = _dashboard_state


# --- image registry ----------------------------------------------------------------------


def _ecr_repository_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> str:
    name = str(state["name"])
    state["arn"] = f"arn:aws:ecr:{region}:{ACCOUNT_ID}:repository/{name}"
    state.setdefault("registryId", ACCOUNT_ID)
    state.setdefault("repositoryUrl", f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{name}")
    return name


AwsMocks.state_hooks["aws:ecr/repository:Repository"] = _ecr_repository_state
