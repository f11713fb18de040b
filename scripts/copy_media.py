#!/usr/bin/env python3
"""Copy every object of the old (public) images bucket into the stack's private media bucket, and
prove each copy.

    pulumi stack output --json --stack <org>/prod > outputs.json   # mediaBucketName, kmsKeyArn, awsRegion
    python -m scripts.copy_media --stack-outputs outputs.json \\
        --source-bucket maple-quest-images-123456789012-us-west-2 --source-region us-west-2 --dry-run

Keys are kept, or `--source-prefix images/ --target-prefix media/images/` maps one prefix onto
another (only keys under --source-prefix are copied). Listing pages through any number of objects.

Each object is copied server-side (CopyObject) with SSE-KMS under the stack key, the bucket key on,
and no ACL: the media bucket enforces bucket-owner ownership, and nothing here ever sets an ACL or
a bucket policy. What is verified, for every object:
  - the source bytes are read and hashed here (SHA-256); their length must equal the listed size,
    and for a single-part source without SSE-KMS their MD5 must equal its ETag;
  - the copy is made only of that exact source version (CopySourceIfMatch on the ETag);
  - S3 computes the copy's own SHA-256 (ChecksumAlgorithm), which must equal the source's, and the
    copy's size, encryption and key are read back (HeadObject).
A mismatch is a failure: it is listed in the report and the exit code is 1. The source's ETag and
SHA-256 are stored on the copy (x-amz-meta-source-etag / -source-sha256), so a later run skips an
object whose copy still proves itself (S3's checksum equals the stored one, the source's ETag is
unchanged) and redoes anything else: an interrupted run resumes by running it again.

Throttling: botocore's adaptive retries, then this script's own exponential backoff with jitter for
SlowDown and its kin. --dry-run lists and compares only; it writes nothing.
Exit codes: see scripts/_aws.py (0 all verified, 1 some objects failed).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from scripts._aws import (
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    THROTTLED,
    ScriptError,
    account_of,
    client,
    error_code,
    explain,
    fail,
    load_stack_outputs,
    pick,
    region_of_arn,
    say,
)

SOURCE_ETAG = "source-etag"
SOURCE_SHA256 = "source-sha256"
COPY_LIMIT = 5 * 1024**3  # CopyObject copies objects up to 5 GiB in one request.
CHUNK = 1024 * 1024
# Headers a copy with MetadataDirective=REPLACE must restate to keep them.
KEPT_HEADERS = ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage")


@dataclass(frozen=True)
class Plan:
    source_bucket: str
    source_region: str
    target_bucket: str
    target_region: str
    kms_key: str
    source_prefix: str = ""
    target_prefix: str = ""
    page_size: int = 1000
    dry_run: bool = False
    max_backoff_attempts: int = 8

    def target_key(self, key: str) -> str:
        return self.target_prefix + key[len(self.source_prefix) :]


@dataclass
class Report:
    copied: int = 0
    skipped: int = 0
    would_copy: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def listed(self) -> int:
        return self.copied + self.skipped + self.would_copy + len(self.failed)


class Backoff:
    """Retry a call while S3 keeps throttling it after botocore's own retries gave up."""

    def __init__(
        self, attempts: int, sleep: Callable[[float], None], jitter: Callable[[], float] = random.random
    ) -> None:
        self.attempts = attempts
        self.sleep = sleep
        self.jitter = jitter
        self.waits = 0

    def __call__(self, call: Callable[..., Any], **kwargs: Any) -> Any:
        for attempt in range(self.attempts + 1):
            try:
                return call(**kwargs)
            except ClientError as error:
                if error_code(error) not in THROTTLED or attempt == self.attempts:
                    raise
                delay = min(60.0, 0.5 * 2**attempt) * (0.5 + self.jitter())
                self.waits += 1
                say(f"  throttled ({error_code(error)}); waiting {delay:.1f} s")
                self.sleep(delay)
        raise AssertionError("unreachable")


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def bucket_region(s3: Any, bucket: str, role: str, expected_owner: str | None = None) -> str:
    """The bucket's region; a missing bucket or no permission stops the run before anything is copied."""
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if expected_owner:
        kwargs["ExpectedBucketOwner"] = expected_owner
    try:
        location = s3.get_bucket_location(**kwargs).get("LocationConstraint")
    except ClientError as error:
        if error_code(error) in ("NoSuchBucket", "404"):
            raise ScriptError(f"{role} bucket {bucket} does not exist (NoSuchBucket)", 66) from error
        raise explain(error, f"read the {role} bucket {bucket}") from error
    except BotoCoreError as error:
        raise explain(error, f"read the {role} bucket {bucket}") from error
    # GetBucketLocation answers None for us-east-1 and the legacy "EU" for eu-west-1.
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)


