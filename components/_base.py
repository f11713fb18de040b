"""What every component shares: the type-token scheme and tag merging."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Type tokens read `<package>:<module>:<Type>`, e.g. `django-platform:network:Network`. The package
# is fixed rather than read from the project name, so renaming a project does not replace resources.
PACKAGE = "django-platform"


def type_token(module: str, type_name: str) -> str:
    return f"{PACKAGE}:{module}:{type_name}"


def merge_tags(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The component's tags plus resource-specific ones (a resource's own keys win)."""
    return {**base, **extra}


def service_trust_policy(service: str, condition: Mapping[str, Any] | None = None) -> str:
    """An IAM role's trust policy letting one AWS service principal assume it, optionally only under
    `condition` (e.g. `aws:SourceAccount`, the confused-deputy guard)."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = dict(condition)
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})
