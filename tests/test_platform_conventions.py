"""The whole program on both stacks follows the conventions every component keeps: each component is
one of ours, with a type token naming its module; each child is named after its component; each
taggable resource carries the stack's tags. Checked on the resources the real `__main__.py`
registers; the cross-tier checks are in test_platform.py."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pulumi
import pytest

import components
from offline.engine import ProgramRun
from tests.conftest import STACKS

PACKAGE = "django-platform"
ALB = "aws:lb/loadBalancer:LoadBalancer"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
BUCKET = "aws:s3/bucket:Bucket"
SERVICE = "aws:ecs/service:Service"
DB_INSTANCE = "aws:rds/instance:Instance"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

stacks = pytest.mark.parametrize("stack", STACKS)


def component_modules() -> dict[str, str]:
    """Every component class under `components/` and the module that defines it."""
    found = {}
    for info in pkgutil.iter_modules(components.__path__):
        module = importlib.import_module(f"components.{info.name}")
        # A package may load its component on first use (PEP 562): its `__all__` still names it.
        for name in getattr(module, "__all__", None) or list(vars(module)):
            value = getattr(module, name)
            if (
                inspect.isclass(value)
                and issubclass(value, pulumi.ComponentResource)
                # A component split into a package defines its class in a submodule.
                and value.__module__.split(".")[:2] == module.__name__.split(".")
            ):
                found[name] = info.name
    return found


COMPONENT_MODULES = component_modules()


def taggable(type_token: str) -> bool:
    """Whether the pulumi-aws resource behind `type_token` takes a `tags` input."""
    if not type_token.startswith("aws:"):
        return False
    module_path, type_name = type_token.split(":")[1:]
    module = importlib.import_module(f"pulumi_aws.{module_path.split('/')[0]}")
    args = getattr(module, f"{type_name}Args")
    return "tags" in inspect.signature(args.__init__).parameters


@stacks
def test_every_taggable_resource_carries_the_stack_tags(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    expected = {
        "Stack": stack,
        "Profile": run.stack_outputs["stackProfile"],
        "Owner": run.config.values[f"{PACKAGE}:owner"],
        "ManagedBy": "pulumi",
    }
    # A CloudFront Function is created untagged on purpose: CreateFunction with tags is reported to
    # fail with a 409.
    resources = [
        r
        for r in run.resources
        if r.custom and taggable(r.type) and r.type != "aws:cloudfront/function:Function"
    ]
    # The check reaches every tier, not only a few types.
    assert {BUCKET, DISTRIBUTION, ALB, SERVICE, DB_INSTANCE, REPLICATION_GROUP, KMS_KEY, LOG_GROUP} <= {
        r.type for r in resources
    }
    missing = sorted(
        (r.name, key)
        for r in resources
        for key, value in expected.items()
        if (r.inputs.get("tags") or {}).get(key) != value
    )
    assert missing == []


@stacks
def test_every_resource_under_a_component_is_named_after_it(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    components_by_urn = {r.urn: r for r in run.resources if not r.custom and not r.type.startswith("pulumi:")}
    children = [r for r in run.resources if r.parent in components_by_urn]
    assert len(children) > len(components_by_urn)
    wrong = sorted(
        (r.name, components_by_urn[r.parent].name)
        for r in children
        if not r.name.startswith(f"{components_by_urn[r.parent].name}-")
    )
    assert wrong == []


@stacks
def test_every_component_is_one_of_ours(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    registered = {r.type for r in stack_runs[stack].resources if not r.custom}
    assert registered
    assert sorted(t for t in registered if t.split(":")[0] != PACKAGE) == []
    assert sorted(t.split(":")[-1] for t in registered) == sorted(COMPONENT_MODULES)


@pytest.mark.parametrize(
    ("stack", "type_name"),
    [(stack, type_name) for stack in STACKS for type_name in sorted(COMPONENT_MODULES)],
)
def test_component_type_tokens_name_their_module(
    stack_runs: dict[str, ProgramRun], stack: str, type_name: str
) -> None:
    registered = sorted(
        r.type for r in stack_runs[stack].resources if not r.custom and r.type.split(":")[-1] == type_name
    )
    assert registered, f"no {type_name} in {stack}"
    assert set(registered) == {f"{PACKAGE}:{COMPONENT_MODULES[type_name]}:{type_name}"}
