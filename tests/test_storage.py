"""S3: private, encrypted buckets with TLS-only policies, lifecycle, CORS for uploads, replication."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components.storage import Storage, StorageArgs, StorageConfig
from offline.engine import ProgramRun, RegisteredResource, Registrations
from tests._handles import stack_wide
from tests.test_storage_pieces import storage_config

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/unit"
DISTRIBUTION_ARN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2UNIT"
# No extra upload origins, no replication, no signing: the buckets alone.
PLAIN = storage_config(cors_origins=(), replication_region="")


def buckets(run: Registrations) -> dict[str, RegisteredResource]:
    return {b.inputs["tags"]["Role"]: b for b in run.of_type(BUCKET)}


def attached(run: Registrations, type_token: str, bucket: RegisteredResource) -> list[RegisteredResource]:
    """Configuration resources of `type_token` that name this bucket."""
    return [r for r in run.of_type(type_token) if r.inputs.get("bucket") == bucket.outputs["bucket"]]


def one(run: Registrations, type_token: str, bucket: RegisteredResource) -> dict:
    (resource,) = attached(run, type_token, bucket)
    return resource.inputs


def statements(run: Registrations, bucket: RegisteredResource) -> list[dict]:
    return json.loads(one(run, POLICY, bucket)["policy"])["Statement"]


@pytest.mark.parametrize(
    ("stack", "roles"),
    [("staging", {"media", "static", "logs"}), ("prod", {"media", "static", "logs", "media-replica"})],
)
def test_every_bucket_is_private_owner_enforced_encrypted_and_tls_only(
    stack_runs: dict[str, ProgramRun], stack: str, roles: set[str]
) -> None:
    run = stack_runs[stack]
    assert set(buckets(run)) == roles
    for role, bucket in buckets(run).items():
        block = one(run, PUBLIC_ACCESS_BLOCK, bucket)
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            assert block[flag] is True, (role, flag)
        assert one(run, OWNERSHIP, bucket)["rule"] == {"objectOwnership": "BucketOwnerEnforced"}, role
        assert "acl" not in bucket.inputs and "grants" not in bucket.inputs, role
        assert one(run, ENCRYPTION, bucket)["rules"][0]["applyServerSideEncryptionByDefault"][
            "sseAlgorithm"
        ] in (
            "aws:kms",
            "AES256",
        )
        deny_plain_http = next(s for s in statements(run, bucket) if s["Sid"] == "DenyInsecureTransport")
        assert deny_plain_http["Effect"] == "Deny"
        assert deny_plain_http["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert set(deny_plain_http["Resource"]) == {bucket.outputs["arn"], bucket.outputs["arn"] + "/*"}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_no_bucket_policy_grants_anyone_without_a_service_principal(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    for bucket in buckets(run).values():
        for statement in statements(run, bucket):
            if statement["Principal"] == "*" or statement["Principal"] == {"AWS": "*"}:
                assert statement["Effect"] == "Deny" and statement["Condition"], statement
            else:
                assert statement["Effect"] == "Allow"
                assert set(statement["Principal"]) <= {"Service", "AWS"}
                assert statement["Principal"] != {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_media_and_static_use_the_stack_key_logs_use_sse_s3(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    key_arn = run.stack_outputs["kmsKeyArn"]
    found = buckets(run)
    for role in ("media", "static"):
        rule = one(run, ENCRYPTION, found[role])["rules"][0]
        assert rule["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": key_arn,
        }
        assert rule["bucketKeyEnabled"] is True
    assert one(run, ENCRYPTION, found["logs"])["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "AES256"
    }


@pytest.mark.parametrize(("stack", "protected"), [("staging", False), ("prod", True)])
def test_buckets_are_protected_and_not_force_destroyed_only_where_data_is_kept(
    stack_runs: dict[str, ProgramRun], stack: str, protected: bool
) -> None:
    for role, bucket in buckets(stack_runs[stack]).items():
        assert bucket.protect is protected, role
        assert bucket.inputs["forceDestroy"] is (not protected), role


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_media_is_versioned_and_tiered_static_is_not(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    found = buckets(run)
    assert one(run, VERSIONING, found["media"])["versioningConfiguration"] == {"status": "Enabled"}
    assert attached(run, VERSIONING, found["static"]) == []
    rules = {rule["id"]: rule for rule in one(run, LIFECYCLE, found["media"])["rules"]}
    assert rules["tier-current-versions"]["transitions"] == [
        {"days": 30, "storageClass": "STANDARD_IA"},
        {"days": 180, "storageClass": "GLACIER_IR"},
    ]
    old_versions = rules["expire-old-versions"]
    assert old_versions["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert old_versions["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert all(rule["status"] == "Enabled" for rule in rules.values())
    static_rules = one(run, LIFECYCLE, found["static"])["rules"]
    assert [r["id"] for r in static_rules] == ["abort-incomplete-uploads"]
    assert "transitions" not in static_rules[0]


def test_lifecycle_days_follow_the_settings(run_stack: Callable[..., ProgramRun]) -> None:
    run = run_stack(
        "staging",
        storageIaTransitionDays="60",
        storageGlacierTransitionDays="365",
        storageNoncurrentExpirationDays="30",
        storageLogExpirationDays="14",
    )
    found = buckets(run)
    rules = {rule["id"]: rule for rule in one(run, LIFECYCLE, found["media"])["rules"]}
    assert [t["days"] for t in rules["tier-current-versions"]["transitions"]] == [60, 365]
    assert rules["expire-old-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert one(run, LIFECYCLE, found["logs"])["rules"][0]["expiration"] == {"days": 14}


@pytest.mark.parametrize(("stack", "days"), [("staging", 90), ("prod", 365)])
def test_access_logs_expire(stack_runs: dict[str, ProgramRun], stack: str, days: int) -> None:
    run = stack_runs[stack]
    (rule,) = one(run, LIFECYCLE, buckets(run)["logs"])["rules"]
    assert rule["expiration"] == {"days": days}


def test_log_bucket_admits_alb_and_cloudfront_log_delivery_under_their_prefixes(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["prod"]
    logs = buckets(run)["logs"]
    arn = logs.outputs["arn"]
    by_sid = {s["Sid"]: s for s in statements(run, logs)}
    alb = by_sid["AlbAccessLogs"]
    # eu-west-1 predates the log-delivery service principal: the regional ELB account writes.
    assert alb["Principal"] == {"AWS": "arn:aws:iam::156460612806:root"}
    assert alb["Resource"] == f"{arn}/alb/AWSLogs/{ACCOUNT}/*"
    cloudfront = by_sid["CloudFrontLogsThroughLogDelivery"]
    assert cloudfront["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert cloudfront["Resource"] == f"{arn}/cloudfront/*"
    assert cloudfront["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    assert by_sid["LogDeliveryChecksBucketAcl"]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


def test_newer_regions_use_the_log_delivery_service_principal() -> None:
    from components.storage import log_bucket_policy

    policy = json.loads(log_bucket_policy("arn:aws:s3:::logs", ACCOUNT, "ap-southeast-5"))
    alb = next(s for s in policy["Statement"] if s["Sid"] == "AlbAccessLogs")
    assert alb["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stacks_grant_read_only_to_their_own_distribution_and_uploads_only_from_the_site(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    (distribution,) = run.of_type("aws:cloudfront/distribution:Distribution")
    distribution_arn = distribution.outputs["arn"]
    for role in ("media", "static"):
        found = statements(run, buckets(run)[role])
        allows = [s for s in found if s["Effect"] == "Allow"]
        assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
        assert allows[0]["Condition"]["StringEquals"]["AWS:SourceArn"] == distribution_arn
        assert sum(1 for s in found if s["Effect"] == "Deny") == 2
    (cors,) = run.of_type(CORS)
    (rule,) = cors.inputs["corsRules"]
    assert rule["allowedOrigins"] == [run.stack_outputs["siteUrl"]]


def test_cors_allows_presigned_uploads_from_exactly_the_configured_origins(
    run_stack: Callable[..., ProgramRun],
) -> None:
    run = run_stack("staging", storageCorsOrigins='["https://app.example.com", "http://localhost:8000"]')
    (cors,) = run.of_type(CORS)
    assert cors.inputs["bucket"] == run.stack_outputs["mediaBucketName"]
    (rule,) = cors.inputs["corsRules"]
    assert rule["allowedOrigins"] == [
        "https://app.example.com",
        "http://localhost:8000",
        run.stack_outputs["siteUrl"],
    ]
    assert sorted(rule["allowedMethods"]) == ["POST", "PUT"]
    assert "*" not in rule["allowedHeaders"]
    assert rule["exposeHeaders"] == ["ETag"]


def served(config: StorageConfig = PLAIN, **through: Any) -> Callable[[], Storage]:
    """A Storage served through a distribution the way __main__ does it, once the edge exists."""

    def construct() -> Storage:
        storage = Storage(
            "unit", StorageArgs(config=config, stack=stack_wide(kms_key_arn=KEY_ARN, tags={"Team": "data"}))
        )
        storage.serve_through(**{"distribution_arn": DISTRIBUTION_ARN, **through})
        return storage

    return construct


def test_a_distribution_arn_grants_that_distribution_read_access_and_nothing_else(
    build: Callable[..., Registrations],
) -> None:
    built = build(served())
    found = buckets(built)
    for role in ("media", "static"):
        grant = next(s for s in statements(built, found[role]) if s["Effect"] == "Allow")
        assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert grant["Action"] == "s3:GetObject"
        assert grant["Resource"] == found[role].outputs["arn"] + "/*"
        assert grant["Condition"] == {"StringEquals": {"AWS:SourceArn": DISTRIBUTION_ARN}}
    assert not any(
        s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in statements(built, found["logs"])
    )


def test_without_a_distribution_the_content_buckets_are_tls_only_and_admit_nobody(
    build: Callable[..., Registrations],
) -> None:
    built = build(served(distribution_arn=None))
    for role in ("media", "static"):
        found = statements(built, buckets(built)[role])
        assert found and all(s["Effect"] == "Deny" for s in found), role
    # No configured origins and no site origin: browsers cannot upload directly.
    assert built.of_type(CORS) == []


def test_the_site_origin_may_upload_after_the_configured_ones(build: Callable[..., Registrations]) -> None:
    config = storage_config(cors_origins=("https://app.example.com",), replication_region="")
    built = build(served(config, site_origin="https://www.example.com"))
    (cors,) = built.of_type(CORS)
    assert cors.inputs["corsRules"][0]["allowedOrigins"] == [
        "https://app.example.com",
        "https://www.example.com",
    ]


def test_the_content_bucket_policies_and_cors_come_from_serve_through_once(
    build: Callable[..., Registrations],
) -> None:
    """The ALB waits for the log bucket's policy, which cannot wait for the distribution (that waits
    for the ALB): the constructor creates it; the content buckets' policies and CORS come later."""

    def construct() -> None:
        storage = Storage("unit", StorageArgs(config=PLAIN, stack=stack_wide(kms_key_arn=KEY_ARN)))
        storage.serve_through(distribution_arn=DISTRIBUTION_ARN, site_origin="https://www.example.com")
        with pytest.raises(ValueError, match="serve_through is called once"):
            storage.serve_through(distribution_arn=DISTRIBUTION_ARN)

    built = build(construct)
    policies = sorted(p.name for p in built.of_type(POLICY))
    assert policies == ["unit-logs-policy", "unit-media-policy", "unit-static-policy"]
    assert [c.name for c in built.of_type(CORS)] == ["unit-media-cors"]


