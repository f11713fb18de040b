"""Shared fixtures: a fresh mock engine for every test, components built once for many tests, and
whole-program runs per stack. Loaded by `tests/conftest.py` into every pytest process that runs tests.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import botocore.loaders
import botocore.session
import pulumi
import pytest

from offline.engine import (
    ProgramRun,
    RecordingMonitor,
    Registrations,
    activate_mocks,
    build_components,
    run_program,
    run_with_config,
)
from offline.mocks import AwsMocks
from offline.stack_config import StackConfig, load_stack_config
from tests.conftest import ROOT, STACKS

if TYPE_CHECKING:
    from components.edge import Edge


@functools.cache
def stack_config(stack: str) -> StackConfig:
    """A stack's config as `make plan` loads it, read once per session: the files do not change during
    a run. Frozen; callers hand `pulumi.runtime.set_all_config` a copy of its values."""
    return load_stack_config(ROOT, stack)


_shared_botocore_loader = functools.cache(botocore.loaders.create_loader)


def use_fake_aws_credentials(monkeypatch: pytest.MonkeyPatch, region: str | None = None) -> None:
    """Credentials moto accepts, so that no test can sign a request with a developer's real ones;
    `region`: also the SDK's default region."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    # moto fills every EC2 region it touches with some 1,300 public AMIs, twice a test (first use and
    # reset): most of a moto test's time. No script of ours reads an AMI.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    # moto gives every test a new default boto3 session, and each session parses the service models
    # from disk again. They are static data: one loader serves every session of the run.
    monkeypatch.setattr(botocore.session, "create_loader", _shared_botocore_loader)
    if region is not None:
        monkeypatch.setenv("AWS_DEFAULT_REGION", region)


@pytest.fixture(autouse=True)
def mock_engine() -> RecordingMonitor:
    """Function-scoped so that no test sees another's registrations (the last set_mocks wins), and
    every test starts from staging's config whatever the one before it set."""
    config = stack_config("staging")
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    return activate_mocks(config.project, "test")


# What the `build` fixture gives a test: construct components, get back what they registered.
Build = Callable[[Callable[[], object]], Registrations]


@pytest.fixture
def build(mock_engine: RecordingMonitor) -> Build:
    """Construct components directly (stand-in strings for other tiers' outputs) and get back every
    child they registered: `build(lambda: Network("n", NetworkArgs(config=...)))`."""
    return lambda construct: build_components(mock_engine, construct)


def build_shared(construct: Callable[[], object]) -> Iterator[Registrations]:
    """For a module- or session-scoped fixture: `construct` built once under a fresh engine with
    staging's config (what `build` gives a test), shared by the tests that ask for it. They read the
    registrations and never change them; one that does fails at teardown, as with `stack_runs`."""
    config = stack_config("staging")
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    built = build_components(activate_mocks(config.project, "test"), construct)
    before = _fingerprint({"built": built})
    yield built
    assert _fingerprint({"built": built}) == before, "a test changed the shared build; copy what you change"


@pytest.fixture(scope="session")
def default_tier() -> Iterator[Registrations]:
    """The Django services with the load balancer, every option on (`tests/_django_tier.py`), built
    once per session for the tests that only read it."""
    from tests._django_tier import build_default_tier  # the components load only where asked for

    yield from build_shared(build_default_tier)


@pytest.fixture(scope="session")
def default_edge() -> Iterator[tuple[Edge, Registrations]]:
    """The edge from `tests/_edge.py`'s `edge_args()` alone, and what it registered, built once per
    session for the tests that only read it."""
    from tests._edge import build_default_edge  # the components load only where asked for

    holder: list[Edge] = []
    for built in build_shared(lambda: holder.append(build_default_edge())):
        yield holder[0], built


# Per plan: what it found, and what it printed while running (the program's own warnings).
_PLANS: dict[tuple[str, ...], tuple[Any, str, str]] = {}
# Per plan: when each of its phases ended (`run_plan`'s `phases`).
_PHASES: dict[tuple[str, ...], dict[str, float]] = {}


def cached_plan(*args: str) -> tuple[int, str, str]:
    """`python -m offline.plan ARGS` in this process: exit code, stdout and stderr. A plan is
    deterministic, so each one is run once for the whole session (per worker under xdist) and only
    printed again: plans whose arguments differ only in how they print (`--json`, `--cost`) share one
    run of the program and the pack."""
    from offline import plan  # not imported by the quick loop, which runs no plan

    parsed = plan.parse_args(list(args))
    key = _plan_key(args)
    if key not in _PLANS:
        out, err = io.StringIO(), io.StringIO()
        _PHASES[key] = {}
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            outcome = plan.run_plan(parsed, _PHASES[key])
        _PLANS[key] = (outcome, out.getvalue(), err.getvalue())
    outcome, run_out, run_err = _PLANS[key]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = plan.report(parsed, outcome)
    return code, run_out + out.getvalue(), run_err + err.getvalue()


