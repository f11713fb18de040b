"""Checks that no single component's config can make: the stack's region and what AWS offers there
(judged against AWS-maintained catalogs, components/catalogs.py), rules between the configs of
several components, and documentation placeholders a real `pulumi up` must not build on. Each
reports on the key that holds the value, after the configs' own validators ran."""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path
from typing import Any

import pulumi
from cryptography.hazmat.primitives import serialization

from components import catalogs
from components.database import snapshot_identifier_problem
from components.storage import media_signing_key_problem

from .reader import Reader, all_config_keys
from .stack import Settings

# Values that fit their pattern but name nothing AWS has, or that AWS refuses only in combination,
# judged against AWS-maintained catalogs (components/catalogs.py) before any resource exists.

DATABASE_ENGINE = "postgres"
# ElastiCache: families whose nodes keep data on local SSD (r6gd) need data
# tiering turned on, which this platform does not do (the Celery queue must stay in memory).
DATA_TIERING_NODE = re.compile(r"cache\.[a-z]+\d+[a-z]*d\.[a-z0-9]+")
# Resource types every stack of this platform creates whose availability differs between regions,
# named as the catalog names them (CloudFormation types).
PLATFORM_RESOURCE_TYPES = (
    "AWS::CloudFront::VpcOrigin",
    "AWS::ECS::Service",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::RDS::DBInstance",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::SecretsManager::Secret",
)
# The components build ARNs and service principals of the commercial partition.
PLATFORM_PARTITION = "aws"
_ACM_ARN_REGION = re.compile(r"^arn:(?P<partition>[a-z-]+):acm:(?P<region>[a-z0-9-]+):")


def read_region(r: Reader) -> str | None:
    """The stack's `aws:region`, or None after reporting why it cannot be used. A missing region is
    refused rather than defaulted: `pulumi up` would deploy wherever the shell's AWS profile points."""
    region = pulumi.Config("aws").get("region")
    if not region:
        near = difflib.get_close_matches(
            "aws:region", sorted(k for k in all_config_keys() if k.startswith("aws:"))
        )
        hint = f" (is '{near[0]}' a misspelling of it?)" if near else ""
        r.errors.append(
            f"aws:region: not set{hint}; `pulumi up` would deploy to whatever region the shell's AWS "
            "credentials name; set it: pulumi config set aws:region <region>, e.g. eu-west-1"
        )
        return None
    problem = catalogs.region_problem(region)
    if problem is None and catalogs.partition_of(region) != PLATFORM_PARTITION:
        problem = (
            f"a region of the {catalogs.partition_of(region)} partition; this platform builds ARNs of the "
            f"'{PLATFORM_PARTITION}' partition ({catalogs.botocore_source()})"
        )
    missing = catalogs.missing_resource_types(PLATFORM_RESOURCE_TYPES, region) if problem is None else []
    if missing:
        problem = f"{region} does not offer {', '.join(missing)}, which this platform creates ({catalogs.cfn_lint_source()})"
    if problem:
        r.errors.append(f"aws:region: got {region!r}; {problem}")
        return None
    return region


def check_stack_region(r: Reader, settings: Settings) -> None:
    """Values judged against the stack's own `aws:region`, which belongs to no component."""
    own_region = pulumi.Config("aws").get("region")
    snapshot = settings.database.snapshot_identifier
    if snapshot:
        problem = snapshot_identifier_problem(snapshot, own_region)
        r.check(problem is None, "dbSnapshotIdentifier", snapshot, problem or "")
    replication = settings.storage.replication_region
    if replication and replication == own_region:
        r.fail(
            "storageReplicationRegion",
            replication,
            f"expected an AWS region other than the stack's own ({own_region}), e.g. 'eu-central-1', or '' for none",
        )


