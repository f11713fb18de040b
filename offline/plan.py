"""`make plan`: an offline `pulumi preview` of one stack.

Runs the program under the mock engine with the stack's real config and prints the resources the
way `pulumi preview` does: a tree by parent with type and name, then a count summary.

    python -m offline.plan --stack staging
    python -m offline.plan --stack prod --json
    python -m offline.plan --program examples/maple_quest_current --stack dev
    python -m offline.plan --stack staging -c natStrategy=one-per-az
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi

from .engine import PlanError, ProgramRun, RegisteredResource, run_program

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
    roots = {r.parent for r in run.resources if r.parent not in {x.urn for x in run.resources}}
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
    parser.add_argument("--json", action="store_true", help="print one JSON document for machines")
    args = parser.parse_args(argv)

    try:
        overrides = _parse_overrides(args.config)
        run = run_program(Path(args.program), args.stack, overrides=overrides)
    except PlanError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except pulumi.RunError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE

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
        }
        print(json.dumps(document, indent=2, sort_keys=True))
        return EXIT_OK

    print(
        f"Previewing update ({run.config.stack}) of project {run.config.project}, offline: mock engine, no cloud calls\n"
    )
    print("\n".join(render_tree(run)))
    print("\nOutputs:")
    for key, value in sorted(run.stack_outputs.items()):
        shown = "[unknown]" if value is None else json.dumps(_plain(value))
        print(f"    {key}: {shown}")
    print()
    print("\n".join(_summary(run)))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
