"""The django-platform policy pack's rules, importable without starting the pack.

`policies/__main__.py` only builds the `PolicyPack` from `POLICIES`; tests import the rules from
here and run their validators directly.
"""

from __future__ import annotations

from pulumi_policy import Policy

from . import (
    access,
    compute,
    coverage,
    data,
    datastores,
    edge,
    exposure,
    operations,
    referenced_parameters,
    storage,
)

PACK_NAME = "django-platform-policies"

POLICIES: list[Policy] = [
    *exposure.POLICIES,
    *data.POLICIES,
    *storage.POLICIES,
    *compute.POLICIES,
    *referenced_parameters.POLICIES,
    *edge.POLICIES,
    *operations.POLICIES,
    *datastores.POLICIES,
    *access.POLICIES,
    coverage.preview_unjudged_resources,
]

BY_NAME: dict[str, Policy] = {policy.name: policy for policy in POLICIES}

__all__ = ["BY_NAME", "PACK_NAME", "POLICIES"]
