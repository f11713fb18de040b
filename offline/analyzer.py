"""Runs a policy pack against a planned program over the analyzer gRPC protocol, as the engine does.

What `pulumi preview --policy-pack <dir>` does, and what is mirrored here (sources in
github.com/pulumi/pulumi: `sdk/go/common/resource/plugin/analyzer_plugin.go` NewPolicyAnalyzer,
constructEnv, Analyze, AnalyzeStack; `sdk/python/dist/pulumi-analyzer-policy-python`;
`sdk/python/lib/pulumi/policy/__main__.py`; `pkg/resource/deploy/step_generator.go` AnalyzeResources;
the policy-pack config reconciliation in `pkg/resource/analyzer/config.go`):

- The pack starts as the CLI starts a Python pack, with the CLI's arguments and environment
  (offline/pack_process.py).
- Calls: Handshake (the Python SDK answers UNIMPLEMENTED and the CLI carries on), ConfigureStack,
  GetAnalyzerInfo, Configure with the reconciled config (each policy's default level and schema
  defaults, then the pack's initialConfig, then `--policy-pack-config`: "all" first, then per policy;
  offline/policy_config.py), Analyze for every resource but providers with its inputs (unknowns and
  secrets kept, internal `__` keys and resource references downgraded to ids/URNs;
  offline/engine_requests.py), then AnalyzeStack with every resource's outputs, parent,
  dependencies and property dependencies.
- A diagnostic without a URN belongs to the analyzed resource (Analyze) or the root stack (AnalyzeStack).

Not mirrored: the engine address is a placeholder (a Python pack never dials the engine), and the
properties are the program's inputs and the mocks' outputs, without the provider's Check defaults.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2

from .engine import ProgramRun, RegisteredResource
from .engine_requests import (
    EngineContext,
    engine_struct,
    is_provider,
    plain_struct,
    property_dependencies,
    resource_options,
)
from .pack_process import (
    ENGINE_ADDRESS_PLACEHOLDER,
    PROJECT_VIRTUALENV,
    PackError,
    PolicyPackProcess,
)
from .policy_config import PolicyConfigEntry, PolicyInfo, reconcile_policy_config
from .stack_config import StackConfig

CALL_TIMEOUT_SECONDS = 300.0
# Analyze calls sent ahead of their answers. The Python pack serves four at a time; more queued
# behind those keep it busy while this process is busy registering. It still judges more slowly
# than the program registers, so some are left after the program ends: `python -m
# offline.plan_phases` shows how long that tail is.
IN_FLIGHT = 16


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    policy: str
    level: str
    message: str
    description: str
    urn: str
    resource_type: str
    resource_name: str
    phase: str  # "resource" (Analyze) or "stack" (AnalyzeStack)
    not_judged: bool = False
    """The policy could not judge a value preview does not know yet (reported as advisory)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "level": self.level,
            "message": self.message,
            "description": self.description,
            "urn": self.urn,
            "type": self.resource_type,
            "name": self.resource_name,
            "phase": self.phase,
            "notJudged": self.not_judged,
        }


@dataclass
class Analysis:
    pack_name: str
    pack_version: str
    policies: list[PolicyInfo]
    levels: dict[str, str]
    findings: list[Finding]
    not_applicable: Counter[str]
    analyzed: int
    warnings: list[str]

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "mandatory"]

    def as_json(self) -> dict[str, Any]:
        return {
            "pack": {"name": self.pack_name, "version": self.pack_version},
            "policies": [
                {
                    "name": p.name,
                    "type": p.kind,
                    "level": self.levels.get(p.name, p.level),
                    "description": p.description,
                }
                for p in self.policies
            ],
            "findings": [f.as_json() for f in self.findings],
            "notApplicable": dict(self.not_applicable),
            "analyzedResources": self.analyzed,
            "summary": dict(Counter(f.level for f in self.findings)),
            "warnings": self.warnings,
        }


def _level_name(value: int) -> str:
    return str(analyzer_pb2.EnforcementLevel.Name(value)).lower()  # type: ignore[arg-type]


def _findings(
    response: analyzer_pb2.AnalyzeResponse, context: EngineContext, phase: str, default_urn: str
) -> list[Finding]:
    result = []
    for diagnostic in response.diagnostics:
        urn = diagnostic.urn if diagnostic.urn in context.by_urn else default_urn
        subject = context.by_urn.get(urn)
        message = diagnostic.message
        not_judged = message.startswith("can't run policy")
        if not_judged and "during preview: " in message:
            message = message.split("during preview: ", 1)[1]
        elif message.startswith(diagnostic.description + "\n"):
            message = message[len(diagnostic.description) + 1 :]
        result.append(
            Finding(
                policy=diagnostic.policyName,
                level=_level_name(diagnostic.enforcementLevel),
                message=message.strip(),
                description=diagnostic.description,
                urn=urn,
                resource_type=subject.type if subject else "pulumi:pulumi:Stack",
                resource_name=subject.name if subject else f"{context.config.project}-{context.config.stack}",
                phase=phase,
                not_judged=not_judged,
            )
        )
    return result


