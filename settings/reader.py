"""The generic half of reading a stack's config: keys as Pulumi.yaml declares them, read with their
defaults into plain values, and every problem collected into one list of report lines.

Nothing here knows a component. `settings/keys.py` uses the reader to map keys onto the components'
config types; `settings/__init__.py` turns the collected lines into the one `pulumi.RunError`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import pulumi
import yaml

from components.config_base import ValidatedConfig

C = TypeVar("C", bound=ValidatedConfig)

PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"


@dataclass(frozen=True)
class DeclaredKey:
    name: str
    type: str
    default: Any
    description: str
    secret: bool = False


@cache
def declared_keys(project_file: Path = PROJECT_FILE) -> dict[str, DeclaredKey]:
    """The `config:` schema of Pulumi.yaml: the single place where keys, types and defaults live."""
    # libyaml's parser (same safe constructors) reads it in a tenth of the pure-Python one's time.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(project_file.read_text(), Loader=loader)
    keys: dict[str, DeclaredKey] = {}
    for name, spec in (document.get("config") or {}).items():
        keys[name] = DeclaredKey(
            name, spec["type"], spec.get("default"), spec.get("description", ""), bool(spec.get("secret"))
        )
    return keys


def _like(value: Any, default: Any) -> Any:
    """A key's Pulumi.yaml default, in the shape the refused value was read into."""
    if isinstance(value, bool):
        return bool(default)
    if isinstance(value, int):
        return int(default)
    if isinstance(value, tuple):
        return tuple(json.loads(default) if isinstance(default, str) else default or ())
    if value is None:
        return None
    return "" if default is None else str(default)


def _describe(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)


class Reader:
    """Reads declared keys with their Pulumi.yaml defaults and collects every problem found."""

    def __init__(self, config: pulumi.Config, declared: Mapping[str, DeclaredKey]) -> None:
        self._config = config
        self._declared = declared
        self.errors: list[str] = []
        self.read: set[str] = set()
        self.values: dict[str, Any] = {}
        """Each key's value as read (before any fallback): what the profile rules judge."""

    def full_name(self, key: str) -> str:
        return f"{self._config.name}:{key}"

    def fail(self, key: str, value: Any, allowed: str) -> None:
        self.errors.append(f"{self.full_name(key)}: got {_describe(value)}; {allowed}")

    def refused(self, key: str) -> bool:
        """Whether `key` already has a line in the report (one line per problem, not one per rule)."""
        prefix = self.full_name(key) + ":"
        return any(line.startswith(prefix) for line in self.errors)

    def default(self, key: str) -> Any:
        """The key's Pulumi.yaml default, as declared."""
        return self._declared[key].default

    def raw(self, key: str) -> Any:
        """The key's value as the stack file has it (or its default), before any conversion."""
        if key not in self._declared:
            # A programming error, not a user one: the key must be declared in Pulumi.yaml first.
            raise KeyError(f"settings reads '{key}', which Pulumi.yaml does not declare")
        self.read.add(key)
        raw = self._config.get(key)
        return self._declared[key].default if raw is None else raw

    def string(self, key: str, *, choices: Iterable[str] | None = None) -> str:
        value = self.raw(key)
        text = str(value)
        if choices is not None and text not in choices:
            self.fail(key, value, "allowed: " + ", ".join(repr(c) for c in choices))
        self.values[key] = text
        return text

    def integer(
        self,
        key: str,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        choices: Iterable[int] | None = None,
    ) -> int:
        value = self.raw(key)
        try:
            number = int(str(value), 10) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None:
            self.fail(key, value, "expected a whole number")
            return int(self._declared[key].default)
        if choices is not None and number not in tuple(choices):
            self.fail(key, value, "allowed: " + ", ".join(str(c) for c in choices))
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            self.fail(key, value, f"expected a whole number from {minimum} to {maximum}")
        self.values[key] = number
        return number

    def boolean(self, key: str) -> bool:
        value = self.raw(key)
        if isinstance(value, bool):
            self.values[key] = value
            return value
        text = str(value).strip().lower()
        if text in ("true", "false"):
            self.values[key] = text == "true"
            return text == "true"
        self.fail(key, value, "expected true or false")
        return bool(self._declared[key].default)

    def string_list(self, key: str, *, choices: Iterable[str] | None = None) -> tuple[str, ...]:
        raw = self.raw(key)
        value = raw
        if isinstance(raw, str):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                self.fail(key, raw, 'expected a list of strings, e.g. ["logs", "ecr.api"]')
                return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(key, raw, "expected a list of strings")
            return ()
        if choices is not None:
            allowed = tuple(choices)
            unknown = [item for item in value if item not in allowed]
            if unknown:
                self.fail(key, raw, f"unknown entries {unknown}; allowed: {', '.join(allowed)}")
        if len(set(value)) != len(value):
            self.fail(key, raw, "entries must not repeat")
        self.values[key] = tuple(value)
        return tuple(value)

    def secret(
        self,
        key: str,
        *,
        min_length: int = 1,
        check: Callable[[str], str | None] | None = None,
        optional: bool = False,
    ) -> pulumi.Output[str]:
        """A stack secret (`pulumi config set --secret`), checked here with every other setting,
        before any resource exists. Problems name its length or the kind of character at fault,
        never the value. `optional`: declared with an empty default instead of `secret: true` (the
        CLI demands a secret key without a default on every stack); a value must still be secret."""
        spec = self._declared.get(key)
        if spec is None or (not spec.secret and not optional):
            raise KeyError(f"settings reads '{key}' as a secret, which Pulumi.yaml does not declare secret")
        self.read.add(key)
        value = self._config.get(key) or ""
        full = self.full_name(key)
        how = f"set it with `pulumi config set --secret {key} <value>`"
        if not value:
            self.errors.append(f"{full}: not set; {how}")
        elif not pulumi.runtime.is_config_secret(full):
            self.errors.append(f"{full}: set in plain text (value not shown); {how}")
        elif len(value) < min_length:
            self.errors.append(
                f"{full}: the secret is {len(value)} characters long; at least {min_length} required"
            )
        elif check is not None and (problem := check(value)):
            self.errors.append(f"{full}: the secret {problem} (value not shown)")
        return pulumi.Output.secret(value)

    def not_needed(self, key: str) -> None:
        """Mark a declared key as deliberately unread in this configuration (e.g. a secret only one
        option uses), so that the every-key-is-read check still holds."""
        if key not in self._declared:
            raise KeyError(f"settings skips '{key}', which Pulumi.yaml does not declare")
        self.read.add(key)

    def check(self, ok: bool, key: str, value: Any, allowed: str) -> None:
        if not ok:
            self.fail(key, value, allowed)

    def build(
        self,
        config_type: type[C],
        keys: Mapping[str, str],
        values: dict[str, Any],
        fallbacks: Mapping[str, Any] | None = None,
    ) -> C:
        """`config_type(**values)`, its validator's problems reported under their keys first.

        `keys` maps each field to the key it is read from (a test holds them one-to-one with the
        fields). A refused value is reported as the stack file has it, and replaced by its fallback
        (by default the key's Pulumi.yaml default, read the same way) so that the checks after this
        one still run; the report stops the program before any resource exists."""
        problems = config_type.problems(values)
        for problem in problems:
            key = keys[problem.field]
            raw = self._config.get(key)
            if not problem.shown:
                self.errors.append(f"{self.full_name(key)}: the value {problem.fix}")
            elif isinstance(values[problem.field], tuple) and not isinstance(problem.value, tuple | list):
                # A list's problem is one entry: name that entry, not the whole list.
                self.fail(key, problem.value, problem.fix)
            else:
                self.fail(key, raw if raw is not None else problem.value, problem.fix)
        # A fallback may break a rule between fields that held before (one half of a pair refused):
        # replace until the fallbacks hold together, all of them if a round changes nothing; only
        # the stack's own values are reported.
        for _ in range(len(values) + 1):
            if not problems:
                break
            before = dict(values)
            for problem in problems:
                if fallbacks is not None and problem.field in fallbacks:
                    values[problem.field] = fallbacks[problem.field]
                else:
                    key = keys[problem.field]
                    values[problem.field] = _like(values[problem.field], self._declared[key].default)
            if values == before:
                values.update(fallbacks or {})
            problems = config_type.problems(values)
        return config_type(**values)


