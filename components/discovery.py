"""Service discovery: the private Cloud Map DNS namespace the web tasks register in.

A leaf: the namespace itself is created by `DjangoServices`, which consumes this config; settings.py
maps the stack's key onto it. No Pulumi imports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config_base import Problem, ValidatedConfig

# A lower-case DNS name of at least two labels, as Route 53 private zones (which Cloud Map creates
# for a private DNS namespace) take it: no trailing dot, labels of at most 63 characters.
DNS_NAMESPACE = re.compile(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)


@dataclass(frozen=True, kw_only=True)
class DiscoveryConfig(ValidatedConfig):
    """What an operator sets for service discovery."""

    namespace: str | None
    """Private DNS namespace in the stack's VPC, e.g. "epicvibe-staging.internal": the web tasks
    register as `web.<namespace>`. None: no namespace, no service discovery."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        namespace = values["namespace"]
        if namespace is None or DNS_NAMESPACE.match(namespace):
            return []
        return [
            Problem(
                field="namespace",
                value=namespace,
                fix="expected empty or a private DNS name such as 'epicvibe-staging.internal'",
            )
        ]
