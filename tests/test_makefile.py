"""The Makefile as a newcomer meets it: `make help` lists everything, `make plan` output is usable."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.conftest import ROOT

MAKEFILE = (ROOT / "Makefile").read_text()
USER_VARIABLES = ("PYTHON", "STACK", "PROGRAM", "PLAN_ARGS")


def make(*args: str) -> subprocess.CompletedProcess[str]:
    # Run as a user would, not as a sub-make of `make test`.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return subprocess.run(
        ["make", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def help_text() -> str:
    result = make("help")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_help_lists_every_target(help_text: str) -> None:
    defined = set(re.findall(r"^([a-z][a-z0-9-]*):", MAKEFILE, flags=re.MULTILINE))
    [phony] = re.findall(r"^\.PHONY: (.*)$", MAKEFILE, flags=re.MULTILINE)
    assert defined == set(phony.split())
    listed = set(re.findall(r"^  make (\S+) ", help_text, flags=re.MULTILINE))
    assert listed == defined


def test_help_lists_every_variable_a_user_sets_with_its_default(help_text: str) -> None:
    for name in USER_VARIABLES:
        [default] = re.findall(rf"^{name} *\?= *(.*)$", MAKEFILE, flags=re.MULTILINE)
        assert re.search(rf"^  {name}={re.escape(default)} +\S", help_text, flags=re.MULTILINE), name


def test_help_explains_exit_codes_and_the_override_flag(help_text: str) -> None:
    assert ".venv/bin/python -m offline.plan --stack prod" in help_text
    assert "make turns any failure into its own 2" in help_text
    assert "Pulumi.<stack>.yaml is not changed" in help_text
    assert all(len(line) <= 100 for line in help_text.splitlines())


@pytest.mark.subprocess
def test_plan_json_through_make_is_one_json_document() -> None:
    result = make("plan", "PLAN_ARGS=--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["stack"] == "staging" and document["resources"]


@pytest.mark.subprocess
def test_make_reports_its_own_exit_code_and_names_the_plans() -> None:
    """A mandatory violation is the plan's 1; through make it is 2, with the 1 in make's message."""
    result = make("plan", "PROGRAM=examples/maple_quest_current", "STACK=dev")
    assert result.returncode == 2
    assert "mandatory policy violation(s)" in result.stderr
    assert re.search(r"make: \*\*\* \[Makefile:\d+: plan\] Error 1$", result.stderr.strip())


def test_install_says_what_it_does_and_installs_only_the_dependencies() -> None:
    recipe = make("-n", "-B", ".venv/.installed").stdout
    steps = [line for line in recipe.splitlines() if line.startswith('echo "[')]
    assert [step[6:11] for step in steps] == ["[1/3]", "[2/3]", "[3/3]"]
    assert "installing the locked dependencies into .venv: about a minute the first time" in recipe
    # Exactly the lock file, hashes checked; progress on stderr: stdout stays the plan's.
    assert "pip install --require-hashes --no-deps -r requirements-dev.lock >&2" in recipe
    assert " -e " not in recipe
    # No package of our own: an editable install's import hook (and setuptools' warning about
    # top-level packages) has nothing to do.
    setuptools = (ROOT / "pyproject.toml").read_text().split("[tool.setuptools]\n", 1)[1].split("\n[", 1)[0]
    assert re.search(r"^packages = \[\]$", setuptools, flags=re.MULTILINE)
    assert "py-modules" not in setuptools
    assert "-e" not in (ROOT / "requirements.txt").read_text().split()
