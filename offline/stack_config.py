"""A stack's configuration as the CLI hands it to a program: `Pulumi.yaml` defaults, then
`Pulumi.<stack>.yaml`, then one-off overrides, with secrets the offline plan cannot decrypt replaced
by a placeholder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import yaml12

# Long enough for every length rule on a secret (Django asks for 50 characters), short enough for
# the strictest maximum (an ElastiCache AUTH token, 128), and only characters every secret accepts.
SECRET_PLACEHOLDER = "offline-plan-placeholder-secret-not-a-real-value-0123456789"


class PlanError(Exception):
    """A problem with the program or stack the user named (not a bug): shown without a traceback."""


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    program_dir: Path
    values: dict[str, str]
    secret_keys: tuple[str, ...]
    unset_secrets: tuple[str, ...] = ()
    """Secret keys the stack has not set yet: planned with placeholders, `pulumi up` would refuse."""


def _config_string(value: Any) -> str:
    """Config values reach a program as strings; structured ones as JSON, as the CLI sends them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


# Parsed project and stack files by path and exact content. A plan reads each file once; a test
# session loads the same two stack files, with different overrides, hundreds of times, and parsing
# costs far more than reading. Keyed by the bytes, so an edited file is parsed afresh.
_PARSED: dict[tuple[Path, bytes], tuple[dict[str, Any], dict[str, str]]] = {}


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """A project or stack file as the CLI reads it (YAML 1.2; config scalars kept as their text).
    The result is shared between calls for the same content: read it, never change it."""
    key = (path, path.read_bytes())
    if key not in _PARSED:
        try:
            _PARSED[key] = yaml12.read(path)
        except yaml12.YamlError as error:
            raise PlanError(str(error)) from None
    return _PARSED[key]


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _declared_default(spec: Any) -> Any:
    """A Pulumi.yaml config entry is either a schema (`type`, `default`) or a plain value."""
    if isinstance(spec, dict) and "type" in spec:
        return spec.get("default")
    if isinstance(spec, dict) and "value" in spec:
        return spec["value"]
    return spec


def known_stacks(program_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in program_dir.glob("Pulumi.*.yaml"))


def load_stack_config(
    program_dir: Path | str, stack: str, overrides: dict[str, str] | None = None
) -> StackConfig:
    """The config the CLI would hand the program: Pulumi.yaml defaults, then the stack file, then
    `overrides` (keys without a namespace belong to the project, as with `pulumi config set`)."""
    program_dir = Path(program_dir).resolve()
    project_file = program_dir / "Pulumi.yaml"
    if not project_file.is_file():
        raise PlanError(f"{program_dir} is not a Pulumi project: it has no Pulumi.yaml")
    project_doc, _ = _read_yaml(project_file)
    if not project_doc.get("name"):
        raise PlanError(f"{project_file} has no project name (`name:`)")
    project = str(project_doc["name"])

    stack_file = program_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        stacks = ", ".join(known_stacks(program_dir)) or "none"
        raise PlanError(
            f"unknown stack {stack!r} for project {project!r}: no {stack_file.name} (known stacks: {stacks})"
        )
    stack_doc, stack_text = _read_yaml(stack_file)

    values: dict[str, str] = {}
    secret_keys: list[str] = []
    declared_secrets: list[str] = []
    for key, spec in (project_doc.get("config") or {}).items():
        default = _declared_default(spec)
        if default is not None:
            values[_qualify(project, key)] = _config_string(default)
        if isinstance(spec, dict) and spec.get("secret"):
            declared_secrets.append(_qualify(project, key))
    for key, value in (stack_doc.get("config") or {}).items():
        full_key = _qualify(project, key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full_key] = SECRET_PLACEHOLDER
            secret_keys.append(full_key)
        else:
            values[full_key] = stack_text[key] if key in stack_text else _config_string(value)
    for key, value in (overrides or {}).items():
        values[_qualify(project, key)] = value
    # A secret the stack has not set yet (`pulumi config set --secret`) still gets planned, with a
    # placeholder, so that a fresh clone can plan before anyone holds the real values.
    unset = tuple(key for key in declared_secrets if key not in values)
    for key in unset:
        values[key] = SECRET_PLACEHOLDER
    secret_keys.extend(key for key in declared_secrets if key not in secret_keys)
    return StackConfig(project, stack, program_dir, values, tuple(secret_keys), unset)