def preflight(plan: Plan, source: Any, target: Any, account: str) -> None:
    for role, s3, bucket, region, flag, owner in (
        ("source", source, plan.source_bucket, plan.source_region, "--source-region", None),
        ("target", target, plan.target_bucket, plan.target_region, "--region", account),
    ):
        actual = bucket_region(s3, bucket, role, owner)
        if actual != region:
            raise ScriptError(
                f"{role} bucket {bucket} is in {actual}, not {region}; pass {flag} {actual}", EXIT_USAGE
            )
    key_region = region_of_arn(plan.kms_key)
    if key_region != plan.target_region:
        raise ScriptError(
            f"the KMS key {plan.kms_key} must be an ARN in the media bucket's region {plan.target_region} "
            "(SSE-KMS uses a key of the bucket's region); pass the stack output kmsKeyArn",
            EXIT_USAGE,
        )


def list_source(s3: Any, plan: Plan, backoff: Backoff) -> Iterator[dict[str, Any]]:
    """Every object under the source prefix, one page of --page-size at a time."""
    token: str | None = None
    page = 0
    while True:
        kwargs: dict[str, Any] = {
            "Bucket": plan.source_bucket,
            "Prefix": plan.source_prefix,
            "MaxKeys": plan.page_size,
        }
        if token:
            kwargs["ContinuationToken"] = token
        try:
            response = backoff(s3.list_objects_v2, **kwargs)
        except (ClientError, BotoCoreError) as error:
            raise explain(error, f"list the source bucket {plan.source_bucket}") from error
        page += 1
        contents = response.get("Contents", [])
        say(f"page {page}: {len(contents)} objects")
        yield from contents
        if not response.get("IsTruncated"):
            return
        token = response["NextContinuationToken"]


def proven_copy(head: dict[str, Any], etag: str, size: int, plan: Plan) -> bool:
    """Whether an existing copy proves itself: S3's checksum equals the source's, source unchanged."""
    metadata = head.get("Metadata", {})
    return (
        head.get("ContentLength") == size
        and metadata.get(SOURCE_ETAG) == etag
        and bool(head.get("ChecksumSHA256"))
        and head.get("ChecksumSHA256") == metadata.get(SOURCE_SHA256)
        and head.get("ServerSideEncryption") == "aws:kms"
        and head.get("SSEKMSKeyId") == plan.kms_key
    )


def head_target(s3: Any, plan: Plan, key: str, backoff: Backoff) -> dict[str, Any] | None:
    try:
        return dict(backoff(s3.head_object, Bucket=plan.target_bucket, Key=key, ChecksumMode="ENABLED"))
    except ClientError as error:
        if error_code(error) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def hash_source(
    s3: Any, plan: Plan, key: str, etag: str, backoff: Backoff
) -> tuple[str, int, dict[str, Any], str]:
    """(SHA-256 base64, bytes read, the source's headers, what was checked) of exactly version `etag`."""
    response = backoff(s3.get_object, Bucket=plan.source_bucket, Key=key, IfMatch=f'"{etag}"')
    sha256, md5, length = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    for chunk in response["Body"].iter_chunks(CHUNK):
        sha256.update(chunk)
        md5.update(chunk)
        length += len(chunk)
    checked = "sha256"
    single_part_md5 = "-" not in etag and response.get("ServerSideEncryption") not in (
        "aws:kms",
        "aws:kms:dsse",
    )
    if single_part_md5 and not response.get("SSECustomerAlgorithm"):
        if md5.hexdigest() != etag:
            raise ValueError(f"source read does not match its ETag (MD5 {md5.hexdigest()} vs ETag {etag})")
        checked = "sha256+md5=etag"
    return _b64(sha256.digest()), length, response, checked


def copy_one(
    source: Any, target: Any, plan: Plan, account: str, item: dict[str, Any], backoff: Backoff
) -> str:
    """Copy and verify one object; returns "copied", "skipped" or "would copy", raises on a failure."""
    key, size = item["Key"], int(item["Size"])
    etag = str(item["ETag"]).strip('"')
    target_key = plan.target_key(key)
    existing = head_target(target, plan, target_key, backoff)
    if existing is not None and proven_copy(existing, etag, size, plan):
        return "skipped"
    if plan.dry_run:
        return "would copy"
    if size > COPY_LIMIT:
        raise ValueError(f"{size} bytes: larger than CopyObject's 5 GiB; copy it with multipart by hand")
    digest, length, headers, checked = hash_source(source, plan, key, etag, backoff)
    if length != size:
        raise ValueError(f"read {length} bytes from the source, listed as {size}")
    request: dict[str, Any] = {
        "Bucket": plan.target_bucket,
        "Key": target_key,
        "CopySource": {"Bucket": plan.source_bucket, "Key": key},
        "CopySourceIfMatch": f'"{etag}"',
        "ExpectedBucketOwner": account,
        "MetadataDirective": "REPLACE",
        "Metadata": {**headers.get("Metadata", {}), SOURCE_ETAG: etag, SOURCE_SHA256: digest},
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": plan.kms_key,
        "BucketKeyEnabled": True,
        "ChecksumAlgorithm": "SHA256",
    }
    request.update({name: headers[name] for name in KEPT_HEADERS if headers.get(name)})
    backoff(target.copy_object, **request)
    copy = head_target(target, plan, target_key, backoff)
    if copy is None:
        raise ValueError("the copy is not there after CopyObject")
    problems = []
    if copy.get("ContentLength") != size:
        problems.append(f"size {copy.get('ContentLength')} != source {size}")
    if copy.get("ChecksumSHA256") != digest:
        problems.append(f"checksum mismatch: copy SHA-256 {copy.get('ChecksumSHA256')} != source {digest}")
    if copy.get("ServerSideEncryption") != "aws:kms" or copy.get("SSEKMSKeyId") != plan.kms_key:
        problems.append(
            f"encrypted with {copy.get('ServerSideEncryption')} {copy.get('SSEKMSKeyId')}, not the stack key"
        )
    if problems:
        raise ValueError("; ".join(problems))
    say(f"  copied {key} -> {target_key} ({size} bytes, verified {checked})")
    return "copied"


