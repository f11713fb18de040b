"""The pack's edge cases by shape: values that only look risky (the pack judges values, not names),
risks in unusual places (a VPC's main route table, NLBs), old and new type tokens, unknowns, and
properties that hold over generated shapes (Hypothesis). Secrets in plain text, judged by value and
by name, on command lines and outside ECS: test_policy_secrets.py."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_guard import BY_NAME
from platform_guard.exposure_ingress import is_private_cidr
from platform_guard.policy_documents import public_statements
from tests.policy_harness import UNKNOWN, Res, check_resource, check_stack
from tests.policy_rule_cases import doc, main_table_stack, task

SECRETS = BY_NAME["ecs-no-plaintext-secrets"]
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SUBNETS = BY_NAME["data-subnet-groups-private"]


# --- ElastiCache global datastore secondaries -------------------------------------------------


@pytest.mark.parametrize("rule", ["elasticache-encrypted-at-rest", "elasticache-transit-encryption-and-auth"])
def test_global_datastore_secondaries_inherit_encryption(rule: str) -> None:
    secondary = {"globalReplicationGroupId": "ldgnf-app", "replicationGroupId": "app-eu", "description": "x"}
    assert check_resource(
        BY_NAME[rule], "aws:elasticache/replicationGroup:ReplicationGroup", secondary
    ).passed
    unknown = {**secondary, "globalReplicationGroupId": UNKNOWN}
    assert check_resource(BY_NAME[rule], "aws:elasticache/replicationGroup:ReplicationGroup", unknown).passed


# --- internet routes through the VPC's main route table ---------------------------------------


def test_route_on_the_vpc_default_route_table_exposes_unassociated_subnets() -> None:
    assert check_stack(SUBNETS, main_table_stack(internet=False)).passed
    outcome = check_stack(SUBNETS, main_table_stack(internet=True))
    assert len(outcome.violations) == 1
    assert (
        "no route table association" in outcome.messages[0]
        and "main route table of VPC 'vpc'" in outcome.messages[0]
    )


def test_main_route_table_association_makes_an_internet_table_main() -> None:
    base = main_table_stack(internet=False)
    public_table = Res(
        "public-rt",
        "aws:ec2/routeTable:RouteTable",
        {"vpcId": "vpc-1", "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]},
        deps={"routes": ["igw"]},
    )
    main = Res(
        "main",
        "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
        {"vpcId": "vpc-1", "routeTableId": "rtb-2"},
        deps={"vpcId": ["vpc"], "routeTableId": ["public-rt"]},
    )
    outcome = check_stack(SUBNETS, [*base, public_table, main])
    assert len(outcome.violations) == 1 and "made main of VPC 'vpc'" in outcome.messages[0]
    # A subnet explicitly associated with a private table does not use the main one.
    private_table = Res("private-rt", "aws:ec2/routeTable:RouteTable", {"vpcId": "vpc-1", "routes": []})
    association = Res(
        "assoc",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        {"subnetId": "subnet-a", "routeTableId": "rtb-3"},
        deps={"subnetId": ["data-a"], "routeTableId": ["private-rt"]},
    )
    assert check_stack(SUBNETS, [*base, public_table, main, private_table, association]).passed


def test_default_route_table_resource_with_an_internet_route() -> None:
    table = Res(
        "default-rt",
        "aws:ec2/defaultRouteTable:DefaultRouteTable",
        {"defaultRouteTableId": "rtb-main", "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]},
        deps={"defaultRouteTableId": ["vpc"], "routes": ["igw"]},
    )
    assert check_stack(SUBNETS, [*main_table_stack(internet=False), table]).violations


# --- address space ----------------------------------------------------------------------------


@pytest.mark.parametrize("cidr", ["100.64.0.0/10", "100.100.0.0/16", "169.254.169.254/32", "fd00::/8"])
def test_non_internet_ranges_are_not_public(cidr: str) -> None:
    assert is_private_cidr(cidr)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_a_range_called_private_holds_no_global_address(address: int, prefix: int) -> None:
    network = ipaddress.ip_network((address, prefix), strict=False)
    if is_private_cidr(str(network)):
        step = max(1, network.num_addresses // 64)
        sample = [network.network_address + i for i in range(0, network.num_addresses, step)]
        assert not any(a.is_global for a in sample)


@pytest.mark.parametrize(
    ("ips", "public"),
    [
        (["0.0.0.0/0"], True),
        (["0.0.0.0/1", "128.0.0.0/1"], True),
        (["10.0.0.0/8"], False),
        (["198.51.100.0/24"], False),
    ],
)
def test_source_ip_conditions_covering_the_internet_are_public(ips: list[str], public: bool) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": ips}},
    }
    assert bool(public_statements(json.loads(doc(statement)))) is public


@pytest.mark.parametrize(
    "type_",
    [
        "aws:kms/key:Key",
        "aws:secretsmanager/secretPolicy:SecretPolicy",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
    ],
)
def test_open_resource_policies_of_every_kind(type_: str) -> None:
    bad = {"policy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*"})}
    assert check_resource(BY_NAME["resource-policy-not-public"], type_, bad).violations
    good = {
        "policy": doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "*",
                "Resource": "*",
            }
        )
    }
    assert check_resource(BY_NAME["resource-policy-not-public"], type_, good).passed


def test_role_trusting_anyone_is_public() -> None:
    trust = doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    assert check_resource(
        BY_NAME["resource-policy-not-public"], "aws:iam/role:Role", {"assumeRolePolicy": trust}
    ).violations


def test_broad_not_action_is_admin() -> None:
    policy = doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert check_resource(
        BY_NAME["iam-no-admin-grants"], "aws:iam/policy:Policy", {"policy": policy}
    ).violations


# --- containers and edge ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caps", "bad"), [(["SYS_ADMIN"], True), (["ALL"], True), (["NET_BIND_SERVICE"], False)]
)
def test_added_capabilities(caps: list[str], bad: bool) -> None:
    props = task(linuxParameters={"capabilities": {"add": caps}})
    assert bool(check_resource(BY_NAME["ecs-no-privileged-containers"], TASK, props).violations) is bad


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["TLS", "TLS13", "FS"]),
    st.sampled_from(["1-0", "1-1", "1-2", "1-3"]),
    st.sampled_from(["2017-01", "2021-06", "Res-2021-06", "Ext-2018-06"]),
)
def test_listener_policy_is_modern_exactly_when_its_minimum_is_tls12(
    family: str, minimum: str, suffix: str
) -> None:
    policy = f"ELBSecurityPolicy-{family}-{minimum}-{suffix}"
    props = {"protocol": "HTTPS", "port": 443.0, "sslPolicy": policy}
    outcome = check_resource(BY_NAME["lb-listener-modern-tls"], "aws:alb/listener:Listener", props)
    assert bool(outcome.violations) is (minimum in ("1-0", "1-1"))


def test_unset_listener_policy_is_the_api_default_which_allows_tls10() -> None:
    props = {"protocol": "TLS", "port": 443.0}
    outcome = check_resource(BY_NAME["lb-listener-modern-tls"], "aws:lb/listener:Listener", props)
    assert "ELBSecurityPolicy-2016-08 (the API default)" in outcome.messages[0]


def test_private_media_served_by_the_default_behavior_from_a_bucket() -> None:
    props: dict[str, Any] = {
        "origins": [
            {
                "originId": "files",
                "domainName": "b.s3.eu-west-1.amazonaws.com",
                "s3OriginConfig": {"originAccessIdentity": ""},
            }
        ],
        "defaultCacheBehavior": {"targetOriginId": "files", "viewerProtocolPolicy": "https-only"},
    }
    outcome = check_resource(
        BY_NAME["cloudfront-private-media-signed"], "aws:cloudfront/distribution:Distribution", props
    )
    assert len(outcome.violations) == 1 and "defaultCacheBehavior" in outcome.messages[0]
    config = {"privatePathPatterns": ["/private/*"], "publicPathPatterns": []}
    signed = {**props, "defaultCacheBehavior": {**props["defaultCacheBehavior"], "trustedKeyGroups": ["kg"]}}
    assert check_resource(
        BY_NAME["cloudfront-private-media-signed"],
        "aws:cloudfront/distribution:Distribution",
        signed,
        config=config,
    ).passed


def test_unknown_container_definitions_are_counted_for_every_rule_waiting() -> None:
    outcome = check_stack(
        BY_NAME["preview-unjudged-resources"],
        [
            Res("web", TASK, {"family": "web", "containerDefinitions": UNKNOWN}),
            Res("worker", TASK, {"containerDefinitions": UNKNOWN}),
        ],
    )
    [message] = outcome.messages
    assert message.startswith("2 resources could not be judged")
    assert (
        "ecs-django-debug-off" in message and "ecs-no-plaintext-secrets" in message and "'worker'" in message
    )


# --- more shapes of the same risks ------------------------------------------------------------


def test_serverless_collection_open_to_the_internet() -> None:
    rule = BY_NAME["search-domain-encrypted-and-private"]
    policy = json.dumps(
        [
            {
                "Rules": [{"ResourceType": "collection", "Resource": ["collection/logs"]}],
                "AllowFromPublic": True,
            }
        ]
    )
    assert check_resource(
        rule,
        "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy",
        {"type": "network", "policy": policy},
    ).violations
    private = json.dumps(
        [
            {
                "Rules": [{"ResourceType": "collection", "Resource": ["collection/logs"]}],
                "AllowFromPublic": False,
                "SourceVPCEs": ["vpce-1"],
            }
        ]
    )
    assert check_resource(
        rule,
        "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy",
        {"type": "network", "policy": private},
    ).passed


@pytest.mark.parametrize(
    ("type_", "props", "bad"),
    [
        (
            "aws:apigateway/domainName:DomainName",
            {"domainName": "api.example.com", "securityPolicy": "TLS_1_0"},
            True,
        ),
        (
            "aws:apigatewayv2/domainName:DomainName",
            {"domainNameConfiguration": {"securityPolicy": "TLS_1_2", "endpointType": "REGIONAL"}},
            False,
        ),
        (
            "aws:elb/loadBalancerPolicy:LoadBalancerPolicy",
            {
                "policyTypeName": "SSLNegotiationPolicyType",
                "policyAttributes": [
                    {"name": "Reference-Security-Policy", "value": "ELBSecurityPolicy-2016-08"}
                ],
            },
            True,
        ),
        (
            "aws:elb/loadBalancerPolicy:LoadBalancerPolicy",
            {
                "policyTypeName": "SSLNegotiationPolicyType",
                "policyAttributes": [
                    {"name": "Reference-Security-Policy", "value": "ELBSecurityPolicy-TLS-1-2-2017-01"}
                ],
            },
            False,
        ),
    ],
)
def test_old_tls_on_other_endpoints(type_: str, props: dict[str, Any], bad: bool) -> None:
    assert bool(check_resource(BY_NAME["lb-listener-modern-tls"], type_, props).violations) is bad


def test_match_viewer_is_plain_http_only_when_a_behavior_allows_http() -> None:
    def dist(viewer: str) -> dict[str, Any]:
        return {
            "origins": [
                {
                    "originId": "app",
                    "domainName": "o.example.com",
                    "customOriginConfig": {
                        "originProtocolPolicy": "match-viewer",
                        "originSslProtocols": ["TLSv1.2"],
                    },
                }
            ],
            "defaultCacheBehavior": {"targetOriginId": "app", "viewerProtocolPolicy": viewer},
        }

    rule = BY_NAME["cloudfront-origin-tls"]
    assert check_resource(rule, "aws:cloudfront/distribution:Distribution", dist("redirect-to-https")).passed
    assert check_resource(rule, "aws:cloudfront/distribution:Distribution", dist("allow-all")).violations


def test_iam_star_on_every_resource_is_admin() -> None:
    policy = doc({"Effect": "Allow", "Action": ["iam:*"], "Resource": "*"})
    assert check_resource(
        BY_NAME["iam-no-admin-grants"], "aws:iam/userPolicy:UserPolicy", {"policy": policy}
    ).violations
    scoped = doc(
        {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "arn:aws:iam::123456789012:role/app"}
    )
    assert check_resource(
        BY_NAME["iam-no-admin-grants"], "aws:iam/userPolicy:UserPolicy", {"policy": scoped}
    ).passed


def test_alb_refusing_requests_without_cloudfronts_origin_header_is_not_a_bypass() -> None:
    alb = Res(
        "alb",
        "aws:lb/loadBalancer:LoadBalancer",
        {"loadBalancerType": "application", "internal": False, "securityGroups": ["sg-1"]},
        deps={"securityGroups": ["sg"]},
    )
    sg = Res(
        "sg",
        "aws:ec2/securityGroup:SecurityGroup",
        {"ingress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"]}]},
    )
    listener = Res(
        "https",
        "aws:lb/listener:Listener",
        {
            "protocol": "HTTPS",
            "port": 443.0,
            "defaultActions": [
                {
                    "type": "fixed-response",
                    "fixedResponse": {"contentType": "text/plain", "statusCode": "403"},
                }
            ],
        },
        deps={"loadBalancerArn": ["alb"]},
    )
    rule = Res(
        "from-cloudfront",
        "aws:lb/listenerRule:ListenerRule",
        {
            "conditions": [{"httpHeader": {"httpHeaderName": "X-Origin-Verify", "values": ["s3cr3t"]}}],
            "actions": [{"type": "forward"}],
        },
        deps={"listenerArn": ["https"]},
    )
    policy = BY_NAME["prod-alb-behind-cloudfront"]
    assert check_stack(policy, [sg, alb, listener, rule], profile="production").passed
    assert check_stack(policy, [sg, alb, listener], profile="production").violations


def test_aurora_members_named_by_a_plain_identifier_count() -> None:
    cluster = Res("db", "aws:rds/cluster:Cluster", {"engine": "aurora-mysql", "clusterIdentifier": "app-db"})
    members = [
        Res(f"db-{i}", "aws:rds/clusterInstance:ClusterInstance", {"clusterIdentifier": "app-db"})
        for i in range(2)
    ]
    policy = BY_NAME["prod-aurora-multiple-instances"]
    assert check_stack(policy, [cluster, *members], profile="production").passed
    assert check_stack(policy, [cluster, members[0]], profile="production").violations
