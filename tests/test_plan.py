"""`make plan`: preview plus the policy pack, on both stacks and on the rejected Maple Quest example."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pulumi
import pytest

from offline import analyzer, plan
from tests.conftest import ROOT, STACKS

EXAMPLE = ROOT / "examples" / "maple_quest_current"

# Each risk seed 004 marks, as (policy, resource) the pack must name.
SEED_RISKS = {
    ("database-not-publicly-accessible", "maple-quest-db"),
    ("no-internet-ingress-to-database-ports", "maple-quest-db-sg"),
    ("data-subnet-groups-private", "maple-quest-db-subnets"),
    ("ecs-service-no-public-ip", "maple-quest-service"),
    ("s3-no-public-acl", "maple-quest-images-acl"),
    ("s3-policy-no-public-principal", "maple-quest-images-policy"),
    ("s3-public-access-block", "maple-quest-images-public-access"),
    ("ecs-django-allowed-hosts-explicit", "maple-quest-task"),
    ("ecs-no-plaintext-secrets", "maple-quest-task"),
    ("lb-http-redirects-to-https", "maple-quest-http"),
    ("cloudwatch-log-retention", "maple-quest-logs"),
}


def run_plan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = plan.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def findings(out: str) -> list[dict[str, Any]]:
    return json.loads(out)["policy"]["findings"]


@pytest.mark.subprocess
@pytest.mark.parametrize("stack", STACKS)
def test_our_stacks_pass_the_pack(capsys: pytest.CaptureFixture[str], stack: str) -> None:
    code, out, err = run_plan(capsys, "--stack", stack, "--json")
    assert [f for f in findings(out) if f["level"] == "mandatory"] == []
    assert code == 0, err
    assert json.loads(out)["policy"]["pack"]["name"] == "django-platform-policies"


@pytest.mark.subprocess
def test_the_example_is_rejected_with_each_seed_risk(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_plan(capsys, "--program", str(EXAMPLE), "--stack", "dev", "--json")
    assert code == 1
    mandatory = {(f["policy"], f["name"]) for f in findings(out) if f["level"] == "mandatory"}
    assert mandatory >= SEED_RISKS
    assert not [f for f in findings(out) if f["notJudged"]]


@pytest.mark.subprocess
def test_the_human_output_groups_findings_by_level(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_plan(capsys, "--program", str(EXAMPLE), "--stack", "dev")
    assert code == 1
    assert "error: preview failed:" in err and "mandatory policy violation(s)" in err
    findings_section = out[out.index("Policies: django-platform-policies@v") :]
    assert "    mandatory (" in findings_section
    assert (
        "      [database-not-publicly-accessible]  aws:rds/instance:Instance  maple-quest-db\n"
        "          publiclyAccessible is true" in findings_section
    )
    assert (
        "[ecs-django-allowed-hosts-explicit]  aws:ecs/taskDefinition:TaskDefinition  maple-quest-task" in out
    )
    assert "Policy summary: " in out


@pytest.mark.subprocess
def test_levels_can_be_overridden_with_a_policy_pack_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    overrides = tmp_path / "policy-config.json"
    overrides.write_text(json.dumps({"all": "advisory", "cloudwatch-log-retention": {"minimumDays": 7}}))
    code, out, _ = run_plan(
        capsys, "--program", str(EXAMPLE), "--stack", "dev", "--json", "--policy-pack-config", str(overrides)
    )
    assert code == 0
    reported = {(f["policy"], f["level"]) for f in findings(out)}
    assert ("database-not-publicly-accessible", "advisory") in reported
    assert "cloudwatch-log-retention" not in {policy for policy, _ in reported}


def test_unknown_stack_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_plan(capsys, "--stack", "qa")
    assert code == 2 and out == ""
    assert (
        err
        == "error: unknown stack 'qa' for project 'django-platform': no Pulumi.qa.yaml (known stacks: prod, staging)\n"
    )


def test_invalid_policy_pack_config_is_one_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    overrides = tmp_path / "bad.json"
    overrides.write_text('{"database-not-publicly-accessible": "sometimes"}')
    code, _, err = run_plan(capsys, "--policy-pack-config", str(overrides))
    assert code == 2
    assert "'sometimes' is not an enforcement level" in err


@pytest.mark.subprocess
def test_a_pack_that_fails_to_start_is_reported_with_its_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text(
        f"runtime:\n  name: python\n  options:\n    virtualenv: {ROOT / '.venv'}\n"
    )
    (tmp_path / "__main__.py").write_text("import platform_guard_missing\n")
    code, _, err = run_plan(capsys, "--policy-pack", str(tmp_path))
    assert code == 2
    assert err.startswith(f"error: policy pack {tmp_path} failed to start (exit code 1)")
    assert "No module named 'platform_guard_missing'" in err


@pytest.mark.subprocess
def test_the_pack_is_stopped_when_the_program_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[analyzer.PolicyPackProcess] = []
    original_start = analyzer.PolicyPackProcess.start

    def start(self: analyzer.PolicyPackProcess) -> analyzer.PolicyPackProcess:
        started.append(self)
        return original_start(self)

    def failing_program(*args: object, **kwargs: object) -> None:
        raise pulumi.RunError("invalid configuration for stack 'staging': test")

    monkeypatch.setattr(analyzer.PolicyPackProcess, "start", start)
    monkeypatch.setattr(plan, "run_with_config", failing_program)
    code, _, err = run_plan(capsys, "--stack", "staging")
    assert code == 2 and "test" in err
    [process] = started
    assert process._process is not None and process._process.poll() is not None


def test_findings_not_judged_yet_are_listed_apart_and_do_not_fail_the_plan() -> None:
    finding = analyzer.Finding(
        policy="ecs-no-plaintext-secrets",
        level="advisory",
        message="web: containerDefinitions cannot be judged yet",
        description="",
        urn="urn:x",
        resource_type="aws:ecs/taskDefinition:TaskDefinition",
        resource_name="web",
        phase="resource",
        not_judged=True,
    )
    analysis = analyzer.Analysis("pack", "1.0.0", [], {}, [finding], Counter(), 1, [])
    lines = plan.render_findings(analysis)
    assert lines[1] == "    not judged yet (values unknown until `pulumi up`) (1):"
    assert lines[2] == "      [ecs-no-plaintext-secrets]  aws:ecs/taskDefinition:TaskDefinition  web"
    assert not analysis.mandatory
