"""One shape for every rule: the resource types it judges, whether it applies only to production,
the properties it reads, and a check that reads them through one reader.

`resource_rule` and `stack_rule` do what every rule used to repeat: skip other types, report
"not applicable" outside production for production rules, read properties through `Judge` (an
unknown value becomes a "cannot be judged yet" note instead of a crash or a silent pass) and
settle the notes at the end. Each rule is also recorded in `CATALOG`, so that the preview
coverage rule (coverage.py) can say which resources a preview could not judge, and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .props import Judge, is_production, stack_profile
from .stack_graph import label


@dataclass(frozen=True)
class RuleInfo:
    name: str
    types: frozenset[str]
    reads: tuple[str, ...]
    production_only: bool


CATALOG: list[RuleInfo] = []


class Subject(Judge):
    """The resource a resource rule judges: its properties, config and a way to report it."""

    def __init__(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        super().__init__(args.name)
        self.args = args
        self.type = args.resource_type
        self.name = args.name
        self.props = args.props
        self.config: Mapping[str, Any] = args.get_config() or {}
        self._report = report

    def prop(self, *path: str | int, label: str | None = None) -> Any:
        return self.get(self.props, *path, label=label)

    def document(self, *path: str | int, label: str | None = None) -> Any:
        """A JSON document property (IAM policy, container definitions) as plain Python."""
        return self.json(self.props, *path, label=label)

    def report(self, message: str) -> None:
        self._report(message, None)


class Stack(Judge):
    """Every resource of the stack, for rules that relate resources to each other."""

    def __init__(self, args: StackValidationArgs, report: ReportViolation) -> None:
        super().__init__()
        self.resources: list[PolicyResource] = list(args.resources)
        self.config: Mapping[str, Any] = args.get_config() or {}
        self._report = report

    def of_type(self, types: Iterable[str]) -> list[PolicyResource]:
        wanted = set(types)
        return [r for r in self.resources if r.resource_type in wanted]

    def prop(self, resource: PolicyResource, *path: str | int) -> Any:
        return self.get(resource.props, *path, label=f"{label(resource)} {'.'.join(map(str, path))}")

    def report(self, message: str, resource: PolicyResource | None = None) -> None:
        self._report(message, resource.urn if resource is not None else None)


def _schema(config: Mapping[str, Any] | None) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties=dict(config)) if config else None


def resource_rule(
    *,
    name: str,
    description: str,
    types: Iterable[str],
    reads: Iterable[str],
    check: Callable[[Subject], None],
    production_only: bool = False,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config: Mapping[str, Any] | None = None,
) -> ResourceValidationPolicy:
    judged = types if isinstance(types, frozenset) else frozenset(types)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in judged:
            return
        if production_only and not is_production():
            args.not_applicable(f"the stack is not production-shaped (stackProfile is '{stack_profile()}')")
        subject = Subject(args, report)
        check(subject)
        subject.settle()

    CATALOG.append(RuleInfo(name, judged, tuple(reads), production_only))
    return ResourceValidationPolicy(
        name=name,
        description=description,
        enforcement_level=level,
        config_schema=_schema(config),
        validate=validate,
    )


def stack_rule(
    *,
    name: str,
    description: str,
    types: Iterable[str],
    reads: Iterable[str],
    check: Callable[[Stack], None],
    production_only: bool = False,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config: Mapping[str, Any] | None = None,
) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        if production_only and not is_production():
            args.not_applicable(f"the stack is not production-shaped (stackProfile is '{stack_profile()}')")
        stack = Stack(args, report)
        check(stack)
        stack.settle()

    CATALOG.append(RuleInfo(name, frozenset(types), tuple(reads), production_only))
    return StackValidationPolicy(
        name=name,
        description=description,
        enforcement_level=level,
        config_schema=_schema(config),
        validate=validate,
    )
