"""`python -m offline.plan_phases`: where the time of one `make plan` goes, phase by phase.

`make bench` compares whole commands. This splits one stack's plan into its phases (medians over
fresh processes), so that a change aimed at the plan can be pointed at the phase it shortens:

- start to the first registration: interpreter start, the imports (what `make bench` calls the
  import floor) and the program's body. The SDK registers nothing before the body has run.
- registrations: the SDK's event loop registering every resource, the pack judging them meanwhile.
- end of the program: outputs still resolving after the last registration.
- pack still judging: from the program's end until the pack has judged every resource.
- whole-stack analysis: AnalyzeStack, which the engine sends once the program has finished.
- cost estimate and output: the estimate and the JSON document.

Then, in a process of its own, the pack alone over a finished run of the same stack, with nothing
else running: Analyze for every resource, then AnalyzeStack. The pack's SDK (pulumi_policy) converts
a resource's properties again for each policy it runs, so the pack's time grows with resources
times policies; both counts are printed beside it.

    python -m offline.plan_phases                     # prod, 5 rounds
    python -m offline.plan_phases --stack staging --runs 9
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

from .bench import ROOT

# (label, phase it starts after, phase it ends with); "spawn" is when the parent started the process.
PHASES = (
    ("start to the first registration", "spawn", "first"),
    ("registrations", "first", "last"),
    ("end of the program", "last", "program"),
    ("pack still judging", "program", "judged"),
    ("whole-stack analysis (AnalyzeStack)", "judged", "stack"),
    ("cost estimate and JSON output", "stack", "printed"),
)


def durations(stamps: Mapping[str, float]) -> dict[str, float]:
    """Each phase's length in seconds, from one plan's wall-clock stamps."""
    return {label: stamps[end] - stamps[start] for label, start, end in PHASES}


def _plan_child(stack: str) -> dict[str, float]:
    """One plan, as `python -m offline.plan --stack STACK --json` runs it, with its phases stamped."""
    from . import plan

    plan.prepare_process()
    args = plan.parse_args(["--stack", stack, "--json"])
    stamps: dict[str, float] = {}
    outcome = plan.run_plan(args, stamps)
    if outcome.error is not None:
        raise SystemExit(f"error: the {stack} plan failed: {outcome.error}")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        plan.report(args, outcome)
    stamps["printed"] = time.time()
    return stamps


def _pack_child(stack: str) -> dict[str, float]:
    """The pack alone over a finished run of `stack`: seconds for Analyze of every resource and for
    AnalyzeStack, and what it judged with how many policies."""
    from . import plan
    from .analyzer import PreviewAnalysis, policy_pack
    from .engine import run_with_config
    from .pack_process import DEFAULT_PACK_DIR
    from .stack_config import load_stack_config

    plan.prepare_process()
    config = load_stack_config(ROOT, stack)
    with contextlib.redirect_stderr(io.StringIO()):
        run = run_with_config(config)
    with policy_pack(DEFAULT_PACK_DIR, config) as pack:
        pack.stub()  # waits until the pack serves: its start is not what this times
        with PreviewAnalysis(pack, config) as preview:
            start = time.perf_counter()
            for resource in run.resources:
                preview.add(resource)
            preview.drain()
            judged = time.perf_counter()
            analysis = preview.finish(run)
            done = time.perf_counter()
    active = [p for p in analysis.policies if analysis.levels.get(p.name) != "disabled"]
    return {
        "analyze": judged - start,
        "stack": done - judged,
        "resources": analysis.analyzed,
        "resource_policies": sum(p.kind == "resource" for p in active),
        "stack_policies": sum(p.kind == "stack" for p in active),
    }


def _child(kind: str, stack: str) -> tuple[float, dict[str, float]]:
    """Start time and result of one measuring process."""
    spawned = time.time()
    result = subprocess.run(
        [sys.executable, "-m", "offline.plan_phases", "--child", kind, "--stack", stack],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"error: the {kind} measurement failed (exit {result.returncode}):\n{result.stderr}")
    return spawned, json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m offline.plan_phases", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--stack", default="prod", help="stack to plan (default: prod)")
    parser.add_argument("--runs", type=int, default=5, help="rounds, a fresh process each (default: 5)")
    parser.add_argument("--child", choices=("plan", "pack"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        measure = _plan_child if args.child == "plan" else _pack_child
        print(json.dumps(measure(args.stack)))
        sys.stdout.flush()
        from .plan import leave

        leave(0)

    plans: list[dict[str, float]] = []
    packs: list[dict[str, float]] = []
    for _ in range(args.runs):
        spawned, stamps = _child("plan", args.stack)
        plans.append(durations({**stamps, "spawn": spawned}))
        packs.append(_child("pack", args.stack)[1])

    print(f"`make plan STACK={args.stack}`, phase by phase (medians of {args.runs} fresh processes)")
    print(f"  {'phase':<40}{'took':>8}{'ends at':>10}")
    ends = 0.0
    for label, _, _ in PHASES:
        took = statistics.median(p[label] for p in plans)
        ends += took
        print(f"  {label:<40}{took:>7.2f}s{ends:>9.2f}s")
    print(f"  {'whole plan (median)':<40}{statistics.median(sum(p.values()) for p in plans):>7.2f}s")
    print("the pack alone over a finished run, nothing else running (medians)")
    counts = packs[0]
    print(
        f"  {'Analyze, every resource':<40}{statistics.median(p['analyze'] for p in packs):>7.2f}s"
        f"  {counts['resources']:.0f} resources x {counts['resource_policies']:.0f} resource policies"
    )
    print(
        f"  {'AnalyzeStack':<40}{statistics.median(p['stack'] for p in packs):>7.2f}s"
        f"  {counts['resources']:.0f} resources x {counts['stack_policies']:.0f} stack policies"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
