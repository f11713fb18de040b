"""`make bench`: median wall time of the full `make plan` path per stack.

Each run is what `make plan STACK=<stack>` runs, `python -m offline.plan --stack <stack>`, in a
fresh process: interpreter start, the program under the mock engine, the policy pack started as
the CLI starts it and driven over gRPC, the printed preview. Not a test: the figures depend on
the machine and its load.

    python -m offline.bench              # 5 runs of each stack
    python -m offline.bench --runs 9 --stack prod
    python -m offline.bench --cost-overhead   # plan with and without the cost estimate, alternated
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "staging": ["--stack", "staging"],
    "prod": ["--stack", "prod"],
    "example": ["--program", "examples/maple_quest_current", "--stack", "dev"],
}


def time_plan(args: Sequence[str]) -> tuple[float, int]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "offline.plan", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"error: `make plan {' '.join(args)}` failed:\n{result.stderr}")
    return elapsed, result.returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per target (default: 5)")
    parser.add_argument(
        "--stack",
        action="append",
        choices=sorted(TARGETS),
        help="what to plan (repeatable; default: staging and prod; `example` is the Maple Quest example)",
    )
    parser.add_argument(
        "--cost-overhead",
        action="store_true",
        help="alternate runs with and without the cost estimate (--no-cost) and report the ratio",
    )
    args = parser.parse_args(argv)
    targets = args.stack or ["staging", "prod"]
    if args.cost_overhead:
        return _cost_overhead(targets, args.runs)

    print(
        f"median wall time of `make plan` over {args.runs} runs (program + policy pack, fresh process each)"
    )
    print(f"  {'target':<10}{'median':>9}{'min':>9}{'max':>9}  exit")
    for target in targets:
        times, codes = [], set()
        for _ in range(args.runs):
            elapsed, code = time_plan(TARGETS[target])
            times.append(elapsed)
            codes.add(code)
        print(
            f"  {target:<10}{statistics.median(times):>8.2f}s{min(times):>8.2f}s{max(times):>8.2f}s"
            f"  {','.join(map(str, sorted(codes)))}"
        )
    return 0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cost_overhead(targets: Sequence[str], runs: int) -> int:
    """Runs with and without the estimate alternate, so that load on the machine falls on both alike.
    CPU time (the plan and the pack it starts) is shown beside wall time: on a shared machine it is
    the steadier of the two."""
    print(f"`make plan` without / with the cost estimate, {runs} alternated runs each (medians)")
    print(f"  {'target':<10}{'wall':>9}{'wall':>9}{'ratio':>8}{'cpu':>9}{'cpu':>9}{'ratio':>8}")
    for target in targets:
        samples: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for _ in range(runs):
            for with_cost in (False, True):
                cpu = _cpu_seconds()
                wall = time_plan([*TARGETS[target], *([] if with_cost else ["--no-cost"])])[0]
                samples[with_cost].append((wall, _cpu_seconds() - cpu))
        (w0, c0), (w1, c1) = (
            tuple(statistics.median(s[i] for s in samples[k]) for i in (0, 1)) for k in (False, True)
        )
        print(f"  {target:<10}{w0:>8.2f}s{w1:>8.2f}s{w1 / w0:>8.3f}{c0:>8.2f}s{c1:>8.2f}s{c1 / c0:>8.3f}")
    # The estimate alone, in this process: what the ratios above are too noisy to show.
    from .engine import run_program

    start = time.perf_counter()
    from .cost_report import estimate_run  # first import here: its cost is part of the overhead

    imported = time.perf_counter() - start
    print(f"  in-process: importing the estimate {imported * 1000:.0f} ms; one estimate (median of 20):")
    for target in targets:
        args = TARGETS[target]
        program = args[args.index("--program") + 1] if "--program" in args else "."
        run = run_program(ROOT / program, args[args.index("--stack") + 1])
        times = []
        for _ in range(20):
            start = time.perf_counter()
            estimate_run(run)
            times.append(time.perf_counter() - start)
        print(f"    {target:<10}{statistics.median(times) * 1000:>6.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
