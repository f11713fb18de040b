"""Pure pieces of the one-off release tasks that run before new web tasks serve: migrations
(expand) and collectstatic. Their order and the reason for it are in docs/delivery.md."""

from __future__ import annotations

import json

# One-off task definitions, in the order the deploy workflow runs them before the services roll.
RELEASE_TASKS = ("migrate", "collectstatic")
COMMANDS = {
    "migrate": ["python", "manage.py", "migrate", "--noinput"],
    "collectstatic": ["python", "manage.py", "collectstatic", "--noinput"],
}
# Where collectstatic writes: CloudFront serves the bucket's `static/` prefix under /static/*.
STATIC_PREFIX = "static/"


def static_writer_policy(bucket_arn: str, kms_key_arn: str, region: str) -> str:
    """The collectstatic task's role: the only application role that may write the static bucket.

    collectstatic asks whether each file exists (HeadObject, authorised by s3:GetObject) before it
    uploads it; it deletes nothing without --clear, so no s3:DeleteObject."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WriteStaticFiles",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "s3:GetObject"],
                    "Resource": f"{bucket_arn}/{STATIC_PREFIX}*",
                },
                {
                    "Sid": "ListStaticFiles",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": bucket_arn,
                    "Condition": {"StringLike": {"s3:prefix": [f"{STATIC_PREFIX}*"]}},
                },
                {
                    "Sid": "StaticEncryption",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": kms_key_arn,
                    "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
                },
            ],
        }
    )
