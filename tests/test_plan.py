"""`make plan`: preview plus the policy pack, on both stacks and on the rejected Maple Quest example."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pulumi
import pytest

from offline import analyzer, pack_process, plan, plan_phases, plan_text
from tests.conftest import ROOT, STACKS
from tests.fixtures import cached_plan, cached_plan_phases

EXAMPLE = ROOT / "examples" / "maple_quest_current"

# Each risk Maple Quest's architecture review marks, as (policy, resource) the pack must name.
REVIEWED_RISKS = {
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
def test_our_stacks_pass_the_pack(stack: str) -> None:
    code, out, err = cached_plan("--stack", stack, "--json")
    assert [f for f in findings(out) if f["level"] == "mandatory"] == []
    assert code == 0, err
    assert json.loads(out)["policy"]["pack"]["name"] == "django-platform-policies"


@pytest.mark.subprocess
def test_a_plan_stamps_its_phases_in_the_order_they_happen() -> None:
    """What `python -m offline.plan_phases` splits a plan's time by: the pack has judged every
    resource only after the program ended, and the whole-stack analysis comes last."""
    stamps = cached_plan_phases("--stack", "prod", "--json")
    order = ["first", "last", "program", "judged", "stack"]
    assert sorted(stamps, key=stamps.__getitem__) == order
    assert stamps["first"] < stamps["last"], "the prod program registers more than one resource"


def test_phase_durations_are_the_gaps_between_the_stamps() -> None:
    stamps = {"spawn": 10.0, "first": 11.25, "last": 11.5, "program": 11.5, "judged": 11.75, "stack": 12.0}
    took = plan_phases.durations({**stamps, "printed": 12.5})
    assert took == {
        "start to the first registration": 1.25,
        "registrations": 0.25,
        "end of the program": 0.0,
        "pack still judging": 0.25,
        "whole-stack analysis (AnalyzeStack)": 0.25,
        "cost estimate and JSON output": 0.5,
    }
    assert sum(took.values()) == stamps["stack"] + 0.5 - stamps["spawn"]


@pytest.mark.subprocess
def test_the_json_lists_resources_and_cost_items_in_a_stable_order() -> None:
    # The SDK registers from several threads; two plans of one program must still diff line by line.
    document = json.loads(cached_plan("--stack", "prod", "--json")[1])
    urns = [r["urn"] for r in document["resources"]]
    assert urns == sorted(urns)
    by_urn = {r["name"]: r["urn"] for r in document["resources"]}
    # Items priced per resource follow the resources' order (shared items, such as all NAT gateways'
    # data processing, name no one resource).
    item_urns = [by_urn[i["resource"]] for i in document["cost"]["items"] if i["resource"] in by_urn]
    assert item_urns and item_urns == sorted(item_urns)


@pytest.mark.subprocess
def test_the_example_is_rejected_with_each_risk_its_review_marks() -> None:
    code, out, _ = cached_plan("--program", str(EXAMPLE), "--stack", "dev", "--json")
    assert code == 1
    mandatory = {(f["policy"], f["name"]) for f in findings(out) if f["level"] == "mandatory"}
    assert mandatory >= REVIEWED_RISKS
    assert not [f for f in findings(out) if f["notJudged"]]


@pytest.mark.subprocess
def test_the_human_output_groups_findings_by_level() -> None:
    code, out, err = cached_plan("--program", str(EXAMPLE), "--stack", "dev")
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
    assert all(len(line) <= plan_text.WIDTH for line in err.splitlines())
    assert (
        " ".join(err.split())
        == "error: unknown stack 'qa' for project 'django-platform': no Pulumi.qa.yaml (known stacks: prod, staging)"
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
    assert " ".join(err.split()).startswith(f"error: policy pack {tmp_path} failed to start (exit code 1)")
    assert "No module named 'platform_guard_missing'" in err


@pytest.mark.subprocess
def test_the_pack_is_stopped_when_the_program_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[pack_process.PolicyPackProcess] = []
    original_start = pack_process.PolicyPackProcess.start

    def start(self: pack_process.PolicyPackProcess) -> pack_process.PolicyPackProcess:
        started.append(self)
        return original_start(self)

    def failing_program(*args: object, **kwargs: object) -> None:
        raise pulumi.RunError("invalid configuration for stack 'staging': test")

    monkeypatch.setattr(pack_process.PolicyPackProcess, "start", start)
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
    lines = plan_text.render_findings(analysis)
    assert lines[1] == "    not judged yet (values unknown until `pulumi up`) (1):"
    assert lines[2] == "      [ecs-no-plaintext-secrets]  aws:ecs/taskDefinition:TaskDefinition  web"
    assert not analysis.mandatory


# --- text output: 100 columns, mock values marked; --json for the full data -----------------------


@pytest.mark.subprocess
@pytest.mark.parametrize(
    "args", [("--stack", "staging"), ("--stack", "prod"), ("--program", str(EXAMPLE), "--stack", "dev")]
)
def test_every_line_fits_a_100_column_terminal(args: tuple[str, ...]) -> None:
    _, out, err = cached_plan(*args)
    long = [line for line in (out + err).splitlines() if len(line) > plan_text.WIDTH]
    assert long == []
    assert "Resources:" in out


@pytest.mark.subprocess
def test_long_values_are_cut_in_the_middle_and_the_full_ones_are_in_json() -> None:
    _, out, _ = cached_plan("--stack", "staging")
    [line] = [line for line in out.splitlines() if line.startswith("    bastionPortForwardCommand: ")]
    assert line.startswith('    bastionPortForwardCommand: "aws ssm start-session --target')
    assert plan_text.ELLIPSIS in line and line.endswith('--region eu-west-1" (mock)')
    assert "`--json` prints it in full." in out
    _, document, _ = cached_plan("--stack", "staging", "--json")
    command = json.loads(document)["outputs"]["bastionPortForwardCommand"]
    assert "AWS-StartPortForwardingSessionToRemoteHost" in command and plan_text.ELLIPSIS not in command


@pytest.mark.subprocess
def test_outputs_the_mock_engine_made_up_are_marked() -> None:
    _, out, _ = cached_plan("--stack", "staging")
    outputs = dict(
        line.strip().split(": ", 1)
        for line in out.split("\nOutputs:\n")[1].split("\n\n")[0].splitlines()
        if not line.startswith("    (mock)") and not line.startswith(f"    {plan_text.ELLIPSIS}")
    )
    # Made up by the mocks: ids, ARNs, endpoints, autonamed physical names.
    for key in ("vpcId", "databaseAddress", "kmsKeyArn", "siteUrl", "ecsClusterName", "appSubnetIds"):
        assert outputs[key].endswith(" (mock)"), key
    # Straight from the stack's config or the program: what `pulumi up` would print too.
    for key in ("awsRegion", "vpcCidr", "databaseName", "databasePort", "kmsKeyAlias", "stackProfile"):
        assert not outputs[key].endswith("(mock)"), key
    assert "(mock): made up by the mock engine" in out
    _, document, _ = cached_plan("--stack", "staging", "--json")
    mock_outputs = json.loads(document)["mockOutputs"]
    assert {"vpcId", "databaseAddress"} <= set(mock_outputs) and "awsRegion" not in mock_outputs


def test_the_tree_shows_type_names_as_the_cli_does() -> None:
    assert plan_text.display_type("aws:s3/bucket:Bucket") == "aws:s3:Bucket"
    assert plan_text.display_type("aws:ec2/vpcEndpoint:VpcEndpoint") == "aws:ec2:VpcEndpoint"
    assert plan_text.display_type("django-platform:network:Network") == "django-platform:network:Network"
    assert plan_text.display_type("aws:s3/bucketV2:Bucket") == "aws:s3/bucketV2:Bucket"
    assert plan_text.display_type("pulumi:providers:aws") == "pulumi:providers:aws"


def test_cut_middle_keeps_both_ends() -> None:
    assert plan_text.cut_middle("abcdefghij", 10) == "abcdefghij"
    assert plan_text.cut_middle("abcdefghijk", 10) == "abcde…hijk"
    assert len(plan_text.cut_middle("x" * 500, 37)) == 37


# --- --json: always one JSON document on stdout, errors included -----------------------------------


def test_a_config_error_in_json_mode_is_a_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_plan(
        capsys,
        "--stack",
        "staging",
        "--json",
        "-c",
        "keepData=yes",
        "-c",
        "azCount=7",
        "-c",
        "django_platform:natStrategy=one-per-az",
    )
    assert code == 2
    error = json.loads(out)["error"]
    assert error["message"] == "invalid configuration for stack 'staging'"
    by_key = {p["key"]: p for p in error["problems"]}
    assert by_key["django-platform:keepData"]["value"] == "yes"
    assert by_key["django-platform:keepData"]["allowed"] == "expected true or false"
    assert by_key["django-platform:azCount"]["value"] == "7"
    assert "from 2 to 3" in by_key["django-platform:azCount"]["allowed"]
    assert by_key["django_platform:natStrategy"]["allowed"].endswith(
        "did you mean 'django-platform:natStrategy'?"
    )
    assert "error: invalid configuration" in err  # and the usual message for a person


def test_a_value_containing_the_separator_is_parsed_whole() -> None:
    message = (
        "invalid configuration for stack 's':\n  - p:appName: got 'a; b'; expected letters\n  - p:x: not set"
    )
    assert plan.config_problems(message) == [
        {
            "key": "p:appName",
            "value": "a; b",
            "allowed": "expected letters",
            "message": "p:appName: got 'a; b'; expected letters",
        },
        {"key": "p:x", "value": None, "allowed": "not set", "message": "p:x: not set"},
    ]


def test_a_usage_error_in_json_mode_is_a_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_plan(capsys, "--stack", "qa", "--json")
    assert code == 2
    assert json.loads(out)["error"]["message"].startswith("unknown stack 'qa'")


# --- examples/policy-config.json, the file the README's policy section uses ------------------------

POLICY_CONFIG = ROOT / "examples" / "policy-config.json"


@pytest.mark.subprocess
def test_the_example_policy_config_turns_one_rule_advisory_and_sets_one_setting() -> None:
    shipped = json.loads(POLICY_CONFIG.read_text())
    assert shipped == {
        "lb-http-redirects-to-https": "advisory",
        "cloudwatch-log-retention": {"minimumDays": 7},
    }
    default_code, default_out, _ = cached_plan("--program", str(EXAMPLE), "--stack", "dev", "--json")
    code, out, _ = cached_plan(
        "--program", str(EXAMPLE), "--stack", "dev", "--json", "--policy-pack-config", str(POLICY_CONFIG)
    )
    before = {(f["policy"], f["name"]): f["level"] for f in findings(default_out)}
    after = {(f["policy"], f["name"]): f["level"] for f in findings(out)}
    # The rule made advisory still reports, without failing the plan on its account.
    assert before[("lb-http-redirects-to-https", "maple-quest-http")] == "mandatory"
    assert after[("lb-http-redirects-to-https", "maple-quest-http")] == "advisory"
    # The example keeps logs 7 days: refused at the default 30, accepted with minimumDays 7.
    assert before[("cloudwatch-log-retention", "maple-quest-logs")] == "mandatory"
    assert ("cloudwatch-log-retention", "maple-quest-logs") not in after
    # Everything else is as before: the example is still rejected.
    rest = {
        k: v
        for k, v in before.items()
        if k[0] not in ("lb-http-redirects-to-https", "cloudwatch-log-retention")
    }
    assert {k: v for k, v in after.items() if k in rest} == rest
    assert code == default_code == 1
    assert json.loads(out)["policy"]["warnings"] == []  # every name in it is one of the pack's


@pytest.mark.subprocess
def test_the_example_policy_config_leaves_our_stacks_passing() -> None:
    code, out, _ = cached_plan("--stack", "staging", "--json", "--policy-pack-config", str(POLICY_CONFIG))
    assert code == 0 and not [f for f in findings(out) if f["level"] == "mandatory"]
