"""What every component shares: the type-token scheme, physical names and tag merging."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Type tokens read `<package>:<module>:<Type>`, e.g. `django-platform:network:Network`. The package
# is fixed rather than read from the project name, so renaming a project does not replace resources.
PACKAGE = "django-platform"


def type_token(module: str, type_name: str) -> str:
    return f"{PACKAGE}:{module}:{type_name}"


def physical_name(*parts: str) -> str:
    """The name of a resource AWS keeps unique per account and region: the non-empty parts joined by
    hyphens. Two prefixes use it. What the whole stack has once (KMS alias, ECR repository, RDS and
    ElastiCache ids) is `<appName>-<stack>[-<role>]` (`StackSettings.physical_name`); what a component
    names for itself (task families, log groups, parameters, the dashboard) is `<component>-<stack>`,
    so two components of one kind cannot collide either. Either way the stack is in the name, so the
    stacks of one application can share an account. Changing a prefix replaces those resources."""
    return "-".join(part for part in parts if part)


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
