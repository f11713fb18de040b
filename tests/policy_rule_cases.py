"""The rest of test_policy_rules.py's table: a compliant and a violating case of each rule that table
does not list itself, in the engine's shape (camelCase names, floats, JSON strings), so that no rule
ships untested. Also the builders of engine-shaped properties the edge-case files share."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from platform_guard import BY_NAME
from tests.policy_harness import Outcome, Res, check_resource, check_stack


@dataclass(frozen=True)
class Case:
    """One rule's compliant and violating case (each run when the test asks for it)."""

    compliant: Callable[[], Outcome]
    violating: Callable[[], Outcome]
    expect: str
    """A phrase the violation message must contain."""


def resource_case(
    name: str, type_: str, good: dict[str, object], bad: dict[str, object], expect: str, **kw: object
) -> Case:
    policy = BY_NAME[name]
    return Case(
        lambda: check_resource(policy, type_, good, **kw),  # type: ignore[arg-type]
        lambda: check_resource(policy, type_, bad, **kw),  # type: ignore[arg-type]
        expect,
    )


def stack_case(name: str, good: list[Res], bad: list[Res], expect: str, **kw: object) -> Case:
    policy = BY_NAME[name]
    return Case(
        lambda: check_stack(policy, good, **kw),  # type: ignore[arg-type]
        lambda: check_stack(policy, bad, **kw),  # type: ignore[arg-type]
        expect,
    )


def doc(*statements: Mapping[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ACCOUNT = "123456789012"
PUBLIC_SEND = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}
SNS_PINNED = {
    "Effect": "Allow",
    "Principal": {"Service": "events.amazonaws.com"},
    "Action": "sqs:SendMessage",
    "Resource": "*",
    "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/x"}},
}
TASK = "aws:ecs/taskDefinition:TaskDefinition"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
IGW = "aws:ec2/internetGateway:InternetGateway"


def task(**container: object) -> dict[str, object]:
    return {
        "family": "web",
        "containerDefinitions": json.dumps([{"name": "web", "image": "app:1", **container}]),
    }


def distribution(media_behavior: dict[str, object]) -> dict[str, object]:
    return {
        "origins": [
            {
                "originId": "alb",
                "domainName": "origin.example.com",
                "vpcOriginConfig": {"vpcOriginId": "vo-1"},
            },
            {
                "originId": "media",
                "domainName": "media.s3.eu-west-1.amazonaws.com",
                "originAccessControlId": "oac",
            },
        ],
        "defaultCacheBehavior": {"targetOriginId": "alb", "viewerProtocolPolicy": "redirect-to-https"},
        "orderedCacheBehaviors": [
            {
                "pathPattern": "/media/public/*",
                "targetOriginId": "media",
                "viewerProtocolPolicy": "https-only",
            },
            {
                "pathPattern": "/media/*",
                "targetOriginId": "media",
                "viewerProtocolPolicy": "https-only",
                **media_behavior,
            },
        ],
    }


