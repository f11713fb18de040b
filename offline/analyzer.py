"""Runs a policy pack against a planned program over the analyzer gRPC protocol, as the engine does.

What `pulumi preview --policy-pack <dir>` does, and what is mirrored here (sources in
github.com/pulumi/pulumi: `sdk/go/common/resource/plugin/analyzer_plugin.go` NewPolicyAnalyzer,
constructEnv, Analyze, AnalyzeStack; `sdk/python/dist/pulumi-analyzer-policy-python`;
`sdk/python/lib/pulumi/policy/__main__.py`; `pkg/resource/deploy/step_generator.go` AnalyzeResources;
the policy-pack config reconciliation in `pkg/resource/analyzer/config.go`):

- PulumiPolicy.yaml is read. For runtime `python` the CLI starts the shim `pulumi-analyzer-policy-python`
  in the pack's folder with the arguments `<engine address> .` plus `-<option>=<value>` per runtime
  option. The shim runs `<virtualenv>/bin/python -u -m pulumi.policy <engine address> .` with the
  virtualenv's `bin` first on PATH and PYTHONHOME unset (plain `python3` without a `virtualenv`
  option); `pulumi.policy` runs the folder's `__main__.py`, which builds the PolicyPack, which starts
  the gRPC server and prints its port on stdout.
- Environment: the CLI's own, plus PULUMI_CONFIG (the stack's config as a JSON object of strings,
  secrets decrypted), PULUMI_ORGANIZATION, PULUMI_PROJECT, PULUMI_STACK and PULUMI_DRY_RUN
  ("true" for a preview), each only when non-empty.
- Calls: Handshake (the Python SDK answers UNIMPLEMENTED and the CLI carries on), ConfigureStack,
  GetAnalyzerInfo, Configure with the reconciled config (each policy's default level and schema
  defaults, then the pack's initialConfig, then `--policy-pack-config`: "all" first, then per policy),
  Analyze for every resource but providers with its inputs (unknowns and secrets kept, internal
  `__` keys and resource references downgraded to ids/URNs), then AnalyzeStack with every resource's
  outputs, parent, dependencies and property dependencies.
- A diagnostic without a URN belongs to the analyzed resource (Analyze) or the root stack (AnalyzeStack).

Not mirrored: the engine address is a placeholder (a Python pack never dials the engine), and the
properties are the program's inputs and the mocks' outputs, without the provider's Check defaults.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from .engine import ProgramRun, RegisteredResource, StackConfig

DEFAULT_PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
# The pack's own PulumiPolicy.yaml names `venv` inside the pack, which the CLI builds from the pack's
# requirements.txt. Offline plans run the pack in the project's virtualenv instead (it holds
# everything the pack requires), passed the way the CLI passes the option: `-virtualenv=<path>`.
PROJECT_VIRTUALENV = Path(__file__).resolve().parent.parent / ".venv"
# A Python pack never dials the engine (pulumi.policy parses the address and ignores it).
ENGINE_ADDRESS_PLACEHOLDER = "127.0.0.1:0"
# Backends without organizations (filestate) report this one, as the SDK's default does.
DEFAULT_ORGANIZATION = "organization"
LEVELS = ("advisory", "mandatory", "remediate", "disabled")
START_TIMEOUT_SECONDS = 120.0
CALL_TIMEOUT_SECONDS = 300.0
# Analyze calls sent ahead of their answers. The Python pack serves four at a time; more queued
# behind those keep it busy while this process is busy registering (`make bench`: a deeper queue
# and a shorter GIL switch interval, offline/plan.py, leave next to nothing to drain after the
# program ends).
IN_FLIGHT = 16
_GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]


class PackError(Exception):
    """The pack did not start, or failed while answering: shown with the tail of its stderr."""


class PolicyConfigError(Exception):
    """An invalid `--policy-pack-config` document."""


# --- policy pack config (the JSON given to --policy-pack-config) ------------------------------


@dataclass(frozen=True)
class PolicyConfigEntry:
    level: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


def parse_policy_config(text: str, source: str = "--policy-pack-config") -> dict[str, PolicyConfigEntry]:
    """`{"policy-name": "advisory"}` or `{"policy-name": {"enforcementLevel": "advisory", "prop": ...}}`;
    the key "all" sets the level of every policy. Same rules as the CLI's parser."""
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except ValueError as error:
        raise PolicyConfigError(f"{source} is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise PolicyConfigError(
            f"{source} must be a JSON object mapping policy names to a level or an object"
        )
    result: dict[str, PolicyConfigEntry] = {}
    for name, value in document.items():
        if isinstance(value, str):
            entry = PolicyConfigEntry(_level(value, name, source))
        elif isinstance(value, dict):
            properties = dict(value)
            level = properties.pop("enforcementLevel", None)
            if level is not None and not isinstance(level, str):
                raise PolicyConfigError(f"{source}: {name}.enforcementLevel must be a string, got {level!r}")
            entry = PolicyConfigEntry(_level(level, name, source) if level else None, properties)
        else:
            raise PolicyConfigError(
                f"{source}: {name} must be an enforcement level or an object, got {json.dumps(value)}"
            )
        if entry.level or entry.properties:
            result[name] = entry
    return result


