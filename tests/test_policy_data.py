"""Data stores encrypted at rest and in transit, with authentication on the cache."""

from __future__ import annotations

import pytest

from platform_guard import BY_NAME
from tests.policy_harness import UNKNOWN, check_resource

STORAGE = BY_NAME["database-storage-encrypted"]
AT_REST = BY_NAME["elasticache-encrypted-at-rest"]
TRANSIT = BY_NAME["elasticache-transit-encryption-and-auth"]

RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"


@pytest.mark.parametrize(
    "type_", ["aws:rds/cluster:Cluster", "aws:docdb/cluster:Cluster", "aws:neptune/cluster:Cluster"]
)
def test_clusters_must_encrypt_storage(type_: str) -> None:
    assert check_resource(STORAGE, type_, {"storageEncrypted": True}).passed
    assert check_resource(STORAGE, type_, {"storageEncrypted": False}).violations


def test_aurora_serverless_v1_is_always_encrypted() -> None:
    assert check_resource(STORAGE, "aws:rds/cluster:Cluster", {"engineMode": "serverless"}).passed


def test_redshift_encrypted_flag_is_a_string_defaulting_to_true() -> None:
    redshift = "aws:redshift/cluster:Cluster"
    assert check_resource(STORAGE, redshift, {}).passed
    assert check_resource(STORAGE, redshift, {"encrypted": "true"}).passed
    assert check_resource(STORAGE, redshift, {"encrypted": "false"}).violations


def test_a_read_replica_inherits_encryption_unless_told_otherwise() -> None:
    assert check_resource(STORAGE, RDS, {"replicateSourceDb": "db-primary"}).passed
    assert check_resource(
        STORAGE, RDS, {"replicateSourceDb": "db-primary", "storageEncrypted": False}
    ).violations


def test_unknown_encryption_flag_is_not_judged_yet() -> None:
    outcome = check_resource(STORAGE, RDS, {"storageEncrypted": UNKNOWN})
    assert not outcome.violations and outcome.not_judged


def test_valkey_encrypts_at_rest_by_default_redis_does_not() -> None:
    assert check_resource(AT_REST, REDIS, {"engine": "valkey"}).passed
    outcome = check_resource(AT_REST, REDIS, {"engine": "redis"})
    assert outcome.violations and "default false for redis" in outcome.messages[0]


def test_standalone_redis_cluster_cannot_encrypt_members_inherit() -> None:
    assert check_resource(AT_REST, CACHE_CLUSTER, {"engine": "redis"}).violations
    assert check_resource(AT_REST, CACHE_CLUSTER, {"replicationGroupId": "sessions"}).passed
    assert check_resource(AT_REST, CACHE_CLUSTER, {"engine": "memcached"}).passed
    assert check_resource(
        AT_REST, "aws:elasticache/serverlessCache:ServerlessCache", {"engine": "valkey"}
    ).passed


@pytest.mark.parametrize(
    ("props", "phrase"),
    [
        ({"authToken": "t" * 32}, "transitEncryptionEnabled is not true"),
        (
            {"transitEncryptionEnabled": True, "transitEncryptionMode": "preferred", "authToken": "t" * 32},
            "'preferred'",
        ),
        ({"transitEncryptionEnabled": True, "authToken": ""}, "no AUTH"),
    ],
)
def test_transit_encryption_and_auth_violations(props: dict[str, object], phrase: str) -> None:
    outcome = check_resource(TRANSIT, REDIS, props)
    assert len(outcome.violations) == 1 and phrase in outcome.messages[0]


def test_rbac_user_groups_count_as_authentication() -> None:
    props = {
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "userGroupIds": ["app-users"],
    }
    assert check_resource(TRANSIT, REDIS, props).passed


def test_unknown_auth_token_is_not_judged_yet() -> None:
    outcome = check_resource(TRANSIT, REDIS, {"transitEncryptionEnabled": True, "authToken": UNKNOWN})
    assert not outcome.violations and outcome.not_judged and "authToken" in outcome.not_judged


def test_cache_clusters_in_transit() -> None:
    assert check_resource(
        TRANSIT, CACHE_CLUSTER, {"engine": "memcached", "transitEncryptionEnabled": True}
    ).passed
    assert check_resource(TRANSIT, CACHE_CLUSTER, {"engine": "memcached"}).violations
    assert check_resource(TRANSIT, CACHE_CLUSTER, {"engine": "redis"}).violations
    assert check_resource(TRANSIT, CACHE_CLUSTER, {"replicationGroupId": "sessions"}).passed


def test_a_replica_whose_source_is_not_known_yet_inherits_encryption() -> None:
    assert check_resource(STORAGE, RDS, {"replicateSourceDb": UNKNOWN}).passed
