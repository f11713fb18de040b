"""A small IAM policy evaluator for tests: explicit deny wins, then any allow; Action/NotAction and
Resource/NotResource with `*`/`?` wildcards; StringEquals and StringLike conditions on the request
context (a key the context lacks fails the condition, as in IAM). Enough to judge the workflow
roles' own documents; AWS managed policies are modelled by the caller."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _matches(patterns: Iterable[str], value: str, *, case_sensitive: bool) -> bool:
    if not case_sensitive:
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            if key not in context:
                return False
            if operator == "StringEquals" and context[key] not in _listed(expected):
                return False
            if operator == "StringLike" and not _matches(
                _listed(expected), context[key], case_sensitive=True
            ):
                return False
            if operator not in ("StringEquals", "StringLike"):
                raise NotImplementedError(operator)
    return True


def _applies(statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]) -> bool:
    if "Action" in statement:
        if not _matches(_listed(statement["Action"]), action, case_sensitive=False):
            return False
    elif _matches(_listed(statement["NotAction"]), action, case_sensitive=False):
        return False
    if "Resource" in statement:
        if not _matches(_listed(statement["Resource"]), resource, case_sensitive=True):
            return False
    elif _matches(_listed(statement["NotResource"]), resource, case_sensitive=True):
        return False
    return _condition_holds(statement.get("Condition", {}), context)


def decision(
    statements: Iterable[Mapping[str, Any]],
    action: str,
    resource: str = "*",
    context: Mapping[str, str] | None = None,
) -> str:
    """'allowed', 'denied' (an explicit deny) or 'implicit' (nothing allows it)."""
    context = context or {}
    applying = [s for s in statements if _applies(s, action, resource, context)]
    if any(s["Effect"] == "Deny" for s in applying):
        return "denied"
    return "allowed" if applying else "implicit"
