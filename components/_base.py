"""What every component shares: the type-token scheme and tag merging."""

from __future__ import annotations

from collections.abc import Mapping

# Type tokens read `<package>:<module>:<Type>`, e.g. `django-platform:network:Network`. The package
# is fixed rather than read from the project name, so renaming a project does not replace resources.
PACKAGE = "django-platform"


def type_token(module: str, type_name: str) -> str:
    return f"{PACKAGE}:{module}:{type_name}"


def merge_tags(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The component's tags plus resource-specific ones (a resource's own keys win)."""
    return {**base, **extra}
