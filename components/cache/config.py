"""What an operator sets for the cache, and its one validator.

A leaf below the component: pure values and rules, no resources. `settings/` maps the stack's
`cache*` keys onto `CacheConfig` and reports each problem under its key; constructing the config
runs the same validator, so the component never holds a value ElastiCache (or Celery) would refuse.
The AUTH token is the exception settings judges itself, as a stack secret whose value is never
shown: there the config holds it as a secret `pulumi.Output`, which no validator can read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from ..config_base import Problem, ValidatedConfig, between, collect, one_of
from ..windows import WEEKLY_SHAPE, window_minutes

CACHE_ENGINES = ("redis", "valkey")
# Older engines lack the TLS and AUTH behaviour this platform relies on, and are past end of life.
CACHE_OLDEST_VERSIONS = {"redis": (6, 2), "valkey": (7, 2)}
# A version of each engine that the config accepts, for the messages.
CACHE_EXAMPLE_VERSIONS = {"redis": "7.1", "valkey": "8.0"}
CACHE_CLUSTER_MODES = ("disabled", "enabled", "compatible")
# ElastiCache AUTH tokens: 16 to 128 printable ASCII characters except space, double quote, slash and at sign.
AUTH_TOKEN_CHARACTERS = frozenset(chr(c) for c in range(33, 127)) - set('"/@')
AUTH_TOKEN_MIN_LENGTH = 16
AUTH_TOKEN_MAX_LENGTH = 128
NODE_TYPE_PATTERN = re.compile(r"cache\.[a-z0-9-]+\.[a-z0-9]+")
MAX_REPLICAS = 5
MAX_SNAPSHOT_RETENTION_DAYS = 35
MAINTENANCE_MINIMUM_MINUTES = 60
# What a refused token is shown as: its value never is.
NOT_SHOWN = "(secret, not shown)"


def _character_class(c: str) -> str:
    if c == " ":
        return "a space"
    if not 33 <= ord(c) < 127:
        return "a non-printable or non-ASCII character"
    return repr(c)


def auth_token_problem(token: str) -> str | None:
    """What ElastiCache would refuse in an AUTH token, by length and character class, never by value.
    (The minimum length is the secret reader's to check: it reports it before this runs.)"""
    if len(token) > AUTH_TOKEN_MAX_LENGTH:
        return f"is {len(token)} characters long; at most {AUTH_TOKEN_MAX_LENGTH} allowed"
    refused = sorted({_character_class(c) for c in token if c not in AUTH_TOKEN_CHARACTERS})
    if refused:
        return (
            f"contains {', '.join(refused)}; ElastiCache accepts printable ASCII without spaces, "
            "'\"', '/' or '@'"
        )
    return None


def _version_problem(engine: str, version: str) -> Problem | None:
    # An unknown engine (refused on its own) is held to the highest floor, which every engine accepts.
    oldest = CACHE_OLDEST_VERSIONS.get(engine, max(CACHE_OLDEST_VERSIONS.values()))
    match = re.fullmatch(r"(\d+)\.(\d+)", version)
    if match is not None and (int(match.group(1)), int(match.group(2))) >= oldest:
        return None
    return Problem(
        field="engine_version",
        value=version,
        fix=f"expected a {engine} major.minor version of at least {oldest[0]}.{oldest[1]}, "
        f"e.g. '{CACHE_EXAMPLE_VERSIONS.get(engine, '8.0')}'",
    )


def _window_problem(window: str) -> Problem | None:
    parsed = window_minutes(window, weekly=True)
    if parsed is None:
        fix = f"expected a UTC window {WEEKLY_SHAPE}"
    elif parsed[1] < MAINTENANCE_MINIMUM_MINUTES:
        fix = f"expected a window of at least {MAINTENANCE_MINIMUM_MINUTES} minutes ({WEEKLY_SHAPE})"
    else:
        return None
    return Problem(field="maintenance_window", value=window, fix=fix)


def _cluster_mode_problem(mode: str) -> Problem | None:
    if mode not in CACHE_CLUSTER_MODES:
        return one_of("cluster_mode", mode, CACHE_CLUSTER_MODES)
    if mode == "disabled":
        return None
    return Problem(
        field="cluster_mode",
        value=mode,
        fix="only 'disabled' while the Celery worker uses this cache as its broker: Celery's Redis "
        "transport cannot use cluster-mode Redis (its multi-key commands fail with CROSSSLOT errors)",
    )


def _auth_token_problem(token: Any) -> Problem | None:
    # A secret Output (what settings hands over) was judged when it was read; only a plain string
    # (a test, an example) can be judged here.
    if not isinstance(token, str):
        return None
    problem = (
        f"is {len(token)} characters long; at least {AUTH_TOKEN_MIN_LENGTH} required"
        if len(token) < AUTH_TOKEN_MIN_LENGTH
        else auth_token_problem(token)
    )
    return Problem(field="auth_token", value=NOT_SHOWN, fix=f"the token {problem}") if problem else None


@dataclass(frozen=True, kw_only=True)
class CacheConfig(ValidatedConfig):
    """What an operator sets for the ElastiCache replication group."""

    engine: str
    """`redis` or `valkey` (Redis-compatible)."""
    engine_version: str
    """Engine major.minor, at least 6.2 for redis and 7.2 for valkey (TLS with AUTH, supported)."""
    node_type: str
    """ElastiCache node type of every node, e.g. "cache.t4g.micro"; data-tiering types are refused
    against the catalog in settings."""
    replica_count: int
    """Replicas beside the primary, 0 to 5."""
    automatic_failover: bool
    """Promote a replica when the primary fails; needs at least one replica."""
    multi_az: bool
    """Place the replicas in other AZs than the primary; needs automatic failover."""
    snapshot_retention_days: int
    """Days of daily snapshots kept, 0 (none) to 35."""
    maintenance_window: str
    """Weekly UTC maintenance window `ddd:hh:mm-ddd:hh:mm`, at least 60 minutes."""
    cluster_mode: str
    """ElastiCache cluster mode; only "disabled": Celery's Redis transport fails on cluster mode."""
    auth_token: pulumi.Input[str] = field(repr=False)
    """Redis AUTH token, 16 to 128 printable ASCII characters without spaces, '"', '/' or '@'. From
    settings a secret Output (judged there, as a secret); never printed, not even in this repr."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        replicas = values["replica_count"]
        failover = values["automatic_failover"]
        problems = collect(
            one_of("engine", values["engine"], CACHE_ENGINES),
            _version_problem(values["engine"], values["engine_version"]),
            None
            if NODE_TYPE_PATTERN.fullmatch(values["node_type"])
            else Problem(
                field="node_type",
                value=values["node_type"],
                fix="expected an ElastiCache node type such as 'cache.t4g.micro' or 'cache.m7g.large'",
            ),
            between("replica_count", replicas, 0, MAX_REPLICAS),
            between(
                "snapshot_retention_days", values["snapshot_retention_days"], 0, MAX_SNAPSHOT_RETENTION_DAYS
            ),
            _window_problem(values["maintenance_window"]),
            _cluster_mode_problem(values["cluster_mode"]),
            _auth_token_problem(values["auth_token"]),
        )
        if failover and replicas < 1:
            problems.append(
                Problem(
                    field="automatic_failover",
                    value=failover,
                    fix="true needs replica_count of at least 1: failover promotes a replica",
                )
            )
        if values["multi_az"] and not (failover and replicas >= 1):
            problems.append(
                Problem(
                    field="multi_az",
                    value=values["multi_az"],
                    fix="true needs automatic_failover true (and so a replica); ElastiCache refuses "
                    "Multi-AZ without it",
                )
            )
        return problems


def fallbacks(values: Mapping[str, Any]) -> dict[str, Any]:
    """What a refused field is replaced with while the rest of the stack's settings are checked:
    values that pass together whatever else was refused (a refused replica count must not leave
    failover without a replica, nor a refused engine a version below its floor)."""
    engine = values["engine"] if values["engine"] in CACHE_ENGINES else CACHE_ENGINES[0]
    return {
        "engine": engine,
        "engine_version": CACHE_EXAMPLE_VERSIONS[engine],
        "replica_count": min(max(values["replica_count"], 0), MAX_REPLICAS),
        "automatic_failover": False,
        "multi_az": False,
        "cluster_mode": "disabled",
    }
