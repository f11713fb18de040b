"""The delivery workflows do, in order, what docs/delivery.md says (read from the YAML itself)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def step_index(steps: list[dict[str, Any]], fragment: str) -> int:
    matches = [
        i for i, s in enumerate(steps) if fragment in s.get("run", "") or fragment in s.get("name", "")
    ]
    assert len(matches) == 1, (fragment, matches)
    return matches[0]


def test_nothing_is_committed_or_pushed_to_git() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert not re.search(r"\bgit (commit|push)\b", text), path.name


def test_one_arm64_build_is_deployed_by_digest_to_staging_then_prod() -> None:
    deploy = load("deploy.yml")
    build = deploy["jobs"]["build"]
    assert build["runs-on"] == "ubuntu-24.04-arm"
    run = next(s["run"] for s in build["steps"] if "buildx build" in s.get("run", ""))
    assert "--platform linux/arm64" in run and "--push" in run and "--provenance=false" in run
    assert "APP_RELEASE=${GITHUB_SHA}" in run
    staging, prod = deploy["jobs"]["staging"], deploy["jobs"]["production"]
    assert staging["needs"] == "build" and prod["needs"] == ["build", "staging"]
    for job in (staging, prod):
        assert job["with"]["image-digest"] == "${{ needs.build.outputs.digest }}"
    assert prod["with"]["environment"] == "production"


def test_a_stack_deploy_runs_its_steps_in_the_documented_order() -> None:
    steps = load("deploy-stack.yml")["jobs"]["deploy"]["steps"]
    order = [
        step_index(steps, "pulumi config set --stack"),
        step_index(steps, "wake_services.py wake"),
        step_index(steps, "Register the release's one-off task definitions"),
        step_index(steps, "Run the migrations (expand)"),
        step_index(steps, "Collect static files"),
        step_index(steps, "returns when the services are steady"),
        step_index(steps, "smoke_check.py"),
        step_index(steps, "wake_services.py restore"),
    ]
    assert order == sorted(order)
    targeted = steps[order[2]]["run"]
    assert "--target" in targeted and "releaseTaskUrns" in targeted
    assert steps[order[-1]]["if"] == "${{ always() }}"
    assert '--digest "$DIGEST"' in steps[order[6]]["run"]


def test_the_preview_comment_is_written_whether_the_preview_passed_or_failed() -> None:
    steps = load("preview.yml")["jobs"]["preview"]["steps"]
    preview = steps[step_index(steps, "pulumi preview --stack")]
    assert "set +e" in preview["run"] and "PIPESTATUS" in preview["run"]
    comment = steps[step_index(steps, "preview_comment.py")]
    assert "!cancelled()" in comment["if"]
    fail = steps[step_index(steps, "Fail if the preview failed")]
    assert step_index(steps, "preview_comment.py") < steps.index(fail)


def test_the_preview_comment_shows_the_cost_change_against_the_target_branch() -> None:
    steps = load("preview.yml")["jobs"]["preview"]["steps"]
    (base,) = [s for s in steps if s.get("with", {}).get("path") == ".preview-base"]
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert base["with"]["persist-credentials"] is False
    cost = steps[step_index(steps, "offline.cost diff")]
    script = cost["run"]
    # Both sides planned offline for the matrix stack, the base in its own checkout.
    assert script.count('-m offline.plan --stack "$MATRIX_STACK" --json') == 2
    assert "cd .preview-base" in script and "cost-base.json" in script and "cost-head.json" in script
    assert "${{" not in script  # values reach the script through env, never by template
    comment = steps[step_index(steps, "preview_comment.py")]
    assert '--cost "$RUNNER_TEMP/cost.md"' in comment["run"]
    # Planned before AWS credentials exist, and before the comment that carries it.
    credentials = [i for i, s in enumerate(steps) if "configure-aws-credentials" in s.get("uses", "")]
    assert steps.index(base) < steps.index(cost) < credentials[0] < steps.index(comment)


def test_previews_and_deploys_name_the_stacks_alike() -> None:
    preview = load("preview.yml")["jobs"]["preview"]["env"]["STACK"]
    deploy = load("deploy-stack.yml")["jobs"]["deploy"]["env"]["STACK"]
    assert preview.replace("matrix.stack", "X") == deploy.replace("inputs.stack", "X")
    assert "vars.PULUMI_ORG || 'organization'" in deploy
