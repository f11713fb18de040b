"""`make bench`: wall times of `make plan`, the import floor and the test suites, measured side by side.

Every measurement is a fresh process, and the rounds interleave (floor, each plan, the suites), so
that a machine shared with other work slows all of them alike: only the ratios printed at the end,
taken from one run, mean anything. Not a test: the figures depend on the machine and its load.

- plan: `python -m offline.plan --stack <stack>`, what `make plan STACK=<stack>` runs: interpreter
  start, the program under the mock engine, the policy pack started as the CLI starts it and driven
  over gRPC, the printed preview.
- import floor: a fresh interpreter importing the pulumi_aws modules the prod program imports (the
  list is read off one run of the program first), and nothing else, then leaving without the
  interpreter's teardown as the plan does: what no plan can go below.
- test-fast, test: `make test-fast` and `make test`, exactly as the Makefile runs them.

    python -m offline.bench                      # 5 rounds; the suites in the first 3 and 1
    python -m offline.bench --no-tests           # plans and floor only (about a minute)
    python -m offline.bench --runs 9 --stack prod
    python -m offline.bench --cost-overhead   # plan with and without the cost estimate, alternated
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAN = [sys.executable, "-m", "offline.plan"]
TARGETS = {
    "staging": [*PLAN, "--stack", "staging"],
    "prod": [*PLAN, "--stack", "prod"],
    "example": [*PLAN, "--program", "examples/maple_quest_current", "--stack", "dev"],
}
FLOOR_STACK = "prod"
# Run in a fresh interpreter: the program once, then the pulumi_aws subpackages it loaded, each with
# one of its names. pulumi_aws loads a subpackage lazily, on the first attribute read (importing it
# is not enough): the floor reads that name.
_MODULES_USED = f"""
import json, sys, types
from offline.engine import run_program
run_program(".", {FLOOR_STACK!r})
loaded = {{
    name: min(n for n in vars(module) if not n.startswith("_"))
    for name, module in sys.modules.items()
    if name.startswith("pulumi_aws.") and name.count(".") == 1 and type(module) is types.ModuleType
    and hasattr(module, "__path__")
}}
print(json.dumps(sorted(loaded.items())))
"""
# (ratio, numerator, denominator, target, whether the target itself passes): the targets set for the
# offline plan and the two test suites.
RATIOS = (
    ("make plan STACK=prod / import floor", "prod", "import floor", 1.3, True),
    ("make test / make plan STACK=prod", "make test", "prod", 8.0, True),
    ("make test-fast / make plan STACK=prod", "make test-fast", "prod", 3.0, False),
)


@dataclass
class Timings:
    command: list[str]
    runs: int
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """CPU seconds of the command and the children it waited for (the plan's pack): steadier than wall
    time when other work shares the machine."""
    codes: set[int] = field(default_factory=set)


def timed(command: Sequence[str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, int]:
    return timed_cpu(command, ok_codes)[:2]


def timed_cpu(command: Sequence[str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, int, float]:
    """Wall time, exit code and CPU time of one run of `command`."""
    cpu = _cpu_seconds()
    start = time.perf_counter()
    result = subprocess.run(
        list(command),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode not in ok_codes:
        raise SystemExit(f"error: `{' '.join(command)}` failed (exit {result.returncode}):\n{result.stderr}")
    return elapsed, result.returncode, _cpu_seconds() - cpu


def floor_command() -> list[str]:
    """A fresh interpreter importing what the prod program imports from pulumi_aws."""
    found = subprocess.run(
        [sys.executable, "-c", _MODULES_USED], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        raise SystemExit(
            f"error: could not run the {FLOOR_STACK} program to list its imports:\n{found.stderr}"
        )
    names: list[tuple[str, str]] = json.loads(found.stdout.strip().splitlines()[-1])
    reads = "; ".join(f"{module}.{name}" for module, name in names)
    # The plan leaves without tearing the interpreter down (offline/plan.py), so the floor does too:
    # a floor that pays a teardown the plan skips would not be one.
    leave = "import os; os._exit(0)"
    return [sys.executable, "-c", f"import {', '.join(module for module, _ in names)}; {reads}; {leave}"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds of the floor and each plan (default: 5)")
    parser.add_argument(
        "--stack",
        action="append",
        choices=sorted(TARGETS),
        help="what to plan (repeatable; default: staging and prod; `example` is the Maple Quest example)",
    )
    parser.add_argument(
        "--fast-runs", type=int, default=3, help="rounds running `make test-fast` (default: 3)"
    )
    parser.add_argument("--test-runs", type=int, default=1, help="rounds running `make test` (default: 1)")
    parser.add_argument("--no-tests", action="store_true", help="measure the plans and the floor only")
    parser.add_argument(
        "--cost-overhead",
        action="store_true",
        help="alternate plans with and without the cost estimate (--no-cost) and report the ratio",
    )
    args = parser.parse_args(argv)
    plans = args.stack or ["staging", "prod"]
    if args.cost_overhead:
        return _cost_overhead(plans, args.runs)
    fast_runs, test_runs = (0, 0) if args.no_tests else (args.fast_runs, args.test_runs)

    make = ["make", "--no-print-directory", "-s"]
    measured: dict[str, Timings] = {"import floor": Timings(floor_command(), args.runs)}
    measured.update({target: Timings(TARGETS[target], args.runs) for target in plans})
    measured["make test-fast"] = Timings([*make, "test-fast"], fast_runs)
    measured["make test"] = Timings([*make, "test"], test_runs)
    # The plan exits 1 when the pack finds mandatory violations (the example does); that is a result.
    ok_codes = {target: (0, 1) for target in TARGETS}

    for round_ in range(max(t.runs for t in measured.values())):
        for name, timing in measured.items():
            if round_ < timing.runs:
                elapsed, code, cpu = timed_cpu(timing.command, ok_codes.get(name, (0,)))
                timing.times.append(elapsed)
                timing.cpu.append(cpu)
                timing.codes.add(code)

    print(
        f"wall time, interleaved rounds, a fresh process each ({len(measured['import floor'].times)} floor runs)"
    )
    print(f"  {'what':<16}{'runs':>5}{'median':>9}{'min':>9}{'max':>9}{'cpu':>9}  exit")
    for name, timing in measured.items():
        if timing.times:
            print(
                f"  {name:<16}{len(timing.times):>5}{statistics.median(timing.times):>8.2f}s"
                f"{min(timing.times):>8.2f}s{max(timing.times):>8.2f}s{statistics.median(timing.cpu):>8.2f}s"
                f"  {','.join(map(str, sorted(timing.codes)))}"
            )
    print("ratios of medians from this run")
    for title, numerator, denominator, target, inclusive in RATIOS:
        top, bottom = measured.get(numerator), measured.get(denominator)
        if not (top and bottom and top.times and bottom.times):
            continue
        ratio = statistics.median(top.times) / statistics.median(bottom.times)
        met = ratio <= target if inclusive else ratio < target
        bound = "<=" if inclusive else "<"
        cpu = statistics.median(top.cpu) / statistics.median(bottom.cpu)
        verdict = "met" if met else "NOT met"
        print(f"  {title:<40}{ratio:>6.2f}  (target {bound} {target:g}: {verdict}; cpu ratio {cpu:.2f})")
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
                wall = timed([*TARGETS[target], *([] if with_cost else ["--no-cost"])], (0, 1))[0]
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
