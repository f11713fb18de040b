"""The policy pack as a child process, started as `pulumi preview --policy-pack` starts a Python pack.

PulumiPolicy.yaml is read. For runtime `python` the CLI starts the shim
`pulumi-analyzer-policy-python` in the pack's folder with the arguments `<engine address> .` plus
`-<option>=<value>` per runtime option. The shim runs `<virtualenv>/bin/python -u -m pulumi.policy
<engine address> .` with the virtualenv's `bin` first on PATH and PYTHONHOME unset (plain `python3`
without a `virtualenv` option); `pulumi.policy` runs the folder's `__main__.py`, which builds the
PolicyPack, which starts the gRPC server and prints its port on stdout. The environment is the CLI's
own, plus PULUMI_CONFIG (the stack's config as a JSON object of strings, secrets decrypted),
PULUMI_ORGANIZATION, PULUMI_PROJECT, PULUMI_STACK and PULUMI_DRY_RUN ("true" for a preview), each
only when non-empty.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import yaml
from pulumi.runtime.proto import analyzer_pb2_grpc

from .stack_config import StackConfig

DEFAULT_PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
# The pack's own PulumiPolicy.yaml names `venv` inside the pack, which the CLI builds from the pack's
# requirements.txt. Offline plans run the pack in the project's virtualenv instead (it holds
# everything the pack requires), passed the way the CLI passes the option: `-virtualenv=<path>`.
PROJECT_VIRTUALENV = Path(__file__).resolve().parent.parent / ".venv"
# A Python pack never dials the engine (pulumi.policy parses the address and ignores it).
ENGINE_ADDRESS_PLACEHOLDER = "127.0.0.1:0"
# Backends without organizations (filestate) report this one, as the SDK's default does.
DEFAULT_ORGANIZATION = "organization"
START_TIMEOUT_SECONDS = 120.0
_GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]


class PackError(Exception):
    """The pack did not start, or failed while answering: shown with the tail of its stderr."""


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
