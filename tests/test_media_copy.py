"""scripts/copy_media.py against moto's S3, KMS and STS.

The source is Maple Quest's images bucket in us-west-2 (user photos and location images); the
target is a media bucket like the stack's: eu-west-1, bucket-owner-enforced, SSE-KMS by default.
Interruptions, corruption and throttling are injected by wrapping the target client's CopyObject;
the script's sleeps are recorded, never slept.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from scripts._aws import (
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_NO_PERMISSION,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
)
from scripts.copy_media import main
from tests.fixtures import use_fake_aws_credentials

pytestmark = pytest.mark.moto

OLD_REGION = "us-west-2"
STACK_REGION = "eu-west-1"
OLD_BUCKET = "maple-quest-images-123456789012-us-west-2"
MEDIA_BUCKET = "epicvibe-prod-media-123456789012"
# 25 objects: 20 user photos and 5 location images, each with its own bytes.
OBJECTS = {f"images/user/{n:02d}/photo.jpg": f"photo {n}".encode() * (n + 1) for n in range(20)} | {
    f"locations/{n}/default.jpg": f"location {n}".encode() for n in range(5)
}


@dataclass
class World:
    stack_key: str
    slept: list[float] = field(default_factory=list)
    made: dict[tuple[str, str | None], Any] = field(default_factory=dict)

    def client(self, service: str, region: str | None, _profile: str | None = None) -> Any:
        if (service, region) not in self.made:
            self.made[(service, region)] = boto3.client(service, region_name=region)  # type: ignore[call-overload]
        return self.made[(service, region)]

    @property
    def media(self) -> Any:
        return self.client("s3", STACK_REGION)

    def outputs(self, tmp_path: Path) -> Path:
        path = tmp_path / "outputs.json"
        path.write_text(
            json.dumps(
                {"mediaBucketName": MEDIA_BUCKET, "kmsKeyArn": self.stack_key, "awsRegion": STACK_REGION}
            )
        )
        return path

    def run(self, tmp_path: Path, *args: str) -> int:
        base = ["--stack-outputs", str(self.outputs(tmp_path)), "--source-bucket", OLD_BUCKET]
        return main(
            [*base, "--source-region", OLD_REGION, *args], make_client=self.client, sleep=self.slept.append
        )

    def media_keys(self) -> list[str]:
        pages = self.media.get_paginator("list_objects_v2").paginate(Bucket=MEDIA_BUCKET)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def wrap_copy(
        self, monkeypatch: pytest.MonkeyPatch, around: Callable[[Callable[..., Any], dict[str, Any]], Any]
    ) -> None:
        real = self.media.copy_object
        monkeypatch.setattr(self.media, "copy_object", lambda **kwargs: around(real, kwargs))


def sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    use_fake_aws_credentials(monkeypatch, STACK_REGION)
    with mock_aws():
        world = World(boto3.client("kms", region_name=STACK_REGION).create_key()["KeyMetadata"]["Arn"])
        old = world.client("s3", OLD_REGION)
        old.create_bucket(Bucket=OLD_BUCKET, CreateBucketConfiguration={"LocationConstraint": OLD_REGION})
        for key, body in OBJECTS.items():
            old.put_object(
                Bucket=OLD_BUCKET, Key=key, Body=body, ContentType="image/jpeg", Metadata={"uploader": "ios"}
            )
        world.media.create_bucket(
            Bucket=MEDIA_BUCKET, CreateBucketConfiguration={"LocationConstraint": STACK_REGION}
        )
        world.media.put_bucket_ownership_controls(
            Bucket=MEDIA_BUCKET, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        world.media.put_bucket_encryption(
            Bucket=MEDIA_BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": world.stack_key,
                        }
                    }
                ]
            },
        )
        yield world


def test_copies_every_object_across_pages_encrypted_private_and_verified(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert world.run(tmp_path, "--page-size", "4") == EXIT_OK

    assert world.media_keys() == sorted(OBJECTS)
    for key, body in OBJECTS.items():
        head = world.media.head_object(Bucket=MEDIA_BUCKET, Key=key, ChecksumMode="ENABLED")
        assert world.media.get_object(Bucket=MEDIA_BUCKET, Key=key)["Body"].read() == body
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", world.stack_key)
        assert head["ChecksumSHA256"] == sha256(body)
        assert head["ContentType"] == "image/jpeg" and head["Metadata"]["uploader"] == "ios"
    # No grant to anyone but the owner, and no bucket policy was written.
    grants = world.media.get_object_acl(Bucket=MEDIA_BUCKET, Key="locations/0/default.jpg")["Grants"]
    assert [g["Grantee"]["Type"] for g in grants] == ["CanonicalUser"]
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        world.media.get_bucket_policy(Bucket=MEDIA_BUCKET)
    out = capsys.readouterr().out
    assert "page 7: 1 objects" in out
    assert "copied 25, skipped 0 (already copied and verified), failed 0" in out
    assert "verified sha256+md5=etag" in out


def test_an_interrupted_run_resumes_where_it_stopped(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = [0]

    def interrupt_after_tenth(real: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        calls[0] += 1
        response = real(**kwargs)
        if calls[0] == 10:
            # The tenth copy landed, but the run dies before verifying it.
            raise KeyboardInterrupt
        return response

    world.wrap_copy(monkeypatch, interrupt_after_tenth)
    assert world.run(tmp_path, "--page-size", "3") == EXIT_INTERRUPTED
    assert len(world.media_keys()) == 10
    assert "copied 9, skipped 0" in capsys.readouterr().out

    monkeypatch.undo()
    assert world.run(tmp_path, "--page-size", "3") == EXIT_OK
    # The tenth copy proves itself (S3's checksum equals the source's stored with it): skipped, not redone.
    assert "copied 15, skipped 10 (already copied and verified), failed 0" in capsys.readouterr().out
    assert world.media_keys() == sorted(OBJECTS)


def test_a_checksum_mismatch_is_reported_and_fails_the_run(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_key = "images/user/03/photo.jpg"

    def corrupt_one(real: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        response = real(**kwargs)
        if kwargs["Key"] == bad_key:
            # The bytes that land differ from the source's (same length, same claimed metadata).
            body = bytes(b ^ 1 for b in OBJECTS[bad_key])
            world.media.put_object(
                Bucket=MEDIA_BUCKET,
                Key=bad_key,
                Body=body,
                Metadata=kwargs["Metadata"],
                ChecksumAlgorithm="SHA256",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=world.stack_key,
            )
        return response

    world.wrap_copy(monkeypatch, corrupt_one)
    assert world.run(tmp_path) == EXIT_INCOMPLETE
    captured = capsys.readouterr()
    assert "copied 24, skipped 0 (already copied and verified), failed 1" in captured.out
    assert f"FAILED {bad_key}: checksum mismatch: copy SHA-256" in captured.out
    assert f"{bad_key}: checksum mismatch" in captured.err

    # Not mistaken for a good copy later: the next run copies it again and verifies it.
    monkeypatch.undo()
    assert world.run(tmp_path) == EXIT_OK
    assert "copied 1, skipped 24" in capsys.readouterr().out


def test_dry_run_writes_nothing_and_says_what_it_would_do(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert world.run(tmp_path, "--dry-run", "--page-size", "10") == EXIT_OK
    assert world.media_keys() == []
    assert "dry run, nothing written: would copy 25, already copied and verified 0" in capsys.readouterr().out

    assert world.run(tmp_path, "--source-prefix", "locations/") == EXIT_OK
    assert world.run(tmp_path, "--dry-run") == EXIT_OK
    assert "would copy 20, already copied and verified 5" in capsys.readouterr().out
    assert len(world.media_keys()) == 5


def test_a_prefix_maps_onto_another(world: World, tmp_path: Path) -> None:
    assert (
        world.run(tmp_path, "--source-prefix", "locations/", "--target-prefix", "media/locations/") == EXIT_OK
    )
    assert world.media_keys() == sorted(f"media/{key}" for key in OBJECTS if key.startswith("locations/"))


def test_throttling_backs_off_and_carries_on(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    throttles = [3]

    def slow_down(real: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        if throttles[0]:
            throttles[0] -= 1
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "CopyObject"
            )
        return real(**kwargs)

    world.wrap_copy(monkeypatch, slow_down)
    assert world.run(tmp_path) == EXIT_OK
    assert len(world.slept) == 3 and world.slept[0] < world.slept[2]
    assert "copied 25, skipped 0" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("--source-bucket", "maple-quest-typo"),
            EXIT_NOT_FOUND,
            "source bucket maple-quest-typo does not exist",
        ),
        (
            ("--target-bucket", "not-the-media-bucket"),
            EXIT_NOT_FOUND,
            "target bucket not-the-media-bucket does not exist",
        ),
        (
            ("--source-region", STACK_REGION),
            EXIT_USAGE,
            f"source bucket {OLD_BUCKET} is in us-west-2, not eu-west-1; pass --source-region us-west-2",
        ),
        (
            ("--kms-key", "arn:aws:kms:us-west-2:123456789012:key/x"),
            EXIT_USAGE,
            "must be an ARN in the media bucket's region eu-west-1",
        ),
        (("--page-size", "0"), EXIT_USAGE, "S3 lists 1 to 1000 keys per page"),
    ],
)
def test_bad_input_stops_before_anything_is_copied(
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    assert world.run(tmp_path, *args) == code
    assert message in capsys.readouterr().err
    assert world.media_keys() == []


def test_no_permission_on_the_source_exits_77(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(**kwargs: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetBucketLocation"
        )

    monkeypatch.setattr(world.client("s3", OLD_REGION), "get_bucket_location", denied)
    assert world.run(tmp_path) == EXIT_NO_PERMISSION
    assert (
        f"no permission to read the source bucket {OLD_BUCKET} (GetBucketLocation: Access Denied)"
        in capsys.readouterr().err
    )
