"""No rule crashes, whatever shape or unknowns the properties take.

A rule that raises anything but the SDK's UnknownValueError (or not-applicable) makes the pack's
Analyze call fail and the whole preview with it. Hypothesis feeds every rule, for every type it
handles, property bags built from the keys the rules read, with values of every JSON type, the
engine's unknown sentinel, and JSON documents where the rules expect them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from platform_guard import POLICIES
from tests.policy_harness import UNKNOWN, Res, check_resource, check_stack

TYPES = [
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "aws:redshift/cluster:Cluster",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/route:Route",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/cluster:Cluster",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
    "aws:s3/bucketAcl:BucketAcl",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:ecs/service:Service",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:cloudfront/distribution:Distribution",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:alb/listener:Listener",
    "aws:lb/listenerRule:ListenerRule",
    "aws:cloudwatch/logGroup:LogGroup",
]

KEYS = [
    "publiclyAccessible", "ingress", "protocol", "ipProtocol", "fromPort", "toPort", "cidrBlocks",
    "ipv6CidrBlocks", "cidrIpv4", "cidrIpv6", "type", "subnetIds", "mapPublicIpOnLaunch", "routes",
    "gatewayId", "dbSubnetGroupName", "replicateSourceDb", "storageEncrypted", "engineMode", "encrypted",
    "engine", "atRestEncryptionEnabled", "transitEncryptionEnabled", "transitEncryptionMode", "authToken",
    "userGroupIds", "replicationGroupId", "bucket", "rules", "sseAlgorithm", "applyServerSideEncryptionByDefault",
    "serverSideEncryptionConfiguration", "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
    "restrictPublicBuckets", "acl", "grants", "uri", "accessControlPolicy", "grantee", "policy",
    "networkConfiguration", "assignPublicIp", "containerDefinitions", "defaultCacheBehavior",
    "orderedCacheBehaviors", "viewerProtocolPolicy", "viewerCertificate", "acmCertificateArn",
    "minimumProtocolVersion", "cloudfrontDefaultCertificate", "internal", "loadBalancerType",
    "dropInvalidHeaderFields", "defaultActions", "actions", "redirect", "retentionInDays", "multiAz",
    "backupRetentionPeriod", "deletionProtection", "skipFinalSnapshot", "finalSnapshotIdentifier",
    "automaticFailoverEnabled", "webAclId", "loadBalancerArn", "listenerArn",
]  # fmt: skip

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        ["", "true", "false", "-1", "tcp", "0.0.0.0/0", "::/0", "10.0.0.0/8", "not-a-cidr", "*", UNKNOWN]
    ),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS), children, max_size=4)
    ),
    max_leaves=12,
)

# Documents the rules parse: IAM-style policies and ECS container definitions, valid or not.
STATEMENT = st.fixed_dictionaries(
    {},
    optional={
        "Effect": st.sampled_from(["Allow", "Deny", 3, None]),
        "Principal": st.sampled_from(["*", {"AWS": "*"}, {"AWS": ["*", 1]}, {"Service": "x"}, [], None]),
        "NotPrincipal": VALUES,
        "Action": VALUES,
        "Condition": st.dictionaries(
            st.sampled_from(["StringEquals", "Bool", "IpAddress", "5"]), VALUES, max_size=2
        ),
    },
)
POLICY_DOCUMENTS = st.one_of(
    st.builds(
        lambda s: json.dumps({"Statement": s}), st.lists(STATEMENT | SCALARS, max_size=3) | STATEMENT | VALUES
    ),
    st.builds(json.dumps, VALUES),
    st.sampled_from(["{not json", UNKNOWN]),
)
ENVIRONMENT_ENTRY = st.fixed_dictionaries(
    {}, optional={"name": st.sampled_from(["DEBUG", "ALLOWED_HOSTS", "SECRET_KEY", 4]), "value": VALUES}
)
CONTAINER = st.fixed_dictionaries(
    {},
    optional={
        "name": VALUES,
        "privileged": VALUES,
        "environment": st.lists(ENVIRONMENT_ENTRY | SCALARS, max_size=3) | VALUES,
    },
)
CONTAINER_DOCUMENTS = st.one_of(
    st.builds(json.dumps, st.lists(CONTAINER | SCALARS, max_size=3) | CONTAINER | VALUES),
    st.sampled_from(["[not json", UNKNOWN]),
)
PROPS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8)


def props_for(type_: str) -> st.SearchStrategy[dict[str, Any]]:
    """Random properties, plus the JSON document the rules parse for this type."""
    if type_ == "aws:ecs/taskDefinition:TaskDefinition":
        return st.builds(lambda p, d: {**p, "containerDefinitions": d}, PROPS, CONTAINER_DOCUMENTS)
    if type_ in ("aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
        return st.builds(lambda p, d: {**p, "policy": d}, PROPS, POLICY_DOCUMENTS)
    return PROPS


RESOURCE_POLICIES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
STACK_POLICIES = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]
FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("type_", TYPES)
@FUZZ
@given(data=st.data(), profile=st.sampled_from(["development", "production"]))
def test_resource_rules_never_crash(type_: str, data: st.DataObject, profile: str) -> None:
    props = data.draw(props_for(type_))
    for policy in RESOURCE_POLICIES:
        check_resource(policy, type_, props, profile=profile)


@st.composite
def stacks(draw: Any) -> list[Res]:
    count = draw(st.integers(1, 6))
    names = [f"r{i}" for i in range(count)]
    resources = []
    for name in names:
        deps = draw(
            st.dictionaries(
                st.sampled_from(
                    [
                        "bucket",
                        "subnetIds",
                        "subnetId",
                        "routeTableId",
                        "gatewayId",
                        "routes",
                        "loadBalancerArn",
                        "listenerArn",
                    ]
                ),
                st.lists(st.sampled_from(names), max_size=2),
                max_size=3,
            )
        )
        type_ = draw(st.sampled_from(TYPES))
        resources.append(Res(name, type_, draw(props_for(type_)), deps=deps))
    return resources


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(resources=stacks(), profile=st.sampled_from(["development", "production"]))
def test_stack_rules_never_crash(resources: list[Res], profile: str) -> None:
    for policy in STACK_POLICIES:
        check_stack(policy, resources, profile=profile)
