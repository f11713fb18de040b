"""Compute: tasks without public IPs, secrets out of plain text, Django run safely, no privilege."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .props import NAME, UNKNOWN, is_sequence, list_setting, truthy
from .rule import Subject, resource_rule
from .secret_values import judge_command, judge_pair, judge_text, secret_name

SERVICE_TYPES = frozenset({"aws:ecs/service:Service", "aws:ecs/taskSet:TaskSet"})
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
BATCH_JOB = "aws:batch/jobDefinition:JobDefinition"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
CONTAINER_TYPES = frozenset({TASK_DEFINITION, BATCH_JOB})
# Where each type keeps its container definitions (one JSON string in the engine's shape).
CONTAINER_PROPS = {TASK_DEFINITION: "containerDefinitions", BATCH_JOB: "containerProperties"}

secret_looking = secret_name  # the name half of the judgement, kept under its old name for callers


# --- ecs-service-no-public-ip ----------------------------------------------------------------


def _public_ip(r: Subject) -> None:
    flag = r.prop("networkConfiguration", "assignPublicIp")
    if flag is not UNKNOWN and truthy(flag):
        r.report(
            "networkConfiguration.assignPublicIp is true: every task gets a public IP and is reachable "
            "from the internet wherever its security group allows, bypassing the load balancer and WAF. "
            "Run tasks in private subnets with assign_public_ip=False; they reach AWS through the NAT "
            "gateway or VPC endpoints."
        )


ecs_service_no_public_ip = resource_rule(
    name="ecs-service-no-public-ip",
    description="ECS services and task sets run their tasks without public IPs, reachable only through the load balancer.",
    types=SERVICE_TYPES,
    reads=["networkConfiguration"],
    check=_public_ip,
)


# --- container helpers -----------------------------------------------------------------------


def container_list(document: Any) -> list[Mapping[str, Any]]:
    """The containers of a parsed container-definitions property: a list for ECS, one container's
    properties for Batch; anything else (unknown, malformed) has none."""
    if isinstance(document, Mapping):
        document = [document]
    if not isinstance(document, list):
        return []
    return [c for c in document if isinstance(c, Mapping)]


def containers(r: Subject) -> list[Mapping[str, Any]]:
    """The container definitions (a JSON string for ECS, one container's properties for Batch)."""
    return container_list(r.document(CONTAINER_PROPS[r.type]))


def environment(container: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    entries = container.get("environment")
    if not isinstance(entries, list):
        return pairs
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            value = entry.get("value")
            pairs.append((entry["name"], "" if value is None else str(value)))
    return pairs


def _container_name(container: Mapping[str, Any], index: int) -> str:
    return str(container.get("name") or f"#{index}")


def _words(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float))]
    return []


# --- ecs-no-plaintext-secrets ----------------------------------------------------------------


SSM_PARAMETER = "aws:ssm/parameter:Parameter"
CODEBUILD_PROJECT = "aws:codebuild/project:Project"
APPRUNNER_SERVICE = "aws:apprunner/service:Service"


def _first(value: Any) -> Any:
    return (value[0] if value else None) if is_sequence(value) else value


def _report_pairs(r: Subject, where: str, pairs: list[tuple[str, str]], allowed: set[str], fix: str) -> None:
    names = sorted({n for n, v in pairs if n not in allowed and judge_pair(n, v) is not None})
    if names:
        r.report(
            f"{where} holds {', '.join(names)} in plain text (judged by name and value; the values are "
            f"not repeated here). {fix}"
        )


def _other_plaintext(r: Subject, allowed: set[str]) -> None:
    if r.type == SSM_PARAMETER:
        kind = r.prop("type")
        name = r.prop("name")
        value = r.prop("value")
        insecure = r.prop("insecureValue")
        text = value if isinstance(value, str) else insecure if isinstance(insecure, str) else None
        if isinstance(kind, str) and kind != "SecureString" and text is not None:
            leaf = str(name).rstrip("/").rsplit("/", 1)[-1] if isinstance(name, str) else r.name
            _report_pairs(
                r,
                f"parameter type {kind}",
                [(leaf, text)],
                allowed,
                "Anyone with ssm:GetParameter reads it and it shows in the console. Use type SecureString (KMS).",
            )
    elif r.type == CODEBUILD_PROJECT:
        environment_block = _first(r.prop("environment"))
        variables = r.get(environment_block, "environmentVariables", label="environment.environmentVariables")
        pairs = [
            (str(v.get("name")), str(v.get("value") or ""))
            for v in (variables if is_sequence(variables) else [])
            if isinstance(v, Mapping) and v.get("type") in (None, "PLAINTEXT")
        ]
        _report_pairs(
            r,
            "environment.environmentVariables (type PLAINTEXT)",
            pairs,
            allowed,
            "Use type SECRETS_MANAGER or PARAMETER_STORE with the secret's name.",
        )
    elif r.type == APPRUNNER_SERVICE:
        source = _first(r.prop("sourceConfiguration"))
        for repo_key in ("imageRepository", "codeRepository"):
            repo = _first(r.get(source, repo_key, label=f"sourceConfiguration.{repo_key}"))
            if repo_key == "codeRepository":
                repo = _first(r.get(repo, "codeConfiguration"))
                repo = _first(r.get(repo, "codeConfigurationValues"))
                config = repo
            else:
                config = _first(r.get(repo, "imageConfiguration"))
            variables = r.get(config, "runtimeEnvironmentVariables", label="runtimeEnvironmentVariables")
            if isinstance(variables, Mapping):
                _report_pairs(
                    r,
                    "runtimeEnvironmentVariables",
                    [(str(k), str(variables[k])) for k in variables],
                    allowed,
                    "Use runtimeEnvironmentSecrets with Secrets Manager or SSM ARNs.",
                )


