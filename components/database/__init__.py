"""RDS PostgreSQL: the config type and its validator (`config`), pure values (`values`), and the
component (`component`). Layers import downwards only: config <- values <- component."""

from .component import Database, DatabaseArgs
from .config import (
    LOG_EXPORTS,
    MONITORING_INTERVALS,
    PORT,
    POSTGRES_MAJORS,
    DatabaseConfig,
    snapshot_identifier_problem,
)

__all__ = [
    "LOG_EXPORTS",
    "MONITORING_INTERVALS",
    "PORT",
    "POSTGRES_MAJORS",
    "Database",
    "DatabaseArgs",
    "DatabaseConfig",
    "snapshot_identifier_problem",
]
