"""What AWS offers, read from AWS-maintained catalogs shipped in installed packages.

Mocks accept any name; AWS refuses a name it does not have, minutes into `pulumi up`. These pure
functions answer "does AWS have this?" at plan time, from data AWS publishes rather than hand lists:

- cfn-lint's AWS specs (generated from the AWS pricing and RDS/ElastiCache APIs, per region): RDS
  engine versions, DB instance classes per engine, version and region, ElastiCache engine versions
  and node types per region, EC2 instance types per region.
- botocore's partitions: which regions exist, and in which partition (aws, aws-cn, aws-us-gov, ...).

Each `*_problem` function returns None when AWS would accept the value, otherwise a sentence that
says what is wrong and where the list comes from. No Pulumi imports: settings/ reads these before
any resource exists, and neither package is imported (only their data files are read), because
importing the linter costs more than the plan may spend.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import importlib.util
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

_RDS = "schemas/extensions/aws_rds_dbinstance"
_CACHE = "schemas/extensions/aws_elasticache_cachecluster"
_EC2 = "schemas/extensions/aws_ec2_instance"

# CloudFront is global, and what serves it stays in the region that signs its API calls: the
# distribution's ACM certificate, its WAF web ACL (scope CLOUDFRONT) and their metrics. botocore's
# endpoints name that region for the aws partition (tests/test_catalogs.py holds the two equal).
CLOUDFRONT_REGION = "us-east-1"


class CatalogUnavailable(RuntimeError):
    """A catalog package is missing: a broken install, not a configuration mistake."""


def _package_dir(package: str, distribution: str) -> Path:
    # find_spec locates a top-level package without running its __init__ (the linter's is slow).
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise CatalogUnavailable(
            f"{distribution} is not installed; the plan reads AWS's catalogs from it (make install)"
        )
    return Path(spec.origin).parent


@cache
def cfn_lint_source() -> str:
    """Where the RDS, ElastiCache and EC2 lists come from, for messages."""
    return f"cfn-lint {importlib.metadata.version('cfn-lint')}'s AWS spec"


@cache
def botocore_source() -> str:
    """Where the region list comes from, for messages."""
    return f"botocore {importlib.metadata.version('botocore')}'s partitions"


@cache
def _raw(relative: str) -> bytes:
    # Bytes, not text: decoding megabytes costs more than the slices the plan parses.
    return (_package_dir("cfnlint", "cfn-lint") / "data" / relative).read_bytes()


@cache
def _document(relative: str) -> Any:
    return json.loads(_raw(relative))


def _regional_section(relative: str, region: str) -> Any:
    """One region's entry of a catalog keyed by region, or None if the region is not in it.

    These files are megabytes with every region in them; the plan needs one. They are written with a
    one-space indent, so a region's object starts at `\\n "<region>": ` and ends at the next line
    that is a single space and `}`. Parsing that slice is the fast path; any surprise in the layout
    falls back to parsing the whole file, so the answer never depends on the shortcut."""
    text = _raw(relative)
    start = text.find(f'\n "{region}": '.encode())
    if start >= 0:
        value_start = text.index(b":", start + 2) + 1
        end = text.find(b"\n }", value_start)
        if end >= 0:
            try:
                return json.loads(text[value_start : end + 3])
            except ValueError:
                pass
    return _document(relative).get(region)


def _rules_mentioning(relative: str, marker: str) -> list[dict[str, Any]]:
    """The `allOf` rules of a catalog whose text contains `marker` (e.g. one engine's rules).

    The rules are two-space-indented objects of one array; the slice from the rule holding the first
    marker to the one holding the last is parsed alone (fast path), else the whole file is."""
    text, needle = _raw(relative), marker.encode()
    first, last = text.find(needle), text.rfind(needle)
    if first < 0:
        return []
    start, end = text.rfind(b"\n  {", 0, first), text.find(b"\n  }", last)
    if start >= 0 and end >= 0:
        try:
            rules: list[dict[str, Any]] = json.loads(b"[" + text[start : end + 4] + b"]")
            return rules
        except ValueError:
            pass
    return list(_document(relative)["allOf"])


def _then_enum(rule: dict[str, Any], prop: str) -> list[str]:
    return [str(v) for v in rule.get("then", {}).get("properties", {}).get(prop, {}).get("enum", [])]


def _if_const(rule: dict[str, Any], prop: str) -> Any:
    condition = rule.get("if", {}).get("properties", {}).get(prop)
    return condition.get("const") if isinstance(condition, dict) else None


def suggestion(value: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest choice, or nothing."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


# --- regions ---------------------------------------------------------------------------------


@cache
def regions() -> dict[str, str]:
    """Every AWS region -> its partition id, from botocore's partitions file."""
    path = _package_dir("botocore", "botocore") / "data" / "partitions.json"
    document = json.loads(path.read_text())
    found: dict[str, str] = {}
    for partition in document["partitions"]:
        for region in partition["regions"]:
            # `aws-global` and friends name a partition's global endpoints, not a place to deploy.
            if not region.endswith("-global"):
                found[region] = partition["id"]
    return found


def region_problem(region: str) -> str | None:
    if region in regions():
        return None
    return f"not an AWS region ({botocore_source()}){suggestion(region, regions())}"


def partition_of(region: str) -> str | None:
    return regions().get(region)


# --- services per region ---------------------------------------------------------------------


@cache
def resource_types(region: str) -> frozenset[str] | None:
    """CloudFormation resource types (AWS::Service::Thing) the region offers, or None if unlisted."""
    path = _package_dir("cfnlint", "cfn-lint") / "data" / "schemas" / "providers" / f"{region}.json"
    if not path.is_file():
        return None
    return frozenset(json.loads(path.read_bytes()))


def missing_resource_types(types: Iterable[str], region: str) -> list[str]:
    """Those of `types` that `region` does not offer (none when the region is not listed)."""
    offered = resource_types(region)
    return [] if offered is None else [t for t in types if t not in offered]


# --- RDS -------------------------------------------------------------------------------------


@cache
def rds_engine_versions(engine: str) -> tuple[str, ...]:
    """Engine versions RDS knows for `engine`, deprecated ones included."""
    for rule in _document(f"{_RDS}/engine_version.json")["allOf"]:
        if _if_const(rule, "Engine") == engine:
            return tuple(_then_enum(rule, "EngineVersion"))
    return ()


@cache
def rds_deprecated_versions(engine: str) -> frozenset[str]:
    """Versions RDS no longer creates new instances with."""
    for rule in _document(f"{_RDS}/engine_version_deprecated.json")["allOf"]:
        if _if_const(rule, "Engine") == engine:
            return frozenset(str(v) for v in rule["if"]["properties"]["EngineVersion"].get("enum", []))
    return frozenset()


def rds_engine_version_problem(engine: str, version: str) -> str | None:
    known = rds_engine_versions(engine)
    if version not in known:
        return f"not a {engine} version RDS offers ({cfn_lint_source()}){suggestion(version, known)}"
    # A bare major ('17') lets RDS pick its default minor; the catalog lists bare majors among the
    # deprecated versions, which only means no minor of that name exists.
    if "." in version and version in rds_deprecated_versions(engine):
        current = sorted(
            (
                v
                for v in known
                if v.split(".")[0] == version.split(".")[0] and v not in rds_deprecated_versions(engine)
            ),
            key=_version_key,
        )
        instead = f"; use {current[-1]!r} or the major {version.split('.')[0]!r}" if current else ""
        return f"{engine} {version} is deprecated: RDS creates no new instances with it ({cfn_lint_source()}){instead}"
    return None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


# The catalog names each version by a pattern `^(17\.4\..+|17\.4)$`: that version and its
# sub-versions. Read as a literal prefix, dozens of them need no regex compilation; any other pattern
# is compiled as written.
_VERSION_PREFIX_PATTERN = re.compile(r"\^\((?P<literal>[0-9A-Za-z\\.-]+)\\\.\.\+\|(?P=literal)\)\$")


class _VersionPattern:
    def __init__(self, pattern: str) -> None:
        literal = _VERSION_PREFIX_PATTERN.fullmatch(pattern)
        self._prefix = literal["literal"].replace("\\", "") if literal else None
        self._regex = None if literal else re.compile(pattern)

    def match(self, version: str) -> bool:
        if self._prefix is not None:
            return version == self._prefix or version.startswith(self._prefix + ".")
        return bool(self._regex and self._regex.match(version))


@cache
def _classes_by_version(engine: str) -> tuple[tuple[_VersionPattern, frozenset[str]], ...]:
    rules = _rules_mentioning(f"{_RDS}/db_instance_class.json", f'"const": "{engine}"')
    table = []
    for rule in rules:
        if _if_const(rule, "Engine") != engine:
            continue
        pattern = rule["if"]["properties"].get("EngineVersion", {}).get("pattern")
        if pattern:
            table.append((_VersionPattern(pattern), frozenset(_then_enum(rule, "DBInstanceClass"))))
    return tuple(table)


def _classes_for_version(engine: str, version: str) -> frozenset[str] | None:
    """Classes RDS offers `engine` at `version`; for a bare major, at any current minor of it."""
    if "." in version:
        candidates = [version]
    else:
        deprecated = rds_deprecated_versions(engine)
        candidates = [
            v for v in rds_engine_versions(engine) if v.startswith(version + ".") and v not in deprecated
        ]
    found: set[str] = set()
    matched = False
    for pattern, classes in _classes_by_version(engine):
        if any(pattern.match(candidate) for candidate in candidates):
            matched = True
            found |= classes
    return frozenset(found) if matched else None


@cache
def _classes_in_region(engine: str, region: str) -> frozenset[str] | None:
    section = _regional_section(f"{_RDS}/dbinstanceclass_enum.json", region)
    if section is None:
        return None
    found: set[str] = set()
    for rule in section.get("allOf", []):
        if _if_const(rule, "Engine") == engine:
            found |= set(_then_enum(rule, "DBInstanceClass"))
    return frozenset(found)


def db_instance_class_problem(
    instance_class: str, engine: str, version: str, region: str | None
) -> str | None:
    """Why RDS would refuse `instance_class` for `engine` `version` in `region` (None: in any
    region), or None when it would not."""
    by_version = _classes_for_version(engine, version)
    in_region = _classes_in_region(engine, region) if region else None
    if by_version is None and in_region is None:
        return None  # neither list covers this version and region: nothing to judge by
    if by_version is not None and in_region is not None:
        allowed = by_version & in_region
    else:
        allowed = by_version if by_version is not None else in_region or frozenset()
    if instance_class in allowed:
        return None
    where = f" in {region}" if in_region is not None else ""
    return (
        f"not a db instance class for {engine} {version}{where} ({cfn_lint_source()})"
        f"{suggestion(instance_class, allowed)}"
    )


# Database Insights (formerly Performance Insights) per engine, from the RDS User Guide page
# "Amazon RDS DB engine, Region, and instance class support for Database Insights": no catalog ships
# it. RDS for PostgreSQL has no class restriction; MySQL and MariaDB lack it on the smallest
# burstable classes; Db2 lacks it altogether.
_INSIGHTS_UNSUPPORTED_CLASSES = {
    "mysql": frozenset(
        {"db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"}
    ),
}
_INSIGHTS_UNSUPPORTED_CLASSES["mariadb"] = _INSIGHTS_UNSUPPORTED_CLASSES["mysql"]
_INSIGHTS_UNSUPPORTED_ENGINES = frozenset({"db2-se", "db2-ae"})


def performance_insights_problem(engine: str, instance_class: str) -> str | None:
    """Why RDS would refuse Performance Insights (Database Insights) on this engine and class."""
    if engine in _INSIGHTS_UNSUPPORTED_ENGINES:
        return f"RDS for {engine} has no Performance Insights (Database Insights); set it to false"
    if instance_class in _INSIGHTS_UNSUPPORTED_CLASSES.get(engine, frozenset()):
        return (
            f"RDS for {engine} has no Performance Insights (Database Insights) on {instance_class}; "
            "set it to false or choose a larger class"
        )
    return None


# --- ElastiCache -----------------------------------------------------------------------------


@cache
def cache_engine_versions(engine: str) -> tuple[str, ...]:
    for rule in _document(f"{_CACHE}/engine_version.json")["allOf"]:
        if _if_const(rule, "Engine") == engine:
            return tuple(_then_enum(rule, "EngineVersion"))
    return ()


def cache_engine_version_problem(engine: str, version: str) -> str | None:
    known = cache_engine_versions(engine)
    if not known or version in known:
        return None
    return f"not a {engine} version ElastiCache offers; known: {', '.join(known)} ({cfn_lint_source()})"


@cache
def _offered(relative: str, region: str | None) -> frozenset[str] | None:
    """A regional enumeration: one region's names, or (region None) those of every region."""
    if region is None:
        sections = [section for section in _document(relative).values() if isinstance(section, dict)]
        return frozenset(name for section in sections for name in section.get("enum", []))
    section = _regional_section(relative, region)
    return frozenset(section["enum"]) if section else None


def _where(region: str | None) -> str:
    return f"in {region}" if region else "in any region"


def cache_node_types(region: str | None) -> frozenset[str] | None:
    return _offered(f"{_CACHE}/cachenodetype_enum.json", region)


def cache_node_type_problem(node_type: str, region: str | None) -> str | None:
    """Why ElastiCache would refuse `node_type` in `region` (None: in every region), or None."""
    offered = cache_node_types(region)
    if offered is None or node_type in offered:
        return None
    return (
        f"not an ElastiCache node type {_where(region)} ({cfn_lint_source()}){suggestion(node_type, offered)}"
    )


# --- EC2 -------------------------------------------------------------------------------------


def ec2_instance_types(region: str | None) -> frozenset[str] | None:
    return _offered(f"{_EC2}/instancetype_enum.json", region)


def ec2_instance_type_problem(instance_type: str, region: str | None) -> str | None:
    """Why EC2 would refuse `instance_type` in `region` (None: in every region), or None."""
    offered = ec2_instance_types(region)
    if offered is None or instance_type in offered:
        return None
    return (
        f"not an EC2 instance type {_where(region)} ({cfn_lint_source()}){suggestion(instance_type, offered)}"
    )


# --- Fargate ---------------------------------------------------------------------------------


@cache
def fargate_sizes() -> dict[int, tuple[int, ...]]:
    """CPU units -> memory sizes (MiB) Fargate accepts with them, from cfn-lint's AWS spec."""
    document = _document("schemas/extensions/aws_ecs_taskdefinition/fargate_cpu_memory.json")
    sizes: dict[int, tuple[int, ...]] = {}
    for alternative in document["then"]["anyOf"]:
        cpu_rule = alternative["properties"]["Cpu"]["then"]
        memory_rule = alternative["properties"]["Memory"]["then"]
        if "enum" in memory_rule:
            memories = tuple(int(m) for m in memory_rule["enum"])
        else:
            step = int(memory_rule.get("multipleOf", 1))
            memories = tuple(range(int(memory_rule["minimum"]), int(memory_rule["maximum"]) + 1, step))
        for cpu in cpu_rule["enum"]:
            sizes[int(cpu)] = memories
    return sizes
