"""Stand-in handles for component tests: each producer's record with made-up values, any field
overridable (`placement(vpc_id="vpc-1")`)."""

from __future__ import annotations

from typing import Any

from components.handles import (
    AlbTarget,
    Buckets,
    CacheEndpoint,
    DatabaseEndpoint,
    Placement,
    RunningServices,
    Site,
    StackWide,
    WorkloadGroups,
)

VPC_ID = "vpc-0a1b2c3d4e5f60718"
VPC_CIDR = "10.0.0.0/16"
APP_SUBNETS = ["subnet-0aaa1111bbbb22223", "subnet-0ccc3333dddd44445"]
DATA_SUBNETS = ["subnet-0eee5555ffff66667", "subnet-0999888877776666a"]
WEB_SG = "sg-0web0000000000001"
WORKER_SG = "sg-0worker0000000002"
KMS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


def stack_wide(**changes: Any) -> StackWide:
    values: dict[str, Any] = {
        "physical_name": "epicvibe-test",
        "kms_key_arn": KMS_KEY_ARN,
        "keep_data": False,
        "log_retention_days": 30,
        "tags": {},
    }
    return StackWide(**{**values, **changes})


def placement(**changes: Any) -> Placement:
    values: dict[str, Any] = {
        "vpc_id": VPC_ID,
        "vpc_cidr": VPC_CIDR,
        "app_subnet_ids": APP_SUBNETS,
        "data_subnet_ids": DATA_SUBNETS,
    }
    return Placement(**{**values, **changes})


def workload_groups(**changes: Any) -> WorkloadGroups:
    values: dict[str, Any] = {"web_security_group_id": WEB_SG, "worker_security_group_id": WORKER_SG}
    return WorkloadGroups(**{**values, **changes})


def database_endpoint(**changes: Any) -> DatabaseEndpoint:
    values: dict[str, Any] = {
        "address": "epicvibe.cabcdefghijk.eu-west-1.rds.amazonaws.com",
        "port": 5432,
        "name": "epicvibe",
        "reader_addresses": [],
        "resource_ids": ["db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"],
        "app_username": "app",
        "instance_identifier": "epicvibe",
        "replica_identifiers": [],
    }
    return DatabaseEndpoint(**{**values, **changes})


def cache_endpoint(**changes: Any) -> CacheEndpoint:
    values: dict[str, Any] = {
        "primary_address": "master.epicvibe.abcdef.euw1.cache.amazonaws.com",
        "reader_address": "replica.epicvibe.abcdef.euw1.cache.amazonaws.com",
        "port": 6379,
        "auth_secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:epicvibe-redis-auth-GhIjKl",
        "auth_secret_name": "epicvibe-redis-auth",
        "replication_group_id": "epicvibe",
        "node_count": 2,
    }
    return CacheEndpoint(**{**values, **changes})


def buckets(**changes: Any) -> Buckets:
    values: dict[str, Any] = {
        "media_name": "epicvibe-media-0a1b2c3",
        "media_arn": "arn:aws:s3:::epicvibe-media-0a1b2c3",
        "media_regional_domain_name": "epicvibe-media-0a1b2c3.s3.eu-west-1.amazonaws.com",
        "static_name": "epicvibe-static-0a1b2c3",
        "static_regional_domain_name": "epicvibe-static-0a1b2c3.s3.eu-west-1.amazonaws.com",
        "log_name": "epicvibe-logs-0a1b2c3",
        "media_signing": None,
    }
    return Buckets(**{**values, **changes})


def alb_target(**changes: Any) -> AlbTarget:
    values: dict[str, Any] = {
        "arn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/epicvibe/0123456789abcdef",
        "arn_suffix": "app/epicvibe/0123456789abcdef",
        "dns_name": "internal-epicvibe-123456789.eu-west-1.elb.amazonaws.com",
        "https": False,
        "origin_domain_name": None,
        "idle_timeout_seconds": 60,
        "target_group_arn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef",
        "target_group_arn_suffix": "targetgroup/web/0123456789abcdef",
    }
    return AlbTarget(**{**values, **changes})


def site(**changes: Any) -> Site:
    values: dict[str, Any] = {
        "url": "https://www.epicvibe.example",
        "host": "www.epicvibe.example",
        "origin_host": "internal-epicvibe-123456789.eu-west-1.elb.amazonaws.com",
        "distribution_id": "E1ABCDEFGHIJKL",
        "distribution_arn": "arn:aws:cloudfront::123456789012:distribution/E1ABCDEFGHIJKL",
        "waf_metric_name": None,
    }
    return Site(**{**values, **changes})


def running_services(**changes: Any) -> RunningServices:
    values: dict[str, Any] = {
        "cluster_name": "epicvibe",
        "web_service_name": "epicvibe-web",
        "worker_service_name": "epicvibe-worker",
    }
    return RunningServices(**{**values, **changes})
