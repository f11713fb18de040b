"""What a preview could not judge yet, counted and explained in one finding.

During a preview, outputs of resources not created yet are unknown; a property built from them
(an ECS `containerDefinitions` JSON string that embeds a database address, say) is unknown as a
whole. Each rule then notes "cannot be judged yet" on its own resource, which is easy to miss among
other diagnostics. This stack rule adds one advisory finding that counts the resources the rules in
`CATALOG` could not judge, names the properties and the rules waiting on them, and says when they
will be judged, so the preview output and the PR comment show the blind spot.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from .props import is_production, plain
from .rule import CATALOG, Stack, stack_rule


def _unknown(resource: PolicyResource, prop: str) -> bool:
    """Whether `prop` is unknown or holds an unknown anywhere inside."""
    try:
        value: Any = resource.props.get(prop)
        if value == UNKNOWN_STRING_VALUE:
            return True
        plain(value)
    except UnknownValueError:
        return True
    return False


def unjudged(
    resources: list[PolicyResource], production: bool
) -> dict[str, tuple[PolicyResource, dict[str, list[str]]]]:
    """URN -> (resource, {property: [rules waiting on it]}) for every resource a rule could not judge."""
    found: dict[str, tuple[PolicyResource, dict[str, list[str]]]] = {}
    for resource in resources:
        for rule in CATALOG:
            if resource.resource_type not in rule.types or (rule.production_only and not production):
                continue
            for prop in rule.reads:
                if _unknown(resource, prop):
                    entry = found.setdefault(resource.urn, (resource, {}))
                    entry[1].setdefault(prop, []).append(rule.name)
    return found


def _report(stack: Stack) -> None:
    found = unjudged(stack.resources, is_production())
    if not found:
        return
    lines = []
    # By type and name: the engine hands the resources over in no fixed order.
    for resource, props in sorted(found.values(), key=lambda entry: (entry[0].resource_type, entry[0].name)):
        parts = [f"{prop} (for {', '.join(sorted(set(rules)))})" for prop, rules in sorted(props.items())]
        lines.append(f"{resource.resource_type} '{resource.name}': {'; '.join(parts)}")
    count = len(found)
    stack.report(
        f"{count} resource{'s' if count != 1 else ''} could not be judged in this preview, because "
        "properties the rules read are unknown until the resources they are built from exist; the rules "
        "judge them again on `pulumi up`, after those resources exist. Keep such properties known at "
        "preview (for task definitions: pass endpoints through SSM parameters referenced in `secrets`, "
        f"whose ARNs are known before creation). Not judged yet: {' | '.join(lines)}"
    )


preview_unjudged_resources = stack_rule(
    name="preview-unjudged-resources",
    description=(
        "Counts the resources the pack could not judge in a preview (values unknown until `pulumi up`) "
        "and says which properties and rules are waiting, so a preview never passes silently."
    ),
    types=[],
    reads=[],
    check=_report,
    level=EnforcementLevel.ADVISORY,
)
