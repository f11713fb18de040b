"""The pack on its own, as a published pack: `policies/` copied alone to an empty folder, its
virtualenv built from its own requirements.txt (as the CLI does when it installs a published Python
pack: `<pack>/venv`, named by PulumiPolicy.yaml), started the way the CLI starts it, and given a
violating resource over gRPC. Slow (it installs pulumi and pulumi-policy from the package index,
through pip's wheel cache), so the quick loop skips it: `pytest -m slow`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pulumi_aws as aws
import pytest
import yaml

from offline.analyzer import analyze
from offline.engine import ProgramRun
from offline.pack_process import DEFAULT_PACK_DIR, PolicyPackProcess
from offline.stack_config import load_stack_config
from tests.conftest import ROOT
from tests.fixtures import Build

pytestmark = pytest.mark.slow


def test_pack_declares_its_own_virtualenv_and_publish_metadata() -> None:
    project = yaml.safe_load((DEFAULT_PACK_DIR / "PulumiPolicy.yaml").read_text())
    virtualenv = project["runtime"]["options"]["virtualenv"]
    assert not virtualenv.startswith("..") and not Path(virtualenv).is_absolute()
    assert project["version"] and project["description"]
    assert "pulumi-policy" in (DEFAULT_PACK_DIR / "requirements.txt").read_text()


def test_the_pack_copied_alone_installs_and_rejects_a_public_database(tmp_path: Path, build: Build) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK_DIR, pack, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    venv = pack / yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())["runtime"]["options"]["virtualenv"]
    # The venv gets no pip of its own: this interpreter's pip installs into it (`--python`, pip >= 22.3,
    # which `make install` guarantees). The venv still holds only what requirements.txt names, and the
    # test skips ensurepip and a second pip start (about half its time). `--no-compile`: pip would
    # byte-compile every installed module, thousands of them; the pack compiles the few it imports.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "--no-compile",
            "-r",
            str(pack / "requirements.txt"),
        ],
        check=True,
        cwd=pack,
    )
    # Nothing of the project leaks in: the pack's interpreter cannot import the program's packages.
    leak = subprocess.run([str(venv / "bin" / "python"), "-c", "import pulumi_aws"], capture_output=True)
    assert leak.returncode != 0

    registered = build(
        lambda: aws.rds.Instance(
            "db",
            engine="postgres",
            instance_class="db.t4g.micro",
            allocated_storage=20,
            publicly_accessible=True,
            storage_encrypted=True,
            db_subnet_group_name="data",
        )
    )
    config = load_stack_config(ROOT, "staging")
    with PolicyPackProcess(pack, config) as process:  # no override: PulumiPolicy.yaml's own venv
        assert str(venv) in process.environment()["PATH"]
        analysis = analyze(ProgramRun(registered.resources, config, {}), process)
    assert [(f.policy, f.resource_name) for f in analysis.mandatory] == [
        ("database-not-publicly-accessible", "db")
    ]
