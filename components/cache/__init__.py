"""The cache, in layers: `config` (what an operator sets, and its one validator) at the bottom, the
`component` that creates the replication group on top. Lower layers never import higher ones."""

from .component import GROUP_ID_PATTERN, PORT, Cache, CacheArgs
from .config import (
    AUTH_TOKEN_CHARACTERS,
    CACHE_CLUSTER_MODES,
    CACHE_ENGINES,
    CACHE_EXAMPLE_VERSIONS,
    CACHE_OLDEST_VERSIONS,
    CacheConfig,
    auth_token_problem,
)

__all__ = [
    "AUTH_TOKEN_CHARACTERS",
    "CACHE_CLUSTER_MODES",
    "CACHE_ENGINES",
    "CACHE_EXAMPLE_VERSIONS",
    "CACHE_OLDEST_VERSIONS",
    "GROUP_ID_PATTERN",
    "PORT",
    "Cache",
    "CacheArgs",
    "CacheConfig",
    "auth_token_problem",
]
