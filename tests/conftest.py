"""The suite's hooks and constants: slow marks, the collector's settings, where the fixtures load.

The shared fixtures live in `tests/fixtures.py`, loaded into every pytest process that runs tests.
The xdist controller only hands out tests and gathers results, so it skips them and what they import
(pulumi, botocore, the mock engine), and starts its workers that much sooner.

Markers (registered in pyproject.toml): `moto`, `hypothesis` and `subprocess` tests, and tests that
run the whole program again (`run_stack`), are also `slow`; `make test-fast` leaves the slow ones
out, `make test` runs everything.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("staging", "prod")
# Markers that make a test slow: each pays for a process, a moto account or many generated examples.
SLOW_MARKERS = ("moto", "subprocess", "hypothesis")


# The suite keeps the pulumi_aws modules and the session's stack runs alive: hundreds of thousands of
# long-lived objects, which the collector's default thresholds (a young collection every 700
# allocations) push into full collections that walk them all again, a large share of the suite's
# time. Young collections every 50,000 allocations free each test's garbage as surely, far less often.
gc.set_threshold(50_000)


def pytest_collection_finish() -> None:
    # What collection imported (pulumi_aws above all) lives until the end: frozen, the collector
    # stops walking it on every older-generation pass.
    gc.collect()
    gc.freeze()


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure() -> None:
    # Once the results are in, pytest collects garbage again to report exceptions raised in
    # finalizers (its unraisableexception plugin), and the interpreter collects everything still
    # alive at exit. Both walked hundreds of thousands of long-lived objects (the session's runs and
    # builds) in every process, each xdist worker too, after the last result. The young generations
    # still go through a collection here, where the latest tests' garbage is, so pytest still sees
    # what their finalizers raise; the rest is frozen, and the later collections pass it by.
    gc.collect(1)
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # Last, so that xdist has registered its controller ("dsession") where there is one. Were xdist
    # to name it otherwise, the controller would only load the fixtures too, as it once did.
    if not config.pluginmanager.hasplugin("dsession"):
        config.pluginmanager.import_plugin("tests.fixtures")


# First, so that `-m "not slow"` (pytest's own hook of this name deselects by marker) sees the
# markers added here.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        # Hypothesis marks its own tests; a new property test is then slow without anyone remembering.
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.hypothesis)
        # run_stack runs the whole program again (about as long as a hundred component tests).
        if any(item.get_closest_marker(name) for name in SLOW_MARKERS) or "run_stack" in fixtures:
            item.add_marker(pytest.mark.slow)
