"""What the move-in scripts share: AWS clients with throttling retries, one error type carrying its
exit code, AWS errors turned into messages an operator can act on, progress lines, stack outputs.

Exit codes (sysexits.h, so that a wrapper can tell the cases apart):
    0   done
    1   finished, but something was not moved or did not verify (the report lists each one)
    2   usage: a missing or malformed input, or a resource in another region than the one given
    66  not found: a bucket, snapshot, DB instance or key does not exist (or is not visible)
    69  unavailable: a snapshot failed, or is in a state it cannot leave
    75  timed out waiting; running it again resumes
    77  no permission: AWS answered AccessDenied; the message names the call
    130 interrupted; running it again resumes
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 66
EXIT_UNAVAILABLE = 69
EXIT_TIMEOUT = 75
EXIT_NO_PERMISSION = 77
EXIT_INTERRUPTED = 130

# Error codes AWS services use for a caller without permission.
ACCESS_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnauthorizedOperation",
        "InvalidClientTokenId",
        "ExpiredToken",
        "KMSAccessDeniedFault",
        "403",
    }
)
NOT_FOUND = frozenset(
    {
        "NoSuchBucket",
        "NoSuchKey",
        "NotFound",
        "404",
        "DBSnapshotNotFound",
        "DBSnapshotNotFoundFault",
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
        "NotFoundException",
        "KMSKeyNotAccessibleFault",
    }
)
# Throttling codes that may outlast botocore's own retries on a busy prefix or account.
THROTTLED = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "503",
    }
)

# Adaptive mode also rate-limits the client itself once AWS starts throttling it.
RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10})


class ScriptError(Exception):
    """A failure with its message for the operator and the exit code the script ends with."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def say(message: str) -> None:
    print(message, flush=True)


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def explain(error: ClientError | BotoCoreError, doing: str) -> ScriptError:
    """An AWS error as a ScriptError: what was being done, what AWS said, and the exit code."""
    if isinstance(error, BotoCoreError):
        return ScriptError(f"{doing}: {error}", EXIT_UNAVAILABLE)
    code = error_code(error)
    text = error.response.get("Error", {}).get("Message") or code
    operation = error.operation_name
    if code in ACCESS_DENIED:
        return ScriptError(
            f"no permission to {doing} ({operation}: {text}); the credentials in use need that action "
            "on that resource",
            EXIT_NO_PERMISSION,
        )
    if code in NOT_FOUND:
        return ScriptError(f"{doing}: not found ({operation}: {text})", EXIT_NOT_FOUND)
    return ScriptError(f"{doing}: {operation} failed: {code}: {text}", EXIT_UNAVAILABLE)


def client(service: str, region: str | None, profile: str | None = None) -> Any:
    """A client with adaptive retries, in the given region and profile (default: the SDK's chain)."""
    try:
        session: Any = boto3.Session(profile_name=profile) if profile else boto3.Session()
        return session.client(service, region_name=region, config=RETRIES)
    except (BotoCoreError, ValueError) as error:
        raise ScriptError(
            f"cannot create the {service} client (region {region!r}, profile {profile!r}): {error}",
            EXIT_USAGE,
        ) from error


def account_of(sts: Any) -> str:
    try:
        return str(sts.get_caller_identity()["Account"])
    except (ClientError, BotoCoreError) as error:
        raise explain(error, "find the account of the credentials in use") from error


def load_stack_outputs(path: Path | None) -> dict[str, Any]:
    """The JSON object `pulumi stack output --json` writes, or {} without a path."""
    if path is None:
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScriptError(f"cannot read stack outputs {path}: {error.strerror}", EXIT_USAGE) from error
    except json.JSONDecodeError as error:
        raise ScriptError(
            f"{path} is not JSON ({error.msg} at line {error.lineno}); write it with `pulumi stack output --json`",
            EXIT_USAGE,
        ) from error
    if not isinstance(document, dict):
        raise ScriptError(
            f"{path} holds no JSON object; write it with `pulumi stack output --json`", EXIT_USAGE
        )
    return document


def pick(flag_value: str | None, outputs: Mapping[str, Any], output_key: str, flag: str) -> str:
    """A flag, else the stack output; a missing one names both ways to give it."""
    value = flag_value if flag_value is not None else outputs.get(output_key)
    if not isinstance(value, str) or not value:
        raise ScriptError(
            f"missing input: {flag} (or stack output {output_key} via --stack-outputs)", EXIT_USAGE
        )
    return value


def region_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None
