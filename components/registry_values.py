"""Pure pieces of the image registry: its config type, name and subject rules, the lifecycle, trust and
push policy documents. No Pulumi imports, so settings/ can check values with them before any resource
exists."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .config_base import Problem, ValidatedConfig, between, collect

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
# ECR accepts 2 to 256 characters: lower-case letters, digits and `._-/` between them.
REPOSITORY_NAME = re.compile(r"^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
# `repo:<owner>/<repo>:<context>`, with the optional `@<id>` of GitHub's immutable subjects. A wildcard
# would let any branch, fork or environment push a release.
GITHUB_SUBJECT = re.compile(r"^repo:[A-Za-z0-9_.-]+(@\d+)?/[A-Za-z0-9_.-]+(@\d+)?:[^*?\s]+$")
# The ECR calls `docker buildx build --push` makes (layers, then the manifest), plus the reads it and
# the workflow make to find what is already there and the digest pushed.
PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
# Images the lifecycle rule keeps (ECR's countNumber takes any positive number; a thousand releases
# is more history than any rollback needs).
KEEP_RELEASES = (1, 1000)


def repository_name_problem(name: str) -> str | None:
    """Why ECR would refuse this repository name, or None."""
    if REPOSITORY_NAME.match(name):
        return None
    return "use 2 to 256 lower-case letters and digits separated by single '.', '_', '-' or '/'"


def push_subject_problem(subject: str) -> str | None:
    """Why this GitHub OIDC subject may not be trusted to push, or None."""
    if GITHUB_SUBJECT.match(subject):
        return None
    return (
        "name an exact GitHub OIDC subject such as 'repo:my-org/my-app:ref:refs/heads/main'; "
        "wildcards are refused"
    )


@dataclass(frozen=True, kw_only=True)
class RegistryConfig(ValidatedConfig):
    """What an operator sets for the stack's image repository."""

    enabled: bool
    """Whether the stack owns the ECR repository of its releases; never when the app is built from a
    directory (awsx then owns the repository it pushes to). The component never sees False."""
    keep_releases: int
    """Images the lifecycle rule keeps, newest first, 1 to 1000: a rollback finds any of them."""
    push_subjects: tuple[str, ...]
    """Exact GitHub OIDC subjects (`repo:<owner>/<repo>:ref:refs/heads/main`, `...:environment:<name>`)
    that may assume the push role; empty: no push role."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        return collect(
            between("keep_releases", values["keep_releases"], *KEEP_RELEASES),
            *(
                Problem(
                    field="push_subjects", value=values["push_subjects"], fix=f"entry {subject!r}: {problem}"
                )
                for subject in values["push_subjects"]
                if (problem := push_subject_problem(subject))
            ),
        )


def lifecycle_policy(keep_releases: int) -> str:
    """One rule over every image: expire all but the newest `keep_releases`. `any` must be the only
    (or the last) rule; images pushed by the workflow carry a tag, so untagged ones are leftovers
    that count against the limit too."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Keep the newest {keep_releases} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_releases,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )


def push_trust_policy(account_id: str, subjects: Sequence[str], partition: str = "aws") -> str:
    """Web-identity trust of the push role: GitHub's OIDC provider in this account, for exactly these
    subjects, with the audience configure-aws-credentials asks for."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:{partition}:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                            f"{GITHUB_OIDC_HOST}:sub": sorted(subjects),
                        }
                    },
                }
            ],
        }
    )


def push_policy(repository_arn: str) -> str:
    """Push to and read this repository; log in to the registry (no resource type: only `*`)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PushRelease",
                    "Effect": "Allow",
                    "Action": list(PUSH_ACTIONS),
                    "Resource": repository_arn,
                },
                {
                    "Sid": "RegistryLogin",
                    "Effect": "Allow",
                    "Action": "ecr:GetAuthorizationToken",
                    "Resource": "*",
                },
            ],
        }
    )
