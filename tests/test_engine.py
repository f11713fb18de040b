"""The offline engine: what it reports when a program cannot finish, and that runs do not leak."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pulumi
import pytest

from offline.engine import ProgramRun, run_program
from offline.stack_config import PlanError


def _program(folder: Path, main: str) -> Path:
    (folder / "Pulumi.yaml").write_text("name: scratch\nruntime: python\n")
    (folder / "Pulumi.dev.yaml").write_text("config: {}\n")
    (folder / "__main__.py").write_text(main)
    return folder


@pytest.mark.slow
def test_a_deferred_output_never_resolved_is_reported_instead_of_hanging(tmp_path: Path) -> None:
    program = _program(
        tmp_path,
        "import pulumi\nnever, _resolve = pulumi.deferred_output()\npulumi.export('never', never)\n",
    )
    with pytest.raises(PlanError, match=r"did not finish within 0.25 s: .*deferred_output"):
        run_program(program, "dev", timeout=0.25)


def test_a_failed_output_left_behind_does_not_fail_the_next_run(tmp_path: Path) -> None:
    # As a settings test does: build an Output whose apply fails, outside any program run.
    def fail(_: object) -> None:
        raise pulumi.RunError("boom from an earlier test")

    pulumi.Output.from_input(1).apply(fail)
    # Any next run would await the leftover and raise its error; a one-line program shows it as well
    # as the whole platform does, in a fraction of the time.
    program = _program(
        tmp_path, "import pulumi\npulumi.export('answer', pulumi.Output.from_input(42).apply(lambda v: v))\n"
    )
    run = run_program(program, "dev")
    assert run.stack_outputs == {"answer": 42}


def test_the_plan_names_secrets_it_planned_with_placeholders_and_only_those_used(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["staging"]
    # Amplify's token is read only when a repository is configured; staging has none.
    assert sorted(run.placeholder_secrets) == [
        "django-platform:cacheAuthToken",
        "django-platform:djangoSecretKey",
    ]
    # Not declared `secret: true` (an optional secret has an empty default), so nothing to fill.
    assert "django-platform:amplifyAccessToken" not in run.config.unset_secrets


@pytest.mark.slow
def test_a_program_of_many_resources_runs_within_a_tight_recursion_limit(tmp_path: Path) -> None:
    # The mock engine answers the SDK's calls on the loop's own thread, and each answer turns the
    # loop again; unbounded, the calls nest about as deep as the resources still waiting, and a
    # program of a few hundred resources overflows Python's stack. 300 resources under a limit only
    # some 300 frames above this test's own depth: enough for bounded nesting, far too few otherwise.
    program = _program(
        tmp_path,
        "import pulumi_aws as aws\n"
        "for i in range(300):\n"
        "    aws.ssm.Parameter(f'p{i}', type='String', value=str(i))\n",
    )
    depth = len(inspect.stack(0))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 300)
    try:
        run = run_program(program, "dev")
    finally:
        sys.setrecursionlimit(limit)
    assert len(run.resources) == 300
