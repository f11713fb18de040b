"""What the stack exports: the names operators, scripts and the deploy workflow read (`pulumi stack
output`), in one table, so `__main__.py` stays the wiring and nothing else.

Readers: docs/operating.md (the operator's names), scripts/run_migrations.py (the release tasks) and
the deploy workflows (the image, the task definitions, the site to smoke-check).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.bastion import Bastion
from components.cache import Cache
from components.database import Database
from components.django_service import DjangoServices
from components.edge import Edge
from components.kms import KmsKey
from components.network import Network
from components.observability import Observability
from components.registry import Registry
from components.storage import Storage
from settings import Settings


def export_stack_outputs(
    settings: Settings,
    kms: KmsKey,
    registry: Registry | None,
    network: Network,
    storage: Storage,
    database: Database,
    bastion: Bastion | None,
    cache: Cache,
    edge: Edge,
    services: DjangoServices,
    observability: Observability,
) -> None:
    outputs: dict[str, Any] = {
        "stackProfile": settings.stack.profile,
        "awsRegion": aws.get_region_output().region,
        "siteUrl": edge.site_url,
        "distributionId": edge.distribution_id,
        "ecsClusterName": services.cluster_name,
        "webServiceName": services.web_service_name,
        "workerServiceName": services.worker_service_name,
        "migrateTaskDefinitionArn": services.migrate_task_definition_arn,
        "collectstaticTaskDefinitionArn": services.collectstatic_task_definition_arn,
        "releaseTaskUrns": services.release_task_urns,
        "migrateSubnetIds": services.task_subnet_ids,
        "migrateSecurityGroupIds": services.task_security_group_ids,
        "dashboardUrl": observability.dashboard_url,
        "alarmTopicArn": observability.topic_arn,
        "vpcId": network.vpc_id,
        "vpcCidr": network.vpc_cidr,
        "availabilityZones": network.availability_zones,
        "publicSubnetIds": network.public_subnet_ids,
        "appSubnetIds": network.app_subnet_ids,
        "dataSubnetIds": network.data_subnet_ids,
        "kmsKeyArn": kms.key_arn,
        "kmsKeyAlias": kms.alias_name,
        "mediaBucketName": storage.media_bucket_name,
        "staticBucketName": storage.static_bucket_name,
        "logBucketName": storage.log_bucket_name,
        "databaseAddress": database.address,
        "databasePort": database.port,
        "databaseName": database.database_name,
        "databaseReaderAddresses": database.reader_addresses,
        "databaseMasterSecretArn": database.master_secret_arn,
        "cachePrimaryAddress": cache.primary_address,
        "cacheReaderAddress": cache.reader_address,
        "cacheAuthSecretArn": cache.auth_secret_arn,
        # The release running now: a `pulumi up` from a workstation passes it back (docs/delivery.md).
        "appImage": services.image_uri,
    }
    if registry:
        outputs["imageRepositoryUrl"] = registry.repository_url
        if registry.push_role_arn is not None:
            outputs["imagePushRoleArn"] = registry.push_role_arn
    if services.exec_session_policy_arn is not None:
        outputs["ecsExecSessionPolicyArn"] = services.exec_session_policy_arn
    if storage.media_signing is not None:
        # Where the operator puts the private key (docs/private-media.md), and the id URLs are signed with.
        outputs["mediaSigningSecretArn"] = storage.media_signing.private_key_secret_arn
        outputs["mediaSigningKeyId"] = storage.media_signing.public_key_id
    if bastion:
        outputs["bastionInstanceId"] = bastion.instance_id
        outputs["bastionPortForwardCommand"] = bastion.port_forward_command
        outputs["bastionSessionPolicyArn"] = bastion.session_policy_arn
    for name, value in outputs.items():
        pulumi.export(name, value)
