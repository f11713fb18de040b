"""Relating resources to each other inside a stack policy.

pulumi-aws 7 splits a bucket into separate resources (encryption, public access block, policy,
ACL) and a listener lives apart from its load balancer. The engine tells a stack policy which
resource each property came from (`propertyDependencies`): `BucketPolicy.bucket` depends on the
bucket's URN even while the bucket's name is still unknown in preview. That is the link used here;
matching a known physical name is the fallback for values passed as plain strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import PolicyResource

from .props import UNKNOWN, Judge

BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})


def label(resource: PolicyResource) -> str:
    return f"{resource.resource_type} '{resource.name}'"


def linked(resource: PolicyResource, prop: str, types: Iterable[str]) -> list[PolicyResource]:
    """Resources of `types` whose outputs flowed into `resource.<prop>`."""
    wanted = set(types)
    found = [r for r in resource.property_dependencies.get(prop, []) if r.resource_type in wanted]
    unique: dict[str, PolicyResource] = {}
    for r in found:
        unique.setdefault(r.urn, r)
    return list(unique.values())


class BucketIndex:
    """Which bucket each bucket-scoped resource (encryption, public access block, ...) belongs to."""

    def __init__(self, resources: list[PolicyResource], judge: Judge) -> None:
        self.buckets = [r for r in resources if r.resource_type in BUCKET_TYPES]
        self._judge = judge
        self._by_name: dict[str, PolicyResource] = {}
        for bucket in self.buckets:
            name = judge.get(bucket.props, "bucket", label=f"{label(bucket)} bucket")
            if isinstance(name, str) and name:
                self._by_name[name] = bucket
        self._resources = resources

    def attached(self, types: Iterable[str]) -> dict[str, list[PolicyResource]]:
        """bucket URN -> the resources of `types` that configure it."""
        wanted = set(types)
        result: dict[str, list[PolicyResource]] = {b.urn: [] for b in self.buckets}
        for resource in self._resources:
            if resource.resource_type not in wanted:
                continue
            for bucket in self.owners(resource):
                result[bucket.urn].append(resource)
        return result

    def owners(self, resource: PolicyResource) -> list[PolicyResource]:
        owners = linked(resource, "bucket", BUCKET_TYPES)
        if owners:
            return owners
        name = self._judge.get(resource.props, "bucket", label=f"{label(resource)} bucket")
        if isinstance(name, str) and name in self._by_name:
            return [self._by_name[name]]
        return []


def value_or_unknown(judge: Judge, resource: PolicyResource, *path: str | int) -> Any:
    return judge.get(resource.props, *path, label=f"{label(resource)} {'.'.join(map(str, path))}")


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN
