"""Pulumi mocks that answer like AWS: realistic ids, ARNs, endpoints and data-source results.

The program never knows it runs under these: they only stand in for the engine and the provider,
so the code path is the one `pulumi up` takes.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import rpc

from . import mock_answers_app, mock_answers_edge
from .mock_ids import (
    ACCOUNT_ID,
    DEFAULT_REGION,
    EC2_ID_PREFIXES,
    CallHook,
    StateHook,
    digest,
    service_and_kind,
)


class AwsMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes the way the AWS provider would.

    `state_hooks` maps a type token to a function that adds the outputs AWS computes for that
    type (endpoints, DNS names); `call_hooks` maps an invoke token to a function of (args, region)
    that answers it (offline/mock_answers_app.py, offline/mock_answers_edge.py).
    """

    state_hooks: dict[str, StateHook] = {**mock_answers_app.STATE_HOOKS, **mock_answers_edge.STATE_HOOKS}
    call_hooks: dict[str, CallHook] = {**mock_answers_app.CALL_HOOKS, **mock_answers_edge.CALL_HOOKS}

    def __init__(self, region: str | None = None, *, preview_unknowns: bool = False) -> None:
        self.region = region or DEFAULT_REGION
        self.preview_unknowns = preview_unknowns
        """Answer as a first `pulumi preview` does: what the provider computes at creation unknown."""
        # Explicit providers (e.g. the edge tier's us-east-1 provider) by the id the mock gave them, so
        # that what they manage gets ARNs in their region rather than the stack's.
        self.provider_regions: dict[str, str] = {}

    def _provider_region(self, provider_ref: str | None) -> str | None:
        """The region of the explicit provider a resource names (`<urn>::<id>`), if it set one."""
        if not provider_ref:
            return None
        return self.provider_regions.get(provider_ref.rsplit("::", 1)[-1])

    def _region(self) -> str:
        return str(pulumi.runtime.config.CONFIG.get().get("aws:region") or self.region)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, state = self._answer(args)
        if not self.preview_unknowns or args.typ.startswith("pulumi:providers:"):
            return resource_id, state
        return first_preview(args.inputs, resource_id, state)

    def _answer(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        # pulumi-aws 7: a resource's own `region` wins over its provider's.
        region = str(state.get("region") or "") or self._provider_region(args.provider) or self._region()
        if args.typ.startswith("pulumi:providers:"):
            provider_id = f"{args.name}-provider-id"
            if state.get("region"):
                self.provider_regions[provider_id] = str(state["region"])
            return provider_id, state
        if not args.custom:
            # Components have no physical id; remote ones (awsx) still answer with outputs.
            component_hook = self.state_hooks.get(args.typ)
            if component_hook is not None:
                component_hook(args, "", state, region)
            return None, state

        service, kind = service_and_kind(args.typ)
        prefix = EC2_ID_PREFIXES.get(args.typ)
        resource_id = (
            f"{prefix}-{digest(args.typ, args.name)}"
            if prefix
            else f"{args.name}-{digest(args.name, length=7)}"
        )
        # Autonamed resources get their physical name from the provider, not from the inputs.
        state.setdefault("name", f"{args.name}-{digest(args.name, length=7)}")
        name = str(state["name"])

        if service == "iam":
            state.setdefault("arn", f"arn:aws:iam::{ACCOUNT_ID}:{kind}/{name}")
        elif service in ("cloudwatch", "logs") and kind == "loggroup":
            state.setdefault("arn", f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{name}")
        elif service == "s3":
            state.setdefault("bucket", state.get("bucket") or name)
            state.setdefault("arn", f"arn:aws:s3:::{state['bucket']}")
            resource_id = str(state["bucket"]) if kind in ("bucket", "bucketv2") else resource_id
        else:
            state.setdefault("arn", f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{kind}/{resource_id}")
        state.setdefault("tagsAll", state.get("tags") or {})

        hook = self.state_hooks.get(args.typ)
        if hook is not None:
            resource_id = hook(args, resource_id, state, region) or resource_id
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        region = str(args.args.get("region") or self._provider_region(args.provider) or self._region())
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{letter}" for letter in "abc"]
            return {
                "id": region,
                "names": names,
                "zoneIds": [f"use1-az{i}" for i in (1, 2, 3)],
                "state": "available",
            }
        if token == "aws:index/getRegion:getRegion":
            return {"id": region, "name": region, "region": region, "endpoint": f"ec2.{region}.amazonaws.com"}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "id": ACCOUNT_ID,
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline-plan",
                "userId": "AIDAOFFLINEPLAN",
            }
        if token in self.call_hooks:
            return self.call_hooks[token](dict(args.args), region)
        if token == "aws:index/getPartition:getPartition":
            return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com"}
        return dict(args.args)


# Physical names the provider assigns in its Check step (autonaming) when the program sets none: a
# preview already shows them, unlike everything AWS assigns when it creates the resource.
AUTONAMED_PROPERTIES = frozenset({"name", "bucket"})


def first_preview(
    inputs: dict[str, Any], resource_id: str | None, state: dict[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    """A resource's answer as a first preview has it, before anything exists: the inputs it was
    given and its autonamed physical name stay known; its id and every output the provider computes
    at creation (ARNs, endpoints, addresses, generated ids) are unknown."""
    planned = {
        key: value if key in inputs or key in AUTONAMED_PROPERTIES or key == "tagsAll" else rpc.UNKNOWN
        for key, value in state.items()
    }
    # An empty id is how the engine says "not known yet"; components have none either way.
    return ("" if resource_id is not None else None), planned
