"""Data-tier settings: every key refuses a bad value naming the key, the value and what is allowed;
production refuses what would lose data or fail with one AZ; the Redis AUTH token is a secret."""

from __future__ import annotations

import re

import pulumi
import pytest
from pulumi.runtime.sync_await import _sync_await

from offline.stack_config import SECRET_PLACEHOLDER, load_stack_config
from settings import declared_keys
from settings.profile import PRODUCTION_REQUIRED
from tests.conftest import ROOT
from tests.test_settings import KEY, load, refusal

DATA_TIER_KEYS = (
    "keepData",
    "kmsKeyDeletionWindowDays",
    "dbEngineVersion",
    "dbInstanceClass",
    "dbAllocatedStorageGb",
    "dbMaxAllocatedStorageGb",
    "dbMultiAz",
    "dbReadReplicaCount",
    "dbBackupRetentionDays",
    "dbBackupWindow",
    "dbMaintenanceWindow",
    "dbPerformanceInsights",
    "dbMonitoringIntervalSeconds",
    "dbLogExports",
    "dbSlowQueryMs",
    "cacheEngine",
    "cacheEngineVersion",
    "cacheNodeType",
    "cacheReplicaCount",
    "cacheAutomaticFailover",
    "cacheMultiAz",
    "cacheSnapshotRetentionDays",
    "cacheMaintenanceWindow",
    "cacheClusterMode",
    "cacheAuthToken",
    "storageIaTransitionDays",
    "storageGlacierTransitionDays",
    "storageNoncurrentExpirationDays",
    "storageLogExpirationDays",
    "storageCorsOrigins",
    "storageReplicationRegion",
    "bastionEnabled",
    "bastionInstanceType",
)


def line_for(message: str, key: str, *needles: str) -> str:
    lines = [
        line for line in message.splitlines() if f"{KEY}{key}:" in line and all(n in line for n in needles)
    ]
    assert lines, f"no line for {key} containing {needles} in:\n{message}"
    return lines[0]


def test_every_data_tier_key_is_declared_and_documented() -> None:
    declared = declared_keys()
    reference = (ROOT / "docs" / "configuration.md").read_text()
    for key in DATA_TIER_KEYS:
        assert key in declared, key
        assert f"`{key}`" in reference, f"docs/configuration.md does not document {key}: run `make docs`"
    assert declared["cacheAuthToken"].secret and declared["cacheAuthToken"].default is None


def test_staging_is_single_az_and_cheap() -> None:
    settings = load("staging")
    assert settings.data.keep_data is False
    assert settings.database.multi_az is False and settings.database.read_replica_count == 0
    assert settings.database.instance_class.startswith("db.t4g.")
    assert settings.cache.replica_count == 0 and settings.cache.automatic_failover is False
    assert settings.cache.node_type.startswith("cache.t4g.")
    assert settings.storage.replication_region == ""
    assert settings.bastion.enabled is True and settings.bastion.instance_type == "t4g.nano"


def test_prod_keeps_its_data_and_survives_an_az() -> None:
    settings = load("prod")
    assert settings.data.keep_data is True
    assert settings.database.multi_az is True and settings.database.read_replica_count == 1
    assert settings.database.backup_retention_days >= 7
    assert settings.cache.replica_count == 1
    assert settings.cache.automatic_failover is True and settings.cache.multi_az is True
    assert settings.cache.cluster_mode == "disabled"
    assert settings.storage.replication_region == "eu-central-1"


