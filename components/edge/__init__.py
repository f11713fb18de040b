"""The edge, in layers: `config` (what an operator sets, and shared constants) at the bottom; the
pure pieces `behaviors`, `waf`, `headers` and `functions` above it; the `component` that creates
resources on top. Lower layers never import higher ones.

`Edge` is loaded on first use, so importing the config (as `settings/` does for `EdgeConfig` and
the patterns) does not import pulumi_aws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .behaviors import Policies, bucket_behavior, ordered_behaviors
from .config import (
    AMPLIFY_STAGES,
    EDGE_REGION,
    HOSTED_ZONE_PATTERN,
    MAINTENANCE_PAGE,
    MEDIA_PATH_PATTERN,
    PRICE_CLASSES,
    PUBLIC_MEDIA_PATTERN,
    REPOSITORY_PATTERN,
    EdgeArgs,
    EdgeConfig,
    edge_problems,
)
from .functions import FORWARDED_HOST_FUNCTION, FORWARDED_HOST_HEADER
from .waf import MANAGED_RULE_GROUPS, REDACTED_HEADERS, web_acl_rules

if TYPE_CHECKING:
    from .component import Edge

__all__ = [
    "AMPLIFY_STAGES",
    "EDGE_REGION",
    "FORWARDED_HOST_FUNCTION",
    "FORWARDED_HOST_HEADER",
    "HOSTED_ZONE_PATTERN",
    "MAINTENANCE_PAGE",
    "MANAGED_RULE_GROUPS",
    "MEDIA_PATH_PATTERN",
    "PRICE_CLASSES",
    "PUBLIC_MEDIA_PATTERN",
    "REDACTED_HEADERS",
    "REPOSITORY_PATTERN",
    "Edge",
    "EdgeArgs",
    "EdgeConfig",
    "Policies",
    "bucket_behavior",
    "edge_problems",
    "ordered_behaviors",
    "web_acl_rules",
]


def __getattr__(name: str) -> Any:
    if name == "Edge":
        from .component import Edge

        return Edge
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
