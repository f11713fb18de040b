"""Realistic configuration mistakes that mocks would accept and AWS (or the policy pack) would refuse
minutes into `pulumi up`: each is refused by the settings, before any resource exists, on one line
that names the key it is about.

The table is written by class (names AWS lacks, regions, cross-value constraints, settings weaker
than the pack, combinations AWS refuses), not tuned to any one example list.
"""

from __future__ import annotations

import subprocess
import sys

import pulumi
import pytest

from components.observability.config import LOG_RETENTION_DAYS
from offline.engine import activate_mocks
from offline.stack_config import load_stack_config
from settings import load_settings
from settings.profile import LOG_RETENTION_MINIMUM_DAYS, PRODUCTION_LOG_RETENTION_MINIMUM_DAYS
from tests.conftest import ROOT

PROJECT = "django-platform:"
CERTIFICATE = "arn:aws:acm:{region}:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666"
ORIGIN = "origin.epicvibe.example.com"


def _settings_error(stack: str, overrides: dict[str, str], drop: tuple[str, ...] = ()) -> str | None:
    config = load_stack_config(ROOT, stack, overrides)
    values = {key: value for key, value in config.values.items() if key not in drop}
    pulumi.runtime.set_all_config(values, list(config.secret_keys))
    activate_mocks(config.project, stack)
    try:
        load_settings()
    except pulumi.RunError as error:
        return str(error)
    return None


def _lines_about(message: str, key: str) -> list[str]:
    full = key if ":" in key else PROJECT + key
    return [line for line in message.splitlines() if line.strip(" -").startswith(f"{full}:")]


