"""GitHub OIDC provider and, per platform stack, the preview and deploy roles its workflows assume.
The documents come from ci_roles.py; the role ARNs are exported for the repository's variables."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
from ci_roles import (
    GITHUB_OIDC_AUDIENCE,
    GITHUB_OIDC_HOST,
    READ_ONLY_POLICY_ARN,
    deploy_policy,
    preview_policy,
    stack_subjects,
    trust_policy,
)

config = pulumi.Config()
repository = config.require("githubRepository")
app_name = config.get("appName") or "epicvibe"
stacks: list[dict[str, Any]] = config.require_object("stacks")
state_bucket = config.get("stateBucket") or None
secrets_key_arn = config.get("secretsKeyArn") or None
tags = {"Project": "django-platform-bootstrap", "Repository": repository}

identity = aws.get_caller_identity_output()
partition = aws.get_partition_output().partition

if config.get_bool("createOidcProvider") is not False:
    # AWS no longer checks thumbprints for this provider; none are given.
    aws.iam.OpenIdConnectProvider(
        "github",
        url=f"https://{GITHUB_OIDC_HOST}",
        client_id_lists=[GITHUB_OIDC_AUDIENCE],
        tags=tags,
    )

for entry in stacks:
    stack, environment, regions = entry["stack"], entry["environment"], list(entry["regions"])
    subjects = stack_subjects(repository, environment)
    preview = aws.iam.Role(
        f"{stack}-preview",
        name=f"ci-{app_name}-{stack}-preview",
        description=f"PR previews of stack {stack}: read-only, no data reads",
        assume_role_policy=pulumi.Output.all(identity.account_id, partition).apply(
            lambda ap, s=subjects["preview"]: trust_policy(ap[0], s, ap[1])
        ),
        tags=tags,
    )
    aws.iam.RolePolicyAttachment(
        f"{stack}-preview-read-only", role=preview.name, policy_arn=READ_ONLY_POLICY_ARN
    )
    aws.iam.RolePolicy(
        f"{stack}-preview-policy",
        role=preview.name,
        policy=partition.apply(
            lambda p: preview_policy(state_bucket=state_bucket, secrets_key_arn=secrets_key_arn, partition=p)
        ),
    )
    # Neither role is named `<appName>-*`: the deploy role's IAM statements must not reach them.
    deploy = aws.iam.Role(
        f"{stack}-deploy",
        name=f"ci-{app_name}-{stack}-deploy",
        description=f"Deploys of stack {stack} from GitHub environment {environment}",
        assume_role_policy=pulumi.Output.all(identity.account_id, partition).apply(
            lambda ap, s=subjects["deploy"]: trust_policy(ap[0], s, ap[1])
        ),
        max_session_duration=3600 * 3,
        tags=tags,
    )
    aws.iam.RolePolicy(
        f"{stack}-deploy-policy",
        role=deploy.name,
        policy=pulumi.Output.all(identity.account_id, partition).apply(
            lambda ap, r=regions: deploy_policy(
                account_id=ap[0], app_name=app_name, regions=r, state_bucket=state_bucket, partition=ap[1]
            )
        ),
    )
    pulumi.export(f"{stack}PreviewRoleArn", preview.arn)
    pulumi.export(f"{stack}DeployRoleArn", deploy.arn)
