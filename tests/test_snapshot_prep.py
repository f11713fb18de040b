"""scripts/prepare_db_snapshot.py against moto's RDS, KMS and STS.

moto makes every snapshot `available` at once; the tests hold a snapshot in `creating` or `copying`
by changing moto's own DBSnapshot object, and let a fake clock's sleep move it on, so the waiting
is exercised without waiting. The old database is Maple Quest's: PostgreSQL 16.3, unencrypted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from scripts._aws import (
    EXIT_NO_PERMISSION,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)
from scripts.prepare_db_snapshot import main
from tests.fixtures import use_fake_aws_credentials

pytestmark = pytest.mark.moto

OLD_REGION = "us-west-2"
STACK_REGION = "eu-west-1"
OLD_DB = "maple-quest-db"


class FakeClock:
    """monotonic() and sleep(): sleeping moves time on and runs the hooks waiting on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.on_sleep: list[Callable[[], None]] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        for hook in list(self.on_sleep):
            hook()


class Accounts:
    """STS answers per profile: the default credentials are the stack's account; a named profile can
    stand for the old deployment's account."""

    def __init__(self) -> None:
        self.by_profile: dict[str | None, str] = {}

    def sts(self, profile: str | None) -> Any:
        account = self.by_profile.get(profile, DEFAULT_ACCOUNT_ID)
        return type("Sts", (), {"get_caller_identity": staticmethod(lambda: {"Account": account})})()


@dataclass
class World:
    stack_key: str
    clock: FakeClock = field(default_factory=FakeClock)
    accounts: Accounts = field(default_factory=Accounts)
    made: dict[tuple[str, str | None], Any] = field(default_factory=dict)

    def client(self, service: str, region: str | None, profile: str | None = None) -> Any:
        """moto clients, one per service and region, so that a test can patch the one the script uses."""
        if service == "sts":
            return self.accounts.sts(profile)
        if (service, region) not in self.made:
            self.made[(service, region)] = boto3.client(service, region_name=region)  # type: ignore[call-overload]
        return self.made[(service, region)]

    @property
    def old_rds(self) -> Any:
        return self.client("rds", OLD_REGION)

    @property
    def stack_rds(self) -> Any:
        return self.client("rds", STACK_REGION)

    def outputs(self, tmp_path: Path, **changes: Any) -> Path:
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps({"kmsKeyArn": self.stack_key, "awsRegion": STACK_REGION, **changes}))
        return path

    def copy(self, tmp_path: Path, snapshot: str, *more: str) -> int:
        """The script with the stack's outputs, copying `snapshot` from the old region, plus `more`."""
        outputs = str(self.outputs(tmp_path))
        return self.run(
            "--stack-outputs", outputs, "--source-snapshot", snapshot, "--source-region", OLD_REGION, *more
        )

    def run(self, *args: str) -> int:
        return main(list(args), make_client=self.client, clock=self.clock, sleep=self.clock.sleep)

    def snapshot(self, region: str, name: str) -> dict[str, Any]:
        return dict(
            self.client("rds", region).describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]
        )


def moto_snapshot(region: str, name: str) -> Any:
    """moto's own DBSnapshot object, to change what its API reports."""
    # Imported here: moto's RDS models load EC2's, which read every region's data (most of a second),
    # and `make test-fast` collects this module without running any of it.
    from moto.rds.models import rds_backends

    return rds_backends[DEFAULT_ACCOUNT_ID][region].database_snapshots[name]


def hold(region: str, name: str, status: str, sleeps: int, clock: FakeClock) -> None:
    """Keep moto's snapshot in `status` until the script has slept `sleeps` times."""
    snapshot = moto_snapshot(region, name)
    snapshot.status = status
    left = [sleeps]

    def tick() -> None:
        left[0] -= 1
        if left[0] <= 0:
            snapshot.status = "available"

    clock.on_sleep.append(tick)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    use_fake_aws_credentials(monkeypatch, STACK_REGION)
    with mock_aws():
        world = World(boto3.client("kms", region_name=STACK_REGION).create_key()["KeyMetadata"]["Arn"])
        world.old_rds.create_db_instance(
            DBInstanceIdentifier=OLD_DB,
            Engine="postgres",
            EngineVersion="16.3",
            DBInstanceClass="db.t4g.micro",
            AllocatedStorage=20,
            DBName="maplequest",
            MasterUsername="postgres",
            MasterUserPassword="not-a-real-password",
            PubliclyAccessible=True,
        )
        yield world


