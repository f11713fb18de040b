"""Edge cases of one risk, secrets in plain text: judged by value as well as by name
(pointers, URLs, numbers and references are no secrets; a literal under a secret's name always is),
on command lines and in user data, and outside ECS (SSM, CodeBuild, App Runner, cache users), with
properties over generated names and values (Hypothesis). The other shapes: test_policy_shapes.py."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_guard import BY_NAME
from platform_guard.secret_values import judge_pair
from tests.policy_harness import check_resource
from tests.policy_rule_cases import task

SECRETS = BY_NAME["ecs-no-plaintext-secrets"]
TASK = "aws:ecs/taskDefinition:TaskDefinition"


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


@settings(max_examples=50, deadline=None)
@given(
    scheme=st.sampled_from(
        ["postgres", "postgresql", "mysql", "redis", "rediss", "amqp", "mongodb+srv", "https"]
    ),
    user=_word,
    password=_word,
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


# --- secrets in other places ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "bad"),
    [
        (["aws", "secretsmanager", "get-secret-value", "--secret-id", "prod/db"], False),
        (["sh", "-c", "DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db) ./run"], False),
        (["curl", "-H", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2ln"], True),
    ],
)
def test_command_lines_that_fetch_secrets_are_fine(words: list[str], bad: bool) -> None:
    assert bool(check_resource(SECRETS, TASK, task(command=words)).violations) is bad


def test_user_data_that_fetches_its_secret_at_boot_passes() -> None:
    script = "#!/bin/bash\nexport DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db --query SecretString --output text)\n"
    assert check_resource(
        BY_NAME["ec2-user-data-no-secrets"], "aws:ec2/instance:Instance", {"userData": script}
    ).passed


@pytest.mark.parametrize(
    ("name", "value"), [("SECRET_KEY", "xxx"), ("RECAPTCHA_SITE_SECRET", "6LeIxAcTAAAAAGG")]
)
def test_placeholders_and_site_secrets_are_still_secrets(name: str, value: str) -> None:
    assert judge_pair(name, value) is not None


@pytest.mark.parametrize(
    ("type_", "bad", "good"),
    [
        (
            "aws:ssm/parameter:Parameter",
            {"name": "/app/db/password", "type": "String", "value": "pl41n-pass"},
            {"name": "/app/db/host", "type": "String", "value": "db.internal"},
        ),
        (
            "aws:codebuild/project:Project",
            {
                "environment": {
                    "environmentVariables": [
                        {"name": "NPM_TOKEN", "value": "npm_abcdef123456", "type": "PLAINTEXT"}
                    ]
                }
            },
            {
                "environment": {
                    "environmentVariables": [
                        {"name": "NPM_TOKEN", "value": "ci/npm-token", "type": "SECRETS_MANAGER"}
                    ]
                }
            },
        ),
        (
            "aws:apprunner/service:Service",
            {
                "sourceConfiguration": {
                    "imageRepository": {
                        "imageConfiguration": {
                            "runtimeEnvironmentVariables": {"DATABASE_URL": "postgres://u:p4ss@db/app"}
                        }
                    }
                }
            },
            {
                "sourceConfiguration": {
                    "imageRepository": {
                        "imageConfiguration": {"runtimeEnvironmentVariables": {"DATABASE_HOST": "db"}}
                    }
                }
            },
        ),
    ],
)
def test_plaintext_secrets_outside_ecs(type_: str, bad: dict[str, Any], good: dict[str, Any]) -> None:
    assert len(check_resource(SECRETS, type_, bad).violations) == 1
    assert check_resource(SECRETS, type_, good).passed
    secure = {**bad, "type": "SecureString"} if type_.startswith("aws:ssm") else None
    if secure:
        assert check_resource(SECRETS, type_, secure).passed


def test_cache_users_without_passwords() -> None:
    rule = BY_NAME["memorydb-tls-and-acl"]
    bad = {"userId": "app", "engine": "redis", "accessString": "on ~* +@all", "noPasswordRequired": True}
    assert check_resource(rule, "aws:elasticache/user:User", bad).violations
    good = {
        "userId": "app",
        "engine": "redis",
        "accessString": "on ~app:* +@read",
        "authenticationMode": {"type": "iam"},
    }
    assert check_resource(rule, "aws:elasticache/user:User", good).passed


# --- the secret judgement over generated names and values -------------------------------------

_prefix = st.lists(st.sampled_from(["DB", "DJANGO", "REDIS", "APP", "STRIPE", "SMTP", "API"]), max_size=2)
_secret_word = st.sampled_from(
    ["PASSWORD", "PWD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "KEY", "CREDENTIALS"]
)
_descriptive = st.sampled_from(["ARN", "ID", "NAME", "FILE", "URL", "PATH", "TIMEOUT", "TTL", "HEADER"])


def _name(parts: list[str]) -> str:
    return "_".join(parts)


@settings(max_examples=50, deadline=None)
@given(
    _prefix,
    _secret_word,
    st.text(
        alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+", min_size=8, max_size=40
    ).filter(
        lambda v: any(c.isalpha() for c in v)  # a bare number reads as a setting (a timeout, a length)
    ),
)
def test_a_literal_under_a_secret_name_is_always_a_secret(prefix: list[str], word: str, value: str) -> None:
    assert judge_pair(_name([*prefix, word]), value) is not None


@settings(max_examples=50, deadline=None)
@given(
    _prefix,
    _secret_word,
    st.one_of(
        st.from_regex(r"arn:aws:secretsmanager:eu-west-1:\d{12}:secret:[a-z/-]{3,20}", fullmatch=True),
        st.from_regex(r"https://[a-z]{3,10}\.example\.com/[a-z/]{0,20}", fullmatch=True),
        st.integers(0, 10**7).map(str),
        st.sampled_from(["true", "False", "", "${DB_PASSWORD}", "$(cat /run/secrets/db)"]),
    ),
)
def test_pointers_urls_numbers_and_references_are_never_secrets(
    prefix: list[str], word: str, value: str
) -> None:
    assert judge_pair(_name([*prefix, word]), value) is None


@settings(max_examples=40, deadline=None)
@given(
    _prefix,
    _secret_word,
    _descriptive,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=30),
)
def test_a_name_describing_a_secret_is_judged_by_its_value_alone(
    prefix: list[str], word: str, last: str, value: str
) -> None:
    assert judge_pair(_name([*prefix, word, last]), value) is None
    assert judge_pair(_name([*prefix, word, last]), f"postgres://app:{value}@db:5432/app") is not None
