"""The primary restored from a snapshot (`dbSnapshotIdentifier`): what reaches RDS, and what settings
refuse because RDS would refuse it or the next update would replace the restored database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.database import Database, DatabaseArgs, DatabaseConfig
from offline.engine import ProgramRun, RecordingMonitor, Registrations
from tests._handles import placement, stack_wide
from tests.test_database import CONFIG_VALUES, database_config
from tests.test_settings import KEY, load, refusal

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/unit"
SNAPSHOT = "maple-quest-db-cutover-stackkey"
BASE: dict[str, Any] = {
    "identifier": "unit",
    "placement": placement(vpc_id="vpc-1", data_subnet_ids=["s-1", "s-2"]),
    "stack": stack_wide(kms_key_arn=KEY_ARN),
    "config": database_config(),
}


def test_restored_primary_sends_the_snapshot_and_neither_db_name_nor_user(
    build: Callable[..., Registrations], mock_engine: RecordingMonitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    ignored: dict[str, list[str]] = {}
    register = mock_engine.RegisterResource

    def recording(request: Any) -> Any:
        ignored[request.name] = list(request.ignoreChanges)
        return register(request)

    monkeypatch.setattr(mock_engine, "RegisterResource", recording)
    built = build(
        lambda: Database(
            "unit",
            DatabaseArgs(
                **{**BASE, "config": database_config(snapshot_identifier=SNAPSHOT, read_replica_count=1)}
            ),
        )
    )

    main = built.named("unit-primary").inputs
    assert main["snapshotIdentifier"] == SNAPSHOT
    # RDS takes DBName on restore only for Oracle and SQL Server; the user comes from the snapshot.
    assert "dbName" not in main and "username" not in main
    # Still encrypted under the stack key, private, TLS-only parameters: the restore changes none of it.
    assert (main["storageEncrypted"], main["kmsKeyId"], main["publiclyAccessible"]) == (True, KEY_ARN, False)
    assert ignored["unit-primary"] == ["snapshotIdentifier"]
    assert ignored["unit-replica-1"] == []
    assert "snapshotIdentifier" not in built.named("unit-replica-1").inputs


def test_new_primary_is_unchanged_by_the_setting(build: Callable[..., Registrations]) -> None:
    main = build(lambda: Database("unit", DatabaseArgs(**BASE))).named("unit-primary").inputs
    assert main["dbName"] == "app" and main["username"] == "postgres"
    assert "snapshotIdentifier" not in main


def test_component_refuses_a_database_name_with_a_restore() -> None:
    with pytest.raises(ValueError, match="RDS cannot create or rename"):
        DatabaseArgs(
            **{**BASE, "config": database_config(snapshot_identifier=SNAPSHOT), "database_name": "maplequest"}
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"snapshot_identifier": "1-starts-with-digit"}, "DB snapshot identifier"),
        ({"snapshot_identifier": "two--hyphens"}, "DB snapshot identifier"),
        (
            {"snapshot_identifier": "arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:c1"},
            "cluster snapshots restore only into Aurora",
        ),
    ],
)
def test_config_refuses_what_a_restore_refuses(kwargs: dict[str, Any], message: str) -> None:
    (problem,) = DatabaseConfig.problems({**CONFIG_VALUES, **kwargs})
    assert (problem.field, problem.value) == ("snapshot_identifier", kwargs["snapshot_identifier"])
    assert message in problem.fix
    with pytest.raises(ValueError, match=message):
        DatabaseConfig(**{**CONFIG_VALUES, **kwargs})


@pytest.mark.parametrize(
    "snapshot",
    [
        SNAPSHOT,
        "rds:maple-quest-db-2026-11-30-02-10",
        f"arn:aws:rds:eu-west-1:123456789012:snapshot:{SNAPSHOT}",
    ],
)
def test_setting_accepts_identifiers_and_same_region_arns(snapshot: str) -> None:
    settings = load("staging", dbSnapshotIdentifier=snapshot, dbEngineVersion="16.15")
    assert settings.database.snapshot_identifier == snapshot
    assert load("staging").database.snapshot_identifier is None


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (
            {
                "dbSnapshotIdentifier": f"arn:aws:rds:us-west-2:123456789012:snapshot:{SNAPSHOT}",
                "dbEngineVersion": "16.15",
            },
            "the snapshot is in us-west-2, the stack in eu-west-1",
        ),
        ({"dbSnapshotIdentifier": "snap_shot", "dbEngineVersion": "16.15"}, "DB snapshot identifier"),
    ],
)
def test_setting_refusals_name_the_key_and_the_fix(overrides: dict[str, str], needle: str) -> None:
    message = refusal("staging", **overrides)
    assert f"{KEY}dbSnapshotIdentifier: got" in message
    assert needle in message


def test_whole_stack_restores_and_the_app_uses_the_restored_database(
    run_stack: Callable[..., ProgramRun],
) -> None:
    run = run_stack("staging", dbSnapshotIdentifier=SNAPSHOT, dbEngineVersion="16.15")
    main = run.named("epicvibe-database-primary").inputs
    assert main["snapshotIdentifier"] == SNAPSHOT and "dbName" not in main
    assert main["engineVersion"] == "16.15"
    assert run.named("epicvibe-database-params").inputs["family"] == "postgres16"
