"""examples/django_app meets the platform's image contract.

The contract test compares the variable names the planned container definitions set (environment
and secrets) with those the example's settings read; Django's own test client then runs the
example's tests (`manage.py test`) in a process whose environment is the planned web container's.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

from offline.engine import ProgramRun
from tests._app_tier import task_settings
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "django_app"
SETTINGS = EXAMPLE / "config" / "settings.py"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
DJANGO_ROLES = ("web", "worker", "beat", "migrate", "collectstatic")
# Set by the task definitions and read by something other than settings.py, by design.
READ_ELSEWHERE = {
    "DJANGO_SETTINGS_MODULE": "Django, to find the settings",
    "PYTHONUNBUFFERED": "the Python runtime",
    "PYTHONDONTWRITEBYTECODE": "the Python runtime (the root file system is read-only)",
    "PORT": "gunicorn, as its default bind",
    "AWS_XRAY_DAEMON_ADDRESS": "the X-Ray SDK, in apps that install it (only tasks with the sidecar get it)",
}


def settings_reads() -> dict[str, str]:
    """Every `required("X")` / `optional("X", ...)` in the example settings: name -> which."""
    reads: dict[str, str] = {}
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("required", "optional")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            reads[str(node.args[0].value)] = node.func.id
    return reads


def image_environment() -> set[str]:
    """Names the Dockerfile's ENV sets: the image provides them, not the task definition."""
    text = (EXAMPLE / "Dockerfile").read_text().replace("\\\n", " ")
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("ENV "):
            names.update(re.findall(r"([A-Z_][A-Z0-9_]*)=", line))
    return names


def signing_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def django_containers(run: ProgramRun) -> dict[str, dict]:
    containers = {}
    for definition in run.of_type(TASK_DEFINITION):
        role = definition.name.rsplit("-", 2)[-2]
        containers[role] = json.loads(definition.inputs["containerDefinitions"])[0]
    return containers


def names_set(container: dict) -> set[str]:
    return {e["name"] for e in container["environment"]} | {s["name"] for s in container["secrets"]}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_variable_the_settings_require_is_set_for_every_django_task(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    containers = django_containers(stack_runs[stack])
    assert set(containers) == set(DJANGO_ROLES)
    required = {name for name, how in settings_reads().items() if how == "required"}
    assert required, "the example settings read nothing: the AST walk is broken"
    for role, container in containers.items():
        assert required - names_set(container) == set(), role


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_variable_the_tasks_set_is_read(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    read = set(settings_reads()) | set(READ_ELSEWHERE)
    for role, container in django_containers(stack_runs[stack]).items():
        assert names_set(container) - read == set(), role


def test_what_settings_read_but_tasks_do_not_set_comes_from_the_image(
    stack_runs: dict[str, ProgramRun],
) -> None:
    web = django_containers(stack_runs["prod"])["web"]
    unset = set(settings_reads()) - names_set(web)
    # Optional, with a default that keeps production behaviour (e.g. PGSSLMODE require), or baked in.
    assert unset <= {"APP_RELEASE"} | {n for n, how in settings_reads().items() if how == "optional"}
    assert "APP_RELEASE" in image_environment()


def test_the_image_is_arm64_non_root_and_needs_no_writable_root() -> None:
    dockerfile = (EXAMPLE / "Dockerfile").read_text()
    assert re.search(r"^USER 10001:10001$", dockerfile, re.M)
    assert "PYTHONDONTWRITEBYTECODE=1" in dockerfile
    assert "compileall" in dockerfile
    requirements = (EXAMPLE / "requirements.txt").read_text()
    for package in ("django", "django-storages", "gunicorn", "celery"):
        assert re.search(rf"^{package}[\[~=]", requirements, re.M), package


def test_collectstatic_runs_as_the_only_role_that_writes_the_static_bucket(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["staging"]
    definitions = {d.name: d for d in run.of_type(TASK_DEFINITION)}
    collect = definitions["epicvibe-app-collectstatic-task"]
    assert json.loads(collect.inputs["containerDefinitions"])[0]["command"][-2:] == [
        "collectstatic",
        "--noinput",
    ]
    writer = run.named("epicvibe-app-static-writer-role")
    assert collect.inputs["taskRoleArn"] == writer.outputs["arn"]
    others = {d.inputs["taskRoleArn"] for n, d in definitions.items() if n != collect.name}
    assert writer.outputs["arn"] not in others
    static_bucket = run.stack_outputs["staticBucketName"]
    writers = []
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            if any(a in ("s3:PutObject", "s3:*") for a in actions) and any(
                static_bucket in r for r in resources
            ):
                writers.append(policy.name)
    assert writers == ["epicvibe-app-static-writer-policy"]


def test_every_task_is_told_the_image_it_runs(stack_runs: dict[str, ProgramRun]) -> None:
    image = stack_runs["staging"].config.values["django-platform:appImage"]
    for role, container in django_containers(stack_runs["staging"]).items():
        environment = {e["name"]: e["value"] for e in container["environment"]}
        assert environment["APP_IMAGE"] == container["image"] == image, role


@pytest.mark.subprocess
@pytest.mark.skipif(
    importlib.util.find_spec("django") is None or importlib.util.find_spec("storages") is None,
    reason="django and django-storages are not installed (pip install -e '.[dev]' installs them)",
)
def test_djangos_test_client_passes_with_the_planned_web_environment(
    stack_runs: dict[str, ProgramRun],
) -> None:
    web = django_containers(stack_runs["prod"])["web"]
    # The settings ECS reads from the stack's SSM parameters, with their planned values.
    environment = task_settings(stack_runs["prod"], web)
    digest = "sha256:" + "ab" * 32
    environment["APP_IMAGE"] = environment["APP_IMAGE"].split(":1.0.0")[0] + "@" + digest
    # The secrets ECS would inject, as stand-ins; the media signing key must be a real RSA key.
    environment |= {
        s["name"]: f"test-{s['name'].lower()}-value" for s in web["secrets"] if s["name"] not in environment
    }
    assert "MEDIA_SIGNING_PRIVATE_KEY" in environment and "MEDIA_SIGNING_KEY_ID" in environment
    environment["MEDIA_SIGNING_PRIVATE_KEY"] = signing_key_pem()
    environment |= {"APP_RELEASE": "0123abc", "PATH": os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, "manage.py", "test", "config", "--verbosity", "2", "--noinput"],
        cwd=EXAMPLE,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Ran 12 tests" in result.stderr
    assert "skipped" not in result.stderr