def _plaintext_secrets(r: Subject) -> None:
    allowed = {str(n) for n in (r.config.get("allowedNames") or [])}
    if r.type in (SSM_PARAMETER, CODEBUILD_PROJECT, APPRUNNER_SERVICE):
        _other_plaintext(r, allowed)
        return
    if r.type == LAMBDA_FUNCTION:
        variables = r.prop("environment", "variables")
        if isinstance(variables, Mapping):
            names = sorted(
                str(n)
                for n in variables
                if n not in allowed and isinstance(variables.get(n), str) and judge_pair(str(n), variables[n])
            )
            if names:
                r.report(
                    f"environment.variables holds {', '.join(names)} in plain text (judged by name and value; "
                    "the values are not repeated here), readable by anyone who can read the function's "
                    "configuration. Read them at run time from Secrets Manager or SSM SecureString."
                )
        return
    where = CONTAINER_PROPS[r.type]
    for index, container in enumerate(containers(r)):
        name = _container_name(container, index)
        found = sorted(
            {n for n, v in environment(container) if n not in allowed and judge_pair(n, v) is not None}
        )
        if found:
            r.report(
                f"{where}: container '{name}' puts {', '.join(found)} in plain `environment` (judged by "
                "name and value; the values are not repeated here), readable by anyone who can describe "
                "the task definition and kept in every revision. Move them to `secrets` (valueFrom a "
                "Secrets Manager or SSM SecureString ARN)."
            )
        for field in ("command", "entryPoint"):
            hits = judge_command(_words(container.get(field)))
            if hits:
                r.report(
                    f"{where}: container '{name}' passes a credential in `{field}`: {'; '.join(hits)}. "
                    "Pass it through `secrets` and refer to the variable ($NAME) on the command line."
                )


ecs_no_plaintext_secrets = resource_rule(
    name="ecs-no-plaintext-secrets",
    description=(
        "ECS task definitions, Batch jobs, Lambda functions, CodeBuild projects, App Runner services and "
        "SSM String parameters keep secrets out of plain text: no "
        "environment value that is a secret by its name (PASSWORD, PWD, PASSPHRASE, SECRET, TOKEN, KEY...) "
        "and not plainly something else (an ARN, a URL, a number), no URL with a password, no known key "
        "format, and no credential in a container's command or entryPoint."
    ),
    types={*CONTAINER_TYPES, LAMBDA_FUNCTION, SSM_PARAMETER, CODEBUILD_PROJECT, APPRUNNER_SERVICE},
    reads=["containerDefinitions", "containerProperties", "environment", "value", "sourceConfiguration"],
    check=_plaintext_secrets,
    config={
        "allowedNames": list_setting(
            NAME, "Variable names that look secret but are not (e.g. an identifier).", []
        )
    },
)


# --- ec2-user-data-no-secrets ----------------------------------------------------------------

USER_DATA_TYPES = frozenset(
    {
        "aws:ec2/instance:Instance",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/launchConfiguration:LaunchConfiguration",
        "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
    }
)


def _user_data(r: Subject) -> None:
    for field in ("userData", "userDataBase64"):
        text = r.prop(field)
        if isinstance(text, str) and text:
            hits = judge_text(text)
            if hits:
                r.report(
                    f"{field} carries credentials: {'; '.join(sorted(set(hits)))}. User data is readable by "
                    "anyone who can describe the instance and from the instance metadata service. Fetch "
                    "secrets at boot from Secrets Manager with the instance role."
                )


ec2_user_data_no_secrets = resource_rule(
    name="ec2-user-data-no-secrets",
    description="EC2 instances, launch templates and launch configurations carry no credentials in user data.",
    types=USER_DATA_TYPES,
    reads=["userData", "userDataBase64"],
    check=_user_data,
)


# --- ec2-imdsv2-required ---------------------------------------------------------------------


def _imdsv2(r: Subject) -> None:
    options = r.prop("metadataOptions")
    if options is UNKNOWN:
        return
    if is_sequence(options):
        options = options[0] if options else None
    endpoint = r.get(options, "httpEndpoint", label="metadataOptions.httpEndpoint")
    tokens = r.get(options, "httpTokens", label="metadataOptions.httpTokens")
    if UNKNOWN in (endpoint, tokens) or (isinstance(endpoint, str) and endpoint == "disabled"):
        return
    if not (isinstance(tokens, str) and tokens == "required"):
        shown = f"'{tokens}'" if tokens else "not set (IMDSv1 allowed unless the AMI says otherwise)"
        r.report(
            f"metadataOptions.httpTokens is {shown}: IMDSv1 answers plain GET requests, so one SSRF in "
            "the software hands out the instance role's credentials. Set metadata_options "
            "http_tokens='required'."
        )