def check_against_aws(r: Reader, settings: Settings, region: str | None) -> None:
    """Names AWS must have and combinations it refuses, each reported on the key that holds it."""
    _check_database(r, settings, region)
    _check_cache(r, settings, region)
    _report(
        r,
        "bastionInstanceType",
        settings.bastion.instance_type,
        catalogs.ec2_instance_type_problem(settings.bastion.instance_type, region),
    )
    repository = settings.edge.amplify_repository
    if repository and region and catalogs.missing_resource_types(["AWS::Amplify::App"], region):
        _report(
            r,
            "amplifyRepository",
            repository,
            f"AWS Amplify is not offered in {region} ({catalogs.cfn_lint_source()}); leave it empty there",
        )
    _check_replication_region(r, settings, region)
    _check_certificate_region(r, settings, region)
    _check_docker_context(r, settings)


def _report(r: Reader, key: str, value: Any, problem: str | None) -> None:
    """One line for `key`'s problem, unless the key was refused already."""
    if problem and not r.refused(key):
        r.fail(key, value, problem)


def _check_database(r: Reader, settings: Settings, region: str | None) -> None:
    database = settings.database
    _report(
        r,
        "dbEngineVersion",
        database.engine_version,
        catalogs.rds_engine_version_problem(DATABASE_ENGINE, database.engine_version),
    )
    if not r.refused("dbEngineVersion"):
        _report(
            r,
            "dbInstanceClass",
            database.instance_class,
            catalogs.db_instance_class_problem(
                database.instance_class, DATABASE_ENGINE, database.engine_version, region
            ),
        )
    if database.performance_insights and not r.refused("dbInstanceClass"):
        _report(
            r,
            "dbPerformanceInsights",
            database.performance_insights,
            catalogs.performance_insights_problem(DATABASE_ENGINE, database.instance_class),
        )


def _check_cache(r: Reader, settings: Settings, region: str | None) -> None:
    cache = settings.cache
    _report(
        r,
        "cacheEngineVersion",
        cache.engine_version,
        catalogs.cache_engine_version_problem(cache.engine, cache.engine_version),
    )
    _report(r, "cacheNodeType", cache.node_type, catalogs.cache_node_type_problem(cache.node_type, region))
    if DATA_TIERING_NODE.fullmatch(cache.node_type):
        _report(
            r,
            "cacheNodeType",
            cache.node_type,
            "a data-tiering node type (local SSD), which ElastiCache creates only with data tiering on; "
            "this platform keeps the cache in memory: choose e.g. cache.r7g.large",
        )


def _check_replication_region(r: Reader, settings: Settings, region: str | None) -> None:
    replication = settings.storage.replication_region
    if not replication or r.refused("storageReplicationRegion"):
        return
    problem = catalogs.region_problem(replication)
    if problem is None and region and catalogs.partition_of(replication) != catalogs.partition_of(region):
        problem = (
            f"in partition {catalogs.partition_of(replication)}, while the stack's region {region} is in "
            f"{catalogs.partition_of(region)}: S3 replicates only within a partition ({catalogs.botocore_source()})"
        )
    _report(r, "storageReplicationRegion", replication, problem)


def _check_certificate_region(r: Reader, settings: Settings, region: str | None) -> None:
    certificate_arn = settings.load_balancer.certificate_arn
    certificate = _ACM_ARN_REGION.match(certificate_arn or "")
    if certificate and region and certificate["region"] != region:
        _report(
            r,
            "albCertificateArn",
            certificate_arn,
            f"a certificate in {certificate['region']}; an ALB uses ACM certificates of its own region "
            f"({region}): request or import the certificate there",
        )


def _check_docker_context(r: Reader, settings: Settings) -> None:
    docker_context = settings.app.docker_context
    if not docker_context or r.refused("appImage"):
        return
    context = Path(docker_context)
    if not context.is_dir():
        _report(
            r, "appDockerContext", docker_context, f"not a directory (relative paths start at {Path.cwd()})"
        )
    elif not (context / "Dockerfile").is_file():
        _report(r, "appDockerContext", docker_context, "the directory has no Dockerfile to build")


