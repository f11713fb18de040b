"""Runs a Pulumi Python program under the mock engine with a stack's real configuration.

What the CLI would do before `pulumi preview` (hand the program its config, as
`offline/stack_config.py` reads it, and collect every resource registration) done in-process, with
`offline.mocks.AwsMocks` standing in for the AWS provider. Secure values are replaced by
placeholders: nothing here can decrypt them, and nothing needs to.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import runpy
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.resource
from google.protobuf import struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.settings import ROOT, SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .mocks import AwsMocks
from .stack_config import PlanError, StackConfig, load_stack_config


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


# The SDK walks the Python stack at every registration (some 50 frames deep under pytest, 17 in a
# plan) and sends it along, so that the CLI can point at the line that created a resource. Nothing
# here reads it: the recording monitor keeps none of it, so the walk is skipped. The SDK sends this
# same empty trace itself whenever it cannot place the caller.
# Replaced only where the SDK still has the function.
if callable(getattr(pulumi.runtime.resource, "_get_stack_trace", None)):
    pulumi.runtime.resource._get_stack_trace = _no_stack_trace


class _CallerThreadExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs what the SDK hands its event loop's executor on the loop's own thread, where it can.

    The SDK sends every engine call (register, invoke, ...) through `run_in_executor`, because a real
    engine answers over gRPC and may take a while. The mock monitor answers in microseconds, so the
    hand-off to a pool thread and back (a wake-up of the loop, a GIL transfer) cost more than the
    call itself.

    Run in place, a call nests: the mock monitor serialises its answer with the SDK's `_sync_await`,
    which turns the running loop, which starts the next pending call inside this one. A prod plan
    nested 46 deep, some 540 Python frames, and a larger program would reach the interpreter's
    recursion limit. So a call made while `MAX_NESTED` others are still open goes to a pool thread,
    as the SDK intended (the base class's pool, started only then): some 200 frames at most. A lower
    cap sends more calls to the pool and gives back part of the gain."""

    MAX_NESTED = 16

    def __init__(self) -> None:
        super().__init__(thread_name_prefix="mock-engine")
        self._open_calls = 0  # only the event loop's thread submits

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        if self._open_calls >= self.MAX_NESTED:
            return super().submit(fn, *args, **kwargs)
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._open_calls += 1
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        finally:
            self._open_calls -= 1
        return future


# One for the process: its pool threads, once started, serve every later run.
_ENGINE_CALLS = _CallerThreadExecutor()


@dataclass
class RegisteredResource:
    """One resource registration as the engine received it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    protect: bool
    provider: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    """Inputs as the engine sees them: camelCase names, numbers as floats."""
    wire_inputs: struct_pb2.Struct
    """The serialized inputs, unknowns and secrets included, to forward to an analyzer."""
    outputs: dict[str, Any] = field(default_factory=dict)
    wire_outputs: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)
    """The serialized outputs the engine would hold after the step (what AnalyzeStack receives)."""
    id: str = ""
    """The physical id the provider (here the mocks) answered; empty for components. It is what a
    reference to this resource becomes on the wire."""

    @property
    def parent_name(self) -> str:
        return self.parent.rsplit("::", 1)[-1] if self.parent else ""


@dataclass
class Registrations:
    """Resources registered by a program or a component under test, with the lookups tests need."""

    resources: list[RegisteredResource]

    def of_type(self, *type_tokens: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.type in type_tokens]

    def named(self, name: str) -> RegisteredResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"expected one resource named {name!r}, found {len(matches)}")
        return matches[0]

    def children_of(self, parent: RegisteredResource) -> list[RegisteredResource]:
        return [r for r in self.resources if r.parent == parent.urn]


@dataclass
class ProgramRun(Registrations):
    config: StackConfig
    stack_outputs: dict[str, Any]
    config_read: frozenset[str] = frozenset()
    """Config keys the program read."""

    @property
    def placeholder_secrets(self) -> tuple[str, ...]:
        """Secrets the program used that the stack has not set: `pulumi up` would refuse them."""
        return tuple(key for key in self.config.unset_secrets if key in self.config_read)


class _ReadTrackingConfig(dict[str, Any]):
    """The runtime's config map, remembering which keys the program read."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, keeping everything the engine would know of each registration."""

    def __init__(
        self, mocks: pulumi.runtime.Mocks, on_register: Callable[[RegisteredResource], None] | None = None
    ) -> None:
        super().__init__(mocks)
        self.registrations: list[RegisteredResource] = []
        self.on_register = on_register
        """Called with each registration as it arrives, as the engine hands each step to analyzers."""
        # Registrations arrive on the SDK's executor threads: the list and the callback see one order.
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        wire = struct_pb2.Struct()
        wire.CopyFrom(request.object)
        wire_outputs = struct_pb2.Struct()
        wire_outputs.CopyFrom(response.object)
        registered = RegisteredResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            protect=bool(request.protect),
            provider=request.provider,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
            wire_inputs=wire,
            outputs=rpc.deserialize_properties(response.object, keep_unknowns=True),
            wire_outputs=wire_outputs,
            id=response.id or "",
        )
        with self._lock:
            self.registrations.append(registered)
            if self.on_register is not None:
                self.on_register(registered)
        return response


