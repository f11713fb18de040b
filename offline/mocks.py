"""Pulumi mocks that answer like AWS: realistic ids, ARNs, endpoints and data-source results.

The program never knows it runs under these: they only stand in for the engine and the provider,
so the code path is the one `pulumi up` takes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi

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


StateHook = Callable[[pulumi.runtime.MockResourceArgs, str, dict[str, Any], str], None]
CallHook = Callable[[dict[str, Any], str], dict[str, Any]]


class AwsMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes the way the AWS provider would.

    `state_hooks` maps a type token to a function that adds the outputs AWS computes for that
    type (endpoints, DNS names); `call_hooks` maps an invoke token to a function of (args, region)
    that answers it. Tiers register their own below as they need them.
    """

    state_hooks: dict[str, StateHook] = {}
    call_hooks: dict[str, CallHook] = {}

    def __init__(self, region: str | None = None) -> None:
        self.region = region or DEFAULT_REGION

    def _region(self) -> str:
        return str(pulumi.runtime.config.CONFIG.get().get("aws:region") or self.region)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        region = self._region()
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", state
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
            hook(args, resource_id, state, region)
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        region = str(args.args.get("region") or self._region())
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


def _vpc_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    state.setdefault("defaultSecurityGroupId", f"sg-{_digest(resource_id, 'default')}")
    state.setdefault("mainRouteTableId", f"rtb-{_digest(resource_id, 'main')}")


AwsMocks.state_hooks["aws:ec2/vpc:Vpc"] = _vpc_state


# --- data tier (issue 4): outputs AWS computes for RDS, ElastiCache, S3, EC2, KMS, Secrets Manager


def _rds_instance_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
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
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
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
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    bucket = str(state["bucket"])
    bucket_region = str(state.get("region") or region)
    state.update(
        region=bucket_region,
        bucketDomainName=f"{bucket}.s3.amazonaws.com",
        bucketRegionalDomainName=f"{bucket}.s3.{bucket_region}.amazonaws.com",
    )


def _instance_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
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
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    raw = _digest("kms", args.name, length=32)
    key_id = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
    key_region = str(state.get("region") or region)
    state.update(keyId=key_id, arn=f"arn:aws:kms:{key_region}:{ACCOUNT_ID}:key/{key_id}")


def _kms_alias_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    state["arn"] = f"arn:aws:kms:{region}:{ACCOUNT_ID}:{state.get('name') or resource_id}"


def _secret_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    state["arn"] = (
        f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{state['name']}-{_digest(resource_id, length=6)}"
    )


def _instance_profile_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
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


AwsMocks.state_hooks["aws:rds/instance:Instance"] = _rds_instance_state
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
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
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
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    name = str(state["name"])
    suffix = f"targetgroup/{name}/{_digest(name, length=16)}"
    state["arn"] = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:{suffix}"
    state.setdefault("arnSuffix", suffix)


def _listener_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    state["arn"] = (
        f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:listener/app/{args.name}/{_digest(args.name, length=16)}"
    )


def _ecs_cluster_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    state["arn"] = f"arn:aws:ecs:{region}:{ACCOUNT_ID}:cluster/{state['name']}"


def _ecs_service_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    cluster = str(state.get("cluster") or "default").rsplit("/", 1)[-1]
    state["arn"] = f"arn:aws:ecs:{region}:{ACCOUNT_ID}:service/{cluster}/{state['name']}"


def _ecs_task_definition_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
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
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    state.setdefault(
        "url", f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{args.name}-{_digest(args.name, length=7)}"
    )


def _awsx_image_state(
    args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    state.setdefault("imageUri", f"{state.get('repositoryUrl')}@sha256:{_digest(args.name, length=64)}")


AwsMocks.state_hooks["awsx:ecr:Repository"] = _awsx_repository_state
AwsMocks.state_hooks["awsx:ecr:Image"] = _awsx_image_state