@pytest.mark.parametrize(
    ("overrides", "key", "got", "allowed"),
    [
        ({"keepData": "maybe"}, "keepData", "got 'maybe'", "true or false"),
        ({"kmsKeyDeletionWindowDays": "5"}, "kmsKeyDeletionWindowDays", "got '5'", "from 7 to 30"),
        ({"kmsKeyDeletionWindowDays": "31"}, "kmsKeyDeletionWindowDays", "got '31'", "from 7 to 30"),
        ({"dbEngineVersion": "9.6"}, "dbEngineVersion", "got '9.6'", "PostgreSQL major (14, 15, 16, 17)"),
        ({"dbEngineVersion": "latest"}, "dbEngineVersion", "got 'latest'", "major.minor such as '17.6'"),
        ({"dbInstanceClass": "t4g.micro"}, "dbInstanceClass", "got 't4g.micro'", "RDS instance class"),
        ({"dbAllocatedStorageGb": "10"}, "dbAllocatedStorageGb", "got '10'", "from 20 to 65536"),
        ({"dbMaxAllocatedStorageGb": "70000"}, "dbMaxAllocatedStorageGb", "got '70000'", "from 20 to 65536"),
        (
            {"dbAllocatedStorageGb": "200", "dbMaxAllocatedStorageGb": "100"},
            "dbMaxAllocatedStorageGb",
            "got '100'",
            "at least 10% above the allocated storage (200 GiB), i.e. 220 or more",
        ),
        ({"dbReadReplicaCount": "6"}, "dbReadReplicaCount", "got '6'", "from 0 to 5"),
        ({"dbBackupRetentionDays": "0"}, "dbBackupRetentionDays", "got '0'", "from 1 to 35"),
        ({"dbBackupRetentionDays": "36"}, "dbBackupRetentionDays", "got '36'", "from 1 to 35"),
        ({"dbBackupWindow": "2am"}, "dbBackupWindow", "got '2am'", "hh:mm-hh:mm"),
        ({"dbBackupWindow": "02:00-02:10"}, "dbBackupWindow", "got '02:00-02:10'", "at least 30 minutes"),
        ({"dbMaintenanceWindow": "sunday"}, "dbMaintenanceWindow", "got 'sunday'", "ddd:hh:mm-ddd:hh:mm"),
        (
            {"dbMaintenanceWindow": "sun:03:00-sun:03:15"},
            "dbMaintenanceWindow",
            "got 'sun:03:00-sun:03:15'",
            "at least 30 minutes",
        ),
        (
            {"dbMaintenanceWindow": "wed:02:15-wed:03:00"},
            "dbMaintenanceWindow",
            "got 'wed:02:15-wed:03:00'",
            "does not overlap the daily backup window (02:00-02:30)",
        ),
        (
            {"dbBackupWindow": "23:45-00:30", "dbMaintenanceWindow": "mon:00:00-mon:01:00"},
            "dbMaintenanceWindow",
            "got 'mon:00:00-mon:01:00'",
            "does not overlap",
        ),
        ({"dbPerformanceInsights": "on"}, "dbPerformanceInsights", "got 'on'", "true or false"),
        (
            {"dbMonitoringIntervalSeconds": "2"},
            "dbMonitoringIntervalSeconds",
            "got '2'",
            "allowed: 0, 1, 5, 10, 15, 30, 60",
        ),
        ({"dbLogExports": '["audit"]'}, "dbLogExports", """got '["audit"]'""", "unknown entries ['audit']"),
        ({"dbSlowQueryMs": "0"}, "dbSlowQueryMs", "got '0'", "-1 (off) or at least 50"),
        ({"dbSlowQueryMs": "-5"}, "dbSlowQueryMs", "got '-5'", "from -1 to 3600000"),
        ({"cacheEngine": "memcached"}, "cacheEngine", "got 'memcached'", "'redis', 'valkey'"),
        (
            {"cacheEngine": "redis", "cacheEngineVersion": "5.0"},
            "cacheEngineVersion",
            "got '5.0'",
            "at least 6.2",
        ),
        ({"cacheEngineVersion": "seven"}, "cacheEngineVersion", "got 'seven'", "major.minor"),
        (
            {"cacheEngine": "valkey", "cacheEngineVersion": "7.0"},
            "cacheEngineVersion",
            "got '7.0'",
            "valkey major.minor version of at least 7.2",
        ),
        ({"cacheNodeType": "t4g.micro"}, "cacheNodeType", "got 't4g.micro'", "ElastiCache node type"),
        ({"cacheReplicaCount": "6"}, "cacheReplicaCount", "got '6'", "from 0 to 5"),
        (
            {"cacheAutomaticFailover": "true"},
            "cacheAutomaticFailover",
            "got 'true'",
            "needs replica_count of at least 1",
        ),
        (
            {"cacheReplicaCount": "1", "cacheMultiAz": "true"},
            "cacheMultiAz",
            "got 'true'",
            "needs automatic_failover true",
        ),
        ({"cacheSnapshotRetentionDays": "40"}, "cacheSnapshotRetentionDays", "got '40'", "from 0 to 35"),
        (
            {"cacheMaintenanceWindow": "sun:05:00-sun:05:30"},
            "cacheMaintenanceWindow",
            "got 'sun:05:00-sun:05:30'",
            "at least 60 minutes",
        ),
        ({"cacheClusterMode": "enabled"}, "cacheClusterMode", "got 'enabled'", "CROSSSLOT"),
        ({"cacheClusterMode": "compatible"}, "cacheClusterMode", "got 'compatible'", "only 'disabled'"),
        (
            {"cacheClusterMode": "sharded"},
            "cacheClusterMode",
            "got 'sharded'",
            "allowed: 'disabled', 'enabled', 'compatible'",
        ),
        ({"storageIaTransitionDays": "10"}, "storageIaTransitionDays", "got '10'", "from 30 to 3620"),
        (
            {"storageIaTransitionDays": "60", "storageGlacierTransitionDays": "80"},
            "storageGlacierTransitionDays",
            "got '80'",
            "at least 90, 30 days after the Standard-IA transition (day 60)",
        ),
        (
            {"storageNoncurrentExpirationDays": "0"},
            "storageNoncurrentExpirationDays",
            "got '0'",
            "from 1 to 3650",
        ),
        ({"storageLogExpirationDays": "0"}, "storageLogExpirationDays", "got '0'", "from 1 to 3650"),
        ({"storageCorsOrigins": '["*"]'}, "storageCorsOrigins", "got '*'", "no wildcard"),
        (
            {"storageCorsOrigins": '["https://app.example.com/upload"]'},
            "storageCorsOrigins",
            "got 'https://app.example.com/upload'",
            "no path",
        ),
        (
            {"storageCorsOrigins": '["http://app.example.com"]'},
            "storageCorsOrigins",
            "got 'http://app.example.com'",
            "https://app.example.com",
        ),
        (
            {"storageCorsOrigins": "https://a.example.com"},
            "storageCorsOrigins",
            "got 'https://a",
            "list of strings",
        ),
        (
            {"storageReplicationRegion": "mars"},
            "storageReplicationRegion",
            "got 'mars'",
            "e.g. 'eu-central-1'",
        ),
        (
            {"storageReplicationRegion": "eu-west-1"},
            "storageReplicationRegion",
            "got 'eu-west-1'",
            "other than the stack's own (eu-west-1)",
        ),
        ({"bastionEnabled": "sometimes"}, "bastionEnabled", "got 'sometimes'", "true or false"),
        ({"bastionInstanceType": "t3.nano"}, "bastionInstanceType", "got 't3.nano'", "Graviton (arm64)"),
    ],
)
def test_bad_value_is_refused_naming_key_value_and_what_is_allowed(
    overrides: dict[str, str], key: str, got: str, allowed: str
) -> None:
    line = line_for(refusal("staging", **overrides), key, allowed)
    assert got in line, line