def present_keys(project: str) -> set[str]:
    """Keys of this project set for the stack, wherever the runtime got them from."""
    prefix = f"{project}:"
    names = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())
    return {name[len(prefix) :] for name in names if name.startswith(prefix)}


def all_config_keys() -> set[str]:
    return set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())


def _near_miss(namespace: str, project: str) -> bool:
    """A namespace that is the project's name misspelled (`django_platform`, `django-platfrom`), as
    opposed to a provider's (`aws`, `pulumi`): the same letters and digits, or a close spelling."""
    letters = re.compile(r"[^a-z0-9]")
    if letters.sub("", namespace.lower()) == letters.sub("", project.lower()):
        return True
    return difflib.SequenceMatcher(None, namespace.lower(), project.lower()).ratio() >= 0.8


def misplaced_keys(project: str, declared: Mapping[str, DeclaredKey]) -> list[str]:
    """Keys that nobody would read: under a misspelled project namespace, or one of this project's
    keys under another namespace (`aws:natStrategy`). The CLI hands them over without a word."""
    errors = []
    for name in sorted(all_config_keys()):
        namespace, _, key = name.partition(":")
        if namespace == project or not key:
            continue
        if _near_miss(namespace, project) or key in declared:
            close = difflib.get_close_matches(key, declared, n=1)
            meant = f"{project}:{close[0] if close else key}"
            # A secret's value is never repeated, even under the wrong namespace.
            got = (
                ""
                if pulumi.runtime.is_config_secret(name)
                else f"got {_describe(pulumi.runtime.get_config(name))}; "
            )
            errors.append(
                f"{name}: {got}'{namespace}' is not this project's namespace, so nothing reads this "
                f"key; did you mean '{meant}'?"
            )
    return errors


def stray_keys(project: str, declared: Mapping[str, DeclaredKey]) -> list[str]:
    """Report lines for keys set but read by nobody: unknown keys of this project (with the declared
    key they most resemble), and keys under the wrong namespace."""
    errors = []
    for unknown in sorted(present_keys(project) - set(declared)):
        close = difflib.get_close_matches(unknown, declared, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        errors.append(f"{project}:{unknown}: unknown key; {hint}declared keys are listed in Pulumi.yaml")
    return errors + misplaced_keys(project, declared)
