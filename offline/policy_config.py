"""The policy pack config the engine sends to Configure: parsed from `--policy-pack-config` and
reconciled with each policy's default level and schema defaults, then the pack's initialConfig, as
the CLI does (`pkg/resource/analyzer/config.go` in github.com/pulumi/pulumi)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class PolicyConfigError(Exception):
    """An invalid `--policy-pack-config` document."""


@dataclass(frozen=True)
class PolicyConfigEntry:
    level: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


def parse_policy_config(text: str, source: str = "--policy-pack-config") -> dict[str, PolicyConfigEntry]:
    """`{"policy-name": "advisory"}` or `{"policy-name": {"enforcementLevel": "advisory", "prop": ...}}`;
    the key "all" sets the level of every policy. Same rules as the CLI's parser."""
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except ValueError as error:
        raise PolicyConfigError(f"{source} is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise PolicyConfigError(
            f"{source} must be a JSON object mapping policy names to a level or an object"
        )
    result: dict[str, PolicyConfigEntry] = {}
    for name, value in document.items():
        if isinstance(value, str):
            entry = PolicyConfigEntry(_level(value, name, source))
        elif isinstance(value, dict):
            properties = dict(value)
            level = properties.pop("enforcementLevel", None)
            if level is not None and not isinstance(level, str):
                raise PolicyConfigError(f"{source}: {name}.enforcementLevel must be a string, got {level!r}")
            entry = PolicyConfigEntry(_level(level, name, source) if level else None, properties)
        else:
            raise PolicyConfigError(
                f"{source}: {name} must be an enforcement level or an object, got {json.dumps(value)}"
            )
        if entry.level or entry.properties:
            result[name] = entry
    return result


def load_policy_config(path: Path | str) -> dict[str, PolicyConfigEntry]:
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise PolicyConfigError(f"cannot read --policy-pack-config {path}: {error.strerror}") from error
    return parse_policy_config(text, str(path))


def _level(value: str, name: str, source: str) -> str:
    if value not in LEVELS:
        raise PolicyConfigError(
            f"{source}: {name}: {value!r} is not an enforcement level (use one of {', '.join(LEVELS)})"
        )
    return value


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    level: str
    kind: str  # "resource" or "stack"
    schema: dict[str, Any] = field(default_factory=dict)


def reconcile_policy_config(
    policies: Sequence[PolicyInfo],
    initial: Mapping[str, PolicyConfigEntry],
    given: Mapping[str, PolicyConfigEntry],
) -> tuple[dict[str, PolicyConfigEntry], list[str]]:
    """The config the engine sends to Configure, and warnings for names the pack does not have."""
    result: dict[str, PolicyConfigEntry] = {}
    for policy in policies:
        defaults = {
            k: v["default"] for k, v in policy.schema.items() if isinstance(v, dict) and "default" in v
        }
        result[policy.name] = PolicyConfigEntry(policy.level, defaults)
    warnings: list[str] = []
    for layer in (initial, given):
        everyone = layer.get("all")
        if everyone is not None and everyone.level:
            result = {k: PolicyConfigEntry(everyone.level, v.properties) for k, v in result.items()}
        for name, entry in layer.items():
            if name == "all":
                continue
            if name not in result:
                warnings.append(f"policy config names '{name}', which the pack does not have; ignored")
                continue
            current = result[name]
            result[name] = PolicyConfigEntry(
                entry.level or current.level, {**current.properties, **entry.properties}
            )
    errors = []
    for policy in policies:
        properties = result[policy.name].properties
        for key, value in properties.items():
            if key not in policy.schema:
                warnings.append(f"{policy.name}: '{key}' is not a setting of this policy; ignored")
                continue
            errors += [f"{policy.name}.{key}: {e}" for e in _schema_errors(value, policy.schema[key])]
    if errors:
        raise PolicyConfigError("invalid policy pack configuration: " + "; ".join(errors))
    return result, warnings


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _schema_errors(value: Any, schema: Mapping[str, Any]) -> list[str]:
    """The subset of JSON Schema the pack's config schemas use: type, items, minimum, maximum, enum."""
    expected = schema.get("type")
    if isinstance(expected, str) and expected in _JSON_TYPES:
        ok = isinstance(value, _JSON_TYPES[expected]) and not (
            isinstance(value, bool) and expected != "boolean"
        )
        if expected == "integer" and isinstance(value, float) and value.is_integer():
            ok = True
        if not ok:
            return [f"expected {expected}, got {json.dumps(value)}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{json.dumps(value)} is not one of {schema['enum']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{value} is above the maximum {schema['maximum']}")
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            errors += [f"[{index}] {e}" for e in _schema_errors(item, schema["items"])]
    return errors
