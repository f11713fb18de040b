"""The documentation cannot drift: generated pages match their source, links resolve, the README
stays a short entry point."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
import yaml

from scripts import gen_docs, stack_rows

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# Markdown links to files of the repository: [text](path) or [text](path#anchor), not URLs.
_LINK = re.compile(r"\]\((?!https?://|mailto:)(?P<path>[^)#\s]*)(?:#(?P<anchor>[^)\s]*))?\)")
_FENCE = re.compile(r"^```.*?^```", flags=re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("path", sorted(gen_docs.PAGES), ids=lambda p: p.name)
def test_generated_page_matches_its_source(path: Path) -> None:
    expected = gen_docs.PAGES[path]()
    actual = path.read_text() if path.exists() else ""
    if actual != expected:
        diff = "\n".join(
            list(
                difflib.unified_diff(
                    actual.splitlines(), expected.splitlines(), "committed", "generated", lineterm=""
                )
            )[:40]
        )
        pytest.fail(f"{path.relative_to(ROOT)} is out of date: run `make docs` and commit it.\n{diff}")


def test_configuration_page_covers_every_declared_key() -> None:
    declared = (yaml.safe_load((ROOT / "Pulumi.yaml").read_text()) or {})["config"]
    page = gen_docs.configuration_page()
    rows = set(re.findall(r"^\| `([A-Za-z0-9]+)` \|", page, flags=re.MULTILINE))
    assert rows == set(declared)
    for key, spec in declared.items():
        if spec.get("secret"):
            assert re.search(rf"^\| `{key}` \| \w+, secret \|", page, flags=re.MULTILINE), key


def test_policies_page_covers_every_rule_with_its_level() -> None:
    policies, catalog, _ = gen_docs._load_pack()
    page = gen_docs.policies_page()
    for policy in policies:
        level = policy.enforcement_level.value
        production = "yes" if catalog[policy.name].production_only else ""
        assert f"| [`{policy.name}`](#{policy.name}) | {level} | {production} |" in page
        assert f"### {policy.name}\n" in page


def test_generation_is_deterministic() -> None:
    for render in gen_docs.PAGES.values():
        assert render() == render()


def _markdown_files() -> list[Path]:
    files = [README, ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [f for f in files if f.exists()]


def _anchors(doc: Path) -> set[str]:
    """The heading anchors GitHub makes: lower case, punctuation dropped, spaces to hyphens, a
    numbered suffix for repeats."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", _FENCE.sub("", doc.read_text()), flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


@pytest.mark.parametrize("doc", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_links_to_repository_files_and_headings_resolve(doc: Path) -> None:
    broken = []
    for link in _LINK.finditer(_FENCE.sub("", doc.read_text())):
        target = (doc.parent / link["path"]) if link["path"] else doc
        missing_heading = bool(link["anchor"]) and target.suffix == ".md" and target.exists()
        if not target.exists() or (missing_heading and link["anchor"] not in _anchors(target)):
            broken.append(link[0])
    assert not broken, f"{doc.relative_to(ROOT)} has links to missing files or headings: {broken}"


def test_readme_is_an_entry_point_that_maps_every_doc() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 250, "README.md grows past 250 lines: move the detail into docs/"
    first_block = re.search(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    assert first_block is not None
    commands = [c for c in (line.split("#")[0].strip() for line in first_block[1].splitlines()) if c]
    assert commands[:2] == ["make plan", "make test"]
    linked = {Path(m["path"]).name for m in _LINK.finditer(text) if m["path"].startswith("docs/")}
    unlinked = sorted(p.name for p in (ROOT / "docs").glob("*.md") if p.name not in linked)
    assert not unlinked, f"README's map of docs/ misses {unlinked}"
    assert "CONTRIBUTING.md" in text


def test_stacks_compared_rows_read_exactly_the_keys_they_declare() -> None:
    """The README table's rows name their keys, so a reviewer of a stack-file change can trust them:
    across both stacks each formatter reads those keys and no others, and every key is declared."""
    declared = (yaml.safe_load((ROOT / "Pulumi.yaml").read_text()) or {})["config"]
    stacks = [stack_rows.StackValues(stack, declared) for stack in stack_rows.STACKS]
    for row in stack_rows.STACK_ROWS:
        read: set[str] = set()
        for values in stacks:

            def get(key: str, values: stack_rows.StackValues = values, read: set[str] = read) -> object:
                read.add(key)
                return values(key)

            row.show(get)
        assert read == set(row.keys), f"{row.label}: declares {sorted(row.keys)}, reads {sorted(read)}"
        assert all(":" in key or key in declared for key in row.keys), row.label


def test_stack_values_are_typed_as_pulumi_yaml_declares() -> None:
    declared = (yaml.safe_load((ROOT / "Pulumi.yaml").read_text()) or {})["config"]
    prod = stack_rows.StackValues("prod", declared)
    assert prod("keepData") is True and prod("azCount") == 2 and prod("interfaceEndpoints") == []
    assert prod("cacheEngineVersion") == "8.0"  # quoted text, not the float 8.0


def test_readme_holds_the_stacks_compared_table_between_its_markers() -> None:
    text = README.read_text()
    assert text.count(gen_docs.STACKS_START) == 1 and text.count(gen_docs.STACKS_END) == 1
    block = text[text.index(gen_docs.STACKS_START) : text.index(gen_docs.STACKS_END)]
    for row in stack_rows.STACK_ROWS:
        assert f"\n| {row.label} | " in block, row.label