def _call(pack: PolicyPackProcess, method: str, request: Any, *, optional: bool = False) -> Any:
    return _result(
        pack,
        method,
        lambda: getattr(pack.stub(), method)(request, timeout=CALL_TIMEOUT_SECONDS),
        optional=optional,
    )


def _result(
    pack: PolicyPackProcess, method: str, answer: Callable[[], Any], *, optional: bool = False
) -> Any:
    """`answer()` (a call, or a sent call's result), its gRPC failure turned into a PackError."""
    try:
        return answer()
    except grpc.RpcError as error:
        code = error.code() if isinstance(error, grpc.Call) else None
        if optional and code == grpc.StatusCode.UNIMPLEMENTED:
            return None
        details = error.details() if isinstance(error, grpc.Call) else str(error)
        raise PackError(
            f"policy pack failed in {method}: {details}; its stderr ends with:\n{pack.stderr_tail()}"
        ) from None


def analyze(
    run: ProgramRun,
    pack: PolicyPackProcess,
    policy_config: Mapping[str, PolicyConfigEntry] | None = None,
) -> Analysis:
    """Drive the pack through one preview of a finished `run`, call by call as the engine does."""
    with PreviewAnalysis(pack, run.config, policy_config) as preview:
        for resource in run.resources:
            preview.add(resource)
        return preview.finish(run)


