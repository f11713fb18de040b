"""What every component's config type shares: how a bad value is described, and how a config refuses it.

A leaf: it imports nothing from the project and nothing from Pulumi. Each component declares a frozen,
keyword-only `XxxConfig(ValidatedConfig)` next to it and its one validator, `problems(values)`, a
function of plain values. `settings/` runs that validator on the stack's values to report each
problem under its config key; constructing the config runs it again, so a component can never hold
a value its validator refuses, whoever builds the config (a test, an example, another program).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One bad value: the field, the value, and what to set instead."""

    field: str
    """A field of the config; nested fields as `<field>.<name>`."""
    value: Any
    fix: str
    shown: bool = True
    """False for a value no message may repeat (a key that may be a private one pasted by mistake);
    `fix` then says what is wrong without quoting it."""

    def __str__(self) -> str:
        return f"{self.field} {self.value!r}: {self.fix}" if self.shown else f"{self.field} {self.fix}"


class ValidatedConfig:
    """Base of the frozen config dataclasses: construction runs the class's `problems` on its own
    fields and refuses every problem at once in one ValueError."""

    # Fields settings/ does not read from a key of its own (derived or nested values); the
    # keys-and-fields test skips them.
    DERIVED_FIELDS: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:  # noqa: ARG003 (subclasses read it)
        """Every problem with these field values; none means they make a valid config."""
        return []

    def __post_init__(self) -> None:
        values = {field.name: getattr(self, field.name) for field in fields(self)}  # type: ignore[arg-type]
        refuse(type(self).__name__, type(self).problems(values))


def refuse(config_name: str, problems: Iterable[Problem]) -> None:
    found = list(problems)
    if found:
        raise ValueError(f"invalid {config_name}: " + "; ".join(str(problem) for problem in found))


def between(field: str, value: int, minimum: int, maximum: int, why: str = "") -> Problem | None:
    if minimum <= value <= maximum:
        return None
    return Problem(
        field=field,
        value=value,
        fix=f"expected a whole number from {minimum} to {maximum}" + (f" ({why})" if why else ""),
    )


def one_of(field: str, value: Any, allowed: Iterable[Any]) -> Problem | None:
    choices = tuple(allowed)
    if value in choices:
        return None
    return Problem(field=field, value=value, fix="allowed: " + ", ".join(repr(choice) for choice in choices))


def collect(*found: Problem | None) -> list[Problem]:
    """The problems among these checks' results (a check returns None when the value is fine)."""
    return [problem for problem in found if problem is not None]
