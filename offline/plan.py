"""`make plan`: an offline `pulumi preview --policy-pack policies` of one stack.

Runs the program under the mock engine with the stack's real config and prints the resources the
way `pulumi preview` does (a tree by parent with type and name, then a count summary). Meanwhile it
starts the policy pack as the CLI does and drives it over the analyzer protocol (offline/analyzer.py),
then prints the findings by enforcement level. Exits 1 on any mandatory finding, 2 on an error.

    python -m offline.plan --stack staging
    python -m offline.plan --stack prod --json
    python -m offline.plan --program examples/maple_quest_current --stack dev
    python -m offline.plan --stack staging -c natStrategy=one-per-az
    python -m offline.plan --stack prod --policy-pack-config policy-config.json
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi

from .analyzer import (
    DEFAULT_PACK_DIR,
    Analysis,
    Finding,
    PackError,
    PolicyConfigEntry,
    PolicyConfigError,
    analyze,
    load_policy_config,
    policy_pack,
)
from .cost import CostError
from .cost_report import estimate_run, render_items, render_summary
from .engine import PlanError, ProgramRun, RegisteredResource, load_stack_config, run_with_config

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def _parse_overrides(pairs: Sequence[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PlanError(f"--config expects KEY=VALUE, got {pair!r}")
        overrides[key] = value
    return overrides


def render_tree(run: ProgramRun) -> list[str]:
    """The resources as `pulumi preview` lists them: indented under their parents."""
    children: dict[str, list[RegisteredResource]] = {}
    for resource in run.resources:
        children.setdefault(resource.parent, []).append(resource)

    rows: list[tuple[str, str, str]] = [
        ("+", "pulumi:pulumi:Stack", f"{run.config.project}-{run.config.stack}")
    ]

    def walk(parent: str, prefix: str) -> None:
        kids = sorted(children.get(parent, []), key=lambda r: (r.custom, r.name))
        for index, resource in enumerate(kids):
            last = index == len(kids) - 1
            mark = "└─ " if last else "├─ "
            flags = " [protect]" if resource.protect else ""
            rows.append(("+", f"{prefix}{mark}{resource.type}", resource.name + flags))
            walk(resource.urn, prefix + ("   " if last else "│  "))

    # Top-level resources have the stack as their parent URN.
    urns = {r.urn for r in run.resources}
    roots = {r.parent for r in run.resources if r.parent not in urns}
    for root in sorted(roots):
        walk(root, "")
    width = max(len(type_col) for _, type_col, _ in rows) + 2
    lines = [f"     {'Type':<{width}}Name"]
    lines += [f" {op}   {type_col:<{width}}{name}" for op, type_col, name in rows]
    return lines


def _summary(run: ProgramRun) -> list[str]:
    total = len(run.resources) + 1  # the stack itself
    protected = sum(1 for r in run.resources if r.protect)
    components = sum(1 for r in run.resources if not r.custom and not r.type.startswith("pulumi:providers:"))
    lines = ["Resources:", f"    + {total} to create"]
    lines.append(f"      ({components} components, {protected} protected)")
    return lines


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


LEVEL_ORDER = ("mandatory", "remediate", "advisory")


def render_findings(analysis: Analysis) -> list[str]:
    """Findings grouped by enforcement level, each with its policy, resource type and name."""
    judged = [f for f in analysis.findings if not f.not_judged]
    pending = [f for f in analysis.findings if f.not_judged]
    groups: list[tuple[str, list[Finding]]] = [
        (level, [f for f in judged if f.level == level]) for level in LEVEL_ORDER
    ]
    groups.append(("not judged yet (values unknown until `pulumi up`)", pending))
    lines = [f"Policies: {analysis.pack_name}@v{analysis.pack_version}"]
    if not analysis.findings:
        lines.append("    no violations")
    for title, findings in groups:
        if not findings:
            continue
        lines.append(f"    {title} ({len(findings)}):")
        for finding in sorted(findings, key=lambda f: (f.policy, f.resource_type, f.resource_name)):
            lines.append(f"      [{finding.policy}]  {finding.resource_type}  {finding.resource_name}")
            lines += textwrap.wrap(
                finding.message, width=108, initial_indent=" " * 10, subsequent_indent=" " * 10
            )
    return lines


def _policy_summary(analysis: Analysis) -> list[str]:
    counts = Counter("not judged" if f.not_judged else f.level for f in analysis.findings)
    parts = [f"{counts.get(level, 0)} {level}" for level in ("mandatory", "advisory")]
    if counts.get("not judged"):
        parts.append(f"{counts['not judged']} not judged yet")
    inactive = sorted(analysis.not_applicable)
    lines = [
        f"Policy summary: {', '.join(parts)} "
        f"({len(analysis.policies)} policies over {analysis.analyzed} resources)"
    ]
    if inactive:
        lines.append(f"    not applicable to this stack: {', '.join(inactive)}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make plan", description=__doc__.splitlines()[0])
    parser.add_argument("--program", default=".", help="folder with Pulumi.yaml and __main__.py (default: .)")
    parser.add_argument(
        "--stack", default="staging", help="stack whose Pulumi.<stack>.yaml to use (default: staging)"
    )
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value for this plan, as `pulumi preview -c` does",
    )
    parser.add_argument(
        "--policy-pack",
        default=str(DEFAULT_PACK_DIR),
        metavar="DIR",
        help="policy pack folder with PulumiPolicy.yaml (default: this repository's policies/)",
    )
    parser.add_argument(
        "--policy-pack-config",
        metavar="FILE",
        help="JSON overriding policy levels and settings, as `pulumi preview --policy-pack-config`",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document for machines")
    parser.add_argument("--cost", action="store_true", help="list every line item of the cost estimate")
    parser.add_argument(
        "--usage", metavar="FILE", help="usage profile overrides for the cost estimate (JSON)"
    )
    parser.add_argument("--no-cost", action="store_true", help="skip the cost estimate")
    args = parser.parse_args(argv)

    try:
        overrides = _parse_overrides(args.config)
        policy_config: dict[str, PolicyConfigEntry] = (
            load_policy_config(args.policy_pack_config) if args.policy_pack_config else {}
        )
        config = load_stack_config(Path(args.program), args.stack, overrides)
        # The pack starts while the program runs, as the CLI loads it before the preview begins.
        with policy_pack(args.policy_pack, config) as pack:
            run = run_with_config(config)
            analysis = analyze(run, pack, policy_config)
        cost = None if args.no_cost else estimate_run(run, args.usage)
    except (PlanError, PolicyConfigError, PackError, CostError, pulumi.RunError) as error:
        # Invalid settings arrive as the program's RunError: shown like the rest, without a traceback.
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE

    for warning in analysis.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for key in run.placeholder_secrets:
        # Planned with a placeholder so a fresh clone can plan; `pulumi up` would stop here.
        print(
            f"warning: {key} is not set for stack '{run.config.stack}' (planned with a placeholder); "
            f"set it before `pulumi up`: pulumi config set --secret {key.split(':', 1)[1]} <value>",
            file=sys.stderr,
        )
    code = EXIT_FINDINGS if analysis.mandatory else EXIT_OK

    if args.json:
        document = {
            "project": run.config.project,
            "stack": run.config.stack,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent or None,
                    "protect": r.protect,
                    "inputs": _plain(r.inputs),
                }
                for r in run.resources
            ],
            "counts": dict(Counter(r.type for r in run.resources)),
            "outputs": _plain(run.stack_outputs),
            "placeholderSecrets": list(run.placeholder_secrets),
            "policy": analysis.as_json(),
            "cost": cost.as_json() if cost else None,
        }
        print(json.dumps(document, indent=2, sort_keys=True))
        return code

    print(
        f"Previewing update ({run.config.stack}) of project {run.config.project}, offline: mock engine, no cloud calls\n"
    )
    print("\n".join(render_tree(run)))
    print()
    print("\n".join(render_findings(analysis)))
    print("\nOutputs:")
    for key, value in sorted(run.stack_outputs.items()):
        shown = "[unknown]" if value is None else json.dumps(_plain(value))
        print(f"    {key}: {shown}")
    print()
    print("\n".join(_summary(run)))
    print("\n".join(_policy_summary(analysis)))
    if cost:
        print("\n".join((render_items(cost) if args.cost else []) + render_summary(cost)))
    if code:
        print(
            f"error: preview failed: {len(analysis.mandatory)} mandatory policy violation(s)",
            file=sys.stderr,
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
