"""Every rule of the pack: one compliant and one violating case, through the rule's own validator,
with properties shaped as the engine sends them (camelCase names, floats, JSON strings).

Edge cases per rule (unknowns, old and new type tokens, config overrides) live in the
test_policy_<area>.py files; this table only guarantees that no rule ships untested.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import pytest

from platform_guard import BY_NAME, POLICIES
from tests.policy_harness import Outcome, Res, check_resource, check_stack
from tests.policy_rule_cases import DISTRIBUTION, LB, LISTENER, MORE_CASES, TASK, Case, resource_case

RDS = "aws:rds/instance:Instance"
SG = "aws:ec2/securityGroup:SecurityGroup"
SUBNET = "aws:ec2/subnet:Subnet"
RDS_SUBNETS = "aws:rds/subnetGroup:SubnetGroup"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACL = "aws:s3/bucketAcl:BucketAcl"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SERVICE = "aws:ecs/service:Service"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

DISTRIBUTION_ARN = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"


def container(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "web",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1",
        "essential": True,
        "environment": [{"name": "DJANGO_SETTINGS_MODULE", "value": "config.settings"}],
        "secrets": [
            {"name": "SECRET_KEY", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:k"}
        ],
    }
    base.update(overrides)
    return base


def task(*containers: dict[str, object]) -> dict[str, object]:
    return {"family": "web", "containerDefinitions": json.dumps(list(containers))}


def bucket_policy(*statements: Mapping[str, object]) -> dict[str, object]:
    return {
        "bucket": "media-bucket",
        "policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
    }


OAC_READ = {
    "Sid": "CloudFrontRead",
    "Effect": "Allow",
    "Principal": {"Service": "cloudfront.amazonaws.com"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::media-bucket/*",
    "Condition": {"StringEquals": {"AWS:SourceArn": DISTRIBUTION_ARN}},
}
TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::media-bucket", "arn:aws:s3:::media-bucket/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
PUBLIC_READ = {
    "Sid": "PublicRead",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::media-bucket/*",
}


def subnet_stack(public: bool) -> list[Res]:
    return [
        Res("data-0", SUBNET, {"cidrBlock": "10.0.8.0/20", "mapPublicIpOnLaunch": public}),
        Res("data-1", SUBNET, {"cidrBlock": "10.0.9.0/20", "mapPublicIpOnLaunch": False}),
        Res(
            "db-subnets",
            RDS_SUBNETS,
            {"subnetIds": ["subnet-0", "subnet-1"]},
            deps={"subnetIds": ["data-0", "data-1"]},
        ),
    ]


def encrypted_bucket_stack(with_config: bool) -> list[Res]:
    resources = [Res("media", BUCKET, {"bucket": "media-bucket"})]
    if with_config:
        rule = {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": "arn:aws:kms:k",
            }
        }
        resources.append(
            Res("media-sse", SSE, {"bucket": "media-bucket", "rules": [rule]}, deps={"bucket": ["media"]})
        )
    return resources


def public_access_stack(ignore_public_acls: bool) -> list[Res]:
    flags = {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": ignore_public_acls,
        "restrictPublicBuckets": True,
    }
    return [
        Res("media", BUCKET, {"bucket": "media-bucket"}),
        Res("media-pab", PAB, {"bucket": "media-bucket", **flags}, deps={"bucket": ["media"]}),
    ]


def listener_stack(action: Mapping[str, object]) -> list[Res]:
    return [
        Res(
            "alb", LB, {"internal": False, "loadBalancerType": "application", "dropInvalidHeaderFields": True}
        ),
        Res(
            "http",
            LISTENER,
            {
                "loadBalancerArn": "arn:aws:elasticloadbalancing:alb",
                "port": 80.0,
                "protocol": "HTTP",
                "defaultActions": [action],
            },
            deps={"loadBalancerArn": ["alb"]},
        ),
    ]


REDIRECT = {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
FORWARD = {"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg"}

PRIMARY_DB = {
    "engine": "postgres",
    "instanceClass": "db.r6g.large",
    "multiAz": True,
    "backupRetentionPeriod": 14.0,
    "deletionProtection": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "db-final",
    "storageEncrypted": True,
}


def parameter_stack(hosts: str) -> list[Res]:
    """A task definition that takes ALLOWED_HOSTS from the stack's SSM String parameter."""
    name = "/app-test/ALLOWED_HOSTS"
    arn = f"arn:aws:ssm:eu-west-1:123456789012:parameter{name}"
    definitions = [
        {"name": "web", "image": "app:1", "secrets": [{"name": "ALLOWED_HOSTS", "valueFrom": arn}]}
    ]
    return [
        Res("hosts", "aws:ssm/parameter:Parameter", {"name": name, "type": "String", "value": hosts}),
        Res("web", TASK, {"family": "web", "containerDefinitions": json.dumps(definitions)}),
    ]


