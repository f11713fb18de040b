"""Edge and observability settings: defaults, refusals that name key, value and fix, production rules,
and the optional Amplify token."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

import pulumi
import pytest

from components.observability import THRESHOLD_LIMITS, AlarmThresholds, ObservabilityConfig
from offline.engine import activate_mocks
from offline.stack_config import SECRET_PLACEHOLDER, load_stack_config
from settings import Settings, declared_keys, load_settings
from settings.keys import ALARM_THRESHOLD_KEYS, OBSERVABILITY_KEYS
from tests.conftest import ROOT

KEY = "django-platform:"
REPOSITORY = "https://github.com/acme/epicvibe-frontend"


def load(stack: str = "staging", *, drop: Collection[str] = (), **overrides: str) -> Settings:
    """Settings of a stack; `drop` removes keys as if the stack had never set them (no placeholder)."""
    config = load_stack_config(ROOT, stack, overrides)
    values = {k: v for k, v in config.values.items() if k.removeprefix(KEY) not in drop}
    pulumi.runtime.set_all_config(values, [k for k in config.secret_keys if k in values])
    activate_mocks(config.project, stack)
    return load_settings()


def refusal(stack: str = "staging", *, drop: Collection[str] = (), **overrides: str) -> str:
    with pytest.raises(pulumi.RunError) as caught:
        load(stack, drop=drop, **overrides)
    return str(caught.value)


def line_for(message: str, key: str) -> str:
    return next(line for line in message.splitlines() if f"{KEY}{key}:" in line)


def test_staging_defaults() -> None:
    settings = load("staging")
    edge, observability = settings.edge, settings.observability
    assert edge.waf_enabled is False  # staging's budget (docs/cost.md); on by default
    assert edge.waf_rate_limit == 2000
    assert edge.price_class == "PriceClass_100"
    assert edge.domain_name is None and edge.hosted_zone_id is None
    assert edge.amplify_repository is None and edge.amplify_access_token is None
    assert edge.amplify_branch == "main"
    assert observability.alarm_email is None
    assert observability.alarms.alb_5xx_percent == 5
    assert observability.alarms.redis_evictions == 0


def test_prod_has_its_domain_waf_and_pager() -> None:
    settings = load("prod")
    assert settings.edge.domain_name == "epicvibe.example.com"
    assert settings.edge.hosted_zone_id == "Z0000000EXAMPLE0ZONE"
    assert settings.edge.price_class == "PriceClass_200"
    assert settings.edge.waf_enabled is True
    assert settings.observability.alarm_email == "oncall@epicvibe.example.com"


def test_observability_keys_and_config_fields_map_one_to_one() -> None:
    declared = declared_keys()
    config_fields = {f.name for f in dataclasses.fields(ObservabilityConfig)} - {"alarms"}
    assert set(OBSERVABILITY_KEYS) == config_fields
    assert [f.name for f in dataclasses.fields(AlarmThresholds)] == list(ALARM_THRESHOLD_KEYS)
    keys = [*OBSERVABILITY_KEYS.values(), *ALARM_THRESHOLD_KEYS.values()]
    assert len(set(keys)) == len(keys)
    assert set(keys) <= set(declared)
    # Every alarm threshold Pulumi.yaml declares reaches the config.
    assert {k for k in declared if k.startswith("alarm") and k != "alarmEmail"} == set(
        ALARM_THRESHOLD_KEYS.values()
    )


def test_pulumi_yaml_states_the_ranges_the_config_enforces() -> None:
    declared = declared_keys()
    for name, (minimum, maximum) in THRESHOLD_LIMITS.items():
        description = " ".join(declared[ALARM_THRESHOLD_KEYS[name]].description.split())
        assert f"({minimum} to {maximum})" in description, (name, description)


def test_alarm_settings_reach_the_config() -> None:
    alarms = load("staging", alarmRdsFreeStorageGib="25", alarmWafBlockedRequests="50").observability.alarms
    assert alarms.rds_free_storage_gib == 25
    assert alarms.waf_blocked_requests == 50


def test_every_bad_observability_value_is_reported_at_once() -> None:
    message = refusal(alarmEcsCpuPercent="0", alarmRdsConnections="0", logRetentionDays="2", alarmEmail="x")
    for key in ("alarmEcsCpuPercent", "alarmRdsConnections", "logRetentionDays", "alarmEmail"):
        assert line_for(message, key)


@pytest.mark.parametrize(
    ("key", "value", "attribute", "expected"),
    [
        ("wafRateLimit", "500", "waf_rate_limit", 500),
        ("priceClass", "PriceClass_All", "price_class", "PriceClass_All"),
        ("amplifyBranch", "release/web", "amplify_branch", "release/web"),
    ],
)
def test_edge_values_are_read(key: str, value: str, attribute: str, expected: object) -> None:
    assert getattr(load("staging", **{key: value}).edge, attribute) == expected


@pytest.mark.parametrize(
    ("key", "attribute", "value"),
    [
        ("alarmAlb5xxPercent", "alb_5xx_percent", 3),
        ("alarmResponseTimeP95Ms", "response_time_p95_ms", 800),
        ("alarmUnhealthyHosts", "unhealthy_hosts", 2),
        ("alarmEcsCpuPercent", "ecs_cpu_percent", 70),
        ("alarmEcsMemoryPercent", "ecs_memory_percent", 75),
        ("alarmRdsCpuPercent", "rds_cpu_percent", 65),
        ("alarmRdsFreeStorageGib", "rds_free_storage_gib", 50),
        ("alarmRdsConnections", "rds_connections", 400),
        ("alarmRdsReplicaLagSeconds", "rds_replica_lag_seconds", 30),
        ("alarmRedisCpuPercent", "redis_cpu_percent", 60),
        ("alarmRedisMemoryPercent", "redis_memory_percent", 70),
        ("alarmRedisEvictions", "redis_evictions", 10),
        ("alarmWafBlockedRequests", "waf_blocked_requests", 5000),
    ],
)
def test_each_threshold_is_read(key: str, attribute: str, value: int) -> None:
    assert getattr(load("staging", **{key: str(value)}).observability.alarms, attribute) == value


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("wafRateLimit", "5", "from 10 to 2000000000"),
        ("wafRateLimit", "lots", "whole number"),
        ("priceClass", "PriceClass_50", "'PriceClass_100', 'PriceClass_200', 'PriceClass_All'"),
        ("domainName", "https://epicvibe.example.com", "lower-case host name"),
        ("domainName", "EpicVibe.example.com", "lower-case host name"),
        ("domainName", "localhost", "lower-case host name"),
        ("hostedZoneId", "zone-1", "Route 53 hosted zone id"),
        ("amplifyRepository", "git@github.com:acme/frontend.git", "HTTPS URL"),
        ("amplifyBranch", "my branch", "branch name"),
        ("alarmEmail", "oncall", "e-mail address"),
        ("alarmAlb5xxPercent", "0", "from 1 to 100"),
        ("alarmResponseTimeP95Ms", "10", "from 50 to 60000"),
        ("alarmUnhealthyHosts", "0", "from 1 to 100"),
        ("alarmEcsCpuPercent", "101", "from 1 to 100"),
        ("alarmEcsMemoryPercent", "0", "from 1 to 100"),
        ("alarmRdsCpuPercent", "150", "from 1 to 100"),
        ("alarmRdsFreeStorageGib", "0", "from 1 to 65536"),
        ("alarmRdsConnections", "0", "from 1 to 100000"),
        ("alarmRdsReplicaLagSeconds", "0", "from 1 to 86400"),
        ("alarmRedisCpuPercent", "0", "from 1 to 100"),
        ("alarmRedisMemoryPercent", "200", "from 1 to 100"),
        ("alarmRedisEvictions", "-1", "from 0 to 1000000"),
        ("alarmWafBlockedRequests", "0", "from 1 to 100000000"),
    ],
)
def test_bad_value_is_refused_naming_key_value_and_what_is_allowed(
    key: str, value: str, allowed: str
) -> None:
    overrides = {key: value}
    if key == "domainName":
        overrides["hostedZoneId"] = "Z0000000EXAMPLE0ZONE"
    if key == "hostedZoneId":
        overrides["domainName"] = "epicvibe.example.com"
    line = line_for(refusal(**overrides), key)
    assert repr(value) in line, line
    assert allowed in line, line


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"domainName": "www.epicvibe.example.com"}, "hostedZoneId"),
        ({"hostedZoneId": "Z0000000EXAMPLE0ZONE"}, "hostedZoneId"),
    ],
)
def test_domain_and_zone_come_together(overrides: dict[str, str], key: str) -> None:
    line = line_for(refusal(**overrides), key)
    assert "set together with the domain name" in line


@pytest.mark.parametrize(
    ("overrides", "refused", "partner"),
    [
        (
            {"domainName": "https://epicvibe.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ"},
            "domainName",
            "hostedZoneId",
        ),
        ({"domainName": "epicvibe.example.com", "hostedZoneId": "zone-1"}, "hostedZoneId", "domainName"),
    ],
)
def test_a_refused_half_is_reported_once_and_its_valid_partner_not_at_all(
    overrides: dict[str, str], refused: str, partner: str
) -> None:
    # The refused half falls back to none; the reader must not then refuse its partner, or fail.
    message = refusal(**overrides)
    assert sum(f"{KEY}{refused}:" in line for line in message.splitlines()) == 1, message
    assert f"{KEY}{partner}:" not in message, message


def test_domain_and_zone_together_are_accepted() -> None:
    edge = load(
        "staging", domainName="staging.epicvibe.example.com", hostedZoneId="Z0123456789ABCDEFGHIJ"
    ).edge
    assert edge.domain_name == "staging.epicvibe.example.com"
    assert edge.hosted_zone_id == "Z0123456789ABCDEFGHIJ"


@pytest.mark.parametrize(
    ("overrides", "key", "why"),
    [
        (
            {"domainName": "", "hostedZoneId": ""},
            "domainName",
            "only a certificate of our own enforces TLS 1.2",
        ),
        ({"alarmEmail": ""}, "alarmEmail", "do not page anyone"),
        ({"wafEnabled": "false"}, "wafEnabled", "behind the WAF"),
    ],
)
def test_production_requires_a_domain_a_pager_and_the_waf(
    overrides: dict[str, str], key: str, why: str
) -> None:
    line = line_for(refusal("prod", **overrides), key)
    assert "required when stackProfile is 'production'" in line
    assert why in line


def test_development_may_go_without_domain_and_pager() -> None:
    settings = load("staging", domainName="", alarmEmail="")
    assert settings.edge.domain_name is None
    assert settings.observability.alarm_email is None


# --- the optional secret ---------------------------------------------------------------------------


def test_an_unset_token_is_fine_without_a_repository() -> None:
    edge = load("staging", drop=("amplifyAccessToken",)).edge
    assert edge.amplify_repository is None
    assert edge.amplify_access_token is None


def test_a_set_token_is_ignored_without_a_repository() -> None:
    # The offline plan gives every unset secret a placeholder; without a repository it must not matter.
    assert load("staging").edge.amplify_access_token is None


def test_a_repository_without_its_token_is_refused_with_the_command_to_fix_it() -> None:
    line = line_for(refusal(drop=("amplifyAccessToken",), amplifyRepository=REPOSITORY), "amplifyAccessToken")
    assert "not set" in line
    assert "pulumi config set --secret amplifyAccessToken" in line


@pulumi.runtime.test
def test_a_repository_with_its_token_yields_a_secret_output() -> pulumi.Output[None]:
    # Set with `pulumi config set --secret`: the key is not declared secret (see Pulumi.yaml).
    config = load_stack_config(
        ROOT, "staging", {"amplifyRepository": REPOSITORY, "amplifyAccessToken": SECRET_PLACEHOLDER}
    )
    pulumi.runtime.set_all_config(dict(config.values), [*config.secret_keys, f"{KEY}amplifyAccessToken"])
    activate_mocks(config.project, "staging")
    edge = load_settings().edge
    assert edge.amplify_repository == REPOSITORY
    token = edge.amplify_access_token
    assert token is not None

    def check(value: str) -> None:
        assert value == SECRET_PLACEHOLDER

    return token.apply(check)
