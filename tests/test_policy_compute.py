"""ECS: public IPs, secrets in plain environment, Django settings, privileged containers."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from platform_guard import BY_NAME
from platform_guard.compute import secret_looking
from tests.fixtures import Build
from tests.policy_harness import UNKNOWN, check_resource, engine_props

PUBLIC_IP = BY_NAME["ecs-service-no-public-ip"]
SECRETS = BY_NAME["ecs-no-plaintext-secrets"]
DEBUG = BY_NAME["ecs-django-debug-off"]
HOSTS = BY_NAME["ecs-django-allowed-hosts-explicit"]
PRIVILEGED = BY_NAME["ecs-no-privileged-containers"]
TASK = "aws:ecs/taskDefinition:TaskDefinition"


def task(environment: list[dict[str, str]], **extra: object) -> dict[str, object]:
    return {
        "containerDefinitions": json.dumps(
            [{"name": "web", "image": "app:1", "environment": environment, **extra}]
        )
    }


def test_task_sets_are_checked_like_services() -> None:
    props = {"networkConfiguration": {"subnets": ["s"], "assignPublicIp": True}}
    assert check_resource(PUBLIC_IP, "aws:ecs/taskSet:TaskSet", props).violations
    assert check_resource(
        PUBLIC_IP, "aws:ecs/service:Service", {"networkConfiguration": {"subnets": ["s"]}}
    ).passed


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("SECRET_KEY", True),
        ("DB_PASSWORD", True),
        ("dbPassword", True),
        ("API_TOKEN", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("STRIPE_APIKEY", True),
        ("GOOGLE_CREDENTIALS", True),
        ("KEYBOARD_LAYOUT", False),
        ("MONKEY_PATCH", False),
        ("TOKENIZER_MODEL", False),
        ("ALLOWED_HOSTS", False),
        ("DB_HOST", False),
    ],
)
def test_secret_looking_names_are_whole_words(name: str, secret: bool) -> None:
    assert secret_looking(name) is secret


def test_every_container_is_checked_and_values_are_never_echoed() -> None:
    definitions = json.dumps(
        [
            {"name": "web", "environment": [{"name": "DEBUG", "value": "false"}]},
            {"name": "worker", "environment": [{"name": "REDIS_PASSWORD", "value": "hunter2-do-not-print"}]},
        ]
    )
    outcome = check_resource(SECRETS, TASK, {"containerDefinitions": definitions})
    assert len(outcome.violations) == 1
    assert "container 'worker' puts REDIS_PASSWORD" in outcome.messages[0]
    assert "hunter2" not in outcome.messages[0]


def test_allowed_names_config_exempts_names_the_judgement_gets_wrong() -> None:
    props = task([{"name": "LEGACY_TOKEN", "value": "not-a-secret-but-looks-like-one"}])
    assert check_resource(SECRETS, TASK, props).violations
    assert check_resource(SECRETS, TASK, props, config={"allowedNames": ["LEGACY_TOKEN"]}).passed


@pytest.mark.parametrize("value", ["True", "true", "1", "yes", "on"])
def test_debug_truthy_spellings(value: str) -> None:
    assert check_resource(DEBUG, TASK, task([{"name": "DEBUG", "value": value}])).violations


@pytest.mark.parametrize("value", ["False", "0", "", "no"])
def test_debug_off_spellings(value: str) -> None:
    assert check_resource(DEBUG, TASK, task([{"name": "DEBUG", "value": value}])).passed


@pytest.mark.parametrize("value", ["*", "example.com, *", "example.com *"])
def test_wildcard_allowed_hosts_anywhere_in_the_list(value: str) -> None:
    assert check_resource(HOSTS, TASK, task([{"name": "DJANGO_ALLOWED_HOSTS", "value": value}])).violations


@pytest.mark.parametrize("value", ["", " ", ",", " , "])
def test_an_allowed_hosts_list_naming_no_host_is_reported(value: str) -> None:
    outcome = check_resource(HOSTS, TASK, task([{"name": "ALLOWED_HOSTS", "value": value}]))
    [message] = outcome.messages
    assert "names no host" in message


def test_subdomain_patterns_are_not_the_wildcard() -> None:
    assert check_resource(
        HOSTS, TASK, task([{"name": "ALLOWED_HOSTS", "value": ".example.com,d1.cloudfront.net"}])
    ).passed


@pytest.mark.parametrize("policy", [SECRETS, DEBUG, HOSTS, PRIVILEGED])
def test_unknown_container_definitions_are_not_judged_yet(policy: object) -> None:
    outcome = check_resource(policy, TASK, {"containerDefinitions": UNKNOWN})  # type: ignore[arg-type]
    assert not outcome.violations
    assert outcome.not_judged and "containerDefinitions cannot be judged yet" in outcome.not_judged


def test_real_task_definition_registration_sends_container_definitions_as_json(
    build: Build,
) -> None:
    definitions = [
        {
            "name": "web",
            "image": "app:1",
            "privileged": True,
            "environment": [
                {"name": "ALLOWED_HOSTS", "value": "*"},
                {"name": "SECRET_KEY", "value": "k3y-7hat-is-secret"},
            ],
        }
    ]
    registered = build(
        lambda: aws.ecs.TaskDefinition("web", family="web", container_definitions=json.dumps(definitions))
    )
    props = engine_props(registered.named("web"))
    assert isinstance(props["containerDefinitions"], str)
    for policy in (SECRETS, HOSTS, PRIVILEGED):
        assert len(check_resource(policy, TASK, props).violations) == 1
    assert check_resource(DEBUG, TASK, props).passed