def test_before_serve_through_only_the_log_bucket_has_a_policy(build: Callable[..., Registrations]) -> None:
    built = build(lambda: Storage("unit", StorageArgs(config=PLAIN, stack=stack_wide(kms_key_arn=KEY_ARN))))
    assert [p.name for p in built.of_type(POLICY)] == ["unit-logs-policy"]
    assert built.of_type(CORS) == []


def test_prod_replicates_media_to_another_region_with_its_own_key(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    found = buckets(run)
    replica = found["media-replica"]
    assert replica.inputs["region"] == "eu-central-1"
    assert one(run, VERSIONING, replica)["versioningConfiguration"] == {"status": "Enabled"}
    replica_key = run.named("epicvibe-storage-replica-key")
    assert replica_key.inputs["region"] == "eu-central-1" and replica_key.inputs["enableKeyRotation"] is True
    assert replica_key.protect is True
    assert (
        one(run, ENCRYPTION, replica)["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
        == (replica_key.outputs["arn"])
    )
    (config,) = run.of_type(REPLICATION)
    assert config.inputs["bucket"] == run.stack_outputs["mediaBucketName"]
    (rule,) = config.inputs["rules"]
    assert rule["destination"]["bucket"] == replica.outputs["arn"]
    assert rule["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": replica_key.outputs["arn"]}
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    # Replication refuses to start before versioning is on at both ends.
    versioning_urns = {v.urn for v in run.of_type(VERSIONING)}
    assert versioning_urns <= set(config.dependencies)


def test_replication_role_is_scoped_to_the_two_buckets_and_the_two_keys(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["prod"]
    found = buckets(run)
    media, replica = found["media"].outputs["arn"], found["media-replica"].outputs["arn"]
    keys = {run.stack_outputs["kmsKeyArn"], run.named("epicvibe-storage-replica-key").outputs["arn"]}
    trust = json.loads(run.named("epicvibe-storage-replication-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    policy = json.loads(run.named("epicvibe-storage-replication-policy").inputs["policy"])
    resources: set[str] = set()
    for statement in policy["Statement"]:
        listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in listed
        resources.update(listed)
        if statement["Action"][0].startswith("kms:") or statement["Action"] == "kms:Decrypt":
            assert "kms:ViaService" in statement["Condition"]["StringEquals"]
    assert resources == {media, f"{media}/*", f"{replica}/*", *keys}


def test_staging_does_not_replicate(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["staging"]
    assert run.of_type(REPLICATION) == []
    assert [r for r in run.resources if "replica" in r.name and r.type.startswith("aws:s3")] == []


def test_stack_outputs_name_the_buckets(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["staging"]
    found = buckets(run)
    assert run.stack_outputs["mediaBucketName"] == found["media"].outputs["bucket"]
    assert run.stack_outputs["staticBucketName"] == found["static"].outputs["bucket"]
    assert run.stack_outputs["logBucketName"] == found["logs"].outputs["bucket"]


def test_component_children_all_hang_under_it_and_buckets_report_regional_names(
    build: Callable[..., Registrations],
) -> None:
    built = build(served(site_origin="https://www.example.com"))
    component = built.named("unit")
    assert component.type == "django-platform:storage:Storage"
    assert all(child.parent == component.urn for child in built.resources if child is not component)
    for bucket in buckets(built).values():
        assert bucket.inputs["tags"]["Team"] == "data"
        assert (
            bucket.outputs["bucketRegionalDomainName"]
            == f"{bucket.outputs['bucket']}.s3.eu-west-1.amazonaws.com"
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ia_transition_days": 10}, "from 30 to 3620"),
        ({"glacier_transition_days": 40}, "from 60 to 3650"),
        ({"noncurrent_expiration_days": 0}, "from 1 to 3650"),
        ({"cors_origins": ("*",)}, "no wildcard"),
        ({"cors_origins": ("http://evil.example.com",)}, "'https://app.example.com'"),
        ({"replication_region": "mars"}, "eu-central-1"),
    ],
)
def test_bad_config_is_refused_with_the_fix(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StorageArgs(config=storage_config(**kwargs), stack=stack_wide(kms_key_arn=KEY_ARN))
