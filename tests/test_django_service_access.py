"""The Django services' access: credentials only from Secrets Manager, late settings from Parameter
Store, and IAM roles scoped to what each task needs."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.django_service import (
    CREDENTIAL_WORDS,
    XRAY_DAEMON_IMAGE,
    DjangoServices,
)
from offline.engine import Registrations
from tests._app_tier import (
    CACHE_SECRET,
    CACHE_SECRET_NAME,
    KMS_KEY,
    MEDIA_ARN,
    MEDIA_BUCKET,
    SECRET_KEY_VALUE,
    SITE_HOST,
    SITE_URL,
    SSM_PARAMETER,
    STATIC_BUCKET,
    app_container,
    containers,
    database_endpoint,
    environment,
    services_args,
    site,
    task_settings,
    unwrapped,
)
from tests._django_tier import (
    LOG_GROUP,
    SECRET,
    SECRET_SIGNATURE,
    SECRET_SIGNATURE_KEY,
    SECRET_VERSION,
    TASK_DEFINITION,
    UNSCOPABLE_ACTIONS,
    as_list,
    build_services,
    statements,
    task_definitions,
)
from tests.fixtures import Build

# --- secrets --------------------------------------------------------------------------------------


REFERENCE = "arn:aws:ssm:eu-west-1:123456789012:parameter/aws/reference/secretsmanager/"
LATE_SETTINGS = {
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_HOST",
    "DATABASE_READER_HOSTS",
    "REDIS_HOST",
    "REDIS_READER_HOST",
}


def test_credentials_come_only_from_secrets_manager(default_tier: Registrations) -> None:
    # The provider names the secret when the program sets no name (autonaming, already in a preview).
    secret_key_name = default_tier.named("app-secret-key").outputs["name"]
    parameters = {p.outputs["arn"] for p in default_tier.of_type(SSM_PARAMETER)}
    for role, definition in task_definitions(default_tier).items():
        app = app_container(definition)
        secrets = {s["name"]: s["valueFrom"] for s in app["secrets"]}
        credentials = {n: v for n, v in secrets.items() if v not in parameters}
        # No database password: the tasks log in with IAM tokens (DATABASE_AUTH=iam). Both secrets
        # are named through Parameter Store's reference to Secrets Manager, known at preview.
        assert credentials == {
            "REDIS_AUTH_TOKEN": REFERENCE + CACHE_SECRET_NAME,
            "DJANGO_SECRET_KEY": REFERENCE + secret_key_name,
        }, role
        assert set(secrets) - set(credentials) == LATE_SETTINGS, role


def test_a_json_key_of_the_redis_secret_is_selected_by_its_arn(build: Build) -> None:
    built = build_services(build, cache_auth_secret_json_key="token")
    for role, definition in task_definitions(built).items():
        secrets = {s["name"]: s["valueFrom"] for s in app_container(definition)["secrets"]}
        assert secrets["REDIS_AUTH_TOKEN"] == f"{CACHE_SECRET}:token::", role
    reads = statements(built, "execution")["ReadTaskParameters"]["Resource"]
    assert not any(CACHE_SECRET_NAME in arn for arn in reads)


def test_late_settings_come_from_string_parameters_named_for_the_stack(default_tier: Registrations) -> None:
    parameters = {p.inputs["name"]: p for p in default_tier.of_type(SSM_PARAMETER)}
    assert set(parameters) == {f"/app-test/{name}" for name in LATE_SETTINGS}
    for name, parameter in parameters.items():
        # Host names and origins: not secrets, so no KMS key is needed to read them.
        assert parameter.inputs["type"] == "String", name
        assert unwrapped(parameter.inputs["value"]), f"SSM refuses an empty value: {name}"
    policy_urn = default_tier.named("app-execution-policy").urn
    for role, definition in task_definitions(default_tier).items():
        assert {p.urn for p in parameters.values()} <= set(definition.dependencies), role
        assert policy_urn in definition.dependencies, f"{role} could start before it may read them"


def test_no_replicas_means_an_empty_reader_list_and_no_parameter(build: Build) -> None:
    built = build_services(build, database=database_endpoint(reader_addresses=[], replica_identifiers=[]))
    names = {p.inputs["name"] for p in built.of_type(SSM_PARAMETER)}
    assert "/app-test/DATABASE_READER_HOSTS" not in names
    for role, definition in task_definitions(built).items():
        assert environment(app_container(definition))["DATABASE_READER_HOSTS"] == "", role


@pytest.mark.parametrize("value", [pulumi.Output.from_input(["a.example"]), "a.example"])
def test_reader_addresses_must_be_a_list_so_their_count_is_known(value: Any) -> None:
    with pytest.raises(ValueError, match=r"database\.reader_addresses"):
        services_args(database=database_endpoint(reader_addresses=value))


def test_a_name_ssm_refuses_as_parameter_prefix_is_refused(build: Build) -> None:
    with pytest.raises(Exception, match="SSM refuses parameter names"):
        build(lambda: DjangoServices("aws-app", services_args()))


def test_plain_environment_holds_nothing_that_looks_or_is_a_credential(default_tier: Registrations) -> None:
    for role, definition in task_definitions(default_tier).items():
        for container in containers(definition):
            env = environment(container)
            for name, value in env.items():
                assert not set(name.split("_")) & set(CREDENTIAL_WORDS), (role, name)
                assert SECRET_KEY_VALUE not in value, (role, name)
                assert "secretsmanager" not in value, (role, name)
    assert SECRET_KEY_VALUE not in json.dumps([r.inputs for r in default_tier.of_type(TASK_DEFINITION)])


def test_environment_is_production_django_with_real_hosts(default_tier: Registrations) -> None:
    alb_dns = default_tier.named("lb-alb").outputs["dnsName"]
    for role, definition in task_definitions(default_tier).items():
        env = task_settings(default_tier, app_container(definition))
        assert env["DEBUG"] == "False", role
        assert env["ALLOWED_HOSTS"] == f"{alb_dns},{SITE_HOST}", role
        assert "*" not in env["ALLOWED_HOSTS"]
        assert env["CSRF_TRUSTED_ORIGINS"] == SITE_URL
        assert env["MEDIA_BUCKET_NAME"] == MEDIA_BUCKET
        assert env["STATIC_BUCKET_NAME"] == STATIC_BUCKET
        assert env["AWS_REGION"] == "eu-west-1"
        assert env["DATABASE_PORT"] == "5432" and env["REDIS_PORT"] == "6379"
        assert env["DATABASE_READER_HOSTS"].startswith("epicvibe-db-replica-0.")
        assert env["PGSSLMODE"] == "require" and env["REDIS_TLS"] == "true"


def test_secret_key_is_stored_encrypted_under_the_stack_key(default_tier: Registrations) -> None:
    (secret,) = default_tier.of_type(SECRET)
    assert secret.inputs["kmsKeyId"] == KMS_KEY
    (version,) = default_tier.of_type(SECRET_VERSION)
    # The value reaches the engine marked secret (Pulumi's secret signature), so the state encrypts it.
    wrapped = version.wire_inputs.fields["secretString"].struct_value.fields
    assert wrapped[SECRET_SIGNATURE_KEY].string_value == SECRET_SIGNATURE
    assert wrapped["value"].string_value == SECRET_KEY_VALUE
    for definition in task_definitions(default_tier).values():
        assert version.urn in definition.dependencies, "tasks must not start before the secret has a value"


@pytest.mark.parametrize(
    "hosts", [{"host": "*"}, {"origin_host": ".*"}, {"host": ""}, {"origin_host": " ", "host": "*.example"}]
)
def test_wildcard_or_missing_allowed_hosts_are_refused(hosts: dict[str, str]) -> None:
    # ALLOWED_HOSTS is the site's origin host and host: a site naming no real host is refused.
    with pytest.raises(ValueError, match="ALLOWED_HOSTS"):
        services_args(site=site(**hosts))


# --- IAM ------------------------------------------------------------------------------------------


def test_execution_role_reads_exactly_the_three_secrets_and_its_log_groups(
    default_tier: Registrations,
) -> None:
    found = statements(default_tier, "execution")
    secret_key_arn = default_tier.named("app-secret-key").outputs["arn"]
    assert sorted(found["ReadTaskSecrets"]["Resource"]) == sorted([CACHE_SECRET, secret_key_arn])
    assert found["ReadTaskSecrets"]["Action"] == "secretsmanager:GetSecretValue"
    # Exactly the parameters `valueFrom` names: the settings' and the secrets' references.
    value_from = {
        s["valueFrom"] for d in task_definitions(default_tier).values() for s in app_container(d)["secrets"]
    }
    assert found["ReadTaskParameters"]["Action"] == "ssm:GetParameters"
    assert set(found["ReadTaskParameters"]["Resource"]) == value_from
    decrypt = found["DecryptTaskSecrets"]
    assert decrypt["Resource"] == KMS_KEY
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }
    groups = {g.outputs["arn"] for g in default_tier.of_type(LOG_GROUP) if not g.name.endswith("-exec-logs")}
    assert set(found["WriteTaskLogs"]["Resource"]) == {f"{arn}:log-stream:*" for arn in groups}
    assert found["PullImage"]["Resource"] == "arn:aws:ecr:eu-west-1:123456789012:repository/epicvibe"


def test_task_role_touches_only_the_media_bucket(default_tier: Registrations) -> None:
    found = statements(default_tier, "task")
    assert found["MediaObjects"]["Resource"] == f"{MEDIA_ARN}/*"
    assert set(found["MediaObjects"]["Action"]) == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert found["MediaListing"]["Resource"] == MEDIA_ARN
    assert (
        found["MediaEncryption"]["Condition"]["StringEquals"]["kms:ViaService"]
        == "s3.eu-west-1.amazonaws.com"
    )
    s3_resources = [
        r
        for s in found.values()
        if any(a.startswith("s3:") for a in as_list(s["Action"]))
        for r in as_list(s["Resource"])
    ]
    assert all(r.startswith(MEDIA_ARN) for r in s3_resources)
    assert set(found["EcsExecChannels"]["Action"]) >= {
        "ssmmessages:CreateControlChannel",
        "ssmmessages:OpenDataChannel",
    }


@pytest.mark.parametrize("role", ["execution", "task"])
def test_no_wildcard_resource_where_iam_offers_a_scope(default_tier: Registrations, role: str) -> None:
    for sid, statement in statements(default_tier, role).items():
        assert statement["Effect"] == "Allow"
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= UNSCOPABLE_ACTIONS, sid
        assert not any(a.endswith(":*") or a == "*" for a in as_list(statement["Action"])), sid


def test_roles_trust_only_ecs_tasks_of_this_account(default_tier: Registrations) -> None:
    for name in ("app-execution-role", "app-task-role"):
        (trust,) = json.loads(default_tier.named(name).inputs["assumeRolePolicy"])["Statement"]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


def test_xray_sidecar_and_its_iam_exist_only_when_enabled(build: Build, default_tier: Registrations) -> None:
    assert "XRayDaemon" in statements(default_tier, "task")
    on = task_definitions(default_tier)
    assert [c["name"] for c in containers(on["web"])] == ["web", "xray-daemon"]
    sidecar = containers(on["web"])[1]
    assert sidecar["image"] == XRAY_DAEMON_IMAGE and sidecar["essential"] is False
    assert [c["name"] for c in containers(on["migrate"])] == ["migrate"]

    off = build_services(build, xray_enabled=False)
    assert "XRayDaemon" not in statements(off, "task")
    assert all(len(containers(d)) == 1 for d in task_definitions(off).values())