def load_policy_config(path: Path | str) -> dict[str, PolicyConfigEntry]:
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise PolicyConfigError(f"cannot read --policy-pack-config {path}: {error.strerror}") from error
    return parse_policy_config(text, str(path))


def _level(value: str, name: str, source: str) -> str:
    if value not in LEVELS:
        raise PolicyConfigError(
            f"{source}: {name}: {value!r} is not an enforcement level (use one of {', '.join(LEVELS)})"
        )
    return value


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    level: str
    kind: str  # "resource" or "stack"
    schema: dict[str, Any] = field(default_factory=dict)


def reconcile_policy_config(
    policies: Sequence[PolicyInfo],
    initial: Mapping[str, PolicyConfigEntry],
    given: Mapping[str, PolicyConfigEntry],
) -> tuple[dict[str, PolicyConfigEntry], list[str]]:
    """The config the engine sends to Configure, and warnings for names the pack does not have."""
    result: dict[str, PolicyConfigEntry] = {}
    for policy in policies:
        defaults = {
            k: v["default"] for k, v in policy.schema.items() if isinstance(v, dict) and "default" in v
        }
        result[policy.name] = PolicyConfigEntry(policy.level, defaults)
    warnings: list[str] = []
    for layer in (initial, given):
        everyone = layer.get("all")
        if everyone is not None and everyone.level:
            result = {k: PolicyConfigEntry(everyone.level, v.properties) for k, v in result.items()}
        for name, entry in layer.items():
            if name == "all":
                continue
            if name not in result:
                warnings.append(f"policy config names '{name}', which the pack does not have; ignored")
                continue
            current = result[name]
            result[name] = PolicyConfigEntry(
                entry.level or current.level, {**current.properties, **entry.properties}
            )
    errors = []
    for policy in policies:
        properties = result[policy.name].properties
        for key, value in properties.items():
            if key not in policy.schema:
                warnings.append(f"{policy.name}: '{key}' is not a setting of this policy; ignored")
                continue
            errors += [f"{policy.name}.{key}: {e}" for e in _schema_errors(value, policy.schema[key])]
    if errors:
        raise PolicyConfigError("invalid policy pack configuration: " + "; ".join(errors))
    return result, warnings


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _schema_errors(value: Any, schema: Mapping[str, Any]) -> list[str]:
    """The subset of JSON Schema the pack's config schemas use: type, items, minimum, maximum, enum."""
    expected = schema.get("type")
    if isinstance(expected, str) and expected in _JSON_TYPES:
        ok = isinstance(value, _JSON_TYPES[expected]) and not (
            isinstance(value, bool) and expected != "boolean"
        )
        if expected == "integer" and isinstance(value, float) and value.is_integer():
            ok = True
        if not ok:
            return [f"expected {expected}, got {json.dumps(value)}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{json.dumps(value)} is not one of {schema['enum']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{value} is above the maximum {schema['maximum']}")
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            errors += [f"[{index}] {e}" for e in _schema_errors(item, schema["items"])]
    return errors


# --- the pack process ------------------------------------------------------------------------


@dataclass(frozen=True)
class PackProject:
    """PulumiPolicy.yaml."""

    directory: Path
    runtime: str
    options: dict[str, Any]
    version: str

    @classmethod
    def load(cls, directory: Path | str) -> PackProject:
        directory = Path(directory).resolve()
        project_file = directory / "PulumiPolicy.yaml"
        if not project_file.is_file():
            raise PackError(f"{directory} is not a policy pack: it has no PulumiPolicy.yaml")
        document = yaml.safe_load(project_file.read_text()) or {}
        runtime = document.get("runtime")
        options: dict[str, Any] = {}
        if isinstance(runtime, dict):
            options = dict(runtime.get("options") or {})
            runtime = runtime.get("name")
        if runtime != "python":
            raise PackError(
                f"{project_file}: runtime {runtime!r}; this offline driver runs Python packs only"
            )
        return cls(directory, "python", options, str(document.get("version") or ""))

    def command(
        self, engine_address: str, virtualenv_override: Path | None = None
    ) -> tuple[list[str], dict[str, str]]:
        """The interpreter command and PATH changes of `pulumi-analyzer-policy-python`."""
        env: dict[str, str] = {}
        virtualenv = str(virtualenv_override or self.options.get("virtualenv") or "").rstrip("/")
        if virtualenv:
            venv = Path(virtualenv) if os.path.isabs(virtualenv) else self.directory / virtualenv
            python = venv / "bin" / "python"
            if not python.is_file():
                raise PackError(
                    f'"{venv}" doesn\'t appear to be a virtual environment (PulumiPolicy.yaml virtualenv)'
                )
            env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
            interpreter = str(python)
        else:
            interpreter = "python3"
        return [interpreter, "-u", "-m", "pulumi.policy", engine_address, "."], env


