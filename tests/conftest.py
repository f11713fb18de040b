"""Shared fixtures: a fresh mock engine for every test, and whole-program runs per stack."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest

from offline.engine import (
    ProgramRun,
    RecordingMonitor,
    Registrations,
    activate_mocks,
    build_components,
    load_stack_config,
    run_program,
)

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("staging", "prod")


@pytest.fixture(autouse=True)
def mock_engine() -> RecordingMonitor:
    """Function-scoped so that no test sees another's registrations (the last set_mocks wins)."""
    config = load_stack_config(ROOT, "staging")
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    return activate_mocks(config.project, "test")


@pytest.fixture
def build(mock_engine: RecordingMonitor) -> Callable[[Callable[[], object]], Registrations]:
    """Construct components directly (stand-in strings for other tiers' outputs) and get back every
    child they registered: `build(lambda: Network("n", NetworkArgs()))`."""
    return lambda construct: build_components(mock_engine, construct)


@pytest.fixture
def run_stack() -> Callable[..., ProgramRun]:
    """Run the whole program for a stack's real config (plus overrides) and return its resources."""

    def run(stack: str, **overrides: str) -> ProgramRun:
        return run_program(ROOT, stack, overrides=overrides)

    return run


@pytest.fixture(scope="module")
def stack_runs() -> dict[str, ProgramRun]:
    """Both stacks run once per module: the registrations are plain data, safe to share read-only."""
    return {stack: run_program(ROOT, stack) for stack in STACKS}
