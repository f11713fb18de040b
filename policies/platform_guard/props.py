"""Reading resource properties the way the engine hands them to a policy pack.

The engine sends camelCase names, every number as a float, booleans that some providers type as
strings (`"true"`), nested JSON documents as strings (ECS `containerDefinitions`, IAM and bucket
policies) and, during preview, values that are not known yet. The SDK wraps the properties in a
proxy that raises `UnknownValueError` on any unknown it is asked for; `Judge` turns each of those
into a note ("cannot be judged yet") so that one unknown field never hides the verdict on the
others, and `Judge.settle()` reports the notes at the end of the rule.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pulumi
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError


class _Unknown:
    """A value preview cannot know yet (an output of a resource not created)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Any = _Unknown()

_TRUE_STRINGS = {"true", "1", "yes", "on", "t", "y"}

# The engine's marker for a secret value ({SIG_KEY: SECRET_SIG, "value": ...}). The SDK's servicer
# unwraps it before a rule runs; a caller that hands the engine's shape straight to a rule (a test,
# another harness) gets the same plain value through `unwrap_secret`.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def type_tokens(*tokens: str) -> frozenset[str]:
    return frozenset(tokens)


def module_of(type_token: str) -> str:
    """`aws:rds/instance:Instance` -> `rds`."""
    parts = type_token.split(":")
    return parts[1].split("/")[0] if len(parts) == 3 else ""


class Judge:
    """Reads fields through the SDK's unknown-checking proxy, remembering what preview cannot know."""

    def __init__(self, subject: str = "") -> None:
        self.subject = subject
        self.unknown: list[str] = []
        self.external: list[str] = []

    def get(self, obj: Any, *path: str | int, label: str | None = None) -> Any:
        """The value at `path`, None when absent, UNKNOWN when preview cannot know it yet."""
        current = obj
        walked: list[str] = []
        for key in path:
            walked.append(f"[{key}]" if isinstance(key, int) else f".{key}")
            if current is None or current is UNKNOWN:
                return current
            try:
                if isinstance(key, int):
                    if not is_sequence(current) or key >= len(current):
                        return None
                    current = current[key]
                else:
                    if not isinstance(current, Mapping):
                        return None
                    current = current.get(key)
                current = unwrap_secret(current)
            except UnknownValueError:
                self.note(label or "".join(walked).lstrip("."))
                return UNKNOWN
            if isinstance(current, str) and current == UNKNOWN_STRING_VALUE:
                self.note(label or "".join(walked).lstrip("."))
                return UNKNOWN
        return current

    def is_set(self, obj: Any, key: str) -> bool:
        """Whether the program set `key` at all: an unknown value counts (a read replica whose source
        identifier is not known yet is still a replica) and is not noted as unjudged."""
        if not isinstance(obj, Mapping):
            return False
        try:
            value = obj.get(key)
        except UnknownValueError:
            return True
        return value == UNKNOWN_STRING_VALUE or non_empty(value)

    def items(self, obj: Any, *path: str | int, label: str | None = None) -> list[tuple[int, Any]]:
        """The elements of the list at `path` with their index; unknown elements come back as UNKNOWN.
        A single object where a list is expected counts as a list of one (some providers accept both)."""
        name = label or ".".join(str(p) for p in path)
        value = self.get(obj, *path, label=name) if path else obj
        if value is None or value is UNKNOWN:
            return []
        if isinstance(value, Mapping):
            return [(0, value)]
        if not is_sequence(value):
            return [(0, value)]
        result: list[tuple[int, Any]] = []
        for index in range(len(value)):
            try:
                result.append((index, value[index]))
            except UnknownValueError:
                self.note(f"{name}[{index}]")
                result.append((index, UNKNOWN))
        return result

    def json(self, obj: Any, *path: str | int, label: str | None = None) -> Any:
        """A nested JSON document (sent as a string, or already structured) as plain Python."""
        value = self.get(obj, *path, label=label)
        if value is None or value is UNKNOWN:
            return value
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return None
        try:
            return plain(value)
        except UnknownValueError:
            self.note(label or ".".join(str(p) for p in path))
            return UNKNOWN

    def note(self, what: str) -> None:
        """`what` is unknown during preview."""
        if what not in self.unknown:
            self.unknown.append(what)

    def outside(self, what: str) -> None:
        """`what` comes from outside the stack, so this pack cannot see it at all."""
        if what not in self.external:
            self.external.append(what)

    def settle(self) -> None:
        """Tell the engine what could not be judged: the SDK turns this into an advisory
        "can't run policy ... during preview" diagnostic, after any violation already reported."""
        if not self.unknown and not self.external:
            return
        # Sorted: a stack rule meets the resources in the engine's order, which is not fixed.
        unknown, external = sorted(self.unknown), sorted(self.external)
        parts = []
        if unknown:
            parts.append(
                f"{', '.join(unknown)} cannot be judged yet (unknown until the resources it depends "
                "on exist); the rule judges it again on `pulumi up`"
            )
        if external:
            parts.append(f"{', '.join(external)} cannot be judged (not created by this stack)")
        error = UnknownValueError(UNKNOWN_STRING_VALUE, [(unknown or external)[0]])
        error.message = (f"{self.subject}: " if self.subject else "") + "; ".join(parts)
        raise error


def is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def unwrap_secret(value: Any) -> Any:
    """The value inside the engine's secret marker, or `value` itself."""
    while isinstance(value, Mapping) and value.get(SIG_KEY) == SECRET_SIG and "value" in value:
        value = value.get("value")
    return value


def plain(value: Any) -> Any:
    """Unwrap the SDK's proxies into dicts and lists (raises UnknownValueError on an unknown)."""
    value = unwrap_secret(value)
    if isinstance(value, Mapping):
        return {key: plain(value[key]) for key in value}
    if is_sequence(value):
        return [plain(value[i]) for i in range(len(value))]
    return value


def truthy(value: Any) -> bool:
    """A boolean as providers send it: a bool, or a string such as "true"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_STRINGS
    if isinstance(value, (int, float)):
        return value != 0
    return False


def falsy_explicit(value: Any) -> bool:
    """Set, and set to false (as opposed to absent)."""
    return value is not None and value is not UNKNOWN and not truthy(value)


def as_int(value: Any) -> int | None:
    """Numbers arrive as floats (5432.0) or, from some providers, strings."""
    if isinstance(value, bool) or value is None or value is UNKNOWN:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip()))
        except ValueError:
            return None
    return None


def non_empty(value: Any) -> bool:
    if value is None or value is UNKNOWN:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, (Mapping, Sequence)):
        return len(value) > 0
    return True


def word_parts(name: str) -> list[str]:
    """`DB_PASSWORD` -> [DB, PASSWORD]; `secretKey` -> [SECRET, KEY]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [part.upper() for part in re.split(r"[^A-Za-z0-9]+", spaced) if part]


def stack_profile() -> str:
    """The stack's `<project>:stackProfile` from the config the engine passes to the pack
    (PULUMI_CONFIG, loaded by the SDK), never the stack name. Absent means `development`."""
    project = _project()
    if project:
        value = pulumi.runtime.get_config(f"{project}:stackProfile")
        if value is not None:
            return str(value)
    # Without a project name, any namespace's stackProfile decides.
    config = dict(pulumi.runtime.get_config_env())
    config.update(pulumi.runtime.config.CONFIG.get())
    for key, value in config.items():
        if key.endswith(":stackProfile"):
            return str(value)
    return "development"


def _project() -> str | None:
    try:
        project = pulumi.get_project()
    except Exception:  # no settings at all: the pack was started outside the engine
        project = None
    if not project or project == "project":
        project = os.environ.get("PULUMI_PROJECT") or project
    return project


def is_production() -> bool:
    return stack_profile() == "production"


# Item schemas of the list settings: a TCP port, a name or pattern.
PORT: Mapping[str, Any] = {"type": "integer", "minimum": 1, "maximum": 65535}
NAME: Mapping[str, Any] = {"type": "string"}


def list_setting(items: Mapping[str, Any], description: str, default: Iterable[Any]) -> dict[str, Any]:
    """A rule's list setting as the pack's config schema declares it; `config_list` reads it back."""
    return {"type": "array", "items": dict(items), "description": description, "default": list(default)}


def config_list(config: Mapping[str, Any], key: str, default: Iterable[Any]) -> list[Any]:
    value: Any = config.get(key) if config else None
    return list(value) if is_sequence(value) else list(default)


def config_int(config: Mapping[str, Any], key: str, default: int) -> int:
    value = as_int(config.get(key)) if config else None
    return default if value is None else value


Reporter = Callable[[str, str | None], None]
