"""Stack files are read as the Pulumi CLI reads them, and config nobody would read is refused.

The CLI parses Pulumi.<stack>.yaml as YAML 1.2 and keeps each config scalar as its text; the program
then gets strings. A key under a misspelled namespace, or a missing aws:region, would otherwise pass
without a word and surface only at `pulumi up`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pulumi
import pytest

from offline.engine import activate_mocks
from offline.stack_config import PlanError, load_stack_config
from settings import load_settings
from tests.conftest import ROOT

PROJECT = "django-platform"
STAGING = (ROOT / "Pulumi.staging.yaml").read_text()


def stack_dir(tmp_path: Path, text: str, stack: str = "t") -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(text)
    return tmp_path


def staging_plus(*lines: str) -> str:
    return STAGING + "".join(f"  {line}\n" for line in lines)


def refusal(program_dir: Path, stack: str = "t") -> str:
    config = load_stack_config(program_dir, stack)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    activate_mocks(config.project, stack)
    with pytest.raises(pulumi.RunError) as caught:
        load_settings()
    return str(caught.value)


def problems(message: str) -> list[str]:
    return message.split("\n  - ")[1:]


# --- YAML 1.2, scalar text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "received"),
    [
        ("16.10", "16.10"),  # YAML 1.1 (PyYAML) would make it the float 16.1
        ("yes", "yes"),  # YAML 1.1 would make it true
        ("off", "off"),
        ("0x10", "0x10"),
        ("1e3", "1e3"),
        ("2026-01-31", "2026-01-31"),
        ("'16.10'", "16.10"),
        ("~", ""),  # the CLI hands an empty string for a null scalar
        ("", ""),
        ("true", "true"),
        ("[logs, yes, 16.10]", '["logs", "yes", 16.1]'),  # structured values travel as JSON
        # ... with YAML 1.2 core types inside: 012 is twelve, no timestamps, only true/false
        ("[012, 0o12, 0x1f, on, 2026-01-31, ~, True]", '[12, 10, 31, "on", "2026-01-31", null, true]'),
    ],
)
def test_config_scalars_reach_the_program_as_their_text(tmp_path: Path, written: str, received: str) -> None:
    program = stack_dir(tmp_path, staging_plus(f"{PROJECT}:dbEngineVersion: {written}"))
    assert load_stack_config(program, "t").values[f"{PROJECT}:dbEngineVersion"] == received


def test_yes_is_refused_as_a_boolean_with_the_key_named(tmp_path: Path) -> None:
    message = refusal(stack_dir(tmp_path, staging_plus(f"{PROJECT}:keepData: yes")))
    assert f"{PROJECT}:keepData: got 'yes'; expected true or false" in problems(message)


def test_a_duplicate_key_is_refused_with_its_line(tmp_path: Path) -> None:
    program = stack_dir(tmp_path, staging_plus(f"{PROJECT}:azCount: 2", f"{PROJECT}:azCount: 3"))
    with pytest.raises(
        PlanError, match=r"Pulumi\.t\.yaml line \d+: key 'django-platform:azCount' is already set above"
    ):
        load_stack_config(program, "t")


def test_a_secure_value_is_still_a_secret(tmp_path: Path) -> None:
    program = stack_dir(tmp_path, staging_plus(f"{PROJECT}:djangoSecretKey:", "    secure: v1:abc"))
    config = load_stack_config(program, "t")
    assert f"{PROJECT}:djangoSecretKey" in config.secret_keys
    assert f"{PROJECT}:djangoSecretKey" not in config.unset_secrets


# --- namespaces ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("django_platform:natStrategy", f"{PROJECT}:natStrategy"),
        ("django-platfrom:natStrategy", f"{PROJECT}:natStrategy"),
        ("djangoplatform:natStrategy", f"{PROJECT}:natStrategy"),
        ("Django-Platform:natStrategy", f"{PROJECT}:natStrategy"),
        ("django_platform:natStrategi", f"{PROJECT}:natStrategy"),  # both misspelled
        ("aws:natStrategy", f"{PROJECT}:natStrategy"),  # our key under a provider's namespace
    ],
)
def test_a_key_under_a_misspelled_namespace_is_refused(tmp_path: Path, key: str, meant: str) -> None:
    message = refusal(stack_dir(tmp_path, staging_plus(f"{key}: one-per-az")))
    [problem] = problems(message)
    assert problem.startswith(f"{key}: got 'one-per-az'; ")
    assert problem.endswith(f"did you mean '{meant}'?")


def test_provider_namespaces_are_left_alone(tmp_path: Path) -> None:
    program = stack_dir(
        tmp_path,
        staging_plus(
            "aws:skipCredentialsValidation: 'true'",
            "aws:defaultTags:",
            "    tags:",
            "      CostCenter: platform",
            "pulumi:disable-default-providers: '[]'",
            "random:seed: abc",
        ),
    )
    config = load_stack_config(program, "t")
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    activate_mocks(config.project, "t")
    load_settings()


def test_a_misplaced_secret_is_refused_without_its_value(tmp_path: Path) -> None:
    program = stack_dir(tmp_path, staging_plus("django_platform:djangoSecretKey:", "    secure: v1:abc"))
    [problem] = problems(refusal(program))
    assert problem.startswith("django_platform:djangoSecretKey: 'django_platform' is not this project's")
    assert "offline-plan-placeholder" not in problem and "v1:abc" not in problem


# --- aws:region ------------------------------------------------------------------------------------


def test_a_missing_region_is_refused_with_the_key_named(tmp_path: Path) -> None:
    program = stack_dir(tmp_path, STAGING.replace("  aws:region: eu-west-1\n", ""))
    [problem] = problems(refusal(program))
    assert problem.startswith("aws:region: not set; ")
    assert "pulumi config set aws:region <region>" in problem


def test_a_misspelled_region_key_is_pointed_out(tmp_path: Path) -> None:
    program = stack_dir(tmp_path, STAGING.replace("aws:region:", "aws:regoin:"))
    [problem] = problems(refusal(program))
    assert problem.startswith("aws:region: not set (is 'aws:regoin' a misspelling of it?); ")
