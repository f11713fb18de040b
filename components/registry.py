"""The stack's ECR repository for the Django image, and the role the application's CI assumes to
push to it.

Releases are immutable: a tag can be pushed once, every image is scanned on push and encrypted with
the stack KMS key, and a lifecycle rule keeps the newest `keep_releases` images so that a rollback
to any recent release still finds its image. The push role trusts GitHub's OIDC provider for the
subjects named, nothing else, and may only push to and read this one repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, type_token
from .handles import StackWide
from .registry_values import (
    RegistryConfig,
    lifecycle_policy,
    push_policy,
    push_trust_policy,
    repository_name_problem,
)


@dataclass(frozen=True)
class RegistryArgs:
    config: RegistryConfig
    """What the operator set (images kept, who may push). Required."""
    stack: StackWide
    """The stack's shared values: its KMS key encrypts the images (ECR adds its own grant on it);
    `keep_data` protects the repository from deletion; `tags`. Required."""
    repository_name: str | None = None
    """Physical repository name, unique per account and region (e.g. `<app>-<stack>`). Default: the
    stack's physical name."""

    @property
    def name(self) -> str:
        """`repository_name`, or the stack's physical name."""
        return self.repository_name or self.stack.physical_name

    def __post_init__(self) -> None:
        problem = repository_name_problem(self.name)
        if problem:
            raise ValueError(f"repository_name {self.name!r}: {problem}")


class Registry(pulumi.ComponentResource):
    """ECR repository for the application image, its lifecycle policy and the CI push role."""

    repository_url: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    repository_name: pulumi.Output[str]
    push_role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("registry", "Registry"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        repository = aws.ecr.Repository(
            f"{name}-repository",
            name=args.name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.stack.kms_key_arn}],
            # A repository with images is never deleted with the stack by accident.
            force_delete=False,
            tags=merge_tags(args.stack.tags, Name=f"{name}-repository"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.stack.keep_data),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=lifecycle_policy(args.config.keep_releases),
            opts=child,
        )

        push_role_arn: pulumi.Output[str] | None = None
        if args.config.push_subjects:
            invoke = pulumi.InvokeOutputOptions(parent=self)
            identity = aws.get_caller_identity_output(opts=invoke)
            partition = aws.get_partition_output(opts=invoke)
            role = aws.iam.Role(
                f"{name}-push-role",
                description=f"CI pushes release images to ECR repository {args.name}",
                assume_role_policy=pulumi.Output.all(identity.account_id, partition.partition).apply(
                    lambda ap: push_trust_policy(ap[0], args.config.push_subjects, ap[1])
                ),
                max_session_duration=3600,
                tags=merge_tags(args.stack.tags, Name=f"{name}-push-role"),
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-push-policy",
                role=role.id,
                policy=repository.arn.apply(push_policy),
                opts=child,
            )
            push_role_arn = role.arn

        self.repository_url = repository.repository_url
        self.repository_arn = repository.arn
        self.repository_name = repository.name
        self.push_role_arn = push_role_arn
        outputs: dict[str, Any] = {
            "repository_url": self.repository_url,
            "repository_arn": self.repository_arn,
            "repository_name": self.repository_name,
            "push_role_arn": self.push_role_arn,
        }
        self.register_outputs(outputs)
