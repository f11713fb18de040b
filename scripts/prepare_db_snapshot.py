#!/usr/bin/env python3
"""Prepare the DB snapshot the new stack's primary is restored from (`dbSnapshotIdentifier`).

The restored instance keeps its snapshot's encryption: an unencrypted snapshot, or one under any
key but the stack's, would give an instance the stack would replace on its next update. So this
copies the old database's snapshot into the stack's account and region, encrypted with the stack
KMS key, and waits until the copy is `available`:

    pulumi stack output --json --stack <org>/prod > outputs.json     # kmsKeyArn, awsRegion
    python -m scripts.prepare_db_snapshot --stack-outputs outputs.json \\
        --db-instance maple-quest-db --source-snapshot maple-quest-cutover-1 --source-region us-west-2

Steps, each skipped when already done, so running it again after an interruption resumes:
  1. with --db-instance: snapshot that instance as --source-snapshot (or reuse that snapshot);
     without: --source-snapshot must exist. Wait until it is available.
  2. source in another account (--source-profile): share the manual snapshot with the stack's
     account. Its key must be a customer managed key the stack's account may use; snapshots under
     the AWS managed `aws/rds` key cannot be shared (the script says so and stops).
  3. copy it as --target-snapshot in the stack's region, encrypted with the stack key
     (CopyDBSnapshot KmsKeyId re-encrypts; also across regions).
  4. wait until the copy is available, check its key, and print the settings to commit.
Exit codes: see scripts/_aws.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from scripts._aws import (
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    NOT_FOUND,
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

# Snapshot states that never become `available` (RDS DBSnapshot.Status).
DEAD_STATES = frozenset({"failed", "deleting", "deleted", "incompatible-restore", "incompatible-parameters"})
SNAPSHOT_NOT_FOUND = frozenset({"DBSnapshotNotFound", "DBSnapshotNotFoundFault"})


@dataclass
class Clients:
    source_rds: Any
    source_kms: Any
    source_account: str
    target_rds: Any
    target_kms: Any
    target_account: str


@dataclass(frozen=True)
class Plan:
    source_snapshot: str
    db_instance: str | None
    source_region: str
    target_region: str
    kms_key: str
    target_snapshot: str
    timeout: float
    poll_interval: float


def describe_snapshot(rds: Any, snapshot: str) -> dict[str, Any] | None:
    """The snapshot (by identifier, or by ARN for a shared one), or None when it does not exist."""
    try:
        kwargs: dict[str, Any] = {"DBSnapshotIdentifier": snapshot}
        if snapshot.startswith("arn:"):
            kwargs["IncludeShared"] = True
        found = rds.describe_db_snapshots(**kwargs)["DBSnapshots"]
    except ClientError as error:
        if error_code(error) in SNAPSHOT_NOT_FOUND:
            return None
        raise explain(error, f"describe DB snapshot {snapshot}") from error
    except BotoCoreError as error:
        raise explain(error, f"describe DB snapshot {snapshot}") from error
    return found[0] if found else None


def wait_available(
    rds: Any,
    snapshot: str,
    plan: Plan,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """Poll until the snapshot is available; print each change of status or progress."""
    started = clock()
    last = ""
    while True:
        found = describe_snapshot(rds, snapshot)
        if found is None:
            raise ScriptError(f"DB snapshot {snapshot} disappeared while waiting for it", EXIT_NOT_FOUND)
        status = str(found.get("Status", "unknown"))
        line = f"{status} {found.get('PercentProgress', 0)}%"
        if line != last:
            say(f"  {snapshot}: {line} after {clock() - started:.0f} s")
            last = line
        if status == "available":
            return found
        if status in DEAD_STATES:
            raise ScriptError(
                f"DB snapshot {snapshot} is {status} and will not become available; take or copy a new one",
                EXIT_UNAVAILABLE,
            )
        if clock() - started >= plan.timeout:
            raise ScriptError(
                f"DB snapshot {snapshot} is still {status} after {plan.timeout:.0f} s; run the same command "
                "again to keep waiting (nothing is started twice)",
                EXIT_TIMEOUT,
            )
        sleep(plan.poll_interval)


def resolve_key(kms: Any, key: str, region: str) -> str:
    """The stack key's ARN; it must exist, be enabled and live in the stack's region."""
    key_region = region_of_arn(key)
    if key_region and key_region != region:
        raise ScriptError(
            f"the KMS key {key} is in {key_region}, the stack in {region}: RDS encrypts a snapshot copy only "
            "with a key of the copy's region (pass the stack's kmsKeyArn and its region)",
            EXIT_USAGE,
        )
    try:
        metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
    except (ClientError, BotoCoreError) as error:
        raise explain(error, f"describe the stack KMS key {key} in {region}") from error
    if metadata.get("KeyState") != "Enabled":
        raise ScriptError(
            f"the KMS key {metadata['Arn']} is {metadata.get('KeyState')}, not Enabled", EXIT_UNAVAILABLE
        )
    return str(metadata["Arn"])


def source_snapshot(clients: Clients, plan: Plan, **wait: Any) -> dict[str, Any]:
    """Step 1: the existing snapshot, or a new one of --db-instance; available."""
    found = describe_snapshot(clients.source_rds, plan.source_snapshot)
    if found is not None:
        if plan.db_instance and found.get("DBInstanceIdentifier") != plan.db_instance:
            raise ScriptError(
                f"DB snapshot {plan.source_snapshot} exists but is of {found.get('DBInstanceIdentifier')}, "
                f"not {plan.db_instance}; name a new --source-snapshot",
                EXIT_USAGE,
            )
        say(f"1. source snapshot {plan.source_snapshot} exists ({found.get('Status')}); reusing it")
    elif plan.db_instance:
        try:
            clients.source_rds.describe_db_instances(DBInstanceIdentifier=plan.db_instance)
        except (ClientError, BotoCoreError) as error:
            if isinstance(error, ClientError) and error_code(error) in NOT_FOUND:
                raise ScriptError(
                    f"DB instance {plan.db_instance} not found in {plan.source_region} (account "
                    f"{clients.source_account}); check --source-region and --source-profile",
                    EXIT_NOT_FOUND,
                ) from error
            raise explain(
                error, f"describe DB instance {plan.db_instance} in {plan.source_region}"
            ) from error
        say(
            f"1. snapshotting DB instance {plan.db_instance} as {plan.source_snapshot} in {plan.source_region}"
        )
        try:
            clients.source_rds.create_db_snapshot(
                DBSnapshotIdentifier=plan.source_snapshot, DBInstanceIdentifier=plan.db_instance
            )
        except (ClientError, BotoCoreError) as error:
            raise explain(
                error, f"snapshot DB instance {plan.db_instance} in {plan.source_region}"
            ) from error
    else:
        raise ScriptError(
            f"DB snapshot {plan.source_snapshot} not found in {plan.source_region} (account "
            f"{clients.source_account}); check --source-region and --source-profile, or pass --db-instance "
            "to take it",
            EXIT_NOT_FOUND,
        )
    return wait_available(clients.source_rds, plan.source_snapshot, plan, **wait)


def share_with_target(clients: Clients, snapshot: dict[str, Any]) -> None:
    """Step 2 (another account): let the stack's account restore/copy the snapshot."""
    name = snapshot["DBSnapshotIdentifier"]
    if snapshot.get("SnapshotType") != "manual":
        raise ScriptError(
            f"DB snapshot {name} is {snapshot.get('SnapshotType')}; only manual snapshots can be shared: "
            f"`aws rds copy-db-snapshot --source-db-snapshot-identifier {name} --target-db-snapshot-identifier "
            f"<new-name>` in the source account, then pass <new-name> as --source-snapshot",
            EXIT_USAGE,
        )
    if snapshot.get("Encrypted"):
        try:
            manager = clients.source_kms.describe_key(KeyId=snapshot["KmsKeyId"])["KeyMetadata"].get(
                "KeyManager"
            )
        except (ClientError, BotoCoreError) as error:
            raise explain(error, f"describe the key of DB snapshot {name}") from error
        if manager == "AWS":
            raise ScriptError(
                f"DB snapshot {name} is encrypted with the AWS managed key aws/rds, which cannot be shared with "
                f"account {clients.target_account}: copy it in the source account with a customer managed key "
                "whose policy lets that account use it (kms:Decrypt, kms:CreateGrant, kms:DescribeKey), then pass "
                "the copy as --source-snapshot",
                EXIT_USAGE,
            )
    try:
        clients.source_rds.modify_db_snapshot_attribute(
            DBSnapshotIdentifier=name, AttributeName="restore", ValuesToAdd=[clients.target_account]
        )
    except (ClientError, BotoCoreError) as error:
        raise explain(error, f"share DB snapshot {name} with account {clients.target_account}") from error
    say(f"2. shared {name} with account {clients.target_account} (restore attribute)")


def copy_to_stack_key(clients: Clients, plan: Plan, source: dict[str, Any], key_arn: str) -> None:
    """Step 3: the copy in the stack's account and region, encrypted with the stack key."""
    existing = describe_snapshot(clients.target_rds, plan.target_snapshot)
    if existing is not None:
        if existing.get("Encrypted") and existing.get("KmsKeyId") == key_arn:
            say(
                f"3. copy {plan.target_snapshot} exists with the stack key ({existing.get('Status')}); resuming"
            )
            return
        raise ScriptError(
            f"DB snapshot {plan.target_snapshot} already exists in {plan.target_region} but is "
            f"{'encrypted with ' + str(existing.get('KmsKeyId')) if existing.get('Encrypted') else 'unencrypted'}, "
            f"not with the stack key {key_arn}; pass another --target-snapshot",
            EXIT_USAGE,
        )
    remote = clients.source_account != clients.target_account or plan.source_region != plan.target_region
    request: dict[str, Any] = {
        # Another account or region: RDS wants the ARN; boto3 presigns the cross-region request.
        "SourceDBSnapshotIdentifier": source["DBSnapshotArn"] if remote else source["DBSnapshotIdentifier"],
        "TargetDBSnapshotIdentifier": plan.target_snapshot,
        "KmsKeyId": key_arn,
        "CopyTags": True,
    }
    if plan.source_region != plan.target_region:
        request["SourceRegion"] = plan.source_region
    say(
        f"3. copying {source['DBSnapshotIdentifier']} ({'encrypted' if source.get('Encrypted') else 'unencrypted'}) "
        f"to {plan.target_snapshot} in {plan.target_region}, encrypted with {key_arn}"
    )
    try:
        clients.target_rds.copy_db_snapshot(**request)
    except (ClientError, BotoCoreError) as error:
        raise explain(
            error, f"copy DB snapshot {source['DBSnapshotIdentifier']} to {plan.target_snapshot}"
        ) from error


def prepare(clients: Clients, plan: Plan, **wait: Any) -> dict[str, Any]:
    key_arn = resolve_key(clients.target_kms, plan.kms_key, plan.target_region)
    source = source_snapshot(clients, plan, **wait)
    say(
        f"   {source['DBSnapshotIdentifier']}: {source.get('Engine')} {source.get('EngineVersion')}, "
        f"{source.get('AllocatedStorage')} GiB, {'encrypted' if source.get('Encrypted') else 'unencrypted'}"
    )
    if clients.source_account != clients.target_account:
        share_with_target(clients, source)
    else:
        say("2. same account: nothing to share")
    copy_to_stack_key(clients, plan, source, key_arn)
    say(f"4. waiting for {plan.target_snapshot} to become available")
    copy = wait_available(clients.target_rds, plan.target_snapshot, plan, **wait)
    if not copy.get("Encrypted") or copy.get("KmsKeyId") != key_arn:
        raise ScriptError(
            f"DB snapshot {plan.target_snapshot} is available but encrypted with {copy.get('KmsKeyId')}, "
            f"not {key_arn}; it cannot seed the stack",
            EXIT_UNAVAILABLE,
        )
    return copy


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prepare_db_snapshot",
        description="Copy the old database's snapshot into the stack's account and region under the stack KMS key.",
    )
    parser.add_argument("--stack-outputs", type=Path, help="file written by `pulumi stack output --json`")
    parser.add_argument(
        "--source-snapshot", required=True, help="snapshot to copy (identifier, or ARN if shared)"
    )
    parser.add_argument(
        "--db-instance", help="take --source-snapshot of this instance first (unless it exists)"
    )
    parser.add_argument("--source-region", help="region of the old database (default: the stack's)")
    parser.add_argument(
        "--source-profile", help="AWS profile of the old account (default: the same credentials)"
    )
    parser.add_argument("--target-snapshot", help="name of the copy (default: <source-snapshot>-stackkey)")
    parser.add_argument("--kms-key", help="stack KMS key ARN (default: stack output kmsKeyArn)")
    parser.add_argument("--region", help="the stack's region (default: stack output awsRegion)")
    parser.add_argument("--profile", help="AWS profile of the stack's account (default: the SDK's chain)")
    parser.add_argument(
        "--timeout", type=float, default=4 * 3600.0, help="seconds to wait per snapshot (default 14400)"
    )
    parser.add_argument(
        "--poll-interval", type=float, default=30.0, help="seconds between checks (default 30)"
    )
    return parser


def _plan(args: argparse.Namespace) -> Plan:
    outputs = load_stack_outputs(args.stack_outputs)
    target_region = pick(args.region, outputs, "awsRegion", "--region")
    source_name = args.source_snapshot.rsplit(":", 1)[-1]
    target = args.target_snapshot or f"{source_name}-stackkey"
    if args.timeout <= 0 or args.poll_interval < 0:
        raise ScriptError("--timeout must be positive and --poll-interval zero or more", EXIT_USAGE)
    return Plan(
        source_snapshot=args.source_snapshot,
        db_instance=args.db_instance,
        source_region=args.source_region or region_of_arn(args.source_snapshot) or target_region,
        target_region=target_region,
        kms_key=pick(args.kms_key, outputs, "kmsKeyArn", "--kms-key"),
        target_snapshot=target,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
    )


def connect(args: argparse.Namespace, plan: Plan, make_client: Callable[..., Any]) -> Clients:
    return Clients(
        source_rds=make_client("rds", plan.source_region, args.source_profile),
        source_kms=make_client("kms", plan.source_region, args.source_profile),
        source_account=account_of(make_client("sts", plan.source_region, args.source_profile)),
        target_rds=make_client("rds", plan.target_region, args.profile),
        target_kms=make_client("kms", plan.target_region, args.profile),
        target_account=account_of(make_client("sts", plan.target_region, args.profile)),
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    make_client: Callable[..., Any] = client,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """`make_client(service, region, profile)` builds every AWS client (tests hand in moto's)."""
    args = _parser().parse_args(argv)
    try:
        plan = _plan(args)
        copy = prepare(connect(args, plan, make_client), plan, clock=clock, sleep=sleep)
    except ScriptError as error:
        fail(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        fail("interrupted; run the same command again to resume")
        return EXIT_INTERRUPTED
    say(
        f"done: {plan.target_snapshot} is available in {plan.target_region}, encrypted with the stack key.\n"
        "Set on the new stack before its first `pulumi up`:\n"
        f"  pulumi config set dbSnapshotIdentifier {plan.target_snapshot}\n"
        f"  pulumi config set dbEngineVersion {copy.get('EngineVersion')}\n"
        f"and keep dbAllocatedStorageGb at {copy.get('AllocatedStorage')} or more (the snapshot's size)."
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
