"""Outputs AWS computes for the network, data and application tiers' resources (VPC, RDS,
ElastiCache, S3, EC2, KMS, Secrets Manager, SSM, load balancer, ECS, awsx ECR), and the data-source
lookups they make, as offline.mocks.AwsMocks answers them."""

from __future__ import annotations

from typing import Any

import pulumi

from .mock_ids import ACCOUNT_ID, CallHook, StateHook, digest

STATE_HOOKS: dict[str, StateHook] = {}
CALL_HOOKS: dict[str, CallHook] = {}


def _vpc_state(
    _args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], _region: str
) -> None:
    state.setdefault("defaultSecurityGroupId", f"sg-{digest(resource_id, 'default')}")
    state.setdefault("mainRouteTableId", f"rtb-{digest(resource_id, 'main')}")


STATE_HOOKS["aws:ec2/vpc:Vpc"] = _vpc_state


# --- data tier: outputs AWS computes for RDS, ElastiCache, S3, EC2, KMS, Secrets Manager


def _rds_instance_state(
    _args: pulumi.runtime.MockResourceArgs, resource_id: str, state: dict[str, Any], region: str
) -> None:
    identifier = str(state.get("identifier") or resource_id)
    state["identifier"] = identifier
    address = f"{identifier}.c{digest(ACCOUNT_ID, region, length=11)}.{region}.rds.amazonaws.com"
    port = int(state.get("port") or 5432)
    state.update(
        arn=f"arn:aws:rds:{region}:{ACCOUNT_ID}:db:{identifier}",
        address=address,
        endpoint=f"{address}:{port}",
        port=port,
        resourceId=f"db-{digest(identifier, length=26).upper()}",
        hostedZoneId="Z29XKXDKYMONMX",
    )
    if state.get("manageMasterUserPassword"):
        state["masterUserSecrets"] = [
            {
                "secretArn": f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:rds!db-"
                f"{digest(identifier, 'secret', length=8)}-{digest(identifier, length=6)}",
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
    suffix = f"{digest(group_id, length=6)}.{short_region}.cache.amazonaws.com"
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
    octets = [int(digest(resource_id, str(n), length=2), 16) for n in range(2)]
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
    raw = digest("kms", args.name, length=32)
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
        f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{state['name']}-{digest(resource_id, length=6)}"
    )


def _instance_profile_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> None:
    state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{state['name']}"


def _ssm_parameter_call(args: dict[str, Any], region: str) -> dict[str, Any]:
    name = str(args.get("name", ""))
    value = f"ami-{digest(name, region)}" if "/ami-" in name else f"value-of-{name}"
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


STATE_HOOKS["aws:rds/instance:Instance"] = _rds_instance_state
STATE_HOOKS["aws:ssm/parameter:Parameter"] = _ssm_parameter_state
STATE_HOOKS["aws:elasticache/replicationGroup:ReplicationGroup"] = _replication_group_state
STATE_HOOKS["aws:s3/bucket:Bucket"] = _bucket_state
STATE_HOOKS["aws:ec2/instance:Instance"] = _instance_state
STATE_HOOKS["aws:kms/key:Key"] = _kms_key_state
STATE_HOOKS["aws:kms/alias:Alias"] = _kms_alias_state
STATE_HOOKS["aws:secretsmanager/secret:Secret"] = _secret_state
STATE_HOOKS["aws:iam/instanceProfile:InstanceProfile"] = _instance_profile_state
CALL_HOOKS["aws:ssm/getParameter:getParameter"] = _ssm_parameter_call


# --- application tier: load balancer, ECS, Secrets Manager, ECR (awsx) -------------------------
# Outputs AWS computes for these types, in the shapes the tier's consumers parse: ALB and target
# group ARNs whose suffixes feed the request-count scaling metric, ECS ARNs with task definition
# revisions, Secrets Manager ARNs with their random six-character suffix.


def _alb_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    name = str(state["name"])
    suffix = f"app/{name}/{digest(name, length=16)}"
    state["arn"] = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/{suffix}"
    state.setdefault("arnSuffix", suffix)
    prefix = "internal-" if state.get("internal") else ""
    state.setdefault(
        "dnsName", f"{prefix}{name}-{int(digest(name, length=8), 16)}.{region}.elb.amazonaws.com"
    )
    state.setdefault("zoneId", "Z" + digest(region, "elb-zone", length=13).upper())


def _target_group_state(
    _args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    name = str(state["name"])
    suffix = f"targetgroup/{name}/{digest(name, length=16)}"
    state["arn"] = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:{suffix}"
    state.setdefault("arnSuffix", suffix)


def _listener_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    state["arn"] = (
        f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:listener/app/{args.name}/{digest(args.name, length=16)}"
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


STATE_HOOKS["aws:lb/loadBalancer:LoadBalancer"] = _alb_state
STATE_HOOKS["aws:lb/targetGroup:TargetGroup"] = _target_group_state
STATE_HOOKS["aws:lb/listener:Listener"] = _listener_state
STATE_HOOKS["aws:ecs/cluster:Cluster"] = _ecs_cluster_state
STATE_HOOKS["aws:ecs/service:Service"] = _ecs_service_state
STATE_HOOKS["aws:ecs/taskDefinition:TaskDefinition"] = _ecs_task_definition_state


def _cloudfront_origin_facing_prefix_list(args: dict[str, Any], region: str) -> dict[str, Any]:
    name = str(args.get("name") or "com.amazonaws.global.cloudfront.origin-facing")
    list_id = f"pl-{digest(region, name, length=8)}"
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


CALL_HOOKS["aws:ec2/getManagedPrefixList:getManagedPrefixList"] = _cloudfront_origin_facing_prefix_list


# awsx's ECR components are remote components (one registration each, not custom resources): their
# outputs come through the same hooks, called for non-custom registrations as well.
def _awsx_repository_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], region: str
) -> None:
    state.setdefault(
        "url", f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{args.name}-{digest(args.name, length=7)}"
    )


def _awsx_image_state(
    args: pulumi.runtime.MockResourceArgs, _resource_id: str, state: dict[str, Any], _region: str
) -> None:
    state.setdefault("imageUri", f"{state.get('repositoryUrl')}@sha256:{digest(args.name, length=64)}")


STATE_HOOKS["awsx:ecr:Repository"] = _awsx_repository_state
STATE_HOOKS["awsx:ecr:Image"] = _awsx_image_state
