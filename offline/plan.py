"""`make plan`: an offline `pulumi preview --policy-pack policies` of one stack.

Runs the program under the mock engine with the stack's real config and prints the resources the
way `pulumi preview` does (a tree by parent with type and name, then a count summary). Meanwhile it
starts the policy pack as the CLI does and drives it over the analyzer protocol (offline/analyzer.py),
then prints the findings by enforcement level. Exits 1 on any mandatory finding, 2 on an error (run
directly, as below, to keep that code: through make, every failure is make's 2).

Text lines fit 100 columns (long values cut in the middle; `--json` has them in full) and outputs
the mock engine made up are marked `(mock)`. With `--json`, stdout is one JSON document, also on an
error: `{"error": {"message", "problems": [{"key", "value", "allowed", "message"}]}}`.

    python -m offline.plan --stack staging
    python -m offline.plan --stack prod --json
    python -m offline.plan --program examples/maple_quest_current --stack dev
    python -m offline.plan --stack staging -c natStrategy=one-per-az
    python -m offline.plan --stack prod --policy-pack-config examples/policy-config.json
    python -m offline.plan --stack staging --preview-unknowns

`--preview-unknowns` plans as a first `pulumi preview` of a new stack: what the provider computes
at creation is unknown, and the summary (and `previewCoverage` in JSON) says how many resources
the pack could not judge yet, and which properties they wait for (docs/preview-coverage.md).
"""

from __future__ import annotations

import argparse
import ast
import gc
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pulumi

from .analyzer import Analysis, PreviewAnalysis, policy_pack
from .cost import CostError, Estimate
from .cost_report import estimate_run, render_items, render_summary
from .engine import ProgramRun, RegisteredResource, run_with_config
from .pack_process import DEFAULT_PACK_DIR, PackError
from .plan_text import (
    is_mock,
    mock_made,
    plain,
    policy_summary,
    preview_coverage,
    render_findings,
    render_outputs,
    render_tree,
    summary,
    wrap,
    wrap_message,
)
from .policy_config import PolicyConfigEntry, PolicyConfigError, load_policy_config
from .stack_config import PlanError, load_stack_config

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


def _value_and_rest(text: str) -> tuple[Any, str]:
    """Split `<value>; <allowed>`, where the value is written as settings writes it (a Python string
    literal or JSON) and may itself contain "; "."""
    for match in re.finditer("; ", text):
        candidate = text[: match.start()]
        for parse in (json.loads, ast.literal_eval):
            try:
                return parse(candidate), text[match.end() :]
            except (ValueError, SyntaxError):
                continue
    value, _, rest = text.partition("; ")
    return value, rest


def config_problems(message: str) -> list[dict[str, Any]]:
    """The `  - <key>: got <value>; <allowed>` lines of a settings error as records. A line without a
    value (a key not set, a secret: its value is never repeated) has value None."""
    problems = []
    for item in message.split("\n  - ")[1:]:
        key, _, rest = item.partition(": ")
        value: Any = None
        allowed = rest
        if rest.startswith("got "):
            value, allowed = _value_and_rest(rest[len("got ") :])
        problems.append({"key": key, "value": value, "allowed": allowed, "message": item})
    return problems