ec2_imdsv2_required = resource_rule(
    name="ec2-imdsv2-required",
    description="EC2 instances and launch templates require IMDSv2 session tokens (httpTokens 'required').",
    types=USER_DATA_TYPES,
    reads=["metadataOptions"],
    check=_imdsv2,
)


# --- ecs-django-debug-off --------------------------------------------------------------------


def _named(name: str, setting: str) -> bool:
    upper = name.upper()
    return upper == setting or upper.endswith(f"_{setting}")


DEBUG_HARM = "Django then serves tracebacks with settings and SQL to anyone who triggers an error"


def debug_on(name: str, value: str) -> bool:
    """`DEBUG` or `<PREFIX>_DEBUG` set to a true value."""
    return _named(name, "DEBUG") and truthy(value)


def _debug(r: Subject) -> None:
    for index, container in enumerate(containers(r)):
        for name, value in environment(container):
            if debug_on(name, value):
                r.report(
                    f"container '{_container_name(container, index)}' sets {name}={value}: {DEBUG_HARM}. "
                    "Set it to False."
                )


ecs_django_debug_off = resource_rule(
    name="ecs-django-debug-off",
    description="Django never runs with DEBUG on in a deployed task (DEBUG or DJANGO_DEBUG true in the environment).",
    types={TASK_DEFINITION},
    reads=["containerDefinitions"],
    check=_debug,
)


# --- ecs-django-allowed-hosts-explicit -------------------------------------------------------


HOSTS_FIX = "List the site's host names (and the origin host CloudFront sends)."


def allowed_hosts_problem(name: str, value: str) -> str | None:
    """What is wrong with an `ALLOWED_HOSTS` value: the wildcard, or no host at all (a list that
    names nothing leaves the choice to the application's fallback, often '*')."""
    if not _named(name, "ALLOWED_HOSTS"):
        return None
    hosts = [h for h in re.split(r"[,\s]+", value) if h]
    if "*" in hosts:
        return (
            "Django accepts any Host header, which enables cache poisoning and password-reset links to "
            "an attacker's domain"
        )
    if not hosts:
        return "it names no host, so the application falls back to its default (often '*') or refuses every request"
    return None


def _allowed_hosts(r: Subject) -> None:
    for index, container in enumerate(containers(r)):
        for name, value in environment(container):
            problem = allowed_hosts_problem(name, value)
            if problem:
                r.report(
                    f"container '{_container_name(container, index)}' sets {name}={value}: {problem}. "
                    f"{HOSTS_FIX}"
                )


ecs_django_allowed_hosts_explicit = resource_rule(
    name="ecs-django-allowed-hosts-explicit",
    description="Django's ALLOWED_HOSTS names the real hosts: never the wildcard '*', never an empty list.",
    types={TASK_DEFINITION},
    reads=["containerDefinitions"],
    check=_allowed_hosts,
)


# --- ecs-no-privileged-containers ------------------------------------------------------------

# Docker's default capability set (what every container already has); adding anything beyond it
# widens what a compromised process can do to the host kernel. Valid names: the ECS API's
# KernelCapabilities list.
DOCKER_DEFAULT_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def _privileged(r: Subject) -> None:
    for index, container in enumerate(containers(r)):
        name = _container_name(container, index)
        if truthy(container.get("privileged")):
            r.report(
                f"container '{name}' is privileged: it gets every kernel capability and device on the "
                "host. Remove privileged=true."
            )
        linux = container.get("linuxParameters")
        capabilities = linux.get("capabilities") if isinstance(linux, Mapping) else None
        added = capabilities.get("add") if isinstance(capabilities, Mapping) else None
        extra = sorted(
            {str(c).upper().removeprefix("CAP_") for c in _words(added)} - DOCKER_DEFAULT_CAPABILITIES
        )
        if extra:
            r.report(
                f"container '{name}' adds kernel capabilities {', '.join(extra)} "
                "(linuxParameters.capabilities.add) beyond Docker's defaults: "
                f"{'ALL is the same as privileged' if 'ALL' in extra else 'these let a compromised process reach the host kernel (mounts, modules, raw I/O, other processes)'}. "
                "Remove them; drop capabilities instead of adding them."
            )


ecs_no_privileged_containers = resource_rule(
    name="ecs-no-privileged-containers",
    description=(
        "No ECS container runs privileged or adds kernel capabilities beyond Docker's default set "
        "(SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ALL...)."
    ),
    types=CONTAINER_TYPES,
    reads=["containerDefinitions", "containerProperties"],
    check=_privileged,
)


POLICIES = [
    ecs_service_no_public_ip,
    ecs_no_plaintext_secrets,
    ecs_django_debug_off,
    ecs_django_allowed_hosts_explicit,
    ecs_no_privileged_containers,
    ec2_user_data_no_secrets,
    ec2_imdsv2_required,
]
