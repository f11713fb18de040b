"""README.md's "Stacks compared" table: what each row shows, and each stack's values as typed by
Pulumi.yaml.

A row names the keys it reads (tests/test_docs.py checks that it reads those and no others) and
turns one stack's values into a cell. The values are each stack's effective config: Pulumi.yaml's
defaults under its stack file, read by the offline engine's config loader as the CLI reads them.
`scripts/gen_docs.py` places the table between README's markers (`make docs`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline import stack_config, yaml12

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILE = ROOT / "Pulumi.yaml"
STACKS = ("staging", "prod")


def markdown_cell(text: str) -> str:
    """Markdown table cells hold one line and no bare pipe."""
    return " ".join(str(text).split()).replace("|", "\\|")


class StackValues:
    """One stack's effective config, typed by Pulumi.yaml's declarations: the strings the offline
    engine hands the program (defaults, then the stack file) read back as the settings read them."""

    def __init__(self, stack: str, declared: Mapping[str, Mapping[str, Any]]) -> None:
        config = stack_config.load_stack_config(ROOT, stack)
        self.stack = stack
        self._project = config.project
        self._values = config.values
        self._declared = declared

    def __call__(self, key: str) -> Any:
        full = key if ":" in key else f"{self._project}:{key}"
        text = self._values.get(full, "")
        kind = (self._declared.get(key) or {}).get("type", "string")
        if kind == "boolean":
            return text == "true"
        if kind == "integer":
            return int(text)
        if kind == "array":
            return json.loads(text) if text else []
        return text


Get = Callable[[str], Any]


@dataclass(frozen=True)
class StackRow:
    """One row of README's "Stacks compared": the keys it shows, and how one stack's values read."""

    label: str
    keys: tuple[str, ...]
    show: Callable[[Get], str]


def _vcpu(units: int) -> str:
    return f"{units / 1024:g} vCPU"


def _gib(mib: int) -> str:
    return f"{mib / 1024:g} GiB"


def _on_off(on: bool, yes: str = "on", no: str = "off") -> str:
    return yes if on else no


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _network(v: Get) -> str:
    return f"`{v('aws:region')}`, `{v('vpcCidr')}`, {v('azCount')} availability zones"


def _nat(v: Get) -> str:
    count = v("azCount") if v("natStrategy") == "one-per-az" else 1
    return f"{count} (`{v('natStrategy')}`)"


def _endpoints(v: Get) -> str:
    return ", ".join(f"`{e}`" for e in v("interfaceEndpoints")) or "none"


def _database(v: Get) -> str:
    replicas = v("dbReadReplicaCount")
    monitoring = v("dbMonitoringIntervalSeconds")
    parts = [
        f"PostgreSQL {v('dbEngineVersion')} on `{v('dbInstanceClass')}`",
        _on_off(v("dbMultiAz"), "Multi-AZ", "single-AZ"),
        _count(replicas, "read replica", "read replicas") if replicas else "no read replica",
        f"{v('dbBackupRetentionDays')} days of backups",
        f"{v('dbAllocatedStorageGb')} GiB growing to {v('dbMaxAllocatedStorageGb')}",
    ]
    if monitoring:
        parts.append(f"enhanced monitoring every {monitoring} s")
    return ", ".join(parts)


def _cache(v: Get) -> str:
    engine_name = {"redis": "Redis OSS", "valkey": "Valkey"}.get(v("cacheEngine"), v("cacheEngine"))
    replicas = v("cacheReplicaCount")
    nodes = f"primary + {_count(replicas, 'replica', 'replicas')}" if replicas else "one node"
    parts = [f"{engine_name} {v('cacheEngineVersion')} on `{v('cacheNodeType')}`: {nodes}"]
    parts.append(_on_off(v("cacheAutomaticFailover"), "automatic failover", "no failover"))
    if v("cacheMultiAz"):
        parts.append("Multi-AZ")
    snapshots = v("cacheSnapshotRetentionDays")
    parts.append(_count(snapshots, "daily snapshot", "daily snapshots") if snapshots else "no snapshots")
    return ", ".join(parts)


def _kept_data(v: Get) -> str:
    window = f"{v('kmsKeyDeletionWindowDays')}-day KMS deletion window"
    if v("keepData"):
        return (
            "on: `protect` on the stateful resources (database, cache, buckets, KMS keys), "
            f"deletion protection and final snapshots; {window}"
        )
    return f"off: no `protect`, buckets deleted with their contents on destroy, no final snapshots; {window}"


def _tasks(role: str) -> Callable[[Get], str]:
    def show(v: Get) -> str:
        size = f"{_vcpu(v(f'{role}Cpu'))} / {_gib(v(f'{role}Memory'))}"
        return f"{size}, {v(f'{role}MinTasks')} to {v(f'{role}MaxTasks')}"

    return show


def _spot(v: Get) -> str:
    weight = v("fargateSpotWeight")
    if not weight:
        return "none"
    return (
        f"weight {weight} above one on-demand task per service "
        f"({weight} of every {weight + 1} further tasks on Spot)"
    )


def _schedule(v: Get) -> str:
    if not v("nightlyScaleDown"):
        return "off"
    return (
        f"to zero on `{v('nightlyScaleDownCron')}`, back on `{v('nightlyScaleUpCron')}` "
        f"({v('scheduleTimezone')})"
    )


def _domain(v: Get) -> str:
    if not v("domainName"):
        return "none: the distribution's `*.cloudfront.net` name"
    return f"`{v('domainName')}` in zone `{v('hostedZoneId')}`"


def _media(v: Get) -> str:
    public = f"`{v('mediaPublicPathPattern')}` unsigned"
    if v("mediaSigningPublicKey"):
        return f"key set: other `/media/*` only with a CloudFront signature; {public}"
    return f"no key: other `/media/*` not served by CloudFront (presigned S3 URLs); {public}"


def _waf(v: Get) -> str:
    return f"on, {v('wafRateLimit')} requests per IP per 5 minutes" if v("wafEnabled") else "off"


def _exec(v: Get) -> str:
    if v("ecsExecEnabled"):
        return "on: shells in tasks, whose containers then get writable root file systems"
    return "off: read-only root file systems"


def _plain(key: str, empty: str = "none") -> Callable[[Get], str]:
    return lambda v: f"`{v(key)}`" if v(key) not in ("", None) else empty


STACK_ROWS: tuple[StackRow, ...] = (
    StackRow("`stackProfile`", ("stackProfile",), _plain("stackProfile")),
    StackRow("region, VPC, AZs", ("aws:region", "vpcCidr", "azCount"), _network),
    StackRow("NAT gateways", ("natStrategy", "azCount"), _nat),
    StackRow("interface endpoints", ("interfaceEndpoints",), _endpoints),
    StackRow(
        "database",
        (
            "dbEngineVersion",
            "dbInstanceClass",
            "dbMultiAz",
            "dbReadReplicaCount",
            "dbBackupRetentionDays",
            "dbAllocatedStorageGb",
            "dbMaxAllocatedStorageGb",
            "dbMonitoringIntervalSeconds",
        ),
        _database,
    ),
    StackRow(
        "cache",
        (
            "cacheEngine",
            "cacheEngineVersion",
            "cacheNodeType",
            "cacheReplicaCount",
            "cacheAutomaticFailover",
            "cacheMultiAz",
            "cacheSnapshotRetentionDays",
        ),
        _cache,
    ),
    StackRow("media replication", ("storageReplicationRegion",), _plain("storageReplicationRegion")),
    StackRow("private media", ("mediaSigningPublicKey", "mediaPublicPathPattern"), _media),
    StackRow("kept data", ("keepData", "kmsKeyDeletionWindowDays"), _kept_data),
    StackRow("web tasks", ("webCpu", "webMemory", "webMinTasks", "webMaxTasks"), _tasks("web")),
    StackRow(
        "worker tasks", ("workerCpu", "workerMemory", "workerMinTasks", "workerMaxTasks"), _tasks("worker")
    ),
    StackRow("Fargate Spot", ("fargateSpotWeight",), _spot),
    StackRow(
        "nightly scale-down",
        ("nightlyScaleDown", "nightlyScaleDownCron", "nightlyScaleUpCron", "scheduleTimezone"),
        _schedule,
    ),
    StackRow("Container Insights", ("containerInsights",), _plain("containerInsights")),
    StackRow("ECS Exec", ("ecsExecEnabled",), _exec),
    StackRow("X-Ray daemon", ("xrayEnabled",), lambda v: _on_off(v("xrayEnabled"))),
    StackRow(
        "ALB",
        ("albDeletionProtection", "deregistrationDelaySeconds"),
        lambda v: (
            _on_off(v("albDeletionProtection"), "deletion protection", "no deletion protection")
            + f", {v('deregistrationDelaySeconds')} s draining"
        ),
    ),
    StackRow("WAF", ("wafEnabled", "wafRateLimit"), _waf),
    StackRow("domain", ("domainName", "hostedZoneId"), _domain),
    StackRow("CloudFront price class", ("priceClass",), _plain("priceClass")),
    StackRow(
        "log retention",
        ("flowLogsRetentionDays", "logRetentionDays", "storageLogExpirationDays"),
        lambda v: (
            f"flow logs {v('flowLogsRetentionDays')} days; tasks, RDS, cache "
            f"{v('logRetentionDays')} days; access logs {v('storageLogExpirationDays')} days"
        ),
    ),
    StackRow("alarm e-mail", ("alarmEmail",), _plain("alarmEmail", "none (alarms go to the topic only)")),
    StackRow(
        "SSM bastion",
        ("bastionEnabled", "bastionInstanceType"),
        lambda v: f"on, `{v('bastionInstanceType')}`" if v("bastionEnabled") else "off",
    ),
    StackRow("first image", ("appImage",), _plain("appImage")),
)


def stacks_table() -> str:
    """The "Stacks compared" table: one row per STACK_ROWS entry, one column per stack."""
    project, _ = yaml12.read(PROJECT_FILE)
    declared: Mapping[str, Mapping[str, Any]] = project.get("config") or {}
    unknown = sorted({k for row in STACK_ROWS for k in row.keys if ":" not in k} - set(declared))
    if unknown:
        raise KeyError(f"STACK_ROWS names keys Pulumi.yaml does not declare: {unknown}")
    values = [StackValues(stack, declared) for stack in STACKS]
    out = ["| | " + " | ".join(f"`{s}`" for s in STACKS) + " |", "|---|" + "---|" * len(STACKS)]
    for row in STACK_ROWS:
        out.append(f"| {row.label} | " + " | ".join(markdown_cell(row.show(v)) for v in values) + " |")
    return "\n".join(out)