def resource(name: str, type_: str, props: dict[str, object], **kwargs: object) -> Callable[[], Outcome]:
    return lambda: check_resource(BY_NAME[name], type_, props, **kwargs)  # type: ignore[arg-type]


def stack(name: str, resources: list[Res], **kwargs: object) -> Callable[[], Outcome]:
    return lambda: check_stack(BY_NAME[name], resources, **kwargs)  # type: ignore[arg-type]


CASES: dict[str, Case] = {
    "database-not-publicly-accessible": resource_case(
        "database-not-publicly-accessible",
        RDS,
        {"engine": "postgres", "publiclyAccessible": False},
        {"engine": "postgres", "publiclyAccessible": True},
        "publiclyAccessible is true",
    ),
    "no-internet-ingress-to-database-ports": resource_case(
        "no-internet-ingress-to-database-ports",
        SG,
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "securityGroups": ["sg-0web"]}
            ]
        },
        {"ingress": [{"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "cidrBlocks": ["0.0.0.0/0"]}]},
        "5432 (PostgreSQL)",
    ),
    "data-subnet-groups-private": Case(
        stack("data-subnet-groups-private", subnet_stack(public=False)),
        stack("data-subnet-groups-private", subnet_stack(public=True)),
        "spans public subnets",
    ),
    "database-storage-encrypted": resource_case(
        "database-storage-encrypted",
        RDS,
        {"engine": "postgres", "storageEncrypted": True, "kmsKeyId": "arn:aws:kms:k"},
        {"engine": "postgres"},
        "storageEncrypted is not set",
    ),
    "elasticache-encrypted-at-rest": resource_case(
        "elasticache-encrypted-at-rest",
        REDIS,
        {"engine": "redis", "atRestEncryptionEnabled": True},
        {"engine": "redis", "atRestEncryptionEnabled": False},
        "atRestEncryptionEnabled is false",
    ),
    "elasticache-transit-encryption-and-auth": resource_case(
        "elasticache-transit-encryption-and-auth",
        REDIS,
        {"transitEncryptionEnabled": True, "authToken": "a-long-token-from-secrets-manager"},
        {"transitEncryptionEnabled": True},
        "no AUTH",
    ),
    "s3-bucket-encrypted": Case(
        stack("s3-bucket-encrypted", encrypted_bucket_stack(True)),
        stack("s3-bucket-encrypted", encrypted_bucket_stack(False)),
        "no default encryption",
    ),
    "s3-public-access-block": Case(
        stack("s3-public-access-block", public_access_stack(True)),
        stack("s3-public-access-block", public_access_stack(False)),
        "ignorePublicAcls off",
    ),
    "s3-no-public-acl": resource_case(
        "s3-no-public-acl",
        ACL,
        {"bucket": "b", "acl": "private"},
        {"bucket": "b", "acl": "public-read"},
        "public-read",
    ),
    "s3-policy-no-public-principal": resource_case(
        "s3-policy-no-public-principal",
        BUCKET_POLICY,
        bucket_policy(TLS_ONLY, OAC_READ),
        bucket_policy(TLS_ONLY, PUBLIC_READ),
        "statement PublicRead allows s3:GetObject to principal '*'",
    ),
    "ecs-service-no-public-ip": resource_case(
        "ecs-service-no-public-ip",
        SERVICE,
        {"networkConfiguration": {"subnets": ["subnet-app"], "assignPublicIp": False}},
        {"networkConfiguration": {"subnets": ["subnet-pub"], "assignPublicIp": True}},
        "assignPublicIp is true",
    ),
    "ecs-no-plaintext-secrets": resource_case(
        "ecs-no-plaintext-secrets",
        TASK,
        task(container()),
        task(container(environment=[{"name": "SECRET_KEY", "value": "django-insecure-9f8e7d6c5b4a"}])),
        "puts SECRET_KEY in plain `environment`",
    ),
    "ecs-django-debug-off": resource_case(
        "ecs-django-debug-off",
        TASK,
        task(container(environment=[{"name": "DEBUG", "value": "False"}])),
        task(container(environment=[{"name": "DJANGO_DEBUG", "value": "True"}])),
        "DJANGO_DEBUG=True",
    ),
    "ecs-django-allowed-hosts-explicit": resource_case(
        "ecs-django-allowed-hosts-explicit",
        TASK,
        task(container(environment=[{"name": "ALLOWED_HOSTS", "value": "example.com,.example.com"}])),
        task(container(environment=[{"name": "ALLOWED_HOSTS", "value": "*"}])),
        "ALLOWED_HOSTS=*",
    ),
    "ecs-parameter-settings-safe": Case(
        stack("ecs-parameter-settings-safe", parameter_stack("app.example.com")),
        stack("ecs-parameter-settings-safe", parameter_stack("*")),
        "takes ALLOWED_HOSTS from SSM parameter",
    ),
    "ecs-no-privileged-containers": resource_case(
        "ecs-no-privileged-containers",
        TASK,
        task(container(privileged=False)),
        task(container(privileged=True)),
        "is privileged",
    ),
    "cloudfront-https-only": resource_case(
        "cloudfront-https-only",
        DISTRIBUTION,
        {"defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"}},
        {
            "defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"},
            "orderedCacheBehaviors": [{"pathPattern": "/media/*", "viewerProtocolPolicy": "allow-all"}],
        },
        "orderedCacheBehaviors[0] (/media/*) has viewerProtocolPolicy 'allow-all'",
    ),
    "cloudfront-minimum-tls": resource_case(
        "cloudfront-minimum-tls",
        DISTRIBUTION,
        {
            "viewerCertificate": {
                "acmCertificateArn": "arn:aws:acm:c",
                "minimumProtocolVersion": "TLSv1.2_2021",
            }
        },
        {"viewerCertificate": {"acmCertificateArn": "arn:aws:acm:c", "minimumProtocolVersion": "TLSv1"}},
        "minimumProtocolVersion is TLSv1",
    ),
    "lb-http-redirects-to-https": Case(
        stack("lb-http-redirects-to-https", listener_stack(REDIRECT)),
        stack("lb-http-redirects-to-https", listener_stack(FORWARD)),
        "serves requests instead of redirecting",
    ),
    "alb-drops-invalid-headers": resource_case(
        "alb-drops-invalid-headers",
        LB,
        {"internal": True, "dropInvalidHeaderFields": True},
        {"internal": True},
        "dropInvalidHeaderFields is not true",
    ),
    "cloudwatch-log-retention": resource_case(
        "cloudwatch-log-retention",
        LOG_GROUP,
        {"retentionInDays": 30.0},
        {"retentionInDays": 7.0},
        "retentionInDays is 7",
    ),
    "prod-database-multi-az": resource_case(
        "prod-database-multi-az",
        RDS,
        PRIMARY_DB,
        {**PRIMARY_DB, "multiAz": False},
        "multiAz is not true",
        profile="production",
    ),
    "prod-database-backup-retention": resource_case(
        "prod-database-backup-retention",
        RDS,
        PRIMARY_DB,
        {**PRIMARY_DB, "backupRetentionPeriod": 1.0},
        "backupRetentionPeriod is 1",
        profile="production",
    ),
    "prod-database-deletion-protection": resource_case(
        "prod-database-deletion-protection",
        RDS,
        PRIMARY_DB,
        {**PRIMARY_DB, "deletionProtection": False},
        "deletionProtection is not true",
        profile="production",
    ),
    "prod-database-final-snapshot": resource_case(
        "prod-database-final-snapshot",
        RDS,
        PRIMARY_DB,
        {**PRIMARY_DB, "skipFinalSnapshot": True},
        "skipFinalSnapshot is true",
        profile="production",
    ),
    "prod-stateful-resources-protected": Case(
        resource("prod-stateful-resources-protected", RDS, PRIMARY_DB, protect=True, profile="production"),
        resource("prod-stateful-resources-protected", RDS, PRIMARY_DB, protect=False, profile="production"),
        "not `protect`ed",
    ),
    "prod-redis-automatic-failover": resource_case(
        "prod-redis-automatic-failover",
        REDIS,
        {"automaticFailoverEnabled": True, "numCacheClusters": 2.0},
        {"automaticFailoverEnabled": False, "numCacheClusters": 1.0},
        "automaticFailoverEnabled is not true",
        profile="production",
    ),
    "prod-cloudfront-waf": resource_case(
        "prod-cloudfront-waf",
        DISTRIBUTION,
        {"webAclId": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/1"},
        {"webAclId": ""},
        "no web ACL",
        profile="production",
    ),
}

CASES.update(MORE_CASES)


def test_every_rule_has_a_compliant_and_a_violating_case() -> None:
    assert set(CASES) == {policy.name for policy in POLICIES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compliant_case_passes(name: str) -> None:
    outcome = CASES[name].compliant()
    assert outcome.passed, outcome
    assert outcome.not_applicable is None


@pytest.mark.parametrize("name", sorted(CASES))
def test_violating_case_is_reported(name: str) -> None:
    outcome = CASES[name].violating()
    assert len(outcome.violations) == 1, outcome
    assert CASES[name].expect in outcome.messages[0]