class PreviewAnalysis:
    """One preview's conversation with the pack, in the engine's order: the pack is configured as soon
    as it is up, each resource is analyzed as the program registers it (`add`, safe from any thread),
    and the whole stack once the program has finished (`finish`). The calls run on a thread of their
    own, so the pack judges resources while the program is still creating the rest."""

    def __init__(
        self,
        pack: PolicyPackProcess,
        config: StackConfig,
        policy_config: Mapping[str, PolicyConfigEntry] | None = None,
    ) -> None:
        self.pack = pack
        self.config = config
        self.policy_config = policy_config or {}
        self.stack_urn = f"urn:pulumi:{config.stack}::{config.project}::pulumi:pulumi:Stack::{config.project}-{config.stack}"
        self._context = EngineContext(config, {}, self.stack_urn)
        self._pending: queue.SimpleQueue[RegisteredResource | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="policy-analysis", daemon=True)
        self._error: BaseException | None = None
        self._closed = False
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self._policies: list[PolicyInfo] = []
        self._reconciled: dict[str, PolicyConfigEntry] = {}
        self._warnings: list[str] = []
        self._findings: list[Finding] = []
        self._not_applicable: Counter[str] = Counter()
        self._analyzed = 0

    def __enter__(self) -> PreviewAnalysis:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.drain()
        elif not self._closed:
            # The preview failed: no result is wanted, and the thread may be waiting on a pack that is
            # still starting. It ends when the pack is stopped (a daemon thread never holds the exit).
            self._closed = True
            self._pending.put(None)

    def add(self, resource: RegisteredResource) -> None:
        self._pending.put(resource)

    def drain(self) -> None:
        """Stop taking resources and wait until the pack has judged every one added so far."""
        if not self._closed:
            self._closed = True
            self._pending.put(None)
            self._thread.join()

    def _work(self) -> None:
        try:
            self._configure()
            # A few calls stay in flight, so that the pack judges one resource while the next
            # request is built and sent; answers are taken in the order the resources came.
            sent: deque[tuple[RegisteredResource, grpc.Future]] = deque()
            while (resource := self._pending.get()) is not None:
                self._context.by_urn[resource.urn] = resource
                if not is_provider(resource):
                    sent.append((resource, self._send(resource)))
                    if len(sent) >= IN_FLIGHT:
                        self._receive(*sent.popleft())
            while sent:
                self._receive(*sent.popleft())
        except BaseException as error:  # raised again by finish(), on the caller's thread
            self._error = error
            while self._pending.get() is not None:  # let add() and drain() carry on
                pass

    def _configure(self) -> None:
        pack, config = self.pack, self.config
        _call(
            pack,
            "Handshake",
            analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address=ENGINE_ADDRESS_PLACEHOLDER,
                root_directory=str(pack.project.directory),
                program_directory=str(pack.project.directory),
            ),
            optional=True,
        )
        _call(
            pack,
            "ConfigureStack",
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=config.stack,
                project=config.project,
                organization=pack.organization,
                dry_run=pack.dry_run,
                config=dict(config.values),
                config_secret_keys=list(config.secret_keys),
                tags={"pulumi:project": config.project, "pulumi:runtime": "python"},
            ),
            optional=True,
        )
        info: analyzer_pb2.AnalyzerInfo = _call(pack, "GetAnalyzerInfo", empty_pb2.Empty())
        self._info = info
        self._policies = [
            PolicyInfo(
                name=p.name,
                description=p.description,
                level=_level_name(p.enforcementLevel),
                kind="stack" if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
                schema=json_format.MessageToDict(p.configSchema.properties)
                if p.HasField("configSchema")
                else {},
            )
            for p in info.policies
        ]
        initial = {
            name: PolicyConfigEntry(
                _level_name(value.enforcementLevel), json_format.MessageToDict(value.properties)
            )
            for name, value in info.initialConfig.items()
        }
        self._reconciled, self._warnings = reconcile_policy_config(
            self._policies, initial, self.policy_config
        )
        _call(
            pack,
            "Configure",
            analyzer_pb2.ConfigureAnalyzerRequest(
                policyConfig={
                    name: analyzer_pb2.PolicyConfig(
                        enforcementLevel=analyzer_pb2.EnforcementLevel.Value(entry.level.upper()),
                        properties=plain_struct(entry.properties),
                    )
                    for name, entry in self._reconciled.items()
                    if entry.level
                }
            ),
        )

    def _send(self, resource: RegisteredResource) -> grpc.Future:
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            properties=engine_struct(resource.wire_inputs),
            urn=resource.urn,
            name=resource.name,
            options=resource_options(resource),
        )
        provider = self._context.provider(resource)
        if provider is not None:
            request.provider.CopyFrom(provider)
        return self.pack.stub().Analyze.future(request, timeout=CALL_TIMEOUT_SECONDS)

    def _receive(self, resource: RegisteredResource, sent: grpc.Future) -> None:
        response = _result(self.pack, "Analyze", sent.result)
        self._findings += _findings(response, self._context, "resource", resource.urn)
        self._not_applicable.update(n.policy_name for n in response.not_applicable)
        self._analyzed += 1

    def finish(self, run: ProgramRun) -> Analysis:
        """AnalyzeStack over every resource of the finished `run`, and the whole preview's result."""
        self.drain()
        if self._error is not None:
            raise self._error
        assert self._info is not None
        self._context.by_urn = {r.urn: r for r in run.resources}
        stack_resources = [
            analyzer_pb2.AnalyzerResource(
                type="pulumi:pulumi:Stack",
                properties=plain_struct(run.stack_outputs),
                urn=self.stack_urn,
                name=f"{self.config.project}-{self.config.stack}",
                options=analyzer_pb2.AnalyzerResourceOptions(),
            )
        ]
        for resource in run.resources:
            message = analyzer_pb2.AnalyzerResource(
                type=resource.type,
                properties=engine_struct(resource.wire_outputs),
                urn=resource.urn,
                name=resource.name,
                options=resource_options(resource),
                parent=resource.parent,
                dependencies=resource.dependencies,
                propertyDependencies=property_dependencies(resource),
            )
            provider = self._context.provider(resource)
            if provider is not None:
                message.provider.CopyFrom(provider)
            stack_resources.append(message)
        response = _call(
            self.pack, "AnalyzeStack", analyzer_pb2.AnalyzeStackRequest(resources=stack_resources)
        )
        self._findings += _findings(response, self._context, "stack", self.stack_urn)
        self._not_applicable.update(n.policy_name for n in response.not_applicable)

        return Analysis(
            pack_name=self._info.name,
            pack_version=self.pack.project.version or self._info.version,
            policies=self._policies,
            levels={name: entry.level or "" for name, entry in self._reconciled.items()},
            # Answers arrive as the pack finishes them, in no fixed order: sorted, two plans of one
            # program list the same findings in the same order.
            findings=sorted(self._findings, key=lambda f: (f.phase, f.policy, f.urn, f.message)),
            not_applicable=self._not_applicable,
            analyzed=self._analyzed,
            warnings=self._warnings,
        )


@contextmanager
def policy_pack(
    pack_dir: Path | str, config: StackConfig, virtualenv: Path | None = PROJECT_VIRTUALENV
) -> Iterator[PolicyPackProcess]:
    """Start the pack for `config`'s stack, by default in the project's virtualenv; it is stopped
    however the block ends."""
    process = PolicyPackProcess(pack_dir, config, virtualenv=virtualenv)
    try:
        process.start()
        yield process
    finally:
        process.close()


__all__ = ["Analysis", "Finding", "PreviewAnalysis", "analyze", "policy_pack"]
