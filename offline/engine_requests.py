"""The analyzer requests as the engine shapes them: each resource's properties as
MarshalProperties(KeepUnknowns, KeepSecrets, SkipInternalKeys) sends them, its options, its property
dependencies, and its provider (explicit, or the default one the engine would create)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2

from .engine import RegisteredResource
from .stack_config import StackConfig

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


def plain_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(json.loads(json.dumps(dict(values), default=str)))
    return result


def is_provider(resource: RegisteredResource) -> bool:
    return resource.type.startswith("pulumi:providers:")


@dataclass
class EngineContext:
    config: StackConfig
    by_urn: dict[str, RegisteredResource]
    stack_urn: str
    provider_cache: dict[str, analyzer_pb2.AnalyzerProviderResource] = field(default_factory=dict)

    def provider(self, resource: RegisteredResource) -> analyzer_pb2.AnalyzerProviderResource | None:
        """The explicit provider, or the default provider the engine would create for the package."""
        if not resource.custom or is_provider(resource):
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
                properties=plain_struct(properties),
            )
        self.provider_cache[key] = message
        return message


def resource_options(resource: RegisteredResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        parent=resource.parent,
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
    )


def property_dependencies(
    resource: RegisteredResource,
) -> dict[str, analyzer_pb2.AnalyzerPropertyDependencies]:
    return {
        key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
        for key, urns in resource.property_dependencies.items()
        if urns
    }
