"""The Django services' pure pieces, without Pulumi: the workload table, the IAM documents and the
container definitions, each from plain values."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from components.django_service import (
    WORKLOADS,
    DjangoServicesArgs,
    django_services_problems,
    workloads,
)
from components.django_service.containers import (
    checked_environment,
    container_definitions,
    credential_like,
    credential_secrets,
    media_signing_secrets,
    setting_secrets,
)
from components.django_service.documents import (
    ecs_task_trust_policy,
    exec_session_policy,
    execution_role_policy,
    task_role_policy,
)
from components.django_service.workloads import rebalancing_for
from components.handles import WorkloadGroups
from tests._app_tier import (
    alb_target,
    buckets,
    cache_endpoint,
    database_endpoint,
    placement,
    services_config,
    site,
    split_config,
)
from tests._handles import stack_wide

REGION = "eu-west-1"
ACCOUNT = "111122223333"
KMS = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PARAMETER = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter"
SECRET_KEY_REF = f"{PARAMETER}/aws/reference/secretsmanager/app-secret-key"
CACHE_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:redis-AbCdEf"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/app-staging/web"
BY_ROLE = {w.role: w for w in WORKLOADS}


def args(**changes: Any) -> DjangoServicesArgs:
    config_changes, changes = split_config(changes)
    config = {
        "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/app:1.0.0",
        "django_secret_key": "not-a-real-key",
    }
    base = DjangoServicesArgs(
        config=services_config(**{**config, **config_changes}),
        placement=placement(app_subnet_ids=["subnet-1"]),
        workloads=WorkloadGroups(web_security_group_id="sg-web", worker_security_group_id="sg-worker"),
        load_balancer=alb_target(
            target_group_arn="arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/0123",
            arn_suffix="app/alb/0123",
            target_group_arn_suffix="targetgroup/web/0123",
        ),
        site=site(origin_host="internal-alb.eu-west-1.elb.amazonaws.com"),
        stack=stack_wide(kms_key_arn=KMS),
        database=database_endpoint(
            address="db.example.internal",
            name="app",
            reader_addresses=[],
            replica_identifiers=[],
            resource_ids=["db-ABC"],
        ),
        cache=cache_endpoint(
            primary_address="cache.example.internal",
            reader_address="cache-ro.example.internal",
            auth_secret_arn=CACHE_SECRET,
        ),
        buckets=buckets(media_name="media", media_arn="arn:aws:s3:::media", static_name="static"),
    )
    return replace(base, **changes)


def statements(document: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(document)["Statement"]}


# --- the workload table -----------------------------------------------------------------------


def test_beat_is_a_singleton_that_never_overlaps_itself() -> None:
    beat = BY_ROLE["beat"]
    assert beat.maximum_percent == 100 and beat.minimum_healthy_percent == 0
    # Rebalancing would start a second beat before stopping the first, so it stays off.
    assert rebalancing_for(beat.maximum_percent) == "DISABLED"
    assert not beat.spot_allowed and not beat.autoscaled
    with pytest.raises(ValueError, match="maximum 100%"):
        rebalancing_for(beat.maximum_percent, required=True)


def test_the_worker_gets_at_least_the_webs_time_to_stop_and_fargate_allows_both() -> None:
    assert BY_ROLE["worker"].stop_timeout_seconds >= BY_ROLE["web"].stop_timeout_seconds
    assert all(2 <= w.stop_timeout_seconds <= 120 for w in WORKLOADS)


def test_gunicorn_drains_requests_before_ecs_kills_it_and_outlives_the_alb_idle_timeout() -> None:
    config = args(load_balancer=alb_target(idle_timeout_seconds=90))
    command = BY_ROLE["web"].command(config)
    graceful = int(command[command.index("--graceful-timeout") + 1])
    keep_alive = int(command[command.index("--keep-alive") + 1])
    assert graceful < BY_ROLE["web"].stop_timeout_seconds
    assert keep_alive > config.load_balancer.idle_timeout_seconds


def test_only_the_web_serves_http_reads_the_signing_key_and_sits_in_the_web_group() -> None:
    assert [w.role for w in WORKLOADS if w.serves_http] == ["web"]
    assert [w.role for w in WORKLOADS if w.reads_media_signing_key] == ["web"]
    assert [w.role for w in WORKLOADS if w.security_group == "web"] == ["web"]


def test_only_collectstatic_writes_static_files_and_release_tasks_are_not_services() -> None:
    assert [w.role for w in WORKLOADS if w.writes_static] == ["collectstatic"]
    assert {w.role for w in WORKLOADS if not w.service} == {"migrate", "collectstatic"}


def test_spot_only_for_services_that_tolerate_interruption() -> None:
    assert {w.role for w in WORKLOADS if w.spot_allowed} == {"web", "worker"}
    assert all(w.service and w.autoscaled for w in WORKLOADS if w.spot_allowed)


def test_beat_is_left_out_when_disabled_and_order_is_stable() -> None:
    assert list(workloads(beat_enabled=True)) == ["web", "worker", "beat", "migrate", "collectstatic"]
    assert "beat" not in workloads(beat_enabled=False)


def test_every_workload_can_write_tmp_on_a_read_only_root() -> None:
    assert all("/tmp" in w.writable_paths.values() for w in WORKLOADS)


# --- the config validator ---------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_field_value_and_fix() -> None:
    with pytest.raises(ValueError) as error:
        args(container_port=80, fargate_spot_weight=5000, nightly_scale_up_cron="daily")
    text = str(error.value)
    assert text.startswith("invalid ServicesConfig: ")
    problems = text.removeprefix("invalid ServicesConfig: ").split("; ")
    assert len(problems) == 3
    assert "container_port 80: expected a whole number from 1024 to 65535 (an unprivileged port)" in problems
    assert "fargate_spot_weight 5000: expected a whole number from 0 to 1000" in problems
    assert any(p.startswith("nightly_scale_up_cron 'daily': expected cron(...)") for p in problems)
    assert django_services_problems(args()) == []


def test_construction_refuses_bad_inputs_in_one_error() -> None:
    with pytest.raises(ValueError, match=r"fargate_base_tasks -1.*; .*load_balancer.idle_timeout_seconds 0"):
        args(fargate_base_tasks=-1, load_balancer=alb_target(idle_timeout_seconds=0))


# --- IAM documents ----------------------------------------------------------------------------


def execution_document(
    secrets: list[dict[str, str]], repository: str | None = None, extra: tuple[str, ...] = ()
) -> str:
    return execution_role_policy(
        secret_arns=[CACHE_SECRET, SECRET_KEY_REF, *extra],
        kms_key_arn=KMS,
        region=REGION,
        log_group_arns=[LOG_GROUP],
        repository_arn=repository,
        secrets=secrets,
    )


def test_the_execution_role_reads_exactly_the_parameters_the_tasks_name() -> None:
    secrets = [
        {"name": "DATABASE_HOST", "valueFrom": f"{PARAMETER}/app-staging/DATABASE_HOST"},
        {"name": "DJANGO_SECRET_KEY", "valueFrom": SECRET_KEY_REF},
        # A Secrets Manager ARN is read with GetSecretValue, not GetParameters.
        {"name": "REDIS_AUTH_TOKEN", "valueFrom": f"{CACHE_SECRET}:token::"},
    ]
    found = statements(execution_document(secrets))
    assert found["ReadTaskParameters"]["Action"] == "ssm:GetParameters"
    assert found["ReadTaskParameters"]["Resource"] == sorted(
        [f"{PARAMETER}/app-staging/DATABASE_HOST", SECRET_KEY_REF]
    )
    assert "*" not in json.dumps(found["ReadTaskSecrets"]["Resource"])
    assert found["DecryptTaskSecrets"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    }
    assert found["WriteTaskLogs"]["Resource"] == [f"{LOG_GROUP}:log-stream:*"]


def test_the_execution_role_pulls_only_from_its_own_repository() -> None:
    assert "PullImage" not in statements(execution_document([]))
    repository = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/app"
    found = statements(execution_document([], repository=repository))
    assert found["PullImage"]["Resource"] == repository
    # The only "*": registry login has no resource type.
    assert [s["Sid"] for s in found.values() if s["Resource"] == "*"] == ["RegistryLogin"]


def test_only_the_web_execution_role_reads_the_media_signing_key() -> None:
    media_key = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:media-signing-XyZ123"
    shared = statements(execution_document([]))
    web = statements(execution_document([], extra=(media_key,)))
    assert media_key not in shared["ReadTaskSecrets"]["Resource"]
    assert media_key in web["ReadTaskSecrets"]["Resource"]
    assert "MEDIA_SIGNING_PRIVATE_KEY" in json.dumps(
        media_signing_secrets(key_id_parameter_arn=f"{PARAMETER}/x", private_key_value_from=media_key)
    )


def task_document(**changes: Any) -> dict[str, dict[str, Any]]:
    values: dict[str, Any] = {
        "media_bucket_arn": "arn:aws:s3:::media",
        "kms_key_arn": KMS,
        "region": REGION,
        "account": ACCOUNT,
        "database_resource_ids": ["db-PRIMARY", "db-REPLICA"],
        "database_user": "app",
        "exec_log_group_arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/app-staging/exec",
        "exec_enabled": False,
        "xray_enabled": False,
    }
    return statements(task_role_policy(**{**values, **changes}))


def test_the_task_role_logs_in_as_the_app_user_on_exactly_these_instances() -> None:
    found = task_document()
    assert found["DatabaseIamLogin"]["Resource"] == [
        f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:db-PRIMARY/app",
        f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:db-REPLICA/app",
    ]
    assert found["MediaObjects"]["Resource"] == "arn:aws:s3:::media/*"
    assert "s3:PutObject" in found["MediaObjects"]["Action"]
    # No wildcard anywhere without Exec or X-Ray.
    assert all(s["Resource"] != "*" for s in found.values())


def test_exec_and_xray_grants_exist_only_when_enabled() -> None:
    assert not {"EcsExecChannels", "XRayDaemon"} & set(task_document())
    found = task_document(exec_enabled=True, xray_enabled=True)
    assert {"EcsExecChannels", "EcsExecAuditLog", "EcsExecSessionKey", "XRayDaemon"} <= set(found)


def test_exec_sessions_are_limited_to_this_cluster() -> None:
    cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/app-cluster"
    found = statements(
        exec_session_policy(
            region=REGION, account=ACCOUNT, cluster_arn=cluster, cluster_name="app-cluster", kms_key_arn=KMS
        )
    )
    assert found["ExecuteCommandInThisCluster"]["Resource"] == [
        cluster,
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/app-cluster/*",
    ]
    assert found["FindTheTask"]["Condition"] == {"ArnEquals": {"ecs:cluster": cluster}}


def test_only_this_accounts_ecs_tasks_assume_the_roles() -> None:
    (statement,) = json.loads(ecs_task_trust_policy(REGION, ACCOUNT))["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


# --- containers -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["DATABASE_PASSWORD", "API_TOKEN", "DJANGO_SECRET_KEY", "SIGNING_KEY"])
def test_credential_names_are_refused_in_plain_environment(name: str) -> None:
    assert credential_like(name)
    with pytest.raises(Exception, match=name):
        checked_environment({name: "x"})


def test_names_that_only_identify_a_key_are_plain_settings() -> None:
    assert not credential_like("MEDIA_SIGNING_KEY_ID")
    assert not credential_like("DATABASE_HOST")


def test_secrets_lists_select_a_json_key_and_sort_settings() -> None:
    (redis, django) = credential_secrets(
        cache_value_from=CACHE_SECRET, cache_json_key="token", secret_key_value_from=SECRET_KEY_REF
    )
    assert redis == {"name": "REDIS_AUTH_TOKEN", "valueFrom": f"{CACHE_SECRET}:token::"}
    assert django["valueFrom"] == SECRET_KEY_REF
    assert [s["name"] for s in setting_secrets({"REDIS_HOST": "b", "ALLOWED_HOSTS": "a"})] == [
        "ALLOWED_HOSTS",
        "REDIS_HOST",
    ]


def definitions(role: str, **changes: Any) -> list[dict[str, Any]]:
    values: dict[str, Any] = {
        "command": ["run"],
        "image": "app:1",
        "environment": {"DEBUG": "False", "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"},
        "secrets": [{"name": "DJANGO_SECRET_KEY", "valueFrom": SECRET_KEY_REF}],
        "log_group": "/ecs/app-staging/" + role,
        "region": REGION,
        "container_port": 8000,
        "xray_enabled": False,
        "exec_enabled": False,
    }
    return json.loads(container_definitions(BY_ROLE[role], **{**values, **changes}))


def test_containers_are_read_only_unless_exec_needs_a_writable_root() -> None:
    (app,) = definitions("worker")
    assert app["readonlyRootFilesystem"] is True
    assert app["stopTimeout"] == BY_ROLE["worker"].stop_timeout_seconds
    assert "portMappings" not in app
    (app,) = definitions("worker", exec_enabled=True)
    assert app["readonlyRootFilesystem"] is False


def test_the_web_listens_on_its_port_and_the_sidecar_is_never_essential() -> None:
    app, daemon = definitions("web", xray_enabled=True)
    assert app["portMappings"] == [{"name": "http", "containerPort": 8000, "protocol": "tcp"}]
    assert {"name": "PORT", "value": "8000"} in app["environment"]
    assert daemon["essential"] is False
    names = [e["name"] for e in app["environment"]]
    assert names == sorted(names) and "AWS_XRAY_DAEMON_ADDRESS" in names


def test_tasks_without_the_daemon_are_not_pointed_at_it() -> None:
    (app,) = definitions("migrate", xray_enabled=True)
    assert "AWS_XRAY_DAEMON_ADDRESS" not in [e["name"] for e in app["environment"]]
