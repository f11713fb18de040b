"""S3: encrypted, fully blocked from public access, no public ACL or policy grant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .policy_documents import public_statements
from .props import UNKNOWN, Judge, is_sequence, truthy
from .rule import Stack, Subject, resource_rule, stack_rule
from .stack_graph import BUCKET_TYPES, BucketIndex, label

SSE_TYPES = frozenset(
    {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    }
)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ACL_TYPES = frozenset({"aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"})
OBJECT_TYPES = frozenset({"aws:s3/bucketObject:BucketObject", "aws:s3/bucketObjectv2:BucketObjectv2"})
POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"

# SSE-S3 (AES256) counts: ALB access logs can only be delivered to an SSE-S3 bucket.
ENCRYPTION_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _algorithms(r: Judge, value: Any, where: str) -> list[Any]:
    """Every `sseAlgorithm` inside an encryption configuration, whatever its nesting (the inline
    block of Bucket, the list form of BucketV2, the `rules` of the separate resource)."""
    found: list[Any] = []
    if value is UNKNOWN:
        return [UNKNOWN]
    if isinstance(value, Mapping):
        for key in value:
            item = r.get(value, key, label=f"{where}.{key}")
            if key == "sseAlgorithm":
                found.append(item)
            else:
                found.extend(_algorithms(r, item, f"{where}.{key}"))
    elif is_sequence(value):
        for index, item in r.items(value, label=where):
            found.extend(_algorithms(r, item, f"{where}[{index}]"))
    return found


# --- s3-bucket-encrypted ---------------------------------------------------------------------


def _buckets_encrypted(stack: Stack) -> None:
    index = BucketIndex(stack.resources, stack)
    configs = index.attached(SSE_TYPES)
    for config in (r for r in stack.resources if r.resource_type in SSE_TYPES):
        algorithms = _algorithms(stack, stack.get(config.props, "rules"), f"{label(config)} rules")
        bad = [a for a in algorithms if a is not UNKNOWN and a not in ENCRYPTION_ALGORITHMS]
        if bad or not algorithms:
            stack.report(
                f"{label(config)} sets no valid default encryption ({bad or 'no rule'}); use aws:kms "
                "with the stack's key, or AES256 where a service requires SSE-S3.",
                config,
            )
        if not index.owners(config):
            stack.outside(f"the bucket of {label(config)}")
    for bucket in index.buckets:
        if configs[bucket.urn]:
            continue
        # No separate configuration: only an inline one (older Bucket/BucketV2 forms) can count.
        inline = None
        for key in ("serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations"):
            value = stack.get(bucket.props, key, label=f"{label(bucket)} {key}")
            if value is not None:
                inline = value
        algorithms = [] if inline is None else _algorithms(stack, inline, label(bucket))
        if any(a in ENCRYPTION_ALGORITHMS for a in algorithms) or inline is UNKNOWN:
            continue
        stack.report(
            f"bucket '{bucket.name}' has no default encryption configuration. Add an "
            "aws.s3.BucketServerSideEncryptionConfiguration (aws:kms with the stack's key; AES256 only "
            "where a service such as ALB access logging requires SSE-S3).",
            bucket,
        )


s3_bucket_encrypted = stack_rule(
    name="s3-bucket-encrypted",
    description=(
        "Every S3 bucket declares default encryption (SSE-KMS, or SSE-S3 where a service needs it) "
        "through its BucketServerSideEncryptionConfiguration, so no object is stored in the clear."
    ),
    types=SSE_TYPES | BUCKET_TYPES,
    reads=["rules", "serverSideEncryptionConfiguration"],
    check=_buckets_encrypted,
)


# --- s3-public-access-block ------------------------------------------------------------------


def _missing_flags(r: Judge, resource: Any) -> list[str] | Any:
    missing = []
    for flag in BLOCK_FLAGS:
        value = r.get(resource.props, flag, label=f"{label(resource)} {flag}")
        if value is UNKNOWN:
            return UNKNOWN
        if not truthy(value):
            missing.append(flag)
    return missing


def _public_access_blocked(stack: Stack) -> None:
    index = BucketIndex(stack.resources, stack)
    account_blocked = False
    for account in (r for r in stack.resources if r.resource_type == ACCOUNT_PUBLIC_ACCESS_BLOCK):
        missing = _missing_flags(stack, account)
        if missing is UNKNOWN:
            continue
        if missing:
            stack.report(f"the account public access block leaves {', '.join(missing)} off.", account)
        else:
            account_blocked = True
    blocks = index.attached({PUBLIC_ACCESS_BLOCK})
    for block in (r for r in stack.resources if r.resource_type == PUBLIC_ACCESS_BLOCK):
        missing = _missing_flags(stack, block)
        if missing and missing is not UNKNOWN:
            owners = ", ".join(f"'{b.name}'" for b in index.owners(block)) or "its bucket"
            stack.report(
                f"public access block '{block.name}' for {owners} leaves {', '.join(missing)} off: a public ACL or bucket "
                "policy would take effect. Set all four flags to true.",
                block,
            )
    if account_blocked:
        stack.settle()
        return
    for bucket in index.buckets:
        if not blocks[bucket.urn]:
            stack.report(
                f"bucket '{bucket.name}' has no public access block, so nothing stops a public ACL or "
                "policy. Add an aws.s3.BucketPublicAccessBlock with all four flags true; CloudFront "
                "reads through Origin Access Control and uploads use presigned URLs, neither needs "
                "public access.",
                bucket,
            )


s3_public_access_block = stack_rule(
    name="s3-public-access-block",
    description=(
        "Every S3 bucket has a public access block with blockPublicAcls, blockPublicPolicy, "
        "ignorePublicAcls and restrictPublicBuckets all true (or the stack sets them account-wide)."
    ),
    types={PUBLIC_ACCESS_BLOCK, ACCOUNT_PUBLIC_ACCESS_BLOCK},
    reads=list(BLOCK_FLAGS),
    check=_public_access_blocked,
)


# --- s3-no-public-acl ------------------------------------------------------------------------

PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GRANTEES = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)


def _public_acl(r: Subject) -> None:
    kind = r.type
    acl = r.get(r.props, "acl")
    if isinstance(acl, str) and acl.strip().lower() in PUBLIC_CANNED_ACLS:
        r.report(
            f"canned ACL '{acl}' makes the {'object' if kind in OBJECT_TYPES else 'bucket'} readable by "
            "anyone. Keep ACLs disabled (ownership BucketOwnerEnforced); serve reads through CloudFront "
            "and uploads through presigned URLs."
        )
    grants: list[tuple[str, Any]] = []
    if kind in BUCKET_TYPES:
        grants = [(f"grants[{i}]", g) for i, g in r.items(r.props, "grants")]
    elif kind in ACL_TYPES:
        grants = [
            (f"accessControlPolicy.grants[{i}]", r.get(g, "grantee", label=f"grants[{i}].grantee"))
            for i, g in r.items(r.props, "accessControlPolicy", "grants")
        ]
    for where, grant in grants:
        uri = r.get(grant, "uri", label=f"{where}.uri")
        if isinstance(uri, str) and uri in PUBLIC_GRANTEES:
            r.report(f"{where} grants access to {uri.rsplit('/', 1)[-1]}. Remove the grant.")


s3_no_public_acl = resource_rule(
    name="s3-no-public-acl",
    description=(
        "No bucket or object ACL grants access to everyone or to any AWS account holder "
        "(public-read, public-read-write, authenticated-read, AllUsers/AuthenticatedUsers grants)."
    ),
    types=BUCKET_TYPES | ACL_TYPES | OBJECT_TYPES,
    reads=["acl", "grants", "accessControlPolicy"],
    check=_public_acl,
)


# --- s3-policy-no-public-principal -----------------------------------------------------------


def _policy_public(r: Subject) -> None:
    document = r.json(r.props, "policy")
    if document is not UNKNOWN and document is not None:
        for finding in public_statements(document):
            r.report(
                f"{finding} with no condition pinning the caller (e.g. AWS:SourceArn of the CloudFront "
                "distribution, aws:SourceVpce). Grant the service principal or role that needs access."
            )


s3_policy_no_public_principal = resource_rule(
    name="s3-policy-no-public-principal",
    description=(
        "No bucket policy allows principal '*' unless a condition pins the caller (AWS:SourceArn, "
        "aws:SourceAccount, aws:SourceVpce, aws:PrincipalOrgID...); Deny statements are fine."
    ),
    types={POLICY_TYPE, *BUCKET_TYPES},
    reads=["policy"],
    check=_policy_public,
)


POLICIES = [s3_bucket_encrypted, s3_public_access_block, s3_no_public_acl, s3_policy_no_public_principal]
