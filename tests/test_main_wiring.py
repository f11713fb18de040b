"""__main__.py stays a short wiring script: what every component repeats lives in the stack-wide
handle, and what is derived from settings lives on the settings types."""

from __future__ import annotations

import pytest

from tests._handles import stack_wide
from tests.conftest import ROOT
from tests.test_settings import CERTIFICATE, load

MAIN = ROOT / "__main__.py"


def test_main_reads_top_to_bottom_in_at_most_150_lines() -> None:
    source = MAIN.read_text()
    assert len(source.splitlines()) <= 150, "move repeated values into StackWide or the settings types"
    # Cycles close with post-construction methods (database.admit, storage.serve_through).
    assert "deferred_output" not in source


@pytest.mark.parametrize(("keep_data", "days"), [(True, 30), (False, 7)])
def test_a_stack_that_keeps_its_data_keeps_deleted_secrets_recoverable_longest(
    keep_data: bool, days: int
) -> None:
    assert stack_wide(keep_data=keep_data).secret_recovery_window_days == days


def test_the_stack_wide_handle_carries_the_stacks_own_values() -> None:
    settings = load("prod")
    stack = settings.stack_wide(kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/x")
    assert stack.physical_name == "epicvibe-prod"
    assert stack.keep_data is True
    assert stack.log_retention_days == settings.observability.log_retention_days
    assert stack.tags == settings.stack.tags


def test_settings_derive_the_origin_name_database_name_and_amplify_stage() -> None:
    prod, staging = load("prod"), load("staging")
    assert prod.origin_domain_name == "origin.epicvibe.example.com"
    # Staging has no domain: CloudFront reaches the ALB by its DNS name unless one is configured.
    assert staging.origin_domain_name is None
    configured = load(
        "staging", albCertificateArn=CERTIFICATE, albOriginDomainName="alb.epicvibe.example.com"
    )
    assert configured.origin_domain_name == "alb.epicvibe.example.com"
    assert (prod.stack.amplify_stage, staging.stack.amplify_stage) == ("PRODUCTION", "DEVELOPMENT")
    assert prod.database_name == "epicvibe"
    restoring = load("prod", dbSnapshotIdentifier="epicvibe-before-cutover")
    assert restoring.database_name is None