# (stack, overrides, the key the refusal must name, a fragment of what it says)
MISTAKES: list[tuple[str, dict[str, str], str, str]] = [
    # --- names that don't exist: RDS instance classes (per engine, version and region)
    ("staging", {"dbInstanceClass": "db.t4g.mirco"}, "dbInstanceClass", "did you mean 'db.t4g.micro'"),
    (
        "staging",
        {"dbInstanceClass": "db.t4g.micr"},
        "dbInstanceClass",
        "not a db instance class for postgres 17",
    ),
    ("prod", {"dbInstanceClass": "db.m7g.larg"}, "dbInstanceClass", "did you mean 'db.m7g.large'"),
    ("prod", {"dbInstanceClass": "db.m7g.2xl"}, "dbInstanceClass", "cfn-lint"),
    ("staging", {"dbInstanceClass": "db.t5.micro"}, "dbInstanceClass", "in eu-west-1"),
    ("prod", {"dbInstanceClass": "db.m7.large"}, "dbInstanceClass", "not a db instance class"),
    ("prod", {"dbInstanceClass": "db.r6g.medium"}, "dbInstanceClass", "not a db instance class"),
    ("staging", {"dbInstanceClass": "t4g.micro"}, "dbInstanceClass", "expected an RDS instance class"),
    ("staging", {"dbInstanceClass": "cache.t4g.micro"}, "dbInstanceClass", "expected an RDS instance class"),
    ("staging", {"dbInstanceClass": "db.t4g.Micro"}, "dbInstanceClass", "expected an RDS instance class"),
    # offered for PostgreSQL 17, but not in the region the stack moved to
    (
        "prod",
        {"aws:region": "ca-west-1"},
        "dbInstanceClass",
        "not a db instance class for postgres 17 in ca-west-1",
    ),
    (
        "prod",
        {"aws:region": "af-south-1", "dbInstanceClass": "db.m7g.large"},
        "dbInstanceClass",
        "in af-south-1",
    ),
    # --- names that don't exist: RDS engine versions
    ("staging", {"dbEngineVersion": "17.40"}, "dbEngineVersion", "not a postgres version RDS offers"),
    ("staging", {"dbEngineVersion": "16.99"}, "dbEngineVersion", "not a postgres version RDS offers"),
    ("staging", {"dbEngineVersion": "17.1"}, "dbEngineVersion", "deprecated"),
    ("staging", {"dbEngineVersion": "16.1"}, "dbEngineVersion", "deprecated"),
    ("staging", {"dbEngineVersion": "15.2"}, "dbEngineVersion", "deprecated"),
    ("staging", {"dbEngineVersion": "13"}, "dbEngineVersion", "expected a PostgreSQL major"),
    ("staging", {"dbEngineVersion": "17.4.1"}, "dbEngineVersion", "expected a PostgreSQL major"),
    ("staging", {"dbEngineVersion": "v17"}, "dbEngineVersion", "expected a PostgreSQL major"),
    # --- names that don't exist: ElastiCache node types (per region) and engine versions
    ("staging", {"cacheNodeType": "cache.t4g.mirco"}, "cacheNodeType", "did you mean 'cache.t4g.micro'"),
    (
        "prod",
        {"cacheNodeType": "cache.m7g.larg"},
        "cacheNodeType",
        "not an ElastiCache node type in eu-west-1",
    ),
    ("staging", {"cacheNodeType": "cache.t3.nano"}, "cacheNodeType", "cfn-lint"),
    ("staging", {"cacheNodeType": "cache.t4g.nano"}, "cacheNodeType", "not an ElastiCache node type"),
    ("staging", {"cacheNodeType": "db.t4g.micro"}, "cacheNodeType", "expected an ElastiCache node type"),
    (
        "staging",
        {"cacheEngine": "redis", "cacheEngineVersion": "7.2"},
        "cacheEngineVersion",
        "not a redis version ElastiCache offers",
    ),
    ("staging", {"cacheEngine": "redis", "cacheEngineVersion": "8.0"}, "cacheEngineVersion", "known: "),
    (
        "staging",
        {"cacheEngine": "redis", "cacheEngineVersion": "6.3"},
        "cacheEngineVersion",
        "not a redis version",
    ),
    (
        "staging",
        {"cacheEngine": "valkey", "cacheEngineVersion": "8.3"},
        "cacheEngineVersion",
        "not a valkey version",
    ),
    (
        "staging",
        {"cacheEngine": "valkey", "cacheEngineVersion": "9.9"},
        "cacheEngineVersion",
        "not a valkey version",
    ),
    ("staging", {"cacheEngine": "valkey", "cacheEngineVersion": "7.1"}, "cacheEngineVersion", "at least 7.2"),
    ("staging", {"cacheEngineVersion": "7"}, "cacheEngineVersion", "major.minor"),
    # --- names that don't exist: the bastion's EC2 instance type (per region)
    ("staging", {"bastionInstanceType": "t4g.nanoo"}, "bastionInstanceType", "did you mean 't4g.nano'"),
    (
        "staging",
        {"bastionInstanceType": "t4g.pico"},
        "bastionInstanceType",
        "not an EC2 instance type in eu-west-1",
    ),
    ("staging", {"bastionInstanceType": "t5g.nano"}, "bastionInstanceType", "cfn-lint"),
    # --- regions
    ("staging", {"aws:region": "eu-wset-1"}, "aws:region", "did you mean 'eu-west-1'"),
    ("staging", {"aws:region": "eu-west"}, "aws:region", "not an AWS region"),
    ("staging", {"aws:region": "EU-WEST-1"}, "aws:region", "not an AWS region"),
    ("staging", {"aws:region": "us-east-3"}, "aws:region", "botocore"),
    ("staging", {"aws:region": "eu-west-1a"}, "aws:region", "not an AWS region"),
    ("staging", {"aws:region": ""}, "aws:region", "not set"),
    ("staging", {"aws:region": "cn-north-1"}, "aws:region", "aws-cn partition"),
    ("prod", {"aws:region": "us-gov-west-1"}, "aws:region", "aws-us-gov partition"),
    (
        "staging",
        {"aws:region": "ca-west-1", "amplifyRepository": "https://github.com/acme/epicvibe-frontend"},
        "amplifyRepository",
        "AWS Amplify is not offered in ca-west-1",
    ),
    ("prod", {"storageReplicationRegion": "eu-central-3"}, "storageReplicationRegion", "not an AWS region"),
    (
        "prod",
        {"storageReplicationRegion": "eu-centrall-1"},
        "storageReplicationRegion",
        "did you mean 'eu-central-1'",
    ),
    (
        "prod",
        {"storageReplicationRegion": "cn-north-1"},
        "storageReplicationRegion",
        "only within a partition",
    ),
    (
        "prod",
        {"storageReplicationRegion": "us-gov-west-1"},
        "storageReplicationRegion",
        "partition aws-us-gov",
    ),
    (
        "prod",
        {"storageReplicationRegion": "eu-west-1"},
        "storageReplicationRegion",
        "other than the stack's own",
    ),
    (
        "prod",
        {"storageReplicationRegion": "eu-central-1a"},
        "storageReplicationRegion",
        "expected an AWS region",
    ),
    # --- cross-value constraints: Application Auto Scaling schedules
    ("staging", {"nightlyScaleDownCron": "cron(0 20 * * *)"}, "nightlyScaleDownCron", "six"),
    ("staging", {"nightlyScaleDownCron": "0 20 * * *"}, "nightlyScaleDownCron", "Application Auto Scaling"),
    ("staging", {"nightlyScaleDownCron": "cron(0 20 * * * *)"}, "nightlyScaleDownCron", "must be '?'"),
    ("staging", {"nightlyScaleDownCron": "cron(0 24 * * ? *)"}, "nightlyScaleDownCron", "hours field '24'"),
    ("staging", {"nightlyScaleDownCron": "cron(0 20 32 * ? *)"}, "nightlyScaleDownCron", "day-of-month"),
    ("staging", {"nightlyScaleUpCron": "cron(0 6 ? * MON-FRY *)"}, "nightlyScaleUpCron", "day-of-week field"),
    ("staging", {"nightlyScaleUpCron": "cron(60 6 ? * MON-FRI *)"}, "nightlyScaleUpCron", "minutes field"),
    ("staging", {"nightlyScaleUpCron": "cron(0 6 ? * MON-FRI)"}, "nightlyScaleUpCron", "5 fields"),
    ("staging", {"nightlyScaleUpCron": "cron(0 6 ? 13 MON-FRI *)"}, "nightlyScaleUpCron", "month field"),
    (
        "staging",
        {"nightlyScaleUpCron": "rate(1 week)"},
        "nightlyScaleUpCron",
        "rate(<n> <minutes|hours|days>)",
    ),
    ("staging", {"nightlyScaleUpCron": "rate(0 minutes)"}, "nightlyScaleUpCron", "rate(<n>"),
    (
        "staging",
        {"nightlyScaleUpCron": "at(2026-13-01T06:00:00)"},
        "nightlyScaleUpCron",
        "at(yyyy-mm-ddThh:mm:ss)",
    ),
    # --- cross-value constraints: the ALB's certificate lives in the ALB's region
    (
        "staging",
        {"albCertificateArn": CERTIFICATE.format(region="us-east-1"), "albOriginDomainName": ORIGIN},
        "albCertificateArn",
        "a certificate in us-east-1; an ALB uses ACM certificates of its own region (eu-west-1)",
    ),
    (
        "prod",
        {"albCertificateArn": CERTIFICATE.format(region="eu-central-1"), "albOriginDomainName": ORIGIN},
        "albCertificateArn",
        "its own region (eu-west-1)",
    ),
    # --- cross-value constraints: the image to build needs a directory with a Dockerfile
    ("staging", {"appImage": "", "appDockerContext": "app"}, "appDockerContext", "not a directory"),
    ("staging", {"appImage": "", "appDockerContext": "README.md"}, "appDockerContext", "not a directory"),
    ("staging", {"appImage": "", "appDockerContext": "docs"}, "appDockerContext", "no Dockerfile"),
    # --- settings weaker than the policy pack
    ("staging", {"logRetentionDays": "14"}, "logRetentionDays", "cloudwatch-log-retention"),
    ("staging", {"logRetentionDays": "7"}, "logRetentionDays", "at least 30 days"),
    ("staging", {"flowLogsRetentionDays": "14"}, "flowLogsRetentionDays", "at least 30 days"),
    (
        "prod",
        {"logRetentionDays": "60"},
        "logRetentionDays",
        "at least 90 days is required when stackProfile",
    ),
    ("prod", {"flowLogsRetentionDays": "30"}, "flowLogsRetentionDays", "at least 90 days"),
    ("prod", {"dbBackupRetentionDays": "5"}, "dbBackupRetentionDays", "at least 7"),
    # --- combinations AWS refuses
    ("staging", {"dbMaxAllocatedStorageGb": "21"}, "dbMaxAllocatedStorageGb", "at least 10% above"),
    (
        "prod",
        {"dbAllocatedStorageGb": "50", "dbMaxAllocatedStorageGb": "54"},
        "dbMaxAllocatedStorageGb",
        "55 or more",
    ),
    ("prod", {"cacheNodeType": "cache.r6gd.xlarge"}, "cacheNodeType", "data tiering"),
    ("staging", {"cacheAutomaticFailover": "true"}, "cacheAutomaticFailover", "needs replica_count"),
    ("staging", {"cacheMultiAz": "true"}, "cacheMultiAz", "needs automatic_failover true"),
    (
        "staging",
        {"dbMaintenanceWindow": "sun:02:00-sun:03:00", "dbBackupWindow": "02:00-02:30"},
        "dbMaintenanceWindow",
        "overlap",
    ),
]


