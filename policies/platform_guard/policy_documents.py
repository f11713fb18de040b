"""Reading IAM policy documents: who a statement lets in, and what it lets them do.

A statement is public when it allows a wildcard principal (or `NotPrincipal`) and no condition pins
the caller to a known account, organisation, network or source. A condition that only looks
restrictive does not count: `aws:SourceIp` with 0.0.0.0/0, or a list of ranges so wide it covers a
large part of the internet; a value with a wildcard; a negated operator.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

# Condition keys that pin a wildcard principal to a known caller (AWS's own definition of a
# non-public policy). aws:SecureTransport and the like do not: anyone can use TLS.
RESTRICTING_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceName",
        "aws:userid",
        "aws:CalledVia",
        "s3:DataAccessPointAccount",
        "s3:DataAccessPointArn",
        "kms:CallerAccount",
        "kms:ViaService",
        "lambda:FunctionArn",
        "sns:Endpoint",
        "elasticfilesystem:AccessPointArn",
    )
)

# The widest source-IP range a condition may name and still pin callers: an IPv4 /8 (16 million
# addresses, one registry allocation) or an IPv6 /32 (one provider's allocation). Anything wider is
# "the internet" for practical purposes.
WIDEST_IPV4_PREFIX = 8
WIDEST_IPV6_PREFIX = 32


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def wildcard_principal(statement: Mapping[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True  # Allow + NotPrincipal grants everyone but the named principals
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return principal.strip() == "*"
    if isinstance(principal, Mapping):
        for key in ("AWS", "CanonicalUser", "Federated"):
            for value in as_list(principal.get(key)):
                text = str(value).strip()
                # "*" or "arn:aws:iam::*:root": any account at all
                if text == "*" or (text.startswith("arn:") and "::*:" in text):
                    return True
    return False


def narrow_network(value: str) -> bool:
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    widest = WIDEST_IPV4_PREFIX if network.version == 4 else WIDEST_IPV6_PREFIX
    return network.prefixlen >= widest


def _fixed(key: str, value: Any) -> bool:
    if not isinstance(value, str) or not value or "*" in value or "?" in value:
        return False
    if key == "aws:sourceip":
        return narrow_network(value)
    return True


def restricting(condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        op = str(operator).lower().split(":")[-1].removesuffix("ifexists")
        if "not" in op or op == "null" or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            listed = as_list(values)
            if (
                str(key).lower() in RESTRICTING_KEYS
                and listed
                and all(_fixed(str(key).lower(), v) for v in listed)
            ):
                return True
    return False


def statements(document: Any) -> list[tuple[int, Mapping[str, Any]]]:
    if not isinstance(document, Mapping):
        return []
    return [(i, s) for i, s in enumerate(as_list(document.get("Statement"))) if isinstance(s, Mapping)]


def allows(statement: Mapping[str, Any]) -> bool:
    return str(statement.get("Effect", "")).lower() == "allow"


def _describe(index: int, statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    key = "Action" if "Action" in statement else "NotAction"
    actions = ", ".join(str(a) for a in as_list(statement.get(key)))
    verb = "everything except " if key == "NotAction" else ""
    return f"statement {sid or index} allows {verb}{actions or 'actions'}"


def public_statements(document: Any) -> list[str]:
    """Descriptions of the statements that allow a wildcard principal without a restricting condition."""
    found = []
    for index, statement in statements(document):
        if (
            allows(statement)
            and wildcard_principal(statement)
            and not restricting(statement.get("Condition"))
        ):
            found.append(f"{_describe(index, statement)} to principal '*'")
    return found


def _wild(action: Any) -> bool:
    return isinstance(action, str) and action.strip() in ("*", "*:*")


def _iam_everything(action: Any) -> bool:
    """iam:* lets the holder grant itself anything else."""
    return isinstance(action, str) and action.strip().lower() in ("iam:*", "iam:*:*")


def admin_statements(document: Any) -> list[str]:
    """Identity-policy statements that amount to administrator access: Action '*' on any resource,
    or NotAction (allow everything except a list) on Resource '*'."""
    found = []
    for index, statement in statements(document):
        if not allows(statement):
            continue
        resources = as_list(statement.get("Resource"))
        everywhere = any(_wild(r) for r in resources) or "NotResource" in statement
        actions = as_list(statement.get("Action"))
        if any(_wild(a) for a in actions) or (everywhere and any(_iam_everything(a) for a in actions)):
            found.append(
                f"{_describe(index, statement)} on {', '.join(map(str, resources)) or 'NotResource'}"
            )
        elif "NotAction" in statement and everywhere:
            found.append(f"{_describe(index, statement)} on Resource '*'")
    return found
