"""A first `pulumi preview` of our stacks, with the unknowns a real one has: the pack judges every
task definition whole, and the plan says what it could not judge yet, and why."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.runtime import rpc

from offline import plan_text
from offline.mocks import first_preview
from scripts.preview_comment import UNJUDGED_POLICY
from tests.conftest import STACKS
from tests.fixtures import cached_plan

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"


def preview(*args: str) -> tuple[int, str]:
    """`make plan PLAN_ARGS="--preview-unknowns ..."`, once per argument list for the session."""
    code, out, _ = cached_plan("--preview-unknowns", *args)
    return code, out


def document(stack: str) -> dict[str, Any]:
    code, out = preview("--stack", stack, "--json")
    assert code == 0
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def test_a_first_preview_keeps_inputs_and_autonamed_names_and_hides_what_aws_computes() -> None:
    inputs = {"identifier": "epicvibe-db", "port": 5432.0}
    state = {
        **inputs,
        "name": "epicvibe-db-1a2b3c4",
        "address": "x.rds.amazonaws.com",
        "arn": "arn:aws:rds:x",
    }
    resource_id, planned = first_preview(inputs, "epicvibe-db-1a2b3c4", state)
    assert resource_id == ""  # the engine's "not known yet"
    assert planned["identifier"] == "epicvibe-db" and planned["port"] == 5432.0
    assert planned["name"] == "epicvibe-db-1a2b3c4"  # Pulumi's autoname: in the preview already
    assert planned["address"] == planned["arn"] == rpc.UNKNOWN


@pytest.mark.subprocess
@pytest.mark.parametrize("stack", STACKS)
def test_task_definitions_are_known_and_judged_in_a_first_preview(stack: str) -> None:
    planned = document(stack)
    definitions = [r for r in planned["resources"] if r["type"] == TASK_DEFINITION]
    assert len(definitions) == 5
    for definition in definitions:
        text = definition["inputs"]["containerDefinitions"]
        assert isinstance(text, str) and rpc.UNKNOWN not in text, definition["name"]
        app = json.loads(text)[0]
        assert {e["name"]: e["value"] for e in app["environment"]}["DEBUG"] == "False"
    coverage = planned["previewCoverage"]
    unjudged_types = {r["type"] for r in coverage["unjudged"]}
    assert TASK_DEFINITION not in unjudged_types
    # The mode has the unknowns a first preview has: the database's address, for one, is unknown,
    # so its parameter's value waits for `pulumi up` (and is counted, not silently passed).
    assert coverage["unjudgedCount"] == len(coverage["unjudged"]) > 0
    waiting = {r["name"]: r["properties"] for r in coverage["unjudged"] if r["type"] == SSM_PARAMETER}
    assert waiting["epicvibe-app-database-host-setting"] == {
        "value": ["ecs-no-plaintext-secrets", "ecs-parameter-settings-safe"]
    }
    not_judged = {(f["policy"], f["type"]) for f in planned["policy"]["findings"] if f["notJudged"]}
    assert not {p for p, t in not_judged if t == TASK_DEFINITION}


@pytest.mark.subprocess
def test_the_text_preview_says_how_many_resources_wait_and_for_which_properties() -> None:
    _, out = preview("--stack", "staging")
    count = document("staging")["previewCoverage"]["unjudgedCount"]
    summary = " ".join(out.split("not judged in this preview: ", 1)[1].split())
    assert summary.startswith(f"{count} resources, whose ")
    assert "value (5)" in summary and "containerDefinitions" not in summary
    assert max(len(line) for line in out.splitlines()) <= plan_text.WIDTH


@pytest.mark.subprocess
def test_a_plan_without_unknowns_reports_nothing_unjudged() -> None:
    code, out, _ = cached_plan("--stack", "staging", "--json")  # test_plan's run, if it ran first
    assert code == 0
    assert json.loads(out)["previewCoverage"] == {"unjudgedCount": 0, "unjudged": []}


@pytest.mark.subprocess
def test_the_preview_mode_still_runs_invokes() -> None:
    # Region, account and partition come from invokes, which a preview runs: the parameter ARNs in
    # `valueFrom` are built from them and must be known.
    planned = document("staging")
    (web,) = [r for r in planned["resources"] if r["name"] == "epicvibe-app-web-task"]
    value_from = [s["valueFrom"] for s in json.loads(web["inputs"]["containerDefinitions"])[0]["secrets"]]
    assert value_from and all(
        v.startswith("arn:aws:ssm:eu-west-1:123456789012:parameter/") for v in value_from
    )


@pytest.mark.subprocess
def test_a_first_preview_prints_the_same_json_every_time() -> None:
    # CI compares previews line by line: nothing in the JSON may depend on memory addresses or on the
    # order in which the engine hands over resources or the pack answers.
    planned = document("staging")
    inputs = json.dumps([r["inputs"] for r in planned["resources"]])
    assert " object at 0x" not in inputs
    assert rpc.UNKNOWN in inputs  # what preview cannot know, as `pulumi preview --json` prints it
    findings = planned["policy"]["findings"]
    keys = [(f["phase"], f["policy"], f["urn"], f["message"]) for f in findings]
    assert keys == sorted(keys)
    (coverage,) = [f["message"] for f in findings if f["policy"] == UNJUDGED_POLICY]
    listed = [item.split(": ", 1)[0] for item in coverage.split("Not judged yet: ", 1)[1].split(" | ")]
    assert len(listed) > 1 and listed == sorted(listed)
