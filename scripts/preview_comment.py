#!/usr/bin/env python3
"""The pull request comment of one stack's `pulumi preview`, written whether the preview passed or
failed, so that the policy pack's findings are read where the change is reviewed.

    pulumi preview ... 2>&1 | tee preview.txt; echo $? ...
    python scripts/preview_comment.py --stack staging --exit-code 255 --output preview.txt \
        [--cost cost.md] > body.md

`--cost` adds the estimate's change against the target branch (`python -m offline.cost diff`).

The body starts with a marker naming the stack, which the workflow uses to edit its earlier comment
instead of adding one per push.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

# GitHub refuses comments over 65536 characters; the rest is kept for the headers and findings.
MAX_OUTPUT = 50_000
SECTIONS = ("Policy Violations:", "Policies:")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The pack's stack rule that counts what a preview could not judge, and the shape of its message:
# "<n> resource(s) could not be judged in this preview, ... Not judged yet: <item> | <item>", each
# item "<type> '<name>': <property> (for <rule>, <rule>); <property> (for <rule>)".
UNJUDGED_POLICY = "preview-unjudged-resources"
UNJUDGED_COUNT = re.compile(r"(\d+) resources? could not be judged in this preview")
UNJUDGED_ITEM = re.compile(r"^(\S+) '([^']*)': (.+)$")
UNJUDGED_PROPERTY = re.compile(r"^(\S+) \(for ([^)]*)\)$")


def marker(stack: str) -> str:
    return f"<!-- pulumi-preview:{stack} -->"


def findings(output: str) -> list[str]:
    """The policy pack's section of the preview output (`Policy Violations:` or `Policies:`), with
    its indented lines, or nothing if the pack reported nothing."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.strip() in SECTIONS:
            section = [line.strip()]
            for following in lines[index + 1 :]:
                if following.strip() and not following.startswith((" ", "\t")):
                    break
                section.append(following.rstrip())
            while section and not section[-1].strip():
                section.pop()
            return section
    return []


def unjudged_block(output: str) -> str:
    """The text of the pack's UNJUDGED_POLICY finding in a preview's output (the CLI's or `make
    plan`'s), its lines joined; empty if the pack judged everything."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if UNJUDGED_POLICY not in line:
            continue
        block = [line]
        indent = len(line) - len(line.lstrip())
        for following in lines[index + 1 :]:
            # The finding ends at a blank line, the next finding, or a line indented less (a heading).
            if not following.strip() or following.strip().startswith("["):
                break
            if len(following) - len(following.lstrip()) < indent:
                break
            block.append(following)
        text = " ".join(" ".join(block).split())
        if UNJUDGED_COUNT.search(text):
            return text
    return ""


Unjudged = tuple[str, str, dict[str, list[str]]]
"""A resource the pack could not judge: type, name, and {unknown property: rules waiting on it}."""


def unjudged(message: str) -> tuple[int, list[Unjudged]]:
    """How many resources the pack could not judge, and for each its type, name and the unknown
    properties with the rules waiting on them, read from the UNJUDGED_POLICY message."""
    text = " ".join(message.split())
    count = UNJUDGED_COUNT.search(text)
    if count is None:
        return 0, []
    resources: list[Unjudged] = []
    for item in text.partition("Not judged yet: ")[2].split(" | "):
        match = UNJUDGED_ITEM.match(item.strip())
        if match is None:
            continue
        properties: dict[str, list[str]] = {}
        for part in match.group(3).split("; "):
            found = UNJUDGED_PROPERTY.match(part.strip())
            if found:
                properties[found.group(1)] = [rule.strip() for rule in found.group(2).split(",")]
        resources.append((match.group(1), match.group(2), properties))
    return int(count.group(1)), resources


def unjudged_section(output: str) -> list[str]:
    """Markdown: how many resources the preview could not judge yet, and which properties wait."""
    count, resources = unjudged(unjudged_block(output))
    if not count:
        return []
    plural = "s" if count != 1 else ""
    lines = [
        f"#### Not judged in this preview: {count} resource{plural}",
        "Values these properties are built from are unknown until `pulumi up` creates the resources "
        "behind them; the pack judges them then, after this comment. Keep them known at preview where "
        "you can (docs/preview-coverage.md).",
        "",
    ]
    for type_token, name, properties in resources:
        waiting = "; ".join(f"`{prop}` ({', '.join(rules)})" for prop, rules in properties.items())
        lines.append(f"- `{type_token}` **{name}**: {waiting}")
    if len(resources) < count:
        lines.append(f"- and {count - len(resources)} more (the job log has the pack's full message)")
    return lines


def shortened(output: str, limit: int = MAX_OUTPUT) -> str:
    if len(output) <= limit:
        return output
    half = limit // 2
    skipped = len(output) - 2 * half
    return f"{output[:half]}\n\n[... {skipped} characters left out; the job log has all of it ...]\n\n{output[-half:]}"


def fence(text: str) -> str:
    """A code block no line of `text` can close early."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * (longest + 1)
    return f"{ticks}text\n{text}\n{ticks}"


def comment(stack: str, exit_code: int, output: str, run_url: str = "", cost: str = "") -> str:
    output = ANSI.sub("", output)
    passed = exit_code == 0
    title = "passed" if passed else f"failed (exit code {exit_code})"
    parts = [marker(stack), f"### `pulumi preview` of **{stack}**: {title}"]
    if run_url:
        parts.append(f"[Job log]({run_url})")
    found = findings(output)
    if found:
        parts += ["#### Policy pack", fence("\n".join(found))]
    else:
        parts.append(
            "The policy pack reported no findings." if passed else "No policy pack findings in the output."
        )
    coverage = unjudged_section(output)
    if coverage:
        parts.append("\n".join(coverage))
    if cost.strip():
        # Markdown from `python -m offline.cost diff`: its own heading and table.
        parts.append(
            ANSI.sub("", cost).strip().replace("### Estimated monthly cost", "#### Estimated monthly cost", 1)
        )
    parts += [
        "<details><summary>Full preview output</summary>",
        "",
        fence(shortened(output.rstrip())),
        "",
        "</details>",
    ]
    return "\n\n".join(parts) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--exit-code", type=int, required=True, help="exit code of pulumi preview")
    parser.add_argument("--output", type=Path, required=True, help="file with the preview's output")
    parser.add_argument("--run-url", default="", help="link to the job log")
    parser.add_argument(
        "--cost",
        type=Path,
        help="markdown of `python -m offline.cost diff base.json head.json`; skipped if the file is missing",
    )
    args = parser.parse_args(argv)
    text = args.output.read_text(errors="replace") if args.output.exists() else "(no output was captured)"
    cost = args.cost.read_text(errors="replace") if args.cost and args.cost.exists() else ""
    sys.stdout.write(comment(args.stack, args.exit_code, text, args.run_url, cost))
    return 0


if __name__ == "__main__":
    sys.exit(main())
