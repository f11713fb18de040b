"""The text of `make plan`: the resource tree, findings, outputs and summaries, in 100 columns.

Pure functions of a finished plan (the program's run and the pack's analysis), printed by
offline/plan.py; `--json` carries the same data in full.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

from scripts.preview_comment import UNJUDGED_POLICY, unjudged

from .analyzer import Analysis, Finding
from .engine import ProgramRun, RegisteredResource

# The text output fits a 100-column terminal; `--json` carries every value in full.
WIDTH = 100
ELLIPSIS = "…"


def cut_middle(text: str, width: int) -> str:
    """`text` shortened to `width` characters by cutting out its middle: both ends of an ARN, a
    command or a resource name say more than either end alone."""
    if len(text) <= width:
        return text
    if width <= len(ELLIPSIS):
        return text[:width]
    keep = width - len(ELLIPSIS)
    head = (keep + 1) // 2
    return text[:head] + ELLIPSIS + text[len(text) - (keep - head) :]


def wrap(text: str, indent: str = "", subsequent: str | None = None) -> list[str]:
    """A paragraph wrapped at WIDTH; a single word longer than a line is cut in the middle."""
    lines = textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [cut_middle(line, WIDTH) for line in lines] or [indent.rstrip()]


def wrap_message(message: str, first: str = "") -> str:
    """A multi-line message (an error with `  - ` items) wrapped line by line, items hanging."""
    out: list[str] = []
    for number, line in enumerate(message.splitlines() or [""]):
        body = line.lstrip(" ")
        lead = (first if number == 0 else "") + line[: len(line) - len(body)]
        if len(lead) + len(body) <= WIDTH:
            out.append(lead + body)
            continue
        hang = " " * (len(lead) + (2 if body.startswith("- ") else 0))
        out += wrap(body, lead, hang)
    return "\n".join(out)


def render_tree(run: ProgramRun) -> list[str]:
    """The resources as `pulumi preview` lists them: indented under their parents."""
    children: dict[str, list[RegisteredResource]] = {}
    for resource in run.resources:
        children.setdefault(resource.parent, []).append(resource)

    rows: list[tuple[str, str, str]] = [
        ("+", "pulumi:pulumi:Stack", f"{run.config.project}-{run.config.stack}")
    ]

    def walk(parent: str, prefix: str) -> None:
        kids = sorted(children.get(parent, []), key=lambda r: (r.custom, r.name))
        for index, resource in enumerate(kids):
            last = index == len(kids) - 1
            mark = "└─ " if last else "├─ "
            flags = " [protect]" if resource.protect else ""
            rows.append(("+", f"{prefix}{mark}{display_type(resource.type)}", resource.name + flags))
            walk(resource.urn, prefix + ("   " if last else "│  "))

    # Top-level resources have the stack as their parent URN.
    urns = {r.urn for r in run.resources}
    roots = {r.parent for r in run.resources if r.parent not in urns}
    for root in sorted(roots):
        walk(root, "")
    return _columns(rows)


# Where the Name column starts (after " +   "): long enough for most tree rows; a longer type pushes
# its own name right, and a row still too long for WIDTH has its name cut in the middle.
TYPE_COLUMN = 44


def _columns(rows: list[tuple[str, str, str]]) -> list[str]:
    width = min(max(len(type_col) for _, type_col, _ in rows) + 2, TYPE_COLUMN)
    lines = [f"     {'Type':<{width}}Name"]
    for op, type_col, name in rows:
        lead = f" {op}   {type_col:<{width - 2}}  "
        lines.append(lead + cut_middle(name, max(WIDTH - len(lead), 12)))
    return lines


def display_type(token: str) -> str:
    """A type token as the Pulumi CLI displays it: `aws:s3/bucket:Bucket` as `aws:s3:Bucket`, the
    module's last segment dropped where it only repeats the type's name."""
    parts = token.split(":")
    if len(parts) != 3 or "/" not in parts[1] or not parts[2]:
        return token
    module, _, member = parts[1].rpartition("/")
    if member != parts[2][:1].lower() + parts[2][1:]:
        return token
    return f"{parts[0]}:{module}:{parts[2]}"


def summary(run: ProgramRun) -> list[str]:
    total = len(run.resources) + 1  # the stack itself
    protected = sum(1 for r in run.resources if r.protect)
    components = sum(1 for r in run.resources if not r.custom and not r.type.startswith("pulumi:providers:"))
    lines = ["Resources:", f"    + {total} to create"]
    lines.append(f"      ({components} components, {protected} protected)")
    return lines


def plain(value: Any) -> Any:
    """`value` as JSON data; a value unknown in this preview becomes the engine's unknown marker, as
    `pulumi preview --json` prints it (its Python object's text would change from run to run)."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    return rpc.UNKNOWN if isinstance(value, Unknown) else str(value)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


# Shorter strings (a port, "true", a region) are as likely to come from the config as from the mocks.
_MOCK_MINIMUM = 8


def mock_made(run: ProgramRun) -> frozenset[str]:
    """Values the mock engine made up: the ids, ARNs, endpoints and names it answered for a resource
    beyond what that resource's inputs and the stack's config said. AWS assigns the real ones at
    `pulumi up`. (Other resources' inputs do not count: a made-up subnet id flows into many.)"""
    config = set(run.config.values.values())
    made: set[str] = set()
    for r in run.resources:
        own = set(_strings(r.inputs)) | config
        answered = [r.id] + [v for k, v in r.outputs.items() if r.inputs.get(k) != v]
        made.update(text for text in _strings(answered) if len(text) >= _MOCK_MINIMUM and text not in own)
    return frozenset(made)


def is_mock(value: Any, made: frozenset[str]) -> bool:
    """Whether an output holds or embeds a value the mock engine made up."""
    return any(piece in text for text in _strings(value) for piece in made)


def render_outputs(run: ProgramRun) -> list[str]:
    """Stack outputs, one line each: made-up values marked `(mock)`, long ones cut in the middle."""
    made = mock_made(run)
    lines = ["Outputs:"]
    marked = cut = False
    for key, value in sorted(run.stack_outputs.items()):
        shown = "[unknown]" if value is None else json.dumps(plain(value))
        mark = " (mock)" if value is not None and is_mock(value, made) else ""
        marked = marked or bool(mark)
        lead = f"    {key}: "
        fitted = cut_middle(shown, max(WIDTH - len(lead) - len(mark), 12))
        cut = cut or fitted != shown
        lines.append(f"{lead}{fitted}{mark}")
    if marked:
        lines.append("    (mock): made up by the mock engine; AWS assigns the real value at `pulumi up`.")
    if cut:
        lines.append(f"    {ELLIPSIS} marks a value cut to fit {WIDTH} columns: `--json` prints it in full.")
    return lines


LEVEL_ORDER = ("mandatory", "remediate", "advisory")


def render_findings(analysis: Analysis) -> list[str]:
    """Findings grouped by enforcement level, each with its policy, resource type and name."""
    judged = [f for f in analysis.findings if not f.not_judged]
    pending = [f for f in analysis.findings if f.not_judged]
    groups: list[tuple[str, list[Finding]]] = [
        (level, [f for f in judged if f.level == level]) for level in LEVEL_ORDER
    ]
    groups.append(("not judged yet (values unknown until `pulumi up`)", pending))
    lines = [f"Policies: {analysis.pack_name}@v{analysis.pack_version}"]
    if not analysis.findings:
        lines.append("    no violations")
    for title, findings in groups:
        if not findings:
            continue
        lines.append(f"    {title} ({len(findings)}):")
        for finding in sorted(findings, key=lambda f: (f.policy, f.resource_type, f.resource_name)):
            heading = f"      [{finding.policy}]  {finding.resource_type}  {finding.resource_name}"
            lines.append(cut_middle(heading, WIDTH))
            lines += wrap(finding.message, " " * 10)
    return lines


def preview_coverage(analysis: Analysis) -> dict[str, Any]:
    """What the pack could not judge in this preview (its UNJUDGED_POLICY finding): how many
    resources, and for each the unknown properties with the rules waiting on them."""
    messages = [f.message for f in analysis.findings if f.policy == UNJUDGED_POLICY]
    count, resources = unjudged(messages[0]) if messages else (0, [])
    return {
        "unjudgedCount": count,
        "unjudged": [{"type": t, "name": n, "properties": props} for t, n, props in resources],
    }


def _coverage_summary(analysis: Analysis) -> list[str]:
    coverage = preview_coverage(analysis)
    if not coverage["unjudgedCount"]:
        return []
    waiting = Counter(prop for r in coverage["unjudged"] for prop in r["properties"])
    why = ", ".join(f"{prop} ({n})" for prop, n in sorted(waiting.items()))
    return wrap(
        f"not judged in this preview: {coverage['unjudgedCount']} resources, whose {why} are unknown "
        "until `pulumi up`",
        " " * 4,
        " " * 6,
    )


def policy_summary(analysis: Analysis) -> list[str]:
    counts = Counter("not judged" if f.not_judged else f.level for f in analysis.findings)
    parts = [f"{counts.get(level, 0)} {level}" for level in ("mandatory", "advisory")]
    if counts.get("not judged"):
        parts.append(f"{counts['not judged']} not judged yet")
    inactive = sorted(analysis.not_applicable)
    lines = [
        f"Policy summary: {', '.join(parts)} "
        f"({len(analysis.policies)} policies over {analysis.analyzed} resources)"
    ]
    if inactive:
        lines += wrap(f"not applicable to this stack: {', '.join(inactive)}", " " * 4, " " * 6)
    return lines + _coverage_summary(analysis)
