"""The PR comment shows the preview and the policy pack's findings, passed or failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.preview_comment import MAX_OUTPUT, comment, findings, main, marker, unjudged, unjudged_block

FAILED = """Previewing update (my-org/staging)

     Type                     Name                  Plan
 +   pulumi:pulumi:Stack      django-platform-staging  create
 +   └─ aws:rds/instance:Instance  epicvibe-database-primary  create

Policy Violations:
    [mandatory]  platform-guard v0.1.0  database-not-public (aws:rds/instance:Instance: epicvibe-database-primary)
    A database must not be publicly accessible.

    [advisory]  platform-guard v0.1.0  tags-present (aws:s3/bucket:Bucket: x)
    Missing Owner tag.

Resources:
    + 2 to create

error: preview failed
"""


def test_a_rejected_preview_still_gets_a_comment_with_the_findings() -> None:
    body = comment("staging", 255, FAILED, "https://github.com/o/r/actions/runs/1")
    assert body.startswith(marker("staging"))
    assert "failed (exit code 255)" in body
    head, _, details = body.partition("<details>")
    assert "[mandatory]  platform-guard v0.1.0  database-not-public" in head
    assert "[advisory]" in head and "Resources:" not in head
    assert "error: preview failed" in details
    assert "[Job log](https://github.com/o/r/actions/runs/1)" in head


def test_a_clean_preview_says_so() -> None:
    body = comment("prod", 0, "Previewing update (my-org/prod)\n\nResources:\n    1 unchanged\n")
    assert "passed" in body and "The policy pack reported no findings." in body


def test_findings_stop_at_the_next_section() -> None:
    section = findings(FAILED)
    assert section[0] == "Policy Violations:" and section[-1].strip() == "Missing Owner tag."


def test_colours_are_stripped_and_fences_cannot_be_closed_by_the_output() -> None:
    body = comment("staging", 1, "\x1b[31merror\x1b[0m\n```\ninjected\n")
    assert "\x1b" not in body and "````text" in body


def test_long_output_is_cut_in_the_middle_to_fit_a_comment() -> None:
    output = "head\n" + "x" * (MAX_OUTPUT * 2) + "\ntail"
    body = comment("staging", 0, output)
    assert len(body) < 65536 and "head" in body and "tail" in body and "characters left out" in body


def test_the_cli_writes_the_body(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.txt").write_text(FAILED)
    assert main(["--stack", "staging", "--exit-code", "255", "--output", str(tmp_path / "p.txt")]) == 0
    assert "database-not-public" in capsys.readouterr().out


# What the CLI prints for the pack's stack rule that counts what a preview could not judge.
UNJUDGED = """Previewing update (my-org/staging)

Policy Violations:
    [advisory]  django-platform-policies v2.0.0  preview-unjudged-resources  (pulumi:pulumi:Stack: django-platform-staging)
    Counts the resources the pack could not judge in a preview.
    2 resources could not be judged in this preview, because properties the rules read are unknown
    until the resources they are built from exist; the rules judge them again on `pulumi up`. Not
    judged yet: aws:ecs/taskDefinition:TaskDefinition 'web-task': containerDefinitions (for
    ecs-django-debug-off, ecs-no-plaintext-secrets) | aws:ecs/service:Service 'web':
    networkConfiguration (for ecs-service-no-public-ip); loadBalancers (for ecs-web-behind-alb)

    [advisory]  django-platform-policies v2.0.0  tags-present  (aws:s3/bucket:Bucket: x)
    Missing Owner tag.

Resources:
    + 2 to create
"""


def test_the_comment_says_how_many_resources_were_not_judged_and_which_properties_wait() -> None:
    body = comment("staging", 0, UNJUDGED)
    head, _, _ = body.partition("<details>")
    assert "#### Not judged in this preview: 2 resources" in head
    assert (
        "- `aws:ecs/taskDefinition:TaskDefinition` **web-task**: `containerDefinitions` "
        "(ecs-django-debug-off, ecs-no-plaintext-secrets)" in head
    )
    assert (
        "- `aws:ecs/service:Service` **web**: `networkConfiguration` (ecs-service-no-public-ip); "
        "`loadBalancers` (ecs-web-behind-alb)" in head
    )
    # The next finding is not read as part of the list.
    assert "tags-present" not in head.split("#### Not judged")[1]


def test_the_offline_plans_text_is_read_the_same_way() -> None:
    planned = """Policies: django-platform-policies@v2.0.0
    advisory (1):
      [preview-unjudged-resources]  pulumi:pulumi:Stack  django-platform-staging
          1 resource could not be judged in this preview, because ... Not judged yet:
          aws:ssm/parameter:Parameter 'db-host': value (for ecs-no-plaintext-secrets)
    not judged yet (values unknown until `pulumi up`) (1):
      [ecs-no-plaintext-secrets]  aws:ssm/parameter:Parameter  db-host
"""
    assert unjudged(unjudged_block(planned)) == (
        1,
        [("aws:ssm/parameter:Parameter", "db-host", {"value": ["ecs-no-plaintext-secrets"]})],
    )


def test_a_preview_that_judged_everything_has_no_such_section() -> None:
    assert "Not judged in this preview" not in comment("staging", 255, FAILED)
    assert unjudged_block(FAILED) == ""


COST_DIFF = """### Estimated monthly cost

| stack | target branch (min) | this PR (min) | change | target branch (max) | this PR (max) | change |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| staging | $137 | $110 | -$27 | $151 | $124 | -$27 |
"""


def test_the_cost_change_against_the_target_branch_is_shown_above_the_full_output() -> None:
    body = comment("staging", 0, "Resources:\n    1 unchanged\n", cost=COST_DIFF)
    head, _, details = body.partition("<details>")
    assert "#### Estimated monthly cost" in head and "| staging | $137 | $110 | -$27 |" in head
    assert "Estimated monthly cost" not in details


def test_a_missing_cost_file_leaves_the_section_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "preview.txt"
    output.write_text("Resources:\n    1 unchanged\n")
    assert (
        main(
            [
                "--stack",
                "prod",
                "--exit-code",
                "0",
                "--output",
                str(output),
                "--cost",
                str(tmp_path / "no.md"),
            ]
        )
        == 0
    )
    assert "Estimated monthly cost" not in capsys.readouterr().out
    (tmp_path / "cost.md").write_text(COST_DIFF)
    main(
        ["--stack", "prod", "--exit-code", "0", "--output", str(output), "--cost", str(tmp_path / "cost.md")]
    )
    assert "#### Estimated monthly cost" in capsys.readouterr().out
