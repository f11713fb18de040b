"""The AWS catalogs answer as AWS would: names it has pass, names it lacks are refused with their source."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import pytest

from components import catalogs
from components.app_values import schedule_problem
from components.edge import EDGE_REGION
from components.observability import EDGE_REGION as OBSERVED_EDGE_REGION


def test_regions_come_from_botocore_with_their_partitions() -> None:
    regions = catalogs.regions()
    assert regions["eu-west-1"] == "aws"
    assert regions["cn-north-1"] == "aws-cn"
    assert regions["us-gov-west-1"] == "aws-us-gov"
    assert "aws-global" not in regions  # a global endpoint name, not a place to deploy


def test_the_edge_and_its_alarms_use_the_region_that_signs_cloudfronts_calls() -> None:
    endpoints = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_text())
    (aws,) = (partition for partition in endpoints["partitions"] if partition["partition"] == "aws")
    cloudfront = aws["services"]["cloudfront"]
    signing = cloudfront["endpoints"][cloudfront["partitionEndpoint"]]["credentialScope"]["region"]
    assert catalogs.CLOUDFRONT_REGION == signing == "us-east-1"
    assert EDGE_REGION == OBSERVED_EDGE_REGION == catalogs.CLOUDFRONT_REGION


@pytest.mark.parametrize(
    ("region", "hint"), [("eu-wset-1", "eu-west-1"), ("us-east-3", None), ("EU-WEST-1", None)]
)
def test_a_region_aws_lacks_is_refused_with_the_closest_one(region: str, hint: str | None) -> None:
    problem = catalogs.region_problem(region)
    assert problem is not None and "botocore" in problem
    if hint:
        assert f"did you mean {hint!r}" in problem


def test_the_stacks_classes_and_types_exist() -> None:
    assert catalogs.db_instance_class_problem("db.t4g.micro", "postgres", "17", "eu-west-1") is None
    assert catalogs.db_instance_class_problem("db.m7g.large", "postgres", "17", "eu-west-1") is None
    assert catalogs.cache_node_type_problem("cache.m7g.large", "eu-west-1") is None
    assert catalogs.ec2_instance_type_problem("t4g.nano", "eu-west-1") is None
    assert catalogs.rds_engine_version_problem("postgres", "17") is None
    assert catalogs.cache_engine_version_problem("redis", "7.1") is None


def test_a_db_class_is_judged_per_engine_version_and_region() -> None:
    typo = catalogs.db_instance_class_problem("db.t4g.mirco", "postgres", "17", "eu-west-1")
    assert typo is not None
    assert "not a db instance class for postgres 17 in eu-west-1 (cfn-lint" in typo
    assert "did you mean 'db.t4g.micro'" in typo
    # Offered for PostgreSQL 17, but not in Calgary.
    assert catalogs.db_instance_class_problem("db.m7g.large", "postgres", "17", "eu-west-1") is None
    elsewhere = catalogs.db_instance_class_problem("db.m7g.large", "postgres", "17", "ca-west-1")
    assert elsewhere is not None and "in ca-west-1" in elsewhere
    # Without a usable region, the version's list still judges.
    assert catalogs.db_instance_class_problem("db.t4g.mirco", "postgres", "17", None) is not None


def test_deprecated_minor_is_refused_but_a_bare_major_is_not() -> None:
    problem = catalogs.rds_engine_version_problem("postgres", "16.1")
    assert problem is not None and "deprecated" in problem and "'16'" in problem
    assert catalogs.rds_engine_version_problem("postgres", "16") is None
    unknown = catalogs.rds_engine_version_problem("postgres", "17.40")
    assert unknown is not None and "not a postgres version RDS offers" in unknown


def test_cache_versions_follow_the_engine() -> None:
    assert catalogs.cache_engine_version_problem("valkey", "7.2") is None
    problem = catalogs.cache_engine_version_problem("redis", "7.2")
    assert problem is not None and "7.1" in problem  # the list shows the last Redis OSS version


def test_performance_insights_follows_the_engine_and_class() -> None:
    assert catalogs.performance_insights_problem("postgres", "db.t4g.micro") is None
    assert catalogs.performance_insights_problem("mysql", "db.t4g.micro") is not None
    assert catalogs.performance_insights_problem("mysql", "db.t4g.medium") is None
    assert catalogs.performance_insights_problem("db2-se", "db.m6i.large") is not None


@pytest.mark.parametrize(
    "relative",
    [
        f"{catalogs._RDS}/dbinstanceclass_enum.json",
        f"{catalogs._CACHE}/cachenodetype_enum.json",
        f"{catalogs._EC2}/instancetype_enum.json",
    ],
)
@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1", "af-south-1", "cn-north-1", "us-west-2"])
def test_the_one_region_shortcut_reads_what_the_whole_file_says(relative: str, region: str) -> None:
    assert catalogs._regional_section(relative, region) == catalogs._document(relative).get(region)


def test_the_one_engine_shortcut_reads_what_the_whole_file_says() -> None:
    relative = f"{catalogs._RDS}/db_instance_class.json"
    fast = catalogs._rules_mentioning(relative, '"const": "postgres"')
    full = catalogs._document(relative)["allOf"]

    def postgres(rules: list[dict[str, object]]) -> list[dict[str, object]]:
        return [rule for rule in rules if catalogs._if_const(rule, "Engine") == "postgres"]

    assert postgres(fast) == postgres(full)
    assert len(postgres(full)) > 10


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 20 * * ? *)",
        "cron(0 6 ? * MON-FRI *)",
        "cron(0/15 8-18 ? * 2-6 *)",
        "rate(5 minutes)",
        "rate(1 day)",
        "at(2026-12-24T18:00:00)",
        "cron(0 20 L * ? *)",
        "cron(0 9 ? * 6#3 *)",
    ],
)
def test_schedules_application_auto_scaling_reads(expression: str) -> None:
    assert schedule_problem(expression) is None


def test_without_a_usable_region_names_are_judged_against_every_region() -> None:
    cache_problem = catalogs.cache_node_type_problem("cache.t4g.mirco", None)
    assert cache_problem is not None and "in any region" in cache_problem
    assert catalogs.cache_node_type_problem("cache.t4g.micro", None) is None
    ec2_problem = catalogs.ec2_instance_type_problem("t4g.nanoo", None)
    assert ec2_problem is not None and "in any region" in ec2_problem
    assert catalogs.ec2_instance_type_problem("t4g.nano", None) is None


def test_version_patterns_read_as_literals_match_as_the_regexes_do() -> None:
    import re

    rules = catalogs._document(f"{catalogs._RDS}/db_instance_class.json")["allOf"]
    patterns = {rule["if"]["properties"].get("EngineVersion", {}).get("pattern") for rule in rules} - {None}
    versions = set(catalogs.rds_engine_versions("postgres")) | {"17.4.1", "17.45", "17", "16.10-limitless"}
    for pattern in patterns:
        reading = catalogs._VersionPattern(pattern)
        compiled = re.compile(pattern)
        assert all(reading.match(v) == bool(compiled.match(v)) for v in versions), pattern


def test_services_per_region_come_from_the_catalog() -> None:
    assert catalogs.missing_resource_types(["AWS::Amplify::App", "AWS::RDS::DBInstance"], "eu-west-1") == []
    assert catalogs.missing_resource_types(["AWS::Amplify::App", "AWS::RDS::DBInstance"], "ca-west-1") == [
        "AWS::Amplify::App"
    ]
    assert (
        catalogs.missing_resource_types(["AWS::Amplify::App"], "xx-nowhere-1") == []
    )  # unlisted: no verdict


def test_every_fargate_size_the_settings_accept_is_one_aws_accepts() -> None:
    from components.app_values import FARGATE_SIZES

    aws_sizes = catalogs.fargate_sizes()
    for cpu, memories in FARGATE_SIZES.items():
        assert set(memories) <= set(aws_sizes[cpu]), cpu