@pytest.mark.parametrize(
    ("overrides", "key", "why"),
    [
        ({"keepData": "false"}, "keepData", "mistaken `pulumi destroy`"),
        ({"dbBackupRetentionDays": "3"}, "dbBackupRetentionDays", "a few days late"),
        ({"dbMultiAz": "false"}, "dbMultiAz", "single-AZ database"),
        (
            {"cacheReplicaCount": "0", "cacheAutomaticFailover": "false", "cacheMultiAz": "false"},
            "cacheReplicaCount",
            "node failure",
        ),
        (
            {"cacheAutomaticFailover": "false", "cacheMultiAz": "false"},
            "cacheAutomaticFailover",
            "promotes a replica",
        ),
        ({"cacheMultiAz": "false"}, "cacheMultiAz", "takes the broker down"),
        ({"storageCorsOrigins": '["http://localhost:3000"]'}, "storageCorsOrigins", "developer machine"),
    ],
)
def test_production_refuses_what_loses_data_or_an_az(overrides: dict[str, str], key: str, why: str) -> None:
    line = line_for(refusal("prod", **overrides), key, PRODUCTION_REQUIRED)
    assert why in line, line


def test_development_allows_what_production_refuses() -> None:
    settings = load(
        "staging",
        keepData="false",
        dbBackupRetentionDays="1",
        cacheReplicaCount="0",
        storageCorsOrigins='["http://localhost:3000", "https://staging.example.com"]',
    )
    assert settings.database.backup_retention_days == 1
    assert settings.storage.cors_origins == ("http://localhost:3000", "https://staging.example.com")


def test_windows_that_cross_midnight_are_accepted_when_they_do_not_overlap() -> None:
    settings = load("staging", dbBackupWindow="23:30-00:15", dbMaintenanceWindow="sun:00:30-sun:01:30")
    assert settings.database.backup_window == "23:30-00:15"


def test_unset_auth_token_is_planned_with_a_placeholder() -> None:
    config = load_stack_config(ROOT, "staging")
    assert f"{KEY}cacheAuthToken" in config.unset_secrets
    assert config.values[f"{KEY}cacheAuthToken"] == SECRET_PLACEHOLDER
    token = load("staging").cache.auth_token
    assert isinstance(token, pulumi.Output)
    assert _sync_await(token.is_secret())
    assert _sync_await(token.future()) == SECRET_PLACEHOLDER


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("short-token", "at least 16 required"),
        ("a token with spaces in it", "contains a space"),
        ("user@example-token-123", "contains '@'"),
        ("x" * 129, "at most 128 allowed"),
    ],
)
def test_bad_auth_token_stops_the_program_without_printing_it(token: str, problem: str) -> None:
    # Refused with the other settings, before any resource exists.
    with pytest.raises(pulumi.RunError) as caught:
        load("staging", cacheAuthToken=token)
    message = str(caught.value)
    assert f"{KEY}cacheAuthToken:" in message
    assert problem in message
    assert token not in message


def test_good_auth_token_passes_unchanged() -> None:
    token = "Str0ng!Token#With$Symbols%"
    assert re.fullmatch(r"[!-~]+", token)
    read = load("staging", cacheAuthToken=token).cache.auth_token
    assert isinstance(read, pulumi.Output)
    assert _sync_await(read.future()) == token