class PolicyPackProcess:
    """The pack as a child process, started like the CLI starts it; always stopped on exit."""

    def __init__(
        self,
        pack_dir: Path | str,
        config: StackConfig,
        *,
        organization: str = DEFAULT_ORGANIZATION,
        dry_run: bool = True,
        virtualenv: Path | None = None,
    ) -> None:
        self.project = PackProject.load(pack_dir)
        self.virtualenv = virtualenv
        """Replaces PulumiPolicy.yaml's `virtualenv` option when set."""
        self.config = config
        self.organization = organization
        self.dry_run = dry_run
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: deque[str] = deque(maxlen=400)
        self._ports: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._channel: grpc.Channel | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("PYTHONHOME", None)
        argv_env = self.project.command(ENGINE_ADDRESS_PLACEHOLDER, self.virtualenv)[1]
        env.update(argv_env)
        extra = {
            "PULUMI_CONFIG": json.dumps(self.config.values) if self.config.values else "",
            "PULUMI_ORGANIZATION": self.organization,
            "PULUMI_PROJECT": self.config.project,
            "PULUMI_STACK": self.config.stack,
            "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
        }
        env.update({k: v for k, v in extra.items() if v})
        return env

    def start(self) -> PolicyPackProcess:
        # The CLI hands the shim `-<option>=<value>` per runtime option; the shim consumes
        # `-virtualenv` itself and passes python only the engine address and the folder.
        argv, _ = self.project.command(ENGINE_ADDRESS_PLACEHOLDER, self.virtualenv)
        try:
            self._process = subprocess.Popen(
                argv,
                cwd=self.project.directory,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as error:
            raise PackError(f"policy pack failed to start: {argv[0]}: {error.strerror}") from error
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def _read_stdout(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        first = True
        for raw in self._process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            if first:
                self._ports.put(line)
                first = False
            else:
                self._stderr.append(line)
        if first:
            self._ports.put(None)

    def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for raw in self._process.stderr:
            self._stderr.append(raw.decode(errors="replace").rstrip("\n"))

    def stderr_tail(self, lines: int = 20) -> str:
        tail = list(self._stderr)[-lines:]
        return "\n".join(tail) if tail else "(nothing on stderr)"

    def _failure(self, what: str) -> PackError:
        assert self._process is not None
        try:
            code = self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        for thread in self._threads:
            thread.join(timeout=2)
        status = f" (exit code {code})" if code is not None else ""
        return PackError(
            f"policy pack {self.project.directory} {what}{status}; its stderr ends with:\n{self.stderr_tail()}"
        )

    def stub(self, timeout: float = START_TIMEOUT_SECONDS) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._channel is None:
            try:
                line = self._ports.get(timeout=timeout)
            except queue.Empty:
                raise self._failure(f"printed no port within {timeout:.0f} s") from None
            if line is None or not line.strip().isdigit():
                raise self._failure(
                    "failed to start" if line is None else f"printed {line!r} instead of its port"
                )
            channel = grpc.insecure_channel(f"127.0.0.1:{int(line)}", options=_GRPC_OPTIONS)
            try:
                grpc.channel_ready_future(channel).result(timeout=timeout)
            except grpc.FutureTimeoutError:
                channel.close()
                raise self._failure(f"did not accept connections on port {line}") from None
            self._channel = channel
        return analyzer_pb2_grpc.AnalyzerStub(self._channel)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> PolicyPackProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- engine-shaped requests ------------------------------------------------------------------

_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def _engine_value(value: Any) -> Any:
    """What MarshalProperties(KeepUnknowns, KeepSecrets, SkipInternalKeys) sends: resource references
    become the referenced id (custom) or URN (component), output values their plain, secret or
    unknown value, and keys starting with `__` are dropped."""
    if isinstance(value, list):
        return [_engine_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    sig = value.get(rpc._special_sig_key)
    if sig == _RESOURCE_SIG:
        ident = value.get("id")
        return ident if ident not in (None, "") else value.get("urn", "")
    if sig == _OUTPUT_SIG:
        inner = _engine_value(value["value"]) if "value" in value else rpc.UNKNOWN
        if value.get("secret"):
            return {rpc._special_sig_key: _SECRET_SIG, "value": inner}
        return inner
    return {k: _engine_value(v) for k, v in value.items() if not (k.startswith("__") and sig is None)}


def engine_struct(wire: struct_pb2.Struct) -> struct_pb2.Struct:
    plain = json_format.MessageToDict(wire)
    result = struct_pb2.Struct()
    result.update({k: _engine_value(v) for k, v in plain.items() if not k.startswith("__")})
    return result


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(json.loads(json.dumps(dict(values), default=str)))
    return result


def _is_provider(resource: RegisteredResource) -> bool:
    return resource.type.startswith("pulumi:providers:")


@dataclass
class _Context:
    config: StackConfig
    by_urn: dict[str, RegisteredResource]
    stack_urn: str
    provider_cache: dict[str, analyzer_pb2.AnalyzerProviderResource] = field(default_factory=dict)

    def provider(self, resource: RegisteredResource) -> analyzer_pb2.AnalyzerProviderResource | None:
        """The explicit provider, or the default provider the engine would create for the package."""
        if not resource.custom or _is_provider(resource):
            return None
        reference = resource.provider
        key = reference or f"default:{resource.type.split(':')[0]}"
        if key in self.provider_cache:
            return self.provider_cache[key]
        if reference:
            urn = reference.split("::")[0:-1]
            explicit = self.by_urn.get("::".join(urn))
            if explicit is None:
                return None
            message = analyzer_pb2.AnalyzerProviderResource(
                type=explicit.type,
                name=explicit.name,
                urn=explicit.urn,
                properties=engine_struct(explicit.wire_inputs),
            )
        else:
            package = resource.type.split(":")[0]
            config = self.config
            properties = {
                k.split(":", 1)[1]: v for k, v in config.values.items() if k.startswith(f"{package}:")
            }
            message = analyzer_pb2.AnalyzerProviderResource(
                type=f"pulumi:providers:{package}",
                name="default",
                urn=f"urn:pulumi:{config.stack}::{config.project}::pulumi:providers:{package}::default",
                properties=_struct(properties),
            )
        self.provider_cache[key] = message
        return message


def _options(resource: RegisteredResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        parent=resource.parent,
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
    )


def _property_dependencies(
    resource: RegisteredResource,
) -> dict[str, analyzer_pb2.AnalyzerPropertyDependencies]:
    return {
        key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
        for key, urns in resource.property_dependencies.items()
        if urns
    }


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
    response: analyzer_pb2.AnalyzeResponse, context: _Context, phase: str, default_urn: str
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
        self._context = _Context(config, {}, self.stack_urn)
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
            self._close()
        elif not self._closed:
            # The preview failed: no result is wanted, and the thread may be waiting on a pack that is
            # still starting. It ends when the pack is stopped (a daemon thread never holds the exit).
            self._closed = True
            self._pending.put(None)

    def add(self, resource: RegisteredResource) -> None:
        self._pending.put(resource)

    def _close(self) -> None:
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
                if not _is_provider(resource):
                    sent.append((resource, self._send(resource)))
                    if len(sent) >= IN_FLIGHT:
                        self._receive(*sent.popleft())
            while sent:
                self._receive(*sent.popleft())
        except BaseException as error:  # raised again by finish(), on the caller's thread
            self._error = error
            while self._pending.get() is not None:  # let add() and _close() carry on
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
                        properties=_struct(entry.properties),
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
            options=_options(resource),
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
        self._close()
        if self._error is not None:
            raise self._error
        assert self._info is not None
        self._context.by_urn = {r.urn: r for r in run.resources}
        stack_resources = [
            analyzer_pb2.AnalyzerResource(
                type="pulumi:pulumi:Stack",
                properties=_struct(run.stack_outputs),
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
                options=_options(resource),
                parent=resource.parent,
                dependencies=resource.dependencies,
                propertyDependencies=_property_dependencies(resource),
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
            findings=self._findings,
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


__all__ = [
    "DEFAULT_PACK_DIR",
    "PROJECT_VIRTUALENV",
    "Analysis",
    "Finding",
    "PackError",
    "PolicyConfigEntry",
    "PolicyConfigError",
    "PolicyPackProcess",
    "PreviewAnalysis",
    "analyze",
    "load_policy_config",
    "parse_policy_config",
    "policy_pack",
    "reconcile_policy_config",
]
