"""The production profile, in one table: what a stack's `stackProfile` demands beyond each value's own
range. A stack is production-shaped because its config says so, whatever it is called, and
components never ask (no `if stack == "prod"`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from components.storage import LOCAL_ORIGIN

from .reader import Reader

PRODUCTION_REQUIRED = "required when stackProfile is 'production'"


@dataclass(frozen=True)
class ProfileRule:
    key: str
    """The key a refusal is reported under."""
    holds: Callable[[Mapping[str, Any]], bool]
    """Judges the values read, by key."""
    wanted: str
    """What the key must be, e.g. "true" or "at least 7"."""
    why: str


def _is(key: str, wanted: Any) -> Callable[[Mapping[str, Any]], bool]:
    return lambda values: values[key] == wanted


def _at_least(key: str, minimum: int) -> Callable[[Mapping[str, Any]], bool]:
    return lambda values: values[key] >= minimum


def _set(key: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda values: bool(str(values[key]).strip())


# The pack's cloudwatch-log-retention minimums (policies/platform_guard/operations.py, the defaults
# of its config schema). The pack runs on its own and cannot import them from here;
# tests/test_config_mistakes.py holds the two equal.
LOG_RETENTION_MINIMUM_DAYS = 30
PRODUCTION_LOG_RETENTION_MINIMUM_DAYS = 90
_SHORT_LOGS = "the pack refuses every log group kept less long"

PROFILE_RULES: Mapping[str, tuple[ProfileRule, ...]] = {
    "production": (
        ProfileRule("natStrategy", _is("natStrategy", "one-per-az"), "'one-per-az'",
                    "with one NAT gateway, losing its AZ cuts every task off the internet"),
        ProfileRule("keepData", _is("keepData", True), "true",
                    "without it a mistaken `pulumi destroy` or a replacement deletes the database, the "
                    "cache and the buckets and leaves no final snapshot"),
        ProfileRule("dbMultiAz", _is("dbMultiAz", True), "true",
                    "a single-AZ database is down for the length of an AZ outage"),
        ProfileRule("dbBackupRetentionDays", _at_least("dbBackupRetentionDays", 7), "at least 7",
                    "damage noticed a few days late must still be restorable"),
        ProfileRule("cacheReplicaCount", _at_least("cacheReplicaCount", 1), "at least 1",
                    "with no replica, a node failure loses the sessions and the queued tasks"),
        ProfileRule("cacheAutomaticFailover", _is("cacheAutomaticFailover", True), "true",
                    "without it a failed primary stays down until someone promotes a replica"),
        ProfileRule("cacheMultiAz", _is("cacheMultiAz", True), "true",
                    "with every node in one AZ, an AZ outage takes the broker down"),
        ProfileRule("storageCorsOrigins",
                    lambda values: not any(LOCAL_ORIGIN.fullmatch(o) for o in values["storageCorsOrigins"]),
                    "https origins only",
                    "a local origin lets any developer machine upload to the production bucket"),
        ProfileRule("mediaSigningPublicKey", _set("mediaSigningPublicKey"), "a signing key",
                    "or payment proofs and certificates cannot be downloaded at all: generate a pair "
                    "and set the public half (docs/private-media.md)"),
        ProfileRule("webMinTasks", _at_least("webMinTasks", 2), "2 or more",
                    "a single web task is a single point of failure"),
        ProfileRule("fargateSpotWeight", _is("fargateSpotWeight", 0), "0",
                    "Spot tasks can be reclaimed with two minutes' notice"),
        ProfileRule("nightlyScaleDown", _is("nightlyScaleDown", False), "false",
                    "it stops the site every night"),
        ProfileRule("wafEnabled", _is("wafEnabled", True), "true",
                    "the public site must sit behind the WAF"),
        ProfileRule("domainName", _set("domainName"), "a host name",
                    "on the default *.cloudfront.net certificate CloudFront accepts TLS 1.0 and 1.1, "
                    "and only a certificate of our own enforces TLS 1.2"),
        ProfileRule("albCertificateArn",
                    lambda values: bool(values["albCertificateArn"] or values["hostedZoneId"]),
                    "a certificate for the origin",
                    "set domainName and hostedZoneId (the stack then creates one for "
                    "origin.<domainName>) or albCertificateArn, so that CloudFront reaches the ALB "
                    "over HTTPS"),
        ProfileRule("alarmEmail", _set("alarmEmail"), "an address",
                    "alarms nobody receives do not page anyone"),
        ProfileRule("logRetentionDays", _at_least("logRetentionDays", PRODUCTION_LOG_RETENTION_MINIMUM_DAYS),
                    f"at least {PRODUCTION_LOG_RETENTION_MINIMUM_DAYS} days", _SHORT_LOGS),
        ProfileRule("flowLogsRetentionDays",
                    _at_least("flowLogsRetentionDays", PRODUCTION_LOG_RETENTION_MINIMUM_DAYS),
                    f"at least {PRODUCTION_LOG_RETENTION_MINIMUM_DAYS} days", _SHORT_LOGS),
    ),
    "development": (
        ProfileRule("logRetentionDays", _at_least("logRetentionDays", LOG_RETENTION_MINIMUM_DAYS),
                    f"at least {LOG_RETENTION_MINIMUM_DAYS} days", _SHORT_LOGS),
        ProfileRule("flowLogsRetentionDays", _at_least("flowLogsRetentionDays", LOG_RETENTION_MINIMUM_DAYS),
                    f"at least {LOG_RETENTION_MINIMUM_DAYS} days", _SHORT_LOGS),
    ),
}  # fmt: skip
PROFILE_SCOPES = {
    "production": PRODUCTION_REQUIRED,
    "development": "the policy pack's minimum (cloudwatch-log-retention)",
}


def apply_profile(r: Reader, profile: str) -> None:
    """Report every rule of the stack's profile its values break, under a key not already refused."""
    for rule in PROFILE_RULES.get(profile, ()):
        if not r.refused(rule.key) and not rule.holds(r.values):
            r.fail(rule.key, r.raw(rule.key), f"{rule.wanted} is {PROFILE_SCOPES[profile]}: {rule.why}")
