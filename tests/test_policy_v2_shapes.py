"""Pack v2 edge cases by shape: the false alarms of the red-team and real-world runs (judge values,
not names), the misses of issue 17 (main route tables, NLBs, command lines, more secret names), old
and new type tokens, unknowns, and properties that hold over generated shapes (Hypothesis)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_guard import BY_NAME
from platform_guard.exposure import is_private_cidr
from platform_guard.policy_documents import public_statements
from platform_guard.secret_values import judge_pair
from tests.policy_cases_v2 import doc, main_table_stack, task
from tests.policy_harness import UNKNOWN, Res, check_resource, check_stack

SECRETS = BY_NAME["ecs-no-plaintext-secrets"]
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SUBNETS = BY_NAME["data-subnet-groups-private"]


# --- secrets judged by value -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OIDC_URL_TOKEN", "https://id.example.com/oauth/token"),
        ("AUTH_TOKEN_INTROSPECTION_URL", "https://id.example.com/introspect"),
        ("DB_PASSWORD_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"),
        ("SECRET_KEY", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:django-key"),
        ("PASSWORD_RESET_TIMEOUT", "259200"),
        ("PASSWORD_HASHERS", "django.contrib.auth.hashers.Argon2PasswordHasher"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_51HqLyjWDarjtT1zdp7dcXYZ"),
        ("STRIPE_KEY", "pk_test_TYooMQauvdEDq54NiTphI7jx"),
        ("RECAPTCHA_PUBLIC_KEY", "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI"),
        ("KMS_KEY_ID", "alias/app"),
        ("PWD", "/app"),
        ("DATABASE_URL", "postgres://app@db.internal:5432/app"),
        ("REDIS_PASSWORD", "${REDIS_PASSWORD}"),
    ],
)
def test_values_that_are_no_secret_pass(name: str, value: str) -> None:
    outcome = check_resource(SECRETS, TASK, task(environment=[{"name": name, "value": value}]))
    assert outcome.passed, outcome


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "postgres://app:s3cr3t-pass@db.internal:5432/app"),
        ("CELERY_BROKER_URL", "rediss://:tok3n-value@cache.internal:6379/0"),
        ("WEBHOOK", "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"),
        ("DB_PWD", "hunter2hunter2"),
        ("SMTP_PASSWD", "mail-pass-123"),
        ("GPG_PASSPHRASE", "correct horse battery staple"),
        ("UPSTREAM", "AKIAIOSFODNN7EXAMPLE"),
        ("STRIPE_KEY", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ],
)
def test_secrets_by_value_or_by_name_are_reported_without_echoing_them(name: str, value: str) -> None:
    outcome = check_resource(SECRETS, TASK, task(environment=[{"name": name, "value": value}]))
    assert len(outcome.violations) == 1
    assert name in outcome.messages[0] and value not in outcome.messages[0]


@pytest.mark.parametrize(
    ("field", "words", "bad"),
    [
        ("command", ["redis-server", "--requirepass", "pl41n-t3xt"], True),
        ("command", ["sh", "-c", "redis-server --requirepass pl41n-t3xt"], True),
        ("entryPoint", ["app", "--db-password=pl41n-t3xt"], True),
        ("command", ["sh", "-c", 'redis-server --requirepass "$REDIS_PASSWORD"'], False),
        ("command", ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000"], False),
        ("command", ["app", "--password-file", "/run/secrets/db"], False),
    ],
)
def test_credentials_on_command_lines(field: str, words: list[str], bad: bool) -> None:
    outcome = check_resource(SECRETS, TASK, task(**{field: words}))
    assert bool(outcome.violations) is bad, outcome
    if bad:
        assert f"`{field}`" in outcome.messages[0] and "pl41n-t3xt" not in outcome.messages[0]


def test_lambda_environment_is_judged_like_a_task() -> None:
    bad = {"environment": {"variables": {"API_TOKEN": "tok-1234567890", "SENTRY_URL": "https://sentry.io/1"}}}
    outcome = check_resource(SECRETS, "aws:lambda/function:Function", bad)
    assert len(outcome.violations) == 1 and "API_TOKEN" in outcome.messages[0]
    assert "SENTRY_URL" not in outcome.messages[0]


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    scheme=st.sampled_from(
        ["postgres", "postgresql", "mysql", "redis", "rediss", "amqp", "mongodb+srv", "https"]
    ),
    user=_word,
    password=_word.filter(lambda p: not set(p) <= {"x"} and p not in ("changeme", "redacted")),
    host=_word,
    name=st.sampled_from(["DATABASE_URL", "BROKER", "X", "CACHE_LOCATION", "URL_TOKEN"]),
)
def test_a_url_is_a_secret_exactly_when_it_carries_a_password(
    scheme: str, user: str, password: str, host: str, name: str
) -> None:
    with_password = f"{scheme}://{user}:{password}@{host}.internal:5432/db"
    without = f"{scheme}://{user}@{host}.internal:5432/db"
    assert judge_pair(name, with_password) is not None
    assert judge_pair(name, without) is None


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


@settings(max_examples=200, deadline=None)
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


@settings(max_examples=100, deadline=None)
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