def copy_all(plan: Plan, source: Any, target: Any, account: str, backoff: Backoff, report: Report) -> None:
    preflight(plan, source, target, account)
    say(
        f"{'dry run: ' if plan.dry_run else ''}s3://{plan.source_bucket}/{plan.source_prefix} ({plan.source_region}) -> "
        f"s3://{plan.target_bucket}/{plan.target_prefix} ({plan.target_region}), SSE-KMS {plan.kms_key}"
    )
    for item in list_source(source, plan, backoff):
        try:
            outcome = copy_one(source, target, plan, account, item, backoff)
        except (ClientError, BotoCoreError, ValueError) as error:
            reason = str(explain(error, "copy")) if not isinstance(error, ValueError) else str(error)
            report.failed.append((item["Key"], reason))
            fail(f"{item['Key']}: {reason}")
            continue
        if outcome == "copied":
            report.copied += 1
        elif outcome == "skipped":
            report.skipped += 1
        else:
            report.would_copy += 1


def print_report(report: Report, plan: Plan) -> None:
    say(f"listed {report.listed} objects under s3://{plan.source_bucket}/{plan.source_prefix}")
    if plan.dry_run:
        say(
            f"dry run, nothing written: would copy {report.would_copy}, already copied and verified {report.skipped}"
        )
    else:
        say(
            f"copied {report.copied}, skipped {report.skipped} (already copied and verified), failed {len(report.failed)}"
        )
    for key, reason in report.failed:
        say(f"  FAILED {key}: {reason}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copy_media",
        description="Copy the old images bucket into the private media bucket, verifying every object.",
    )
    parser.add_argument("--stack-outputs", type=Path, help="file written by `pulumi stack output --json`")
    parser.add_argument("--source-bucket", required=True, help="the old bucket")
    parser.add_argument("--source-region", help="its region (default: the stack's)")
    parser.add_argument(
        "--source-profile", help="AWS profile that can read it (default: the same credentials)"
    )
    parser.add_argument("--target-bucket", help="the media bucket (default: stack output mediaBucketName)")
    parser.add_argument("--kms-key", help="stack KMS key ARN (default: stack output kmsKeyArn)")
    parser.add_argument("--region", help="the stack's region (default: stack output awsRegion)")
    parser.add_argument("--profile", help="AWS profile of the stack's account (default: the SDK's chain)")
    parser.add_argument("--source-prefix", default="", help="copy only keys under it (default: all)")
    parser.add_argument(
        "--target-prefix",
        help="replace --source-prefix with this in the copies' keys (default: keep the keys)",
    )
    parser.add_argument(
        "--page-size", type=int, default=1000, help="objects per listing page, 1 to 1000 (default 1000)"
    )
    parser.add_argument("--dry-run", action="store_true", help="list and compare only; write nothing")
    return parser


def _plan(args: argparse.Namespace) -> Plan:
    outputs = load_stack_outputs(args.stack_outputs)
    if not 1 <= args.page_size <= 1000:
        raise ScriptError(f"--page-size {args.page_size}: S3 lists 1 to 1000 keys per page", EXIT_USAGE)
    region = pick(args.region, outputs, "awsRegion", "--region")
    return Plan(
        source_bucket=args.source_bucket,
        source_region=args.source_region or region,
        target_bucket=pick(args.target_bucket, outputs, "mediaBucketName", "--target-bucket"),
        target_region=region,
        kms_key=pick(args.kms_key, outputs, "kmsKeyArn", "--kms-key"),
        source_prefix=args.source_prefix,
        target_prefix=args.source_prefix if args.target_prefix is None else args.target_prefix,
        page_size=args.page_size,
        dry_run=args.dry_run,
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    make_client: Callable[..., Any] = client,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """`make_client(service, region, profile)` builds every AWS client (tests hand in moto's)."""
    args = _parser().parse_args(argv)
    report = Report()
    try:
        plan = _plan(args)
        source = make_client("s3", plan.source_region, args.source_profile)
        target = make_client("s3", plan.target_region, args.profile)
        account = account_of(make_client("sts", plan.target_region, args.profile))
        copy_all(plan, source, target, account, Backoff(plan.max_backoff_attempts, sleep), report)
    except ScriptError as error:
        fail(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        print_report(report, plan)
        fail("interrupted; run the same command again to resume (verified copies are skipped)")
        return EXIT_INTERRUPTED
    print_report(report, plan)
    return EXIT_INCOMPLETE if report.failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