def error_document(error: Exception, program: str, stack: str) -> dict[str, Any]:
    """What `--json` prints when the plan cannot run: the error and, for settings, each problem."""
    message = str(error)
    return {
        "error": {
            "message": message.split("\n", 1)[0].rstrip(":"),
            "problems": config_problems(message),
            "program": program,
            "stack": stack,
        }
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m offline.plan", description=__doc__.splitlines()[0])
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
        help="set a config value for this plan only; the stack file is not changed (`pulumi preview -c` "
        "would also save the value into Pulumi.<stack>.yaml)",
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
    parser.add_argument(
        "--preview-unknowns",
        action="store_true",
        help="plan as a first `pulumi preview` of a new stack: ids, ARNs, endpoints and addresses the "
        "provider computes at creation are unknown, and the pack judges only what is known",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document for machines")
    parser.add_argument("--cost", action="store_true", help="list every line item of the cost estimate")
    parser.add_argument(
        "--usage", metavar="FILE", help="usage profile overrides for the cost estimate (JSON)"
    )
    parser.add_argument("--no-cost", action="store_true", help="skip the cost estimate")
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Outcome:
    """What one plan found, before anything is printed: the program's run, the pack's analysis and the
    cost estimate, or the error that stopped it."""

    run: ProgramRun | None = None
    analysis: Analysis | None = None
    cost: Estimate | None = None
    error: Exception | None = None


# Flags that change only how an outcome is printed: plans differing in these alone find the same.
PRINT_ONLY_FLAGS = frozenset({"--json", "--cost"})


def run_plan(args: argparse.Namespace, phases: dict[str, float] | None = None) -> Outcome:
    """Run the program with the pack judging it, and estimate the cost; print nothing. `phases`, when
    given, receives the wall-clock time (`time.time()`) at which each phase of the preview ended:
    first and last registration, program, judged (the pack has judged every resource), stack (its
    whole-stack analysis). `python -m offline.plan_phases` reads them."""
    stamp = _stamper(phases)
    try:
        overrides = _parse_overrides(args.config)
        policy_config: dict[str, PolicyConfigEntry] = (
            load_policy_config(args.policy_pack_config) if args.policy_pack_config else {}
        )
        config = load_stack_config(Path(args.program), args.stack, overrides)
        # The pack starts while the program runs, as the CLI loads it before the preview begins, and
        # judges each resource as it is registered, as the engine hands it each step.
        with (
            policy_pack(args.policy_pack, config) as pack,
            PreviewAnalysis(pack, config, policy_config) as preview,
        ):

            def register(resource: RegisteredResource) -> None:
                stamp("first", only_once=True)
                stamp("last")
                preview.add(resource)

            run = run_with_config(config, on_register=register, preview_unknowns=args.preview_unknowns)
            stamp("program")
            preview.drain()
            stamp("judged")
            analysis = preview.finish(run)
            stamp("stack")
        cost = None if args.no_cost else estimate_run(run, args.usage)
    except (PlanError, PolicyConfigError, PackError, CostError, pulumi.RunError) as error:
        # Invalid settings arrive as the program's RunError: shown like the rest, without a traceback.
        return Outcome(error=error)
    return Outcome(run, analysis, cost)


def _stamper(phases: dict[str, float] | None) -> Callable[..., None]:
    def stamp(phase: str, *, only_once: bool = False) -> None:
        if phases is not None and not (only_once and phase in phases):
            phases[phase] = time.time()

    return stamp


def report(args: argparse.Namespace, outcome: Outcome) -> int:
    """Print an outcome as `args` ask (text or `--json`) and return the exit code."""
    if outcome.error is not None:
        if args.json:
            print(
                json.dumps(error_document(outcome.error, args.program, args.stack), indent=2, sort_keys=True)
            )
        print(wrap_message(str(outcome.error), "error: "), file=sys.stderr)
        return EXIT_USAGE
    run, analysis, cost = outcome.run, outcome.analysis, outcome.cost
    assert run is not None and analysis is not None, "an outcome without an error has a run and an analysis"

    for warning in analysis.warnings:
        print(wrap_message(warning, "warning: "), file=sys.stderr)
    for key in run.placeholder_secrets:
        # Planned with a placeholder so a fresh clone can plan; `pulumi up` would stop here.
        warning = (
            f"{key} is not set for stack '{run.config.stack}' (planned with a placeholder); "
            f"set it before `pulumi up`: pulumi config set --secret {key.split(':', 1)[1]} <value>"
        )
        print(wrap_message(warning, "warning: "), file=sys.stderr)
    code = EXIT_FINDINGS if analysis.mandatory else EXIT_OK

    if args.json:
        made = mock_made(run)
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
                    "inputs": plain(r.inputs),
                }
                # By URN: registration order follows the SDK's scheduling of outputs, not the
                # program's lines, and two plans of the same program should compare line by line.
                for r in sorted(run.resources, key=lambda r: r.urn)
            ],
            "counts": dict(Counter(r.type for r in run.resources)),
            "outputs": plain(run.stack_outputs),
            # Outputs holding values the mock engine made up (ids, ARNs, endpoints): not what AWS will say.
            "mockOutputs": sorted(k for k, v in run.stack_outputs.items() if is_mock(v, made)),
            "placeholderSecrets": list(run.placeholder_secrets),
            "policy": analysis.as_json(),
            # What the pack could not judge because preview does not know it yet (`--preview-unknowns`).
            "previewCoverage": preview_coverage(analysis),
            "cost": cost.as_json() if cost else None,
        }
        print(json.dumps(document, indent=2, sort_keys=True))
        return code

    heading = f"Previewing update ({run.config.stack}) of project {run.config.project}, offline: mock engine, no cloud calls"
    print("\n".join(wrap(heading)) + "\n")
    print("\n".join(render_tree(run)))
    print()
    print("\n".join(render_findings(analysis)))
    print()
    print("\n".join(render_outputs(run)))
    print()
    print("\n".join(summary(run)))
    print("\n".join(policy_summary(analysis)))
    if cost:
        # The summary wraps like every other message; `--cost`'s table keeps its columns whole.
        print(
            "\n".join(
                [*(render_items(cost) if args.cost else []), wrap_message("\n".join(render_summary(cost)))]
            )
        )
    if code:
        print(
            f"error: preview failed: {len(analysis.mandatory)} mandatory policy violation(s)",
            file=sys.stderr,
        )
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return report(args, run_plan(args))


def prepare_process() -> None:
    """Settings for a process that runs one plan and exits (this module's `__main__`, and the phase
    timings of `python -m offline.plan_phases`, which must time the same process)."""
    # One short-lived process: the collector's passes over the objects the pulumi_aws modules create
    # free nothing here and cost a large share of its time.
    gc.disable()
    # The thread feeding the pack waits for the GIL while the SDK registers resources on the main
    # thread; at the default 5 ms switch interval the pack idles and judges the last resources only
    # after the program has ended. A shorter interval keeps it fed (`make bench` shows the gain).
    sys.setswitchinterval(0.0005)


def leave(exit_code: int) -> NoReturn:
    """Tearing the interpreter down frees the same objects one by one (about a second) for an OS that
    reclaims them at once: flush what was printed and leave. The pack has been stopped by now."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)


if __name__ == "__main__":
    prepare_process()
    leave(main())
