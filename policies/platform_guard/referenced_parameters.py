"""Settings that containers take from SSM parameters of the same stack, judged like environment values.

ECS injects `secrets[].valueFrom` at task start. A program that keeps its task definitions known at
preview passes computed settings this way (docs/preview-coverage.md), and the task definition then
only holds a parameter ARN: `DEBUG=True`, `ALLOWED_HOSTS=*` or a plain password stored in a String
parameter would pass every rule that reads `environment`. This stack rule follows each reference to
the `aws:ssm/parameter:Parameter` the stack creates and judges its value as if it were in
`environment`.

A `valueFrom` names a parameter by ARN (`arn:<partition>:ssm:<region>:<account>:parameter/<name>`,
with or without the name's leading slash) or, in the task's own region and account, by its bare
name. Parameter Store's `/aws/reference/secretsmanager/...` names and Secrets Manager ARNs point at
secrets, which is where credentials belong. A parameter the stack does not create is outside what
the pack can see; for a DEBUG or ALLOWED_HOSTS setting that is said (advisory), for anything else
it is the usual way to reach an existing secret and is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from .compute import (
    BATCH_JOB,
    CONTAINER_PROPS,
    DEBUG_HARM,
    HOSTS_FIX,
    SSM_PARAMETER,
    TASK_DEFINITION,
    allowed_hosts_problem,
    debug_on,
)
from .props import UNKNOWN
from .rule import Stack, stack_rule
from .secret_values import judge_pair
from .stack_graph import label

SECRETS_MANAGER_REFERENCE = "aws/reference/secretsmanager/"


def parameter_name(value_from: str) -> str | None:
    """The parameter name a `valueFrom` points at, without its leading slash; None when it points
    at a Secrets Manager secret (by ARN or through Parameter Store's reference path)."""
    text = value_from.strip()
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) < 6 or parts[2] != "ssm" or not parts[5].startswith("parameter"):
            return None
        name = parts[5][len("parameter") :]
    else:
        name = text
    name = name.lstrip("/")
    if not name or name.startswith(SECRETS_MANAGER_REFERENCE):
        return None
    return name


@dataclass(frozen=True)
class Parameter:
    resource: PolicyResource
    kind: Any  # "String", "StringList", "SecureString", or UNKNOWN


class ParameterIndex:
    """The stack's SSM parameters by name (leading slash dropped) and by ARN."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self.by_name: dict[str, Parameter] = {}
        self.by_arn: dict[str, Parameter] = {}
        self.unnamed: list[PolicyResource] = []
        for resource in stack.of_type([SSM_PARAMETER]):
            name = _known(resource, "name")
            if not isinstance(name, str) or not name:
                self.unnamed.append(resource)
                continue
            kind = stack.get(resource.props, "type", label=f"{label(resource)} type")
            entry = Parameter(resource, kind)
            self.by_name[name.lstrip("/")] = entry
            arn = _known(resource, "arn")  # an output: unknown until created, so names come first
            if isinstance(arn, str) and arn:
                self.by_arn[arn] = entry

    def find(self, value_from: str) -> Parameter | None:
        entry = self.by_arn.get(value_from.strip())
        if entry is None:
            name = parameter_name(value_from)
            entry = self.by_name.get(name) if name is not None else None
        return entry

    def value(self, parameter: Parameter) -> Any:
        """The parameter's value (`value`, marked secret by pulumi-aws, or `insecureValue`)."""
        resource = parameter.resource
        present = set(resource.props)  # `in` on the SDK's proxy reads the value, unknown or not
        for prop in ("value", "insecureValue"):
            if prop in present:
                found = self._stack.get(resource.props, prop, label=f"{label(resource)} {prop}")
                if found is UNKNOWN or isinstance(found, str):
                    return found
        return None


def _known(resource: PolicyResource, prop: str) -> Any:
    """A property that only serves to match references: unknown means "no match", not a note."""
    try:
        value = resource.props.get(prop)
    except UnknownValueError:
        return None
    return None if value == UNKNOWN_STRING_VALUE else value


def _containers(stack: Stack, resource: PolicyResource) -> list[Mapping[str, Any]]:
    prop = CONTAINER_PROPS[resource.resource_type]
    document = stack.json(resource.props, prop, label=f"{label(resource)} {prop}")
    if isinstance(document, Mapping):
        document = [document]
    if not isinstance(document, list):
        return []
    return [c for c in document if isinstance(c, Mapping)]


def _references(container: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(variable name, valueFrom) of each of the container's `secrets`."""
    found: list[tuple[str, str]] = []
    entries = container.get("secrets")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            source = entry.get("valueFrom")
            if isinstance(source, str) and source:
                found.append((entry["name"], source))
    return found


def _judge(
    stack: Stack,
    task: PolicyResource,
    container: str,
    variable: str,
    parameter: Parameter,
    value: str,
    allowed: set[str],
) -> None:
    where = (
        f"{label(task)}: container '{container}' takes {variable} from SSM parameter "
        f"{label(parameter.resource)}"
    )
    if debug_on(variable, value):
        stack.report(f"{where}, whose value is {value}: {DEBUG_HARM}. Set the parameter to False.", task)
    problem = allowed_hosts_problem(variable, value)
    if problem:
        stack.report(f"{where}, whose value is '{value}': {problem}. {HOSTS_FIX}", task)
    kind = parameter.kind
    if variable in allowed or kind is UNKNOWN or kind == "SecureString":
        return
    reason = judge_pair(variable, value)
    if reason:
        stack.report(
            f"{where} of type {kind or 'String'}, which holds a credential in plain text ({reason}; the "
            "value is not repeated here): anyone with ssm:GetParameter reads it and it shows in the "
            "console. Keep it in Secrets Manager or make the parameter a SecureString.",
            task,
        )


def _check(stack: Stack) -> None:
    allowed = {str(n) for n in (stack.config.get("allowedNames") or [])}
    index = ParameterIndex(stack)
    for task in stack.of_type(CONTAINER_PROPS):
        for number, container in enumerate(_containers(stack, task)):
            container_name = str(container.get("name") or f"#{number}")
            for variable, source in _references(container):
                parameter = index.find(source)
                if parameter is None:
                    name = parameter_name(source)
                    if name is None:
                        continue  # a Secrets Manager secret
                    if index.unnamed:
                        stack.note(f"{label(task)} {variable} (the names of {label(index.unnamed[0])}...)")
                    elif allowed_hosts_problem(variable, "*") or debug_on(variable, "true"):
                        stack.outside(f"{label(task)} {variable} from parameter '{name}'")
                    continue
                value = index.value(parameter)
                if isinstance(value, str):
                    _judge(stack, task, container_name, variable, parameter, value, allowed)


ecs_parameter_settings_safe = stack_rule(
    name="ecs-parameter-settings-safe",
    description=(
        "Settings ECS task definitions and Batch jobs take from the stack's SSM parameters "
        "(secrets[].valueFrom, by ARN or name) are judged as if they were in the environment: "
        "ALLOWED_HOSTS names hosts (no '*', not empty), DEBUG is off, and no credential sits in a "
        "String parameter."
    ),
    types=[TASK_DEFINITION, BATCH_JOB, SSM_PARAMETER],
    reads=["containerDefinitions", "containerProperties", "value"],
    check=_check,
    config={
        "allowedNames": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Variable names that look secret but are not (e.g. an identifier).",
            "default": [],
        }
    },
)

POLICIES = [ecs_parameter_settings_safe]
