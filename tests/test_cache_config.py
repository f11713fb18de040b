"""The cache's one validator, without Pulumi: each rule refuses with the field, the value and the
fix; a valid config constructs; the AUTH token is never shown."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any

import pytest

from components.cache.config import (
    CACHE_ENGINES,
    CACHE_EXAMPLE_VERSIONS,
    CacheConfig,
    auth_token_problem,
    fallbacks,
)

TOKEN = "Str0ng!Token#With$Symbols%"
VALID_CONFIG: dict[str, Any] = {
    "engine": "valkey",
    "engine_version": "8.0",
    "node_type": "cache.t4g.micro",
    "replica_count": 0,
    "automatic_failover": False,
    "multi_az": False,
    "snapshot_retention_days": 1,
    "maintenance_window": "sun:05:00-sun:06:00",
    "cluster_mode": "disabled",
    "auth_token": TOKEN,
}


def test_a_valid_config_constructs_frozen_and_keeps_the_token_out_of_its_repr() -> None:
    config = CacheConfig(**{**VALID_CONFIG, "replica_count": 2, "automatic_failover": True, "multi_az": True})
    assert config.replica_count == 2 and config.multi_az is True
    assert TOKEN not in repr(config)
    with pytest.raises(FrozenInstanceError):
        config.replica_count = 3  # type: ignore[misc]


# (changed fields, the refused field, a fragment of the fix)
REFUSED: list[tuple[dict[str, Any], str, str]] = [
    ({"engine": "memcached"}, "engine", "allowed: 'redis', 'valkey'"),
    ({"engine": "redis", "engine_version": "6.0"}, "engine_version", "at least 6.2, e.g. '7.1'"),
    ({"engine": "valkey", "engine_version": "7.1"}, "engine_version", "at least 7.2, e.g. '8.0'"),
    ({"engine_version": "8"}, "engine_version", "major.minor"),
    ({"node_type": "db.t4g.micro"}, "node_type", "expected an ElastiCache node type"),
    ({"replica_count": 6}, "replica_count", "from 0 to 5"),
    ({"replica_count": -1}, "replica_count", "from 0 to 5"),
    ({"automatic_failover": True}, "automatic_failover", "needs replica_count of at least 1"),
    ({"replica_count": 1, "multi_az": True}, "multi_az", "needs automatic_failover true"),
    ({"snapshot_retention_days": 36}, "snapshot_retention_days", "from 0 to 35"),
    ({"maintenance_window": "sunday 05:00"}, "maintenance_window", "ddd:hh:mm-ddd:hh:mm"),
    ({"maintenance_window": "sun:05:00-sun:05:30"}, "maintenance_window", "at least 60 minutes"),
    ({"cluster_mode": "sharded"}, "cluster_mode", "allowed: 'disabled', 'enabled', 'compatible'"),
    ({"cluster_mode": "enabled"}, "cluster_mode", "CROSSSLOT"),
    ({"auth_token": "short"}, "auth_token", "at least 16 required"),
    ({"auth_token": "x" * 129}, "auth_token", "at most 128 allowed"),
    ({"auth_token": "user@example-token-123"}, "auth_token", "contains '@'"),
    ({"auth_token": "a token with spaces in it"}, "auth_token", "contains a space"),
]


@pytest.mark.parametrize(
    ("changes", "field", "fix"), REFUSED, ids=[case[1] + ":" + case[2] for case in REFUSED]
)
def test_each_rule_refuses_naming_the_field_the_value_and_the_fix(
    changes: dict[str, Any], field: str, fix: str
) -> None:
    values = {**VALID_CONFIG, **changes}
    (problem,) = CacheConfig.problems(values)
    assert problem.field == field and fix in problem.fix
    if field != "auth_token":
        assert problem.value == values[field]
    with pytest.raises(ValueError, match=f"invalid CacheConfig: {field} ") as caught:
        CacheConfig(**values)
    assert fix in str(caught.value)


@pytest.mark.parametrize("token", ["short", "user@example-token-123", "x" * 129, "é" * 20])
def test_a_refused_token_is_never_shown(token: str) -> None:
    (problem,) = CacheConfig.problems({**VALID_CONFIG, "auth_token": token})
    assert token not in str(problem)
    with pytest.raises(ValueError) as caught:
        CacheConfig(**{**VALID_CONFIG, "auth_token": token})
    assert token not in str(caught.value)


def test_a_token_that_is_not_a_string_is_left_to_the_secret_reader() -> None:
    # settings hands over a secret Output, judged as a secret when it was read.
    assert CacheConfig.problems({**VALID_CONFIG, "auth_token": object()}) == []


def test_the_token_rule_names_each_refused_class_once_and_no_other_character() -> None:
    problem = auth_token_problem('abc"def/ghi@jkl mno pqr')
    assert problem is not None
    listed = problem.split(";")[0]
    assert listed == "contains '\"', '/', '@', a space"
    assert auth_token_problem(TOKEN) is None


def test_multi_az_without_a_replica_is_refused_with_failover() -> None:
    values = {**VALID_CONFIG, "automatic_failover": True, "multi_az": True}
    assert {problem.field for problem in CacheConfig.problems(values)} == {"automatic_failover", "multi_az"}


@pytest.mark.parametrize(
    "changes",
    [
        {"engine": "memcached", "engine_version": "7.2"},
        {"engine": "memcached", "engine_version": "6.0"},
        {"engine": "valkey", "engine_version": "7.1"},
        {"replica_count": 6, "automatic_failover": True, "multi_az": True},
        {"replica_count": -1, "automatic_failover": True, "multi_az": True},
        {"replica_count": 0, "automatic_failover": True, "multi_az": True},
        {"replica_count": 1, "multi_az": True},
        {"cluster_mode": "enabled"},
    ],
)
def test_refused_fields_replaced_by_their_fallbacks_make_a_valid_config(changes: dict[str, Any]) -> None:
    # settings reports every problem, then keeps checking with the fallbacks in place: they must
    # pass together whatever else was refused, or the report would end in a traceback.
    values = {**VALID_CONFIG, **changes}
    replacements = fallbacks(values)
    for problem in CacheConfig.problems(values):
        values[problem.field] = replacements[problem.field]
    assert CacheConfig.problems(values) == []


def test_every_engine_has_an_example_version_the_config_accepts() -> None:
    for engine in CACHE_ENGINES:
        values = {**VALID_CONFIG, "engine": engine, "engine_version": CACHE_EXAMPLE_VERSIONS[engine]}
        assert CacheConfig.problems(values) == []