def activate_mocks(
    project: str,
    stack: str,
    *,
    preview: bool = True,
    mocks: pulumi.runtime.Mocks | None = None,
    on_register: Callable[[RegisteredResource], None] | None = None,
    preview_unknowns: bool = False,
) -> RecordingMonitor:
    """Point the Pulumi runtime at a fresh recording mock engine."""
    monitor = RecordingMonitor(mocks or AwsMocks(preview_unknowns=preview_unknowns), on_register)
    ROOT.set(None)  # a fresh root stack per run, or exports from an earlier run would leak in
    # Outputs an earlier run left pending (a failed apply, say) would otherwise be awaited, and their
    # errors raised, by the next run.
    SETTINGS.outputs.clear()
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    asyncio.get_event_loop().set_default_executor(_ENGINE_CALLS)
    return monitor


@contextmanager
def _program_environment(program_dir: Path) -> Iterator[None]:
    """Run as the CLI does: from the program's folder, with that folder first on sys.path."""
    previous_cwd = os.getcwd()
    previous_modules = set(sys.modules)
    sys.path.insert(0, str(program_dir))
    os.chdir(program_dir)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        sys.path.remove(str(program_dir))
        # Forget modules loaded from this program so that another program's same-named modules load.
        for name in set(sys.modules) - previous_modules:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(str(program_dir) + os.sep) and "site-packages" not in module_file:
                del sys.modules[name]


# A real program under mocks finishes in about a second; one still running after this long is waiting
# on something that never comes.
PROGRAM_TIMEOUT_SECONDS = 120.0


def _run_to_completion(execute: Callable[[], None], timeout: float) -> None:
    """Run a program function and wait for every registration and output, or fail with a diagnosis."""
    try:
        _sync_await(asyncio.wait_for(run_pulumi_func(execute), timeout))
    except TimeoutError:
        raise PlanError(
            f"the program did not finish within {timeout:g} s: some output never resolves. Look for a "
            "pulumi.deferred_output() that is never resolved, or for depends_on that makes two resources "
            "wait for each other (e.g. on a whole component whose children wait for the dependent)."
        ) from None


def run_program(
    program_dir: Path | str,
    stack: str,
    *,
    preview: bool = True,
    overrides: dict[str, str] | None = None,
    timeout: float = PROGRAM_TIMEOUT_SECONDS,
    preview_unknowns: bool = False,
) -> ProgramRun:
    """Run `<program_dir>/__main__.py` for `stack` under mocks and return what it registered.

    With `preview_unknowns`, outputs the provider computes at creation are unknown, as in a first
    `pulumi preview` of a new stack (`offline.mocks.first_preview`); otherwise the mocks answer them.
    A `pulumi.RunError` from the program (invalid settings) propagates unchanged.
    """
    return run_with_config(
        load_stack_config(program_dir, stack, overrides),
        preview=preview,
        timeout=timeout,
        preview_unknowns=preview_unknowns,
    )


def run_with_config(
    config: StackConfig,
    *,
    preview: bool = True,
    timeout: float = PROGRAM_TIMEOUT_SECONDS,
    on_register: Callable[[RegisteredResource], None] | None = None,
    preview_unknowns: bool = False,
) -> ProgramRun:
    """`run_program` for a stack config already loaded (`load_stack_config`); `on_register` sees each
    resource as it is registered."""
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    tracked = _ReadTrackingConfig(pulumi.runtime.config.CONFIG.get())
    pulumi.runtime.config.CONFIG.set(tracked)
    monitor = activate_mocks(
        config.project,
        config.stack,
        preview=preview,
        on_register=on_register,
        preview_unknowns=preview_unknowns,
    )

    main = config.program_dir / "__main__.py"

    def execute() -> None:
        runpy.run_path(str(main), run_name="__main__")

    with _program_environment(config.program_dir):
        _run_to_completion(execute, timeout)

    root = ROOT.get()
    exported = dict(getattr(root, "outputs", {}) or {})
    return ProgramRun(monitor.registrations, config, _resolve_outputs(exported), frozenset(tracked.read))


def build_components(monitor: RecordingMonitor, construct: Callable[[], object]) -> Registrations:
    """Run `construct` (which creates components) to completion under the active mocks and return
    what it registered. An exception in the code or in any `apply` fails the call."""
    before = len(monitor.registrations)

    def execute() -> None:
        construct()

    _run_to_completion(execute, PROGRAM_TIMEOUT_SECONDS)
    return Registrations(monitor.registrations[before:])


def _resolve_outputs(exported: dict[str, Any]) -> dict[str, Any]:
    """Stack outputs as plain values; what preview cannot know yet is None."""

    async def resolve() -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        for key, value in exported.items():
            output = pulumi.Output.from_input(value)
            known = await output.is_known()
            resolved[key] = await output.future() if known else None
        return resolved

    return _sync_await(resolve())
