"""Every settings rule refuses a bad value with a message naming the key, the value and the fix."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pulumi
import pytest
import yaml

from offline.engine import ProgramRun, activate_mocks
from offline.stack_config import load_stack_config
from settings import Settings, declared_keys, load_settings
from settings.profile import PROFILE_RULES, ProfileRule
from tests._app_tier import task_settings
from tests.conftest import ROOT

KEY = "django-platform:"


def load(stack: str = "staging", **overrides: str) -> Settings:
    config = load_stack_config(ROOT, stack, overrides)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    activate_mocks(config.project, stack)
    return load_settings()


def refusal(stack: str = "staging", **overrides: str) -> str:
    with pytest.raises(pulumi.RunError) as caught:
        load(stack, **overrides)
    return str(caught.value)


def test_staging_settings_are_the_cheap_shape() -> None:
    settings = load("staging")
    assert settings.stack.profile == "development"
    assert settings.network.vpc_cidr == "10.20.0.0/16"
    assert settings.network.az_count == 2
    assert settings.network.nat_strategy == "single"


def test_prod_settings_are_production_shaped() -> None:
    settings = load("prod")
    assert settings.stack.is_production
    assert settings.network.az_count == 2
    assert settings.network.nat_strategy == "one-per-az"
    assert settings.database.multi_az is True
    assert settings.network.interface_endpoints == ()  # they do not pay at its traffic (docs/cost.md)


def test_tags_name_the_stack_and_owner() -> None:
    tags = load("prod").stack.tags
    assert tags["Stack"] == "prod"
    assert tags["Profile"] == "production"
    assert tags["Owner"] == "platform-team"
    assert tags["ManagedBy"] == "pulumi"


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("vpcCidr", "8.8.0.0/16", "RFC 1918"),
        ("vpcCidr", "10.0.0.0/8", "prefix from /16 to /24"),
        ("vpcCidr", "10.0.0.0/25", "prefix from /16 to /24"),
        ("vpcCidr", "10.0.0.1/16", "no host bits set"),
        ("vpcCidr", "fd00::/48", "RFC 1918"),
        ("vpcCidr", "ten-dot-zero", "expected an IPv4 network"),
        ("azCount", "1", "from 2 to 3"),
        ("azCount", "4", "from 2 to 3"),
        ("azCount", "two", "whole number"),
        ("natStrategy", "double", "'single', 'one-per-az'"),
        ("interfaceEndpoints", '["logs", "dynamo"]', "unknown entries ['dynamo']"),
        ("interfaceEndpoints", "logs", "list of strings"),
        ("interfaceEndpoints", '["logs", "logs"]', "must not repeat"),
        ("interfaceEndpoints", '{"logs": true}', "list of strings"),
        ("flowLogsRetentionDays", "10", "allowed: 1, 3, 5, 7, 14"),
        ("logRetentionDays", "0", "allowed: 1, 3, 5, 7, 14"),
        ("stackProfile", "prod", "'development', 'production'"),
        ("appName", "Epic_Vibe", "lower-case letters"),
        ("appName", "e", "2-21"),
        ("owner", " ", "team name"),
        ("dbMultiAz", "yes", "true or false"),
        ("wafEnabled", "maybe", "true or false"),
    ],
)
def test_bad_value_is_refused_naming_key_value_and_what_is_allowed(
    key: str, value: str, allowed: str
) -> None:
    message = refusal(**{key: value})
    line = next(line for line in message.splitlines() if f"{KEY}{key}:" in line)
    assert repr(value) in line, line
    assert allowed in line, line


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("natStrategy", "single", "losing its AZ"),
        ("dbMultiAz", "false", "single-AZ database"),
        ("wafEnabled", "false", "behind the WAF"),
        ("fargateSpotWeight", "2", "reclaimed"),
        ("nightlyScaleDown", "true", "stops the site"),
        ("webMinTasks", "1", "single point of failure"),
    ],
)
def test_production_profile_refuses_single_points_of_failure(key: str, value: str, why: str) -> None:
    message = refusal("prod", **{key: value})
    line = next(line for line in message.splitlines() if f"{KEY}{key}:" in line)
    assert "required when stackProfile is 'production'" in line
    assert why in line


def test_development_profile_allows_what_production_refuses() -> None:
    settings = load("staging", natStrategy="single", dbMultiAz="false", wafEnabled="false")
    assert settings.network.nat_strategy == "single"
    assert settings.edge.waf_enabled is False


def test_unknown_key_is_refused_with_a_suggestion() -> None:
    message = refusal(natStratgy="one-per-az")
    assert f"{KEY}natStratgy: unknown key; did you mean 'natStrategy'?" in message


def test_every_problem_is_reported_at_once() -> None:
    message = refusal(vpcCidr="8.8.8.0/24", azCount="9", natStrategy="many")
    assert {f"{KEY}vpcCidr", f"{KEY}azCount", f"{KEY}natStrategy"} <= {
        line.strip(" -").split(": ")[0] for line in message.splitlines()
    }
    assert message.startswith("invalid configuration for stack 'staging':")


def test_pulumi_yaml_declares_each_key_with_type_description_and_default() -> None:
    config = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert config, "Pulumi.yaml declares no config"
    for name, spec in config.items():
        assert spec["type"] in ("string", "integer", "boolean", "array"), name
        assert spec.get("description"), f"{name} has no description"
        # Secrets have no default: each stack sets its own with `pulumi config set --secret`.
        assert ("default" in spec) != bool(spec.get("secret")), f"{name}: a default, or secret: true"
    assert set(declared_keys()) == set(config)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_files_set_only_declared_keys(stack: str) -> None:
    stack_config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    project_keys = {k.split(":", 1)[1] for k in stack_config if k.startswith(KEY)}
    assert project_keys <= set(declared_keys())


@pytest.mark.subprocess
def test_bad_config_stops_the_plan_with_a_message_and_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "offline.plan", "--stack", "staging", "-c", "azCount=9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert f"{KEY}azCount: got '9'; expected a whole number from 2 to 3" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666"


@pytest.mark.parametrize(
    "overrides",
    [{"albCertificateArn": CERTIFICATE}, {"albOriginDomainName": "origin.epicvibe.example.com"}],
)
def test_alb_certificate_and_origin_name_go_together(overrides: dict[str, str]) -> None:
    message = refusal(**overrides)
    assert f"{KEY}albOriginDomainName:" in message
    assert "no certificate can cover the ALB's own DNS name" in message


def test_alb_origin_name_must_be_a_host_name() -> None:
    message = refusal(albCertificateArn=CERTIFICATE, albOriginDomainName="https://origin/")
    assert f"{KEY}albOriginDomainName: got 'https://origin/'; expected a host name" in message


def test_https_origin_uses_the_certificate_name_and_django_accepts_it(
    run_stack: Callable[..., ProgramRun],
) -> None:
    run = run_stack(
        "staging", albCertificateArn=CERTIFICATE, albOriginDomainName="origin.epicvibe.example.com"
    )
    (distribution,) = run.of_type("aws:cloudfront/distribution:Distribution")
    vpc_origins = [o for o in distribution.inputs["origins"] if "vpcOriginConfig" in o]
    assert [o["domainName"] for o in vpc_origins] == ["origin.epicvibe.example.com"]
    (web,) = [t for t in run.of_type("aws:ecs/taskDefinition:TaskDefinition") if t.name.endswith("web-task")]
    environment = task_settings(run, json.loads(web.inputs["containerDefinitions"])[0])
    assert "origin.epicvibe.example.com" in environment["ALLOWED_HOSTS"].split(",")


# A value that breaks each production rule; a rule added to the table without a row here fails below.
BREAKS_PRODUCTION = {
    "natStrategy": {"natStrategy": "single"},
    "keepData": {"keepData": "false"},
    "dbMultiAz": {"dbMultiAz": "false"},
    "dbBackupRetentionDays": {"dbBackupRetentionDays": "3"},
    "cacheReplicaCount": {
        "cacheReplicaCount": "0",
        "cacheAutomaticFailover": "false",
        "cacheMultiAz": "false",
    },
    "cacheAutomaticFailover": {"cacheAutomaticFailover": "false", "cacheMultiAz": "false"},
    "cacheMultiAz": {"cacheMultiAz": "false"},
    "storageCorsOrigins": {"storageCorsOrigins": '["http://localhost:8000"]'},
    "mediaSigningPublicKey": {"mediaSigningPublicKey": ""},
    "webMinTasks": {"webMinTasks": "1"},
    "fargateSpotWeight": {"fargateSpotWeight": "1"},
    "nightlyScaleDown": {"nightlyScaleDown": "true"},
    "wafEnabled": {"wafEnabled": "false"},
    "domainName": {"domainName": "", "hostedZoneId": "", "albCertificateArn": ""},
    "albCertificateArn": {"domainName": "", "hostedZoneId": "", "albCertificateArn": ""},
    "alarmEmail": {"alarmEmail": ""},
    "logRetentionDays": {"logRetentionDays": "60"},
    "flowLogsRetentionDays": {"flowLogsRetentionDays": "60"},
}


def test_every_production_rule_is_broken_by_a_case_here() -> None:
    assert [rule.key for rule in PROFILE_RULES["production"]] == list(BREAKS_PRODUCTION)


@pytest.mark.parametrize("rule", PROFILE_RULES["production"], ids=lambda rule: rule.key)
def test_each_production_rule_refuses_its_key_with_its_reason(rule: ProfileRule) -> None:
    message = refusal("prod", **BREAKS_PRODUCTION[rule.key])
    line = next(line for line in message.splitlines() if f"{KEY}{rule.key}:" in line)
    assert f"{rule.wanted} is required when stackProfile is 'production': {rule.why}" in line