def _case_id(case: tuple[str, dict[str, str], str, str]) -> str:
    stack, overrides, key, _ = case
    return f"{stack}-{key}-" + ",".join(f"{v}" for v in overrides.values())


def test_the_table_is_large_enough_to_mean_something() -> None:
    assert len(MISTAKES) >= 60


@pytest.mark.parametrize(("stack", "overrides", "key", "fragment"), MISTAKES, ids=map(_case_id, MISTAKES))
def test_mistake_is_refused_on_one_line_naming_the_key(
    stack: str, overrides: dict[str, str], key: str, fragment: str
) -> None:
    message = _settings_error(stack, overrides)
    assert message is not None, f"{overrides} planned without a word"
    lines = _lines_about(message, key)
    assert len(lines) == 1, message
    assert fragment in lines[0], lines[0]


def test_a_stack_without_a_region_is_refused_not_sent_to_us_east_1() -> None:
    message = _settings_error("staging", {}, drop=("aws:region",))
    assert message is not None
    (line,) = _lines_about(message, "aws:region")
    assert "not set" in line and "pulumi config set aws:region" in line


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_real_stacks_pass_every_check(stack: str) -> None:
    assert _settings_error(stack, {}) is None


def test_settings_and_pack_agree_on_minimum_log_retention() -> None:
    # The pack runs on its own and cannot import settings/; this holds the two minimums equal.
    from platform_guard.operations import cloudwatch_log_retention

    schema = cloudwatch_log_retention.config_schema
    assert schema is not None
    assert schema.properties["minimumDays"]["default"] == LOG_RETENTION_MINIMUM_DAYS
    assert schema.properties["productionMinimumDays"]["default"] == PRODUCTION_LOG_RETENTION_MINIMUM_DAYS


