"""Pure pieces of the database: the parameter group's values, the instances' identifiers and the
master secret's ARN. Plain values in, plain values out; no resource is created here."""

from __future__ import annotations

from typing import Any

from .config import DatabaseConfig

# The RSA 2048 CA, valid until 2061; the default CA of older accounts expires sooner.
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
DEFAULT_DATABASE_NAME = "app"


def parameters(config: DatabaseConfig) -> list[dict[str, str]]:
    """The parameter group's values: TLS only, and slow-query logging unless it is off."""
    values = [
        # Refuse unencrypted connections at the server, whatever a client asks for.
        {"name": "rds.force_ssl", "value": "1", "apply_method": "pending-reboot"},
    ]
    if config.slow_query_ms >= 0:
        values.append(
            {
                "name": "log_min_duration_statement",
                "value": str(config.slow_query_ms),
                "apply_method": "immediate",
            }
        )
    return values


def instance_identifiers(identifier: str, read_replica_count: int) -> list[str]:
    """The primary's identifier, then `<identifier>-replica-<n>` for each replica."""
    return [identifier] + [f"{identifier}-replica-{index}" for index in range(1, read_replica_count + 1)]


def secret_arn(secrets: Any) -> str:
    """The ARN of the RDS-managed master secret from the instance's `master_user_secrets`."""
    first = (secrets or [None])[0]
    if first is None:
        return ""
    if isinstance(first, dict):
        return str(first.get("secret_arn") or first.get("secretArn") or "")
    return str(first.secret_arn or "")