def main_table_stack(internet: bool) -> list[Res]:
    resources = [
        Res("vpc", VPC, {"cidrBlock": "10.0.0.0/16", "defaultRouteTableId": "rtb-main"}),
        Res("igw", IGW, {"vpcId": "vpc-1"}, deps={"vpcId": ["vpc"]}),
        Res("data-a", SUBNET, {"vpcId": "vpc-1", "cidrBlock": "10.0.1.0/24"}, deps={"vpcId": ["vpc"]}),
        Res(
            "db-subnets",
            "aws:rds/subnetGroup:SubnetGroup",
            {"subnetIds": ["subnet-a"]},
            deps={"subnetIds": ["data-a"]},
        ),
    ]
    if internet:
        resources.append(
            Res(
                "default-route",
                "aws:ec2/route:Route",
                {"routeTableId": "rtb-main", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
                deps={"routeTableId": ["vpc"], "gatewayId": ["igw"]},
            )
        )
    return resources


def nlb_stack(port: float) -> list[Res]:
    return [
        Res("nlb", LB, {"loadBalancerType": "network", "internal": False}),
        Res("listener", LISTENER, {"port": port, "protocol": "TCP"}, deps={"loadBalancerArn": ["nlb"]}),
    ]


def alb_stack(cidr: bool) -> list[Res]:
    ingress = {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0}
    ingress.update({"cidrBlocks": ["0.0.0.0/0"]} if cidr else {"prefixListIds": ["pl-3b927c52"]})
    return [
        Res("alb-sg", "aws:ec2/securityGroup:SecurityGroup", {"ingress": [ingress]}),
        Res(
            "alb",
            LB,
            {"loadBalancerType": "application", "internal": False, "securityGroups": ["sg-1"]},
            deps={"securityGroups": ["alb-sg"]},
        ),
    ]


def aurora_stack(instances: int) -> list[Res]:
    cluster = Res("db", "aws:rds/cluster:Cluster", {"engine": "aurora-postgresql", "storageEncrypted": True})
    members = [
        Res(
            f"db-{i}",
            "aws:rds/clusterInstance:ClusterInstance",
            {"clusterIdentifier": "db"},
            deps={"clusterIdentifier": ["db"]},
        )
        for i in range(instances)
    ]
    return [cluster, *members]


USER_DATA_BAD = base64.b64encode(b"#!/bin/bash\nexport DB_PASSWORD=Sup3rS3cret!\n").decode()
USER_DATA_GOOD = base64.b64encode(
    b"#!/bin/bash\nDB_PASSWORD_ARN=arn:aws:secretsmanager:eu-west-1:123456789012:secret:db\n"
).decode()

MORE_CASES: dict[str, Case] = {
    "no-internet-ingress-to-admin-ports": resource_case(
        "no-internet-ingress-to-admin-ports",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        {"ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrIpv4": "100.64.0.0/10"},
        {"ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrIpv4": "0.0.0.0/0"},
        "22 (SSH)",
    ),
    "no-database-ports-on-public-load-balancers": stack_case(
        "no-database-ports-on-public-load-balancers",
        nlb_stack(443.0),
        nlb_stack(5432.0),
        "publishes port 5432",
    ),
    "search-domain-encrypted-and-private": resource_case(
        "search-domain-encrypted-and-private",
        "aws:opensearch/domain:Domain",
        {
            "encryptAtRest": {"enabled": True},
            "nodeToNodeEncryption": {"enabled": True},
            "domainEndpointOptions": {
                "enforceHttps": True,
                "tlsSecurityPolicy": "Policy-Min-TLS-1-2-2019-07",
            },
            "vpcOptions": {"subnetIds": ["subnet-1"]},
        },
        {
            "encryptAtRest": {"enabled": False},
            "nodeToNodeEncryption": {"enabled": True},
            "domainEndpointOptions": {
                "enforceHttps": True,
                "tlsSecurityPolicy": "Policy-Min-TLS-1-2-2019-07",
            },
            "vpcOptions": {"subnetIds": ["subnet-1"]},
        },
        "encryptAtRest.enabled is false",
    ),
    "file-system-encrypted-and-private": resource_case(
        "file-system-encrypted-and-private",
        "aws:efs/fileSystem:FileSystem",
        {"encrypted": True, "kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/k"},
        {"encrypted": False},
        "encrypted is false",
    ),
    "memorydb-tls-and-acl": resource_case(
        "memorydb-tls-and-acl",
        "aws:memorydb/cluster:Cluster",
        {"aclName": "app-acl", "nodeType": "db.t4g.small"},
        {"aclName": "open-access", "nodeType": "db.t4g.small"},
        "'open-access'",
    ),
    "database-proxy-requires-tls": resource_case(
        "database-proxy-requires-tls",
        "aws:rds/proxy:Proxy",
        {"engineFamily": "POSTGRESQL", "requireTls": True},
        {"engineFamily": "POSTGRESQL"},
        "requireTls is not set",
    ),
    "dax-encrypted": resource_case(
        "dax-encrypted",
        "aws:dax/cluster:Cluster",
        {"serverSideEncryption": {"enabled": True}, "clusterEndpointEncryptionType": "TLS"},
        {"serverSideEncryption": {"enabled": True}, "clusterEndpointEncryptionType": "NONE"},
        "clusterEndpointEncryptionType is NONE",
    ),
    "parameter-group-keeps-tls": resource_case(
        "parameter-group-keeps-tls",
        "aws:rds/parameterGroup:ParameterGroup",
        {"family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
        {
            "family": "postgres16",
            "parameters": [{"name": "rds.force_ssl", "value": "0", "applyMethod": "immediate"}],
        },
        "rds.force_ssl=0",
    ),
    "snapshots-not-public": resource_case(
        "snapshots-not-public",
        "aws:rds/snapshot:Snapshot",
        {"dbInstanceIdentifier": "db", "dbSnapshotIdentifier": "s", "sharedAccounts": ["210987654321"]},
        {"dbInstanceIdentifier": "db", "dbSnapshotIdentifier": "s", "sharedAccounts": ["all"]},
        "sharedAccounts includes 'all'",
    ),
    "resource-policy-not-public": resource_case(
        "resource-policy-not-public",
        "aws:sqs/queuePolicy:QueuePolicy",
        {"queueUrl": "https://sqs/q", "policy": doc(SNS_PINNED)},
        {"queueUrl": "https://sqs/q", "policy": doc(PUBLIC_SEND)},
        "allows sqs:SendMessage to principal '*'",
    ),
    "iam-no-admin-grants": resource_case(
        "iam-no-admin-grants",
        "aws:iam/rolePolicy:RolePolicy",
        {
            "role": "app",
            "policy": doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}),
        },
        {"role": "app", "policy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})},
        "amounts to administrator access",
    ),
    "lambda-permission-not-public": resource_case(
        "lambda-permission-not-public",
        "aws:lambda/permission:Permission",
        {
            "action": "lambda:InvokeFunction",
            "function": "f",
            "principal": "s3.amazonaws.com",
            "sourceArn": "arn:aws:s3:::b",
        },
        {"action": "lambda:InvokeFunction", "function": "f", "principal": "*"},
        "anyone can invoke the function",
    ),
    "ec2-user-data-no-secrets": resource_case(
        "ec2-user-data-no-secrets",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"userData": USER_DATA_GOOD},
        {"userData": USER_DATA_BAD},
        "userData carries credentials: DB_PASSWORD",
    ),
    "ec2-imdsv2-required": resource_case(
        "ec2-imdsv2-required",
        "aws:ec2/instance:Instance",
        {"ami": "ami-1", "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required"}},
        {"ami": "ami-1", "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "optional"}},
        "httpTokens is 'optional'",
    ),
    "cloudfront-origin-tls": resource_case(
        "cloudfront-origin-tls",
        DISTRIBUTION,
        {
            "origins": [
                {
                    "originId": "app",
                    "domainName": "o.example.com",
                    "customOriginConfig": {
                        "originProtocolPolicy": "https-only",
                        "originSslProtocols": ["TLSv1.2"],
                        "httpPort": 80.0,
                        "httpsPort": 443.0,
                    },
                }
            ]
        },
        {
            "origins": [
                {
                    "originId": "app",
                    "domainName": "o.example.com",
                    "customOriginConfig": {
                        "originProtocolPolicy": "http-only",
                        "originSslProtocols": ["TLSv1.2"],
                        "httpPort": 80.0,
                        "httpsPort": 443.0,
                    },
                }
            ]
        },
        "originProtocolPolicy 'http-only'",
    ),
    "lb-listener-modern-tls": resource_case(
        "lb-listener-modern-tls",
        LISTENER,
        {"protocol": "HTTPS", "port": 443.0, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        {"protocol": "HTTPS", "port": 443.0, "sslPolicy": "ELBSecurityPolicy-TLS-1-1-2017-01"},
        "sslPolicy is ELBSecurityPolicy-TLS-1-1-2017-01",
    ),
    "cloudfront-private-media-signed": resource_case(
        "cloudfront-private-media-signed",
        DISTRIBUTION,
        distribution({"trustedKeyGroups": ["kg-1"]}),
        distribution({}),
        "orderedCacheBehaviors[1] ('/media/*') serves private media",
    ),
    "prod-alb-behind-cloudfront": stack_case(
        "prod-alb-behind-cloudfront",
        alb_stack(cidr=False),
        alb_stack(cidr=True),
        "bypassing CloudFront",
        profile="production",
    ),
    "prod-aurora-multiple-instances": stack_case(
        "prod-aurora-multiple-instances",
        aurora_stack(2),
        aurora_stack(1),
        "has 1 instance",
        profile="production",
    ),
    "prod-bucket-versioning-not-suspended": resource_case(
        "prod-bucket-versioning-not-suspended",
        "aws:s3/bucketVersioningV2:BucketVersioningV2",
        {"bucket": "media", "versioningConfiguration": {"status": "Enabled"}},
        {"bucket": "media", "versioningConfiguration": {"status": "Suspended"}},
        "versioningConfiguration.status is Suspended",
        profile="production",
    ),
    "kafka-encrypted-and-private": resource_case(
        "kafka-encrypted-and-private",
        "aws:msk/cluster:Cluster",
        {"encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS", "inCluster": True}}},
        {"encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT", "inCluster": True}}},
        "clientBroker is TLS_PLAINTEXT",
    ),
    "prod-cloudfront-vpc-origin-https": resource_case(
        "prod-cloudfront-vpc-origin-https",
        "aws:cloudfront/vpcOrigin:VpcOrigin",
        {
            "vpcOriginEndpointConfig": {
                "name": "alb",
                "httpPort": 80.0,
                "httpsPort": 443.0,
                "originProtocolPolicy": "https-only",
                "originSslProtocols": {"items": ["TLSv1.2"], "quantity": 1.0},
            }
        },
        {
            "vpcOriginEndpointConfig": {
                "name": "alb",
                "httpPort": 80.0,
                "httpsPort": 443.0,
                "originProtocolPolicy": "http-only",
                "originSslProtocols": {"items": ["TLSv1.2"], "quantity": 1.0},
            }
        },
        "originProtocolPolicy is 'http-only'",
        profile="production",
    ),
    "preview-unjudged-resources": stack_case(
        "preview-unjudged-resources",
        [Res("web", TASK, task(environment=[{"name": "DEBUG", "value": "false"}]))],
        [Res("web", TASK, {"family": "web", "containerDefinitions": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})],
        "1 resource could not be judged in this preview",
    ),
}
