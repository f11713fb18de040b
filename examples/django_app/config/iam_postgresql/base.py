"""PostgreSQL whose password is an IAM authentication token, fresh for every new connection.

The platform gives tasks no database password: the task role may `rds-db:connect` as
DATABASE_USER, and a token (a local SigV4 signature, no network call) opens a connection for 15
minutes. Open connections outlive the token, and a reconnect signs a new one, so nothing a running
task holds can expire or be rotated under it (docs/database-credentials.md).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from django.db.backends.postgresql import base


def auth_token(host: str, port: int, user: str, region: str) -> str:
    return boto3.client("rds", region_name=region).generate_db_auth_token(
        DBHostname=host, Port=port, DBUsername=user
    )


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if self.settings_dict.get("AUTH") == "iam":
            params["password"] = auth_token(
                params["host"], int(params["port"]), params["user"], os.environ["AWS_REGION"]
            )
        return params
