"""Service discovery: the private Cloud Map DNS namespace the web tasks register in.

A leaf: the namespace itself is created by `DjangoServices`, which consumes this config; settings/
maps the stack's key onto it. No Pulumi imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .app_values import HOST_NAME
from .config_base import Problem, ValidatedConfig


@dataclass(frozen=True, kw_only=True)
class DiscoveryConfig(ValidatedConfig):
    """What an operator sets for service discovery."""

    namespace: str | None
    """Private DNS namespace in the stack's VPC, e.g. "epicvibe-staging.internal": the web tasks
    register as `web.<namespace>`. None: no namespace, no service discovery."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        namespace = values["namespace"]
        if namespace is None or HOST_NAME.match(namespace):
            return []
        return [
            Problem(
                field="namespace",
                value=namespace,
                fix="expected empty or a private DNS name such as 'epicvibe-staging.internal'",
            )
        ]
