"""Project and stack files read as the Pulumi CLI reads them.

The CLI (Go, yaml.v3) resolves plain scalars by the YAML 1.2 core schema: only `true`/`false` are
booleans, `16.10` is a float, `yes`, `on` and `2026-01-31` stay strings. And it keeps every config
value as a string, taking a scalar's text as written: `dbEngineVersion: 16.10` is "16.10", not 16.1.
PyYAML alone resolves by YAML 1.1 (`yes` is true); here its parser (libyaml where installed, the
fast one) is paired with a YAML 1.2 core resolver and constructor, and config scalars keep their text.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class YamlError(Exception):
    """A file that is not YAML the CLI would accept; the message names the file and line."""


class _CoreResolver(BaseResolver):
    """YAML 1.2 core schema tags for plain scalars (and nothing else: no timestamps, no `yes`)."""


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", _BOOL, list("tTfF")),
    ("tag:yaml.org,2002:int", _INT, list("-+0123456789")),
    ("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789")),
):
    _CoreResolver.add_implicit_resolver(_tag, _pattern, _first)


class _CoreConstructor(SafeConstructor):
    """Values by the YAML 1.2 core schema: `012` is twelve, `0o12` ten; true/false only."""

    def core_bool(self, node: ScalarNode) -> bool:
        return str(node.value).lower() == "true"

    def core_int(self, node: ScalarNode) -> int:
        text = str(node.value)
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text, 10)

    def core_float(self, node: ScalarNode) -> float:
        text = str(node.value).lower()
        if text.endswith(".inf"):
            return -math.inf if text.startswith("-") else math.inf
        if text == ".nan":
            return math.nan
        return float(text)


for _tag, _construct in (
    ("tag:yaml.org,2002:bool", _CoreConstructor.core_bool),
    ("tag:yaml.org,2002:int", _CoreConstructor.core_int),
    ("tag:yaml.org,2002:float", _CoreConstructor.core_float),
):
    _CoreConstructor.add_constructor(_tag, _construct)  # type: ignore[type-var]

_Parser: Any
try:
    from yaml._yaml import CParser as _Parser  # libyaml
except ImportError:
    _Parser = None


if _Parser is not None:

    class _Loader(_Parser, _CoreConstructor, _CoreResolver):
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            _CoreConstructor.__init__(self)
            _CoreResolver.__init__(self)

else:  # PyYAML built without libyaml: the same in pure Python

    class _Loader(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        yaml.composer.Composer,
        _CoreConstructor,
        _CoreResolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _CoreConstructor.__init__(self)
            _CoreResolver.__init__(self)


def _refuse_duplicate_keys(node: Node, name: str) -> None:
    """yaml.v3 refuses a key given twice in one mapping; PyYAML would keep the last silently."""
    if isinstance(node, MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    raise YamlError(
                        f"{name} line {key.start_mark.line + 1}: key {key.value!r} is already set above"
                    )
                seen.add(key.value)
            _refuse_duplicate_keys(value, name)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, name)


def read(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The document (YAML 1.2 core types) and, for each scalar under `config:`, its text as the CLI
    keeps it (a null or empty scalar is "")."""
    loader = _Loader(path.read_text())
    try:
        root = loader.get_single_node()
        if root is None:
            return {}, {}
        _refuse_duplicate_keys(root, path.name)
        document = loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        line = f" line {error.problem_mark.line + 1}" if error.problem_mark else ""
        raise YamlError(f"{path.name}{line} is not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise YamlError(f"{path.name} is not valid YAML: {error}") from None
    finally:
        loader.dispose()
    if not isinstance(document, dict) or not isinstance(root, MappingNode):
        raise YamlError(f"{path.name}: expected a mapping at the top level")
    scalars: dict[str, str] = {}
    for key, value in root.value:
        if getattr(key, "value", None) == "config" and isinstance(value, MappingNode):
            for config_key, config_value in value.value:
                if isinstance(config_value, ScalarNode):
                    null = config_value.tag == "tag:yaml.org,2002:null"
                    scalars[str(config_key.value)] = "" if null else str(config_value.value)
    return document, scalars
