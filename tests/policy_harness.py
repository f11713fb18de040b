"""Run one policy's validator the way the pack's gRPC servicer does, without the process.

Properties go through the SDK's `unknown_checking_proxy` exactly as in `Analyze`/`AnalyzeStack`;
`UNKNOWN` is the value the engine sends for what preview cannot know. A validator's outcome is what
the servicer would turn into diagnostics: the violations it reported, the "cannot be judged yet"
message of an `UnknownValueError` (an advisory diagnostic), or a not-applicable reason.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from offline.engine import RegisteredResource
from offline.engine_requests import engine_struct

UNKNOWN = UNKNOWN_STRING_VALUE
PROJECT = "django-platform"


@dataclass
class Outcome:
    violations: list[tuple[str, str | None]] = field(default_factory=list)
    not_judged: str | None = None
    not_applicable: str | None = None

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self.violations]

    @property
    def urns(self) -> list[str | None]:
        return [urn for _, urn in self.violations]

    @property
    def passed(self) -> bool:
        return not self.violations and self.not_judged is None


def urn_of(type_: str, name: str) -> str:
    return f"urn:pulumi:test::{PROJECT}::{type_}::{name}"


def _options(protect: bool = False, parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def set_profile(profile: str | None) -> None:
    if profile is not None:
        pulumi.runtime.set_config(f"{pulumi.get_project()}:stackProfile", profile)


def _run(policy: ResourceValidationPolicy | StackValidationPolicy, args: Any) -> Outcome:
    outcome = Outcome()

    def report(message: str, urn: str | None = None) -> None:
        outcome.violations.append((message, urn))

    try:
        result = policy.validate(args, report)
        assert not isawaitable(result), "the pack's validators are synchronous"
    except UnknownValueError as error:
        outcome.not_judged = error.message
    except _NotApplicableError as error:
        outcome.not_applicable = error.reason or ""
    return outcome


def check_resource(
    policy: Policy,
    type_: str,
    props: Mapping[str, Any],
    *,
    name: str = "subject",
    protect: bool = False,
    config: Mapping[str, Any] | None = None,
    profile: str | None = None,
) -> Outcome:
    assert isinstance(policy, ResourceValidationPolicy)
    set_profile(profile)
    args = ResourceValidationArgs(
        type_,
        unknown_checking_proxy(copy.deepcopy(dict(props))),
        urn_of(type_, name),
        name,
        _options(protect),
        None,
        dict(config) if config else None,
    )
    return _run(policy, args)


@dataclass
class Res:
    """A resource of a stack under test; `deps` names, per property, the resources it came from."""

    name: str
    type: str
    props: Mapping[str, Any] = field(default_factory=dict)
    deps: Mapping[str, Sequence[str]] = field(default_factory=dict)
    protect: bool = False

    @property
    def urn(self) -> str:
        return urn_of(self.type, self.name)


def check_stack(
    policy: Policy,
    resources: Sequence[Res],
    *,
    config: Mapping[str, Any] | None = None,
    profile: str | None = None,
) -> Outcome:
    assert isinstance(policy, StackValidationPolicy)
    set_profile(profile)
    built = {
        r.name: PolicyResource(
            r.type,
            unknown_checking_proxy(copy.deepcopy(dict(r.props))),
            r.urn,
            r.name,
            _options(r.protect),
            None,
            None,
            [],
            {},
        )
        for r in resources
    }
    for r in resources:
        target = built[r.name]
        for prop, names in r.deps.items():
            target.property_dependencies[prop] = [built[n] for n in names]
            target.dependencies.extend(built[n] for n in names)
    return _run(policy, StackValidationArgs(list(built.values()), dict(config) if config else None))


def engine_props(resource: RegisteredResource) -> dict[str, Any]:
    """A registration's inputs as the pack's servicer deserializes them from an AnalyzeRequest."""
    return deserialize_properties(json_format.MessageToDict(engine_struct(resource.wire_inputs)))