def cached_plan_phases(*args: str) -> dict[str, float]:
    """When each phase of `cached_plan(*args)`'s run ended (wall clock), running it if need be."""
    cached_plan(*args)
    return _PHASES[_plan_key(args)]


def _plan_key(args: tuple[str, ...]) -> tuple[str, ...]:
    from offline import plan

    return tuple(arg for arg in args if arg not in plan.PRINT_ONLY_FLAGS)


@pytest.fixture
def run_stack() -> Callable[..., ProgramRun]:
    """Run the whole program for a stack's real config (plus overrides) and return its resources."""

    def run(stack: str, **overrides: str) -> ProgramRun:
        return run_program(ROOT, stack, overrides=overrides)

    return run


@pytest.fixture(scope="session")
def staging_without_bastion() -> Iterator[ProgramRun]:
    """Staging with `bastionEnabled: false`, run once for the bastion and database tests of what its
    absence leaves (read, never change; a test that does fails at the end of the session)."""
    run = run_program(ROOT, "staging", overrides={"bastionEnabled": "false"})
    before = _fingerprint({"staging": run})
    yield run
    assert _fingerprint({"staging": run}) == before, "a test changed staging_without_bastion"


def _fingerprint(runs: dict[str, ProgramRun] | dict[str, Registrations]) -> str:
    return json.dumps(
        {
            stack: [(r.urn, r.protect, r.parent, r.inputs, r.outputs) for r in run.resources]
            + [getattr(run, "stack_outputs", None)]
            for stack, run in runs.items()
        },
        sort_keys=True,
        default=str,
    )


# An invoke the program made (a data-source lookup): its token, its arguments and the region it ran in.
RecordedInvoke = tuple[str, dict[str, Any], str]
# Both stacks' runs, the invokes each made and the warnings each logged (pulumi.log.warn).
_SessionRuns = tuple[dict[str, ProgramRun], dict[str, list[RecordedInvoke]], dict[str, list[str]]]


@pytest.fixture(scope="session")
def _stacks_with_invokes() -> _SessionRuns:
    """Both stacks run once per session, recording every invoke and warning on the way, so that a
    test of what the program looks up (the CI roles) or warns about needs no runs of its own."""
    original = AwsMocks.call
    original_warn = pulumi.log.warn
    invokes: dict[str, list[RecordedInvoke]] = {stack: [] for stack in STACKS}
    warnings: dict[str, list[str]] = {stack: [] for stack in STACKS}
    current: list[RecordedInvoke] = []
    current_warnings: list[str] = []

    def warn(message: str, *args: Any, **kwargs: Any) -> None:
        current_warnings.append(message)
        original_warn(message, *args, **kwargs)

    def recording(self: AwsMocks, args: Any) -> dict[str, Any]:
        region = str(args.args.get("region") or self._provider_region(args.provider) or self._region())
        current.append((args.token, dict(args.args), region))
        return original(self, args)

    AwsMocks.call = recording  # type: ignore[method-assign]
    pulumi.log.warn = warn  # type: ignore[assignment]
    try:
        runs = {}
        for stack in STACKS:
            current.clear()
            current_warnings.clear()
            runs[stack] = run_with_config(stack_config(stack))
            invokes[stack] = list(current)
            warnings[stack] = list(current_warnings)
    finally:
        AwsMocks.call = original  # type: ignore[method-assign]
        pulumi.log.warn = original_warn
    return runs, invokes, warnings


@pytest.fixture(scope="session")
def stack_runs(
    _stacks_with_invokes: _SessionRuns,
) -> Iterator[dict[str, ProgramRun]]:
    """Both stacks run once per session (per worker under xdist). The registrations are plain data
    shared by every test that asks: read them, never change them. A test that does is caught here, at
    the end of the session, instead of silently failing the tests that run after it."""
    runs = _stacks_with_invokes[0]
    before = _fingerprint(runs)
    yield runs
    assert _fingerprint(runs) == before, "a test changed the shared stack_runs; copy what you change"


@pytest.fixture(scope="session")
def stack_invokes(
    _stacks_with_invokes: _SessionRuns,
) -> dict[str, list[RecordedInvoke]]:
    """Every invoke each stack's `stack_runs` run made, in order (read, never change)."""
    return _stacks_with_invokes[1]


@pytest.fixture(scope="session")
def stack_warnings(_stacks_with_invokes: _SessionRuns) -> dict[str, list[str]]:
    """Every warning each stack's `stack_runs` run logged, in order (read, never change)."""
    return _stacks_with_invokes[2]
