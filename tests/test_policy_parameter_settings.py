"""Settings ECS takes from the stack's SSM parameters (`secrets[].valueFrom`) are judged like the
environment: a program cannot hide `DEBUG=True`, `ALLOWED_HOSTS=*` or a plain password there."""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi_aws as aws
import pytest

from offline.analyzer import analyze
from offline.engine import ProgramRun
from offline.pack_process import DEFAULT_PACK_DIR, PROJECT_VIRTUALENV, PolicyPackProcess
from offline.stack_config import load_stack_config
from platform_guard import BY_NAME
from platform_guard.referenced_parameters import parameter_name
from tests.conftest import ROOT, STACKS
from tests.fixtures import Build
from tests.policy_harness import UNKNOWN, Res, check_resource, check_stack, engine_props

RULE = BY_NAME["ecs-parameter-settings-safe"]
SECRETS = BY_NAME["ecs-no-plaintext-secrets"]
TASK = "aws:ecs/taskDefinition:TaskDefinition"
BATCH = "aws:batch/jobDefinition:JobDefinition"
PARAMETER = "aws:ssm/parameter:Parameter"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ARN_PREFIX = "arn:aws:ssm:eu-west-1:123456789012:parameter"


def secret(value: Any) -> dict[str, Any]:
    """A value as the engine sends a secret (pulumi-aws marks a parameter's `value` secret)."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def parameter(res_name: str, name: str, value: Any, kind: str = "String") -> Res:
    props = {"name": name, "type": kind, "value": secret(value), "tier": "Standard", "dataType": "text"}
    return Res(res_name, PARAMETER, props)


def task(*refs: tuple[str, str], environment: list[dict[str, str]] | None = None) -> Res:
    container = {
        "name": "web",
        "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1",
        "essential": True,
        "portMappings": [{"containerPort": 8000, "protocol": "tcp"}],
        "environment": environment or [{"name": "DJANGO_SETTINGS_MODULE", "value": "config.settings"}],
        "secrets": [{"name": n, "valueFrom": v} for n, v in refs],
    }
    props = {
        "family": "app-web",
        "containerDefinitions": json.dumps([container]),
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
    }
    return Res("web", TASK, props)


@pytest.mark.parametrize(
    ("value_from", "name"),
    [
        (f"{ARN_PREFIX}/app-staging/DEBUG", "app-staging/DEBUG"),
        ("arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/app/DEBUG", "app/DEBUG"),
        (f"{ARN_PREFIX}/plain-name", "plain-name"),
        ("/app-staging/DEBUG", "app-staging/DEBUG"),
        ("plain-name", "plain-name"),
        (f"{ARN_PREFIX}/aws/reference/secretsmanager/app-db", None),
        ("/aws/reference/secretsmanager/app-db", None),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-db-AbCdEf", None),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-db-AbCdEf:password::", None),
    ],
)
def test_value_from_names_a_parameter_by_arn_or_bare_name(value_from: str, name: str | None) -> None:
    assert parameter_name(value_from) == name


@pytest.mark.parametrize(
    ("variable", "value", "found"),
    [
        ("ALLOWED_HOSTS", "*", "accepts any Host header"),
        ("DJANGO_ALLOWED_HOSTS", "app.example.com,*", "accepts any Host header"),
        ("ALLOWED_HOSTS", " , ", "names no host"),
        ("DEBUG", "True", "serves tracebacks"),
        ("DJANGO_DEBUG", "1", "serves tracebacks"),
        ("DATABASE_PASSWORD", "s3cr3t-Passw0rd", "credential in plain text"),
        ("DATABASE_URL", "postgres://app:hunter2-real@db.internal:5432/app", "credential in plain text"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", "credential in plain text"),
    ],
)
@pytest.mark.parametrize("by", ["arn", "name"])
def test_a_setting_hidden_in_a_referenced_parameter_is_judged(
    variable: str, value: str, found: str, by: str
) -> None:
    name = f"/app-staging/{variable}"
    value_from = f"{ARN_PREFIX}{name}" if by == "arn" else name
    outcome = check_stack(RULE, [parameter("setting", name, value), task((variable, value_from))])
    [(message, urn)] = outcome.violations
    assert found in message
    assert "container 'web' takes" in message and "'setting'" in message
    assert urn is not None and urn.endswith("::web")
    if "credential" in found:
        assert value not in message  # never echoed


def test_the_parameter_is_found_by_its_arn_when_the_engine_knows_it() -> None:
    hosts = parameter("hosts", "/odd/name", "*")
    hosts.props = {**hosts.props, "arn": f"{ARN_PREFIX}/odd/name"}
    outcome = check_stack(RULE, [hosts, task(("ALLOWED_HOSTS", f"{ARN_PREFIX}/odd/name"))])
    assert len(outcome.violations) == 1


@pytest.mark.parametrize(
    ("variable", "value", "kind"),
    [
        ("ALLOWED_HOSTS", "app.example.com,.example.com,d111111abcdef8.cloudfront.net", "String"),
        ("DEBUG", "False", "String"),
        ("DATABASE_HOST", "app-db.abc123.eu-west-1.rds.amazonaws.com", "String"),
        ("REDIS_HOST", "master.app-cache.abc123.euw1.cache.amazonaws.com", "String"),
        ("CSRF_TRUSTED_ORIGINS", "https://app.example.com", "String"),
        # A credential in a SecureString parameter is where it belongs.
        ("DATABASE_PASSWORD", "s3cr3t-Passw0rd", "SecureString"),
        ("DATABASE_URL", "postgres://app:hunter2-real@db.internal:5432/app", "SecureString"),
    ],
)
def test_sound_settings_in_parameters_pass(variable: str, value: str, kind: str) -> None:
    name = f"/app-staging/{variable}"
    refs = task((variable, f"{ARN_PREFIX}{name}"))
    assert check_stack(RULE, [parameter("setting", name, value, kind), refs]).passed


def test_secrets_manager_references_and_foreign_credentials_are_left_alone() -> None:
    refs = task(
        ("DJANGO_SECRET_KEY", f"{ARN_PREFIX}/aws/reference/secretsmanager/app-django-key"),
        (
            "DATABASE_PASSWORD",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-db-AbCdEf:password::",
        ),
        ("STRIPE_KEY", f"{ARN_PREFIX}/shared/stripe"),  # a parameter of another stack
    )
    # The Secrets Manager path holds the secret, however Parameter Store names it.
    decoy = parameter("decoy", "/aws/reference/secretsmanager/app-django-key", "s3cr3t-Passw0rd")
    assert check_stack(RULE, [decoy, refs]).passed


def test_debug_from_a_parameter_the_stack_does_not_create_is_said_not_judged() -> None:
    outcome = check_stack(RULE, [task(("DEBUG", f"{ARN_PREFIX}/shared/DEBUG"))])
    assert not outcome.violations
    assert (
        outcome.not_judged
        and "from parameter 'shared/DEBUG' cannot be judged (not created by this stack)" in outcome.not_judged
    )


@pytest.mark.parametrize("wrapped", [True, False], ids=["secret-marked", "as-the-sdk-unwraps-it"])
def test_an_unknown_parameter_value_is_not_judged_yet(wrapped: bool) -> None:
    hosts = parameter("hosts", "/app-staging/ALLOWED_HOSTS", UNKNOWN)
    if not wrapped:
        hosts.props = {**hosts.props, "value": UNKNOWN}
    outcome = check_stack(RULE, [hosts, task(("ALLOWED_HOSTS", "/app-staging/ALLOWED_HOSTS"))])
    assert not outcome.violations
    assert outcome.not_judged and "'hosts' value cannot be judged yet" in outcome.not_judged


def test_unknown_container_definitions_are_not_judged_yet() -> None:
    definitions = Res("web", TASK, {"family": "app-web", "containerDefinitions": UNKNOWN})
    outcome = check_stack(RULE, [parameter("hosts", "/app/ALLOWED_HOSTS", "*"), definitions])
    assert not outcome.violations
    assert outcome.not_judged and "containerDefinitions cannot be judged yet" in outcome.not_judged


def test_a_parameter_whose_name_is_unknown_might_be_the_one_referenced() -> None:
    unnamed = Res("late", PARAMETER, {"name": UNKNOWN, "type": "String", "value": secret("*")})
    outcome = check_stack(RULE, [unnamed, task(("ALLOWED_HOSTS", f"{ARN_PREFIX}/app/ALLOWED_HOSTS"))])
    assert not outcome.violations and outcome.not_judged and "ALLOWED_HOSTS" in outcome.not_judged


def test_batch_jobs_are_followed_too() -> None:
    job = Res(
        "job",
        BATCH,
        {
            "type": "container",
            "containerProperties": json.dumps(
                {"image": "app:1", "secrets": [{"name": "DEBUG", "valueFrom": f"{ARN_PREFIX}/job/DEBUG"}]}
            ),
        },
    )
    assert check_stack(RULE, [parameter("flag", "/job/DEBUG", "true"), job]).violations


# --- String parameters on their own (ecs-no-plaintext-secrets) ----------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("/app/database", "postgres://app:hunter2-real@db.internal:5432/app"),
        ("/app/broker", "amqps://user:pa55word@b-1234.mq.eu-west-1.amazonaws.com:5671"),
        ("/app/aws", "AKIAIOSFODNN7EXAMPLE"),
        ("/app/stripe", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("/app/db/password", "pl41n-pass"),
    ],
)
def test_a_string_parameter_holding_a_credential_is_flagged_unreferenced(name: str, value: str) -> None:
    props = {"name": name, "type": "String", "value": secret(value)}
    outcome = check_resource(SECRETS, PARAMETER, props)
    [message] = outcome.messages
    assert "parameter type String" in message and value not in message
    assert check_resource(SECRETS, PARAMETER, {**props, "type": "SecureString"}).passed


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("/app/DATABASE_HOST", "app-db.abc123.eu-west-1.rds.amazonaws.com"),
        ("/app/ALLOWED_HOSTS", "app.example.com"),
        ("/app/api-url", "https://api.example.com/v1"),
    ],
)
def test_a_string_parameter_holding_a_setting_passes(name: str, value: str) -> None:
    assert check_resource(SECRETS, PARAMETER, {"name": name, "type": "String", "value": secret(value)}).passed


# --- our own stacks' shapes -----------------------------------------------------------------------


def _stack_resources(run: ProgramRun, replace: dict[str, str]) -> list[Res]:
    """The run's task definitions and parameters as the pack receives them, with some parameter
    values replaced (by setting name)."""
    resources = []
    for registered in run.of_type(TASK, PARAMETER):
        props = copy.deepcopy(engine_props(registered))
        setting = str(props.get("name", "")).rsplit("/", 1)[-1]
        if registered.type == PARAMETER and setting in replace:
            props["value"] = secret(replace[setting])
        resources.append(Res(registered.name, registered.type, props))
    return resources


@pytest.mark.parametrize("stack", STACKS)
def test_our_stacks_reference_parameters_the_rule_follows(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    assert check_stack(RULE, _stack_resources(run, {})).passed
    # The same program with a wildcard slipped into its ALLOWED_HOSTS parameter is caught, once
    # per task definition that reads it: the rule links our real valueFrom ARNs to the parameter.
    outcome = check_stack(RULE, _stack_resources(run, {"ALLOWED_HOSTS": "*"}))
    readers = [
        r
        for r in run.of_type(TASK)
        if "/ALLOWED_HOSTS" in json.dumps(json.loads(engine_props(r)["containerDefinitions"]))
    ]
    assert readers and len(outcome.violations) == len(readers)
    assert all("accepts any Host header" in m for m in outcome.messages)


# --- over gRPC, as the CLI runs the pack ----------------------------------------------------------


def _hidden_settings() -> None:
    region, account = "eu-west-1", "123456789012"
    settings = {"DEBUG": "True", "ALLOWED_HOSTS": "*", "DATABASE_URL": "postgres://app:hunter2-real@db/app"}
    secrets = []
    for setting, value in settings.items():
        name = f"/quest-prod/{setting}"
        aws.ssm.Parameter(f"quest-{setting.lower()}", name=name, type="String", value=value)
        secrets.append({"name": setting, "valueFrom": f"arn:aws:ssm:{region}:{account}:parameter{name}"})
    definitions = [{"name": "web", "image": "quest:1", "environment": [], "secrets": secrets}]
    aws.ecs.TaskDefinition(
        "web",
        family="quest-web",
        container_definitions=json.dumps(definitions),
        requires_compatibilities=["FARGATE"],
        network_mode="awsvpc",
        cpu="256",
        memory="512",
    )


@pytest.mark.subprocess
def test_settings_hidden_in_parameters_are_rejected_over_grpc(
    build: Build,
) -> None:
    config = load_stack_config(ROOT, "staging")
    registered = build(_hidden_settings)
    with PolicyPackProcess(DEFAULT_PACK_DIR, config, virtualenv=PROJECT_VIRTUALENV) as pack:
        analysis = analyze(ProgramRun(registered.resources, config, {}), pack)
    found = [(f.policy, f.resource_name, f.phase) for f in analysis.mandatory]
    assert found.count(("ecs-parameter-settings-safe", "web", "stack")) == 3
    # The String parameter holding a URL with a password is flagged on its own as well.
    assert ("ecs-no-plaintext-secrets", "quest-database_url", "resource") in found
    messages = " ".join(f.message for f in analysis.mandatory)
    assert "hunter2" not in messages


# --- environment files in S3 ----------------------------------------------------------------------


def _env_file_task(arn: str) -> Res:
    container = {"name": "web", "image": "app:1", "environmentFiles": [{"value": arn, "type": "s3"}]}
    return Res("web", TASK, {"family": "app-web", "containerDefinitions": json.dumps([container])})


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("# production settings\nDEBUG=True\nALLOWED_HOSTS=app.example.com\n", "serves tracebacks"),
        ("ALLOWED_HOSTS=*\n", "accepts any Host header"),
        ("DATABASE_URL=postgres://app:hunter2-real@db.internal/app\n", "anyone with s3:GetObject"),
        ("DATABASE_URL=postgres://app:hunter2-real@db.internal/app\n", "credential in plain text"),
    ],
)
@pytest.mark.parametrize("shape", ["content", "string-asset"])
def test_settings_in_an_environment_file_the_stack_writes_are_judged(
    body: str, found: str, shape: str
) -> None:
    props: dict[str, Any] = {"bucket": "app-config-1a2b3c", "key": "web.env"}
    if shape == "content":
        props["content"] = body
    else:
        props["source"] = {SIG_KEY: "c44067f5952c0a294b673a41bacd8c17", "text": body}
    env_file = Res("env", "aws:s3/bucketObjectv2:BucketObjectv2", props)
    outcome = check_stack(RULE, [env_file, _env_file_task("arn:aws:s3:::app-config-1a2b3c/web.env")])
    [message] = outcome.messages
    assert found in message and "hunter2" not in message


def test_a_sound_environment_file_passes_and_another_bucket_is_not_confused() -> None:
    good = Res(
        "env",
        "aws:s3/bucketObject:BucketObject",
        {
            "bucket": "app-config-1a2b3c",
            "key": "web.env",
            "content": "ALLOWED_HOSTS=app.example.com\nDEBUG=False\n",
        },
    )
    other = Res(
        "other",
        "aws:s3/bucketObject:BucketObject",
        {"bucket": "else", "key": "web.env", "content": "DEBUG=1"},
    )
    assert check_stack(RULE, [good, other, _env_file_task("arn:aws:s3:::app-config-1a2b3c/web.env")]).passed
