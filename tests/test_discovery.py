"""The Cloud Map namespace's config: a private DNS name or none, refused with the field, value and fix."""

from __future__ import annotations

import pytest

from components.discovery import DiscoveryConfig


@pytest.mark.parametrize("namespace", [None, "epicvibe-staging.internal", "a.b.c.local"])
def test_a_private_dns_name_or_none_is_accepted(namespace: str | None) -> None:
    assert DiscoveryConfig(namespace=namespace).namespace == namespace


@pytest.mark.parametrize(
    "namespace",
    ["", "internal", "Epicvibe.internal", "epicvibe.internal.", "epic vibe.internal", "-a.internal"],
)
def test_anything_else_is_refused_naming_the_value_and_the_fix(namespace: str) -> None:
    with pytest.raises(ValueError, match=f"namespace {namespace!r}: expected empty or a private DNS name"):
        DiscoveryConfig(namespace=namespace)
