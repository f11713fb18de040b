"""Who the stack is (`StackSettings`), what its data stores share (`DataSettings`), and `Settings`:
every component's config, as the program receives it from `load_settings`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pulumi

from components._base import physical_name
from components.bastion import BastionConfig
from components.cache.config import CacheConfig
from components.database import DatabaseConfig
from components.discovery import DiscoveryConfig
from components.django_service.config import ServicesConfig
from components.edge import EdgeConfig
from components.handles import StackWide
from components.kms import KmsConfig
from components.load_balancer import LoadBalancerConfig
from components.network import NetworkConfig
from components.observability.config import ObservabilityConfig
from components.registry_values import RegistryConfig
from components.security_groups import WorkloadSecurityGroupsConfig
from components.storage import StorageConfig

from .reader import Reader

PROFILES = ("development", "production")
APP_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,20}$")


@dataclass(frozen=True)
class StackSettings:
    """Who the stack is and what it is for."""

    project: str
    stack: str
    profile: Literal["development", "production"]
    app_name: str
    owner: str

    @property
    def is_production(self) -> bool:
        return self.profile == "production"

    @property
    def amplify_stage(self) -> str:
        """The front end's Amplify branch stage: the profile's."""
        return "PRODUCTION" if self.is_production else "DEVELOPMENT"

    def physical_name(self, role: str = "") -> str:
        """The name of a resource that must be unique per account and region (KMS alias, RDS and
        ElastiCache ids, the ECR repository): `<appName>-<stack>[-<role>]` (`physical_name`), so that
        the stacks of one application can share an account."""
        return physical_name(self.app_name, self.stack, role)

    @property
    def tags(self) -> dict[str, str]:
        """Tags every taggable resource carries (components merge them into their children)."""
        return {
            "Project": self.project,
            "Stack": self.stack,
            "Application": self.app_name,
            "Profile": self.profile,
            "Owner": self.owner,
            "ManagedBy": "pulumi",
        }


@dataclass(frozen=True)
class DataSettings:
    """What every data store of the stack shares: whether its data must be kept."""

    keep_data: bool
    """Deletion protection, final snapshots and `protect` on the database, cache, buckets and key."""


@dataclass(frozen=True)
class Settings:
    stack: StackSettings
    network: NetworkConfig
    data: DataSettings
    kms: KmsConfig
    database: DatabaseConfig
    cache: CacheConfig
    storage: StorageConfig
    bastion: BastionConfig
    app: ServicesConfig
    """The Django services."""
    load_balancer: LoadBalancerConfig
    workload_security_groups: WorkloadSecurityGroupsConfig
    edge: EdgeConfig
    observability: ObservabilityConfig
    registry: RegistryConfig
    discovery: DiscoveryConfig

    def stack_wide(self, *, kms_key_arn: pulumi.Input[str]) -> StackWide:
        """What every component of the stack shares, once its KMS key exists."""
        return StackWide(
            physical_name=self.stack.physical_name(),
            kms_key_arn=kms_key_arn,
            keep_data=self.data.keep_data,
            log_retention_days=self.observability.log_retention_days,
            tags=self.stack.tags,
        )

    @property
    def origin_domain_name(self) -> str | None:
        """The name CloudFront reaches the ALB under, over HTTPS wherever a name can carry a
        certificate: `albOriginDomainName`, or origin.<domainName>, whose certificate the load
        balancer creates in the stack's zone. None without either (HTTP inside AWS's network)."""
        if self.load_balancer.origin_domain_name:
            return self.load_balancer.origin_domain_name
        return f"origin.{self.edge.domain_name}" if self.edge.domain_name else None

    @property
    def database_name(self) -> str | None:
        """The database a new primary creates: the app's name in snake case. None when restoring a
        snapshot: a restored primary keeps the snapshot's databases, and RDS cannot name one then."""
        return None if self.database.restores else self.stack.app_name.replace("-", "_")


def read_stack(r: Reader) -> StackSettings:
    profile = r.string("stackProfile", choices=PROFILES)
    app_name = r.string("appName")
    r.check(
        bool(APP_NAME_PATTERN.match(app_name)),
        "appName",
        app_name,
        "expected 2-21 lower-case letters, digits or hyphens, starting with a letter",
    )
    owner = r.string("owner")
    r.check(bool(owner.strip()), "owner", owner, "expected a team name")
    return StackSettings(
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        profile=profile,  # type: ignore[arg-type]  # checked against PROFILES above
        app_name=app_name,
        owner=owner,
    )


def read_data(r: Reader) -> DataSettings:
    return DataSettings(keep_data=r.boolean("keepData"))
