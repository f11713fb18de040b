"""`make plan-example`: passes only when the policy pack rejects a program's offline plan.

CI uses it on the Maple Quest example, whose mistakes (public database, tasks with public IPs,
public-read bucket, ALLOWED_HOSTS=*) the pack must refuse. A plan that passes, or that cannot run
at all (a usage error or a crash), fails the check: only policy violations count as the expected
failure.

    python -m scripts.expect_plan_rejected --program examples/maple_quest_current --stack dev
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence

from offline import plan


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make plan-example", description=__doc__.splitlines()[0])
    parser.add_argument("--program", required=True, help="folder with Pulumi.yaml and __main__.py")
    parser.add_argument("--stack", required=True, help="stack whose Pulumi.<stack>.yaml to plan")
    args = parser.parse_args(argv)

    where = f"{args.program} (stack {args.stack})"
    # An exception escaping the plan is a crash, not a rejection: it propagates and exits non-zero.
    status = plan.main(["--program", args.program, "--stack", args.stack])
    if status == plan.EXIT_FINDINGS:
        print(f"\nok: the policy pack rejected the plan of {where}, as expected")
        return 0
    if status == plan.EXIT_OK:
        print(
            f"\nerror: the plan of {where} passed; the policy pack was expected to reject it", file=sys.stderr
        )
    else:
        print(
            f"\nerror: the plan of {where} could not run (exit {status}); expected it to run and be "
            "rejected by the policy pack",
            file=sys.stderr,
        )
    return 1


if __name__ == "__main__":
    # Like the plan itself (offline/plan.py): leave without the interpreter's teardown, where the
    # garbage collector could close the plan's event loop after its selector's descriptor is gone.
    gc.disable()
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
