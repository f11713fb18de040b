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

`environmentFiles` are followed the same way, to the S3 objects (`BucketObject`, `BucketObjectv2`)
the stack writes as text: each `NAME=value` line is judged like an environment entry.
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
    container_list,
    debug_on,
)
from .props import NAME, SIG_KEY, UNKNOWN, list_setting
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
    return container_list(stack.json(resource.props, prop, label=f"{label(resource)} {prop}"))


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


@dataclass(frozen=True)
class Source:
    """Where a container's setting comes from, as a message names it, and how it is stored."""

    where: str
    plaintext: str | None  # why a credential there is in plain text; None when it is not (SecureString)
    fix: str


def _judge(
    stack: Stack,
    task: PolicyResource,
    container: str,
    variable: str,
    source: Source,
    value: str,
    allowed: set[str],
) -> None:
    where = f"{label(task)}: container '{container}' takes {variable} from {source.where}"
    if debug_on(variable, value):
        stack.report(f"{where}, whose value is {value}: {DEBUG_HARM}. Set it to False there.", task)
    problem = allowed_hosts_problem(variable, value)
    if problem:
        stack.report(f"{where}, whose value is '{value}': {problem}. {HOSTS_FIX}", task)
    if source.plaintext is None or variable in allowed:
        return
    reason = judge_pair(variable, value)
    if reason:
        stack.report(
            f"{where}, which holds a credential in plain text ({reason}; the value is not repeated "
            f"here): {source.plaintext}. {source.fix}",
            task,
        )


def _parameter_source(parameter: Parameter) -> Source:
    kind = parameter.kind
    plaintext = None
    if kind is not UNKNOWN and kind != "SecureString":
        plaintext = "anyone with ssm:GetParameter reads it and it shows in the console"
    return Source(
        f"SSM parameter {label(parameter.resource)} of type {kind or 'String'}",
        plaintext,
        "Keep it in Secrets Manager or make the parameter a SecureString.",
    )


def _secrets(
    stack: Stack,
    index: ParameterIndex,
    task: PolicyResource,
    container: Mapping[str, Any],
    name: str,
    allowed: set[str],
) -> None:
    for variable, source in _references(container):
        parameter = index.find(source)
        if parameter is None:
            parameter_path = parameter_name(source)
            if parameter_path is None:
                continue  # a Secrets Manager secret
            if index.unnamed:
                stack.note(f"{label(task)} {variable} (the names of {label(index.unnamed[0])}...)")
            elif allowed_hosts_problem(variable, "*") or debug_on(variable, "true"):
                stack.outside(f"{label(task)} {variable} from parameter '{parameter_path}'")
            continue
        value = index.value(parameter)
        if isinstance(value, str):
            _judge(stack, task, name, variable, _parameter_source(parameter), value, allowed)


# --- environmentFiles: S3 objects the stack writes ---------------------------------------------

S3_OBJECT_TYPES = frozenset({"aws:s3/bucketObject:BucketObject", "aws:s3/bucketObjectv2:BucketObjectv2"})
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"


def _object_text(stack: Stack, resource: PolicyResource) -> Any:
    """An S3 object's body when the program wrote it as text (`content`, or a StringAsset source)."""
    present = set(resource.props)
    if "content" in present:
        return stack.get(resource.props, "content", label=f"{label(resource)} content")
    if "source" in present:
        asset = stack.get(resource.props, "source", label=f"{label(resource)} source")
        text = getattr(asset, "text", None)  # the SDK's StringAsset
        if isinstance(asset, Mapping) and asset.get(SIG_KEY) == _ASSET_SIG:
            text = asset.get("text")  # the engine's shape
        return text if isinstance(text, str) else None
    return None


def env_file_pairs(text: str) -> list[tuple[str, str]]:
    """`NAME=value` lines of an ECS environment file (no quoting; `#` starts a comment line)."""
    pairs = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and "=" in stripped:
            name, value = stripped.split("=", 1)
            pairs.append((name.strip(), value))
    return pairs


def _environment_files(
    stack: Stack, task: PolicyResource, container: Mapping[str, Any], name: str, allowed: set[str]
) -> None:
    files = container.get("environmentFiles")
    for entry in files if isinstance(files, list) else []:
        arn = entry.get("value") if isinstance(entry, Mapping) else None
        if not (isinstance(arn, str) and arn.startswith("arn:") and ":s3:::" in arn and "/" in arn):
            continue
        bucket, key = arn.split(":s3:::", 1)[1].split("/", 1)
        for resource in stack.of_type(S3_OBJECT_TYPES):
            object_key = _known(resource, "key")
            object_bucket = _known(resource, "bucket")
            if object_key != key or (isinstance(object_bucket, str) and object_bucket != bucket):
                continue
            text = _object_text(stack, resource)
            if not isinstance(text, str):
                continue
            source = Source(
                f"environment file {label(resource)} (s3://{bucket}/{key})",
                "anyone with s3:GetObject on the bucket reads it",
                "Reference it in `secrets` from Secrets Manager instead.",
            )
            for variable, value in env_file_pairs(text):
                _judge(stack, task, name, variable, source, value, allowed)


def _check(stack: Stack) -> None:
    allowed = {str(n) for n in (stack.config.get("allowedNames") or [])}
    index = ParameterIndex(stack)
    for task in stack.of_type(CONTAINER_PROPS):
        for number, container in enumerate(_containers(stack, task)):
            name = str(container.get("name") or f"#{number}")
            _secrets(stack, index, task, container, name, allowed)
            _environment_files(stack, task, container, name, allowed)


ecs_parameter_settings_safe = stack_rule(
    name="ecs-parameter-settings-safe",
    description=(
        "Settings ECS task definitions and Batch jobs take from the stack's SSM parameters "
        "(secrets[].valueFrom, by ARN or name) or S3 environment files are judged as if they were in "
        "the environment: ALLOWED_HOSTS names hosts (no '*', not empty), DEBUG is off, and no "
        "credential sits in a String parameter or an environment file."
    ),
    types=[TASK_DEFINITION, BATCH_JOB, SSM_PARAMETER, *S3_OBJECT_TYPES],
    # S3 objects' `content` is left out: only an object a container reads as an environment file
    # matters, and the rule notes that one itself when it is unknown.
    reads=["containerDefinitions", "containerProperties", "value"],
    check=_check,
    config={
        "allowedNames": list_setting(
            NAME, "Variable names that look secret but are not (e.g. an identifier).", []
        )
    },
)

POLICIES = [ecs_parameter_settings_safe]