def test_snapshots_the_old_database_and_copies_it_under_the_stack_key_waiting_for_each(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    create = world.old_rds.create_db_snapshot
    copy = world.stack_rds.copy_db_snapshot

    def create_then_hold(**kwargs: Any) -> Any:
        response = create(**kwargs)
        hold(OLD_REGION, kwargs["DBSnapshotIdentifier"], "creating", 3, world.clock)
        return response

    def copy_then_hold(**kwargs: Any) -> Any:
        response = copy(**kwargs)
        hold(STACK_REGION, kwargs["TargetDBSnapshotIdentifier"], "copying", 2, world.clock)
        return response

    monkeypatch.setattr(world.old_rds, "create_db_snapshot", create_then_hold)
    monkeypatch.setattr(world.stack_rds, "copy_db_snapshot", copy_then_hold)

    code = world.run(
        "--stack-outputs",
        str(world.outputs(tmp_path)),
        "--db-instance",
        OLD_DB,
        "--source-snapshot",
        "maple-cutover",
        "--source-region",
        OLD_REGION,
        "--poll-interval",
        "15",
    )

    assert code == EXIT_OK
    target = world.snapshot(STACK_REGION, "maple-cutover-stackkey")
    assert target["Status"] == "available"
    assert (target["Encrypted"], target["KmsKeyId"]) == (True, world.stack_key)
    assert world.snapshot(OLD_REGION, "maple-cutover")["Encrypted"] is False
    out = capsys.readouterr().out
    # It waited through both states, one poll interval at a time, and printed each change.
    assert "maple-cutover: creating" in out and "maple-cutover-stackkey: copying" in out
    assert world.clock.now == pytest.approx(15 * 5)
    assert "pulumi config set dbSnapshotIdentifier maple-cutover-stackkey" in out
    assert "pulumi config set dbEngineVersion 16.3" in out


def test_running_again_resumes_without_new_snapshots_or_copies(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args: tuple[str, ...] = ("--stack-outputs", str(world.outputs(tmp_path)), "--db-instance", OLD_DB)
    args += ("--source-snapshot", "maple-cutover", "--source-region", OLD_REGION)
    assert world.run(*args) == EXIT_OK

    def must_not_run(**kwargs: Any) -> Any:
        raise AssertionError(f"called again with {kwargs}")

    monkeypatch.setattr(world.old_rds, "create_db_snapshot", must_not_run)
    monkeypatch.setattr(world.stack_rds, "copy_db_snapshot", must_not_run)
    assert world.run(*args) == EXIT_OK
    out = capsys.readouterr().out
    assert (
        "exists (available); reusing it" in out and "exists with the stack key (available); resuming" in out
    )


def test_a_copy_under_another_key_is_refused_not_reused(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.old_rds.create_db_snapshot(DBSnapshotIdentifier="s1", DBInstanceIdentifier=OLD_DB)
    world.stack_rds.copy_db_snapshot(
        SourceDBSnapshotIdentifier=f"arn:aws:rds:{OLD_REGION}:{DEFAULT_ACCOUNT_ID}:snapshot:s1",
        TargetDBSnapshotIdentifier="s1-stackkey",
        SourceRegion=OLD_REGION,
    )
    code = world.copy(
        tmp_path,
        "s1",
    )
    assert code == EXIT_USAGE
    assert "s1-stackkey already exists in eu-west-1 but is unencrypted" in capsys.readouterr().err


def test_a_snapshot_that_fails_stops_the_wait(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.old_rds.create_db_snapshot(DBSnapshotIdentifier="broken", DBInstanceIdentifier=OLD_DB)
    moto_snapshot(OLD_REGION, "broken").status = "failed"
    code = world.copy(
        tmp_path,
        "broken",
    )
    assert code == EXIT_UNAVAILABLE
    assert "broken is failed and will not become available" in capsys.readouterr().err


def test_a_snapshot_that_stays_creating_times_out_and_says_to_rerun(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.old_rds.create_db_snapshot(DBSnapshotIdentifier="slow", DBInstanceIdentifier=OLD_DB)
    hold(OLD_REGION, "slow", "creating", 10_000, world.clock)
    code = world.copy(
        tmp_path,
        "slow",
        "--timeout",
        "120",
        "--poll-interval",
        "30",
    )
    assert code == EXIT_TIMEOUT
    assert "still creating after 120 s; run the same command again" in capsys.readouterr().err
    assert world.clock.now == pytest.approx(120)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("--source-snapshot", "nope", "--source-region", OLD_REGION),
            EXIT_NOT_FOUND,
            "DB snapshot nope not found in us-west-2",
        ),
        # Wrong region: the old database is in us-west-2, the script is pointed at the stack's region.
        (
            ("--db-instance", OLD_DB, "--source-snapshot", "s2"),
            EXIT_NOT_FOUND,
            f"DB instance {OLD_DB} not found in eu-west-1 (account 123456789012); check --source-region",
        ),
        (
            ("--source-snapshot", "s1", "--kms-key", "arn:aws:kms:us-east-1:123456789012:key/abc"),
            EXIT_USAGE,
            "is in us-east-1, the stack in eu-west-1",
        ),
        (
            ("--source-snapshot", "s1", "--kms-key", "arn:aws:kms:eu-west-1:123456789012:key/missing"),
            EXIT_NOT_FOUND,
            "describe the stack KMS key",
        ),
    ],
)
def test_bad_input_exits_with_a_clear_message(
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    assert world.run("--stack-outputs", str(world.outputs(tmp_path)), *args) == code
    assert message in capsys.readouterr().err


def test_missing_key_and_region_are_named(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text("{}")
    assert world.run("--stack-outputs", str(outputs), "--source-snapshot", "s1") == EXIT_USAGE
    assert "missing input: --region (or stack output awsRegion" in capsys.readouterr().err


def test_access_denied_names_the_call_and_exits_77(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    def denied(**kwargs: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform rds:CreateDBSnapshot"}},
            "CreateDBSnapshot",
        )

    monkeypatch.setattr(world.old_rds, "create_db_snapshot", denied)
    code = world.run(
        "--stack-outputs",
        str(world.outputs(tmp_path)),
        "--db-instance",
        OLD_DB,
        "--source-snapshot",
        "s3",
        "--source-region",
        OLD_REGION,
    )
    assert code == EXIT_NO_PERMISSION
    err = capsys.readouterr().err
    assert "no permission to snapshot DB instance maple-quest-db" in err and "rds:CreateDBSnapshot" in err


def test_another_account_shares_the_manual_snapshot_with_the_stack_account(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.accounts.by_profile["maple"] = "111122223333"
    world.old_rds.create_db_snapshot(DBSnapshotIdentifier="shared", DBInstanceIdentifier=OLD_DB)
    assert (
        world.copy(
            tmp_path,
            "shared",
            "--source-profile",
            "maple",
        )
        == EXIT_OK
    )
    attributes = world.old_rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="shared")
    [restore] = attributes["DBSnapshotAttributesResult"]["DBSnapshotAttributes"]
    assert restore == {"AttributeName": "restore", "AttributeValues": [DEFAULT_ACCOUNT_ID]}
    assert "shared shared with account 123456789012" in capsys.readouterr().out


def test_another_account_refuses_a_snapshot_under_the_aws_managed_key(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world.accounts.by_profile["maple"] = "111122223333"
    world.old_rds.create_db_snapshot(DBSnapshotIdentifier="managed", DBInstanceIdentifier=OLD_DB)
    snapshot = moto_snapshot(OLD_REGION, "managed")
    snapshot.encrypted = True
    snapshot.kms_key_id = "arn:aws:kms:us-west-2:111122223333:key/aws-rds"
    monkeypatch.setattr(
        world.client("kms", OLD_REGION),
        "describe_key",
        lambda **kwargs: {"KeyMetadata": {"KeyManager": "AWS"}},
    )
    code = world.copy(
        tmp_path,
        "managed",
        "--source-profile",
        "maple",
    )
    assert code == EXIT_USAGE
    assert "AWS managed key aws/rds, which cannot be shared" in capsys.readouterr().err