@pytest.mark.parametrize(
    ("stack", "minimum"),
    [("staging", LOG_RETENTION_MINIMUM_DAYS), ("prod", PRODUCTION_LOG_RETENTION_MINIMUM_DAYS)],
)
def test_every_retention_below_the_pack_minimum_is_refused_and_the_minimum_passes(
    stack: str, minimum: int
) -> None:
    for days in LOG_RETENTION_DAYS:
        message = _settings_error(stack, {"logRetentionDays": str(days), "flowLogsRetentionDays": str(days)})
        if days < minimum:
            assert message is not None and len(_lines_about(message, "logRetentionDays")) == 1, days
            assert len(_lines_about(message, "flowLogsRetentionDays")) == 1, days
        elif days == minimum:
            assert message is None, message


def test_settings_and_pack_agree_on_production_backup_retention() -> None:
    from platform_guard.operations import prod_database_backup_retention

    schema = prod_database_backup_retention.config_schema
    assert schema is not None
    minimum = schema.properties["minimumDays"]["default"]
    refused = _settings_error("prod", {"dbBackupRetentionDays": str(minimum - 1)})
    assert refused is not None and _lines_about(refused, "dbBackupRetentionDays")
    assert _settings_error("prod", {"dbBackupRetentionDays": str(minimum)}) is None


@pytest.mark.subprocess
def test_the_plan_stops_with_exit_2_one_line_per_mistake_and_nothing_registered() -> None:
    mistakes = {
        "aws:region": "eu-wset-1",
        "dbInstanceClass": "db.t4g.mirco",
        "cacheNodeType": "cache.t4g.mirco",
        "nightlyScaleDownCron": "cron(0 20 * * *)",
        "logRetentionDays": "14",
    }
    result = subprocess.run(
        [sys.executable, "-m", "offline.plan", "--stack", "staging"]
        + [arg for key, value in mistakes.items() for arg in ("-c", f"{key}={value}")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert "to create" not in result.stdout  # no resource was planned
    problems = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(problems) == len(mistakes), result.stderr
    for key in mistakes:
        assert len(_lines_about(result.stderr, key)) == 1, (key, result.stderr)
