"""`make plan-example` passes only when the plan fails with policy violations, nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from offline import plan
from scripts import expect_plan_rejected

ROOT = Path(__file__).resolve().parent.parent


def test_a_plan_that_passes_fails_the_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As our own stacks' plans do (test_plan checks that they pass): an "example expected to fail"
    # that plans cleanly must not pass the check.
    monkeypatch.setattr(plan, "main", lambda _argv: plan.EXIT_OK)

    assert expect_plan_rejected.main(["--program", str(ROOT), "--stack", "staging"]) == 1
    assert "passed; the policy pack was expected to reject it" in capsys.readouterr().err


def test_a_plan_that_cannot_run_fails_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = expect_plan_rejected.main(["--program", str(tmp_path / "missing"), "--stack", "dev"])

    assert code == 1
    assert f"could not run (exit {plan.EXIT_USAGE})" in capsys.readouterr().err


def test_policy_violations_pass_the_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[Sequence[str]] = []

    def rejected_plan(argv: Sequence[str]) -> int:
        seen.append(argv)
        return plan.EXIT_FINDINGS

    monkeypatch.setattr(plan, "main", rejected_plan)

    assert expect_plan_rejected.main(["--program", "examples/maple_quest_current", "--stack", "dev"]) == 0
    assert seen == [["--program", "examples/maple_quest_current", "--stack", "dev"]]
    assert (
        "rejected the plan of examples/maple_quest_current (stack dev), as expected"
        in capsys.readouterr().out
    )