def cross_checks(r: Reader, settings: Settings) -> None:
    """Rules that involve settings of more than one tier."""
    app, network = settings.app, settings.network
    if (
        app.ecs_exec_enabled
        and network.interface_endpoints
        and "ssmmessages" not in network.interface_endpoints
    ):
        r.fail(
            "interfaceEndpoints",
            list(network.interface_endpoints),
            "add 'ssmmessages' while ecsExecEnabled is true: ECS Exec sessions use that endpoint "
            "in a VPC that has interface endpoints",
        )
    if (
        app.nightly_scale_down
        and app.container_insights == "disabled"
        # A schedule or time zone refused for itself is reported once, there (and replaced by
        # its default, which the alarm reads).
        and not any(
            r.refused(key) for key in ("nightlyScaleDownCron", "nightlyScaleUpCron", "scheduleTimezone")
        )
        and app.web_wanted_slots is None
    ):
        r.fail(
            "containerInsights",
            app.container_insights,
            "'enabled' or 'enhanced' while nightlyScaleDown uses a schedule the no-healthy-hosts alarm "
            f"cannot turn into hours of the week ({app.nightly_scale_down_cron}, "
            f"{app.nightly_scale_up_cron}): the alarm then reads the web service's DesiredTaskCount, "
            "which only Container Insights publishes. Plain cron(minutes hours day month weekday *) "
            "schedules need no Container Insights",
        )


# Names and numbers documentation reserves (RFC 2606, RFC 6761, AWS's example account): a stack file
# may carry them to be planned, but nothing can be deployed to them.
RESERVED_DOMAINS = re.compile(r"(^|\.)(example\.(com|net|org)|[a-z0-9-]+\.(example|test|invalid|localhost))$")
EXAMPLE_ACCOUNT = "123456789012"
# SHA-256 of the DER of the media signing key in Pulumi.prod.yaml, whose private half was destroyed
# when it was generated: it lets prod be planned, and nothing could ever sign for it.
# (`openssl pkey -pubin -in public_key.pem -outform DER | sha256sum`)
PLACEHOLDER_MEDIA_SIGNING_KEYS = frozenset(
    {"51fb42160372aad8bd9223bb2f3fc756103f13b99da45a29f1ab8fb0032a49b1"}
)


def _public_key_fingerprint(pem: str) -> str:
    der = serialization.load_pem_public_key(pem.encode("ascii")).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def placeholders(r: Reader, settings: Settings) -> list[str]:
    """Keys still set to documentation placeholders, each with what to set instead."""
    found = []
    edge, app = settings.edge, settings.app
    if edge.domain_name and RESERVED_DOMAINS.search(edge.domain_name):
        found.append(f"{r.full_name('domainName')} ({edge.domain_name!r} is a reserved example name)")
    if edge.hosted_zone_id and "EXAMPLE" in edge.hosted_zone_id:
        found.append(f"{r.full_name('hostedZoneId')} ({edge.hosted_zone_id!r} is not a real zone)")
    origin = settings.load_balancer.origin_domain_name
    if origin and RESERVED_DOMAINS.search(origin):
        found.append(f"{r.full_name('albOriginDomainName')} ({origin!r})")
    if app.image and app.image.startswith(f"{EXAMPLE_ACCOUNT}."):
        found.append(f"{r.full_name('appImage')} (account {EXAMPLE_ACCOUNT} is AWS's documentation example)")
    email = settings.observability.alarm_email
    if email and RESERVED_DOMAINS.search(email.rpartition("@")[2]):
        found.append(f"{r.full_name('alarmEmail')} ({email!r} receives no mail)")
    for origin in settings.storage.cors_origins:
        host = origin.split("://", 1)[-1].split(":", 1)[0]
        if RESERVED_DOMAINS.search(host):
            found.append(f"{r.full_name('storageCorsOrigins')} ({origin!r})")
    key = settings.storage.media_signing_public_key
    if (
        key
        and not media_signing_key_problem(key)
        and _public_key_fingerprint(key) in PLACEHOLDER_MEDIA_SIGNING_KEYS
    ):
        found.append(
            f"{r.full_name('mediaSigningPublicKey')} (a sample key nobody holds the private half of)"
        )
    return found
