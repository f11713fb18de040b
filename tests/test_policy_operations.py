"""Log retention and the production rules, switched on by the stack's config, not its name."""

from __future__ import annotations

import pulumi
import pytest
from pulumi_policy import StackValidationPolicy

from platform_guard import BY_NAME
from platform_guard.props import stack_profile
from tests.policy_harness import UNKNOWN, check_resource, check_stack

RETENTION = BY_NAME["cloudwatch-log-retention"]
RDS = "aws:rds/instance:Instance"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PRODUCTION_RULES = [policy for name, policy in BY_NAME.items() if name.startswith("prod-")]


def test_profile_comes_from_the_project_config() -> None:
    assert stack_profile() == "development"
    pulumi.runtime.set_config(f"{pulumi.get_project()}:stackProfile", "production")
    assert stack_profile() == "production"


def test_another_projects_profile_does_not_count() -> None:
    pulumi.runtime.set_config("other-project:stackProfile", "production")
    assert stack_profile() == "development"


@pytest.mark.parametrize("policy", PRODUCTION_RULES, ids=lambda p: p.name)
def test_production_rules_are_not_applicable_elsewhere(policy: object) -> None:
    if isinstance(policy, StackValidationPolicy):
        outcome = check_stack(policy, [])
        assert not outcome.violations
        assert outcome.not_applicable and "stackProfile is 'development'" in outcome.not_applicable
        return
    type_ = {
        "prod-bucket-versioning-not-suspended": "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "prod-cloudfront-vpc-origin-https": "aws:cloudfront/vpcOrigin:VpcOrigin",
        "prod-redis-automatic-failover": "aws:elasticache/replicationGroup:ReplicationGroup",
        "prod-cloudfront-waf": "aws:cloudfront/distribution:Distribution",
    }.get(policy.name, RDS)  # type: ignore[attr-defined]
    outcome = check_resource(policy, type_, {})  # type: ignore[arg-type]
    assert not outcome.violations
    assert outcome.not_applicable and "stackProfile is 'development'" in outcome.not_applicable


def test_unset_retention_keeps_logs_forever() -> None:
    outcome = check_resource(RETENTION, LOG_GROUP, {"name": "/ecs/web"})
    assert outcome.messages and "keeps these logs forever" in outcome.messages[0]


def test_production_needs_longer_retention() -> None:
    assert check_resource(RETENTION, LOG_GROUP, {"retentionInDays": 30.0}).passed
    assert check_resource(RETENTION, LOG_GROUP, {"retentionInDays": 30.0}, profile="production").violations
    assert check_resource(RETENTION, LOG_GROUP, {"retentionInDays": 90.0}, profile="production").passed


def test_retention_minimum_is_configurable() -> None:
    assert check_resource(RETENTION, LOG_GROUP, {"retentionInDays": 7.0}, config={"minimumDays": 7.0}).passed


def test_unknown_retention_is_not_judged_yet() -> None:
    outcome = check_resource(RETENTION, LOG_GROUP, {"retentionInDays": UNKNOWN})
    assert not outcome.violations and outcome.not_judged


@pytest.mark.parametrize(
    "name",
    [
        "prod-database-multi-az",
        "prod-database-backup-retention",
        "prod-database-deletion-protection",
        "prod-database-final-snapshot",
    ],
)
def test_read_replicas_are_exempt_from_primary_rules(name: str) -> None:
    assert check_resource(
        BY_NAME[name], RDS, {"replicateSourceDb": "db-primary"}, profile="production"
    ).passed


@pytest.mark.parametrize(
    "name",
    ["prod-database-backup-retention", "prod-database-deletion-protection", "prod-database-final-snapshot"],
)
def test_aurora_clusters_are_held_to_the_same_rules(name: str) -> None:
    assert check_resource(BY_NAME[name], "aws:rds/cluster:Cluster", {}, profile="production").violations


def test_final_snapshot_needs_an_identifier() -> None:
    outcome = check_resource(
        BY_NAME["prod-database-final-snapshot"], RDS, {"skipFinalSnapshot": False}, profile="production"
    )
    assert outcome.messages and "no finalSnapshotIdentifier" in outcome.messages[0]


def test_backup_retention_minimum_is_configurable() -> None:
    rule = BY_NAME["prod-database-backup-retention"]
    props = {"backupRetentionPeriod": 14.0}
    assert check_resource(rule, RDS, props, profile="production").passed
    assert check_resource(rule, RDS, props, profile="production", config={"minimumDays": 30.0}).violations


@pytest.mark.parametrize(
    "type_",
    [
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:rds/cluster:Cluster",
    ],
)
def test_stateful_resources_must_be_protected(type_: str) -> None:
    rule = BY_NAME["prod-stateful-resources-protected"]
    assert check_resource(rule, type_, {}, profile="production").violations
    assert check_resource(rule, type_, {}, profile="production", protect=True).passed


def test_stateless_resources_need_no_protect() -> None:
    rule = BY_NAME["prod-stateful-resources-protected"]
    assert check_resource(rule, "aws:ecs/service:Service", {}, profile="production").passed


def test_unknown_web_acl_is_not_judged_yet() -> None:
    rule = BY_NAME["prod-cloudfront-waf"]
    outcome = check_resource(
        rule, "aws:cloudfront/distribution:Distribution", {"webAclId": UNKNOWN}, profile="production"
    )
    assert not outcome.violations and outcome.not_judged


def test_a_replica_whose_source_is_not_known_yet_is_still_a_replica() -> None:
    # replicate_source_db=primary.identifier: the identifier is autonamed, unknown in preview.
    for name in (
        "prod-database-multi-az",
        "prod-stateful-resources-protected",
        "prod-database-final-snapshot",
    ):
        outcome = check_resource(BY_NAME[name], RDS, {"replicateSourceDb": UNKNOWN}, profile="production")
        assert outcome.passed, (name, outcome)
