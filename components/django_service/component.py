"""The Django application on ECS Fargate: web (gunicorn) behind the internal ALB, Celery worker and
optional beat, the release tasks' definitions, autoscaling, IAM, log groups and the SECRET_KEY secret.

Everything runs in the private app subnets without public IPs. Credentials reach the containers
only through the task definitions' `secrets` (Secrets Manager, decrypted by the execution role);
the plain environment carries ports, bucket names and settings, nothing that grants access.

Every value in the container definitions is known before anything is created, so that a pull
request's preview judges them whole (docs/preview-coverage.md): what other resources compute at
creation (database and cache endpoints, the site's and the load balancer's host names) reaches the
containers through SSM parameters with names fixed here, and secrets through Parameter Store's
references to Secrets Manager by name; both are ARNs built from invokes, which a preview runs.

What the workloads are, the IAM documents and the container definitions are decided by the pure
modules below this one (`workloads`, `documents`, `containers`); this module turns them into
resources, and `services` runs the workloads as ECS services.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from .._base import merge_tags, physical_name, type_token
from ..app_values import ecr_repository_arn
from ..handles import RunningServices
from ..release_tasks import RELEASE_TASKS
from . import containers, documents
from .config import SSM_RESERVED_PREFIXES, DjangoServicesArgs
from .services import Services
from .task_settings import StoredSecret, TaskSettings
from .workloads import Workload, workloads


class DjangoServices(pulumi.ComponentResource):
    """ECS cluster with the web, worker and beat services and the release tasks' definitions."""

    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    web_service_name: pulumi.Output[str]
    worker_service_name: pulumi.Output[str]
    beat_service_name: pulumi.Output[str] | None
    migrate_task_definition_arn: pulumi.Output[str]
    collectstatic_task_definition_arn: pulumi.Output[str]
    release_task_urns: pulumi.Output[list[str]]
    task_subnet_ids: pulumi.Output[list[str]]
    task_security_group_ids: pulumi.Output[list[str]]
    log_group_names: pulumi.Output[list[str]]
    image_uri: pulumi.Output[str]
    secret_key_secret_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    web_execution_role_arn: pulumi.Output[str]
    """The web task's execution role: its own when it reads the media signing key, else the shared one."""
    task_role_arn: pulumi.Output[str]
    exec_session_policy_arn: pulumi.Output[str] | None
    """Policy to attach to the people who may open ECS Exec sessions; None without Exec."""

    def __init__(
        self, name: str, args: DjangoServicesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(type_token("django_service", "DjangoServices"), name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._region = aws.get_region_output(opts=invoke).region
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        # Physical names (task families, log groups, parameters) must differ between stacks in one account.
        self._physical = physical_name(name, pulumi.get_stack())
        if self._physical.lower().startswith(SSM_RESERVED_PREFIXES):
            raise ValueError(
                f"name {name!r}: SSM refuses parameter names beginning with 'aws' or 'ssm', and the "
                f"tasks' settings are kept under /{self._physical}/; choose another name"
            )

        table = workloads(beat_enabled=args.config.beat_enabled)
        task_settings = TaskSettings(
            self, name, self._physical, args, self._region, self._account, self._partition
        )
        image_uri, repository_arn = self._image()
        secret_key = task_settings.secret_key()
        log_groups = {role: self._log_group(role) for role in table}
        exec_log_group = self._log_group("exec", retention_days=args.exec_log_retention_days)

        settings = task_settings.late_settings()
        secrets = pulumi.Output.all(
            task_settings.secrets(secret_key), task_settings.setting_secrets(settings)
        ).apply(lambda lists: [*lists[0], *lists[1]])
        execution_role, execution_policy = self._execution_role(
            secret_key, list(log_groups.values()), repository_arn, secrets
        )
        # The media signing key may sign a URL to any private file: only the web task, which serves
        # the users allowed to see them, can read it, so its execution role is its own.
        media = args.media_signing
        own_secrets, own_parameters = secrets, list[aws.ssm.Parameter]()
        own_execution_role, own_execution_policy = execution_role, execution_policy
        signer = next(w.role for w in table.values() if w.reads_media_signing_key)
        if media is not None:
            own_secrets, own_parameters = task_settings.media_signing_secrets(secrets, media)
            own_execution_role, own_execution_policy = self._execution_role(
                secret_key,
                [log_groups[signer]],
                repository_arn,
                own_secrets,
                role_name=f"{signer}-execution",
                media_secret_arn=media.private_key_secret_arn,
            )
        task_role = self._task_role(exec_log_group)
        static_role = self._static_writer_role()

        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[{"name": "containerInsights", "value": args.config.container_insights}],
            configuration={
                # Every ECS Exec session is recorded: who ran what in which container.
                "execute_command_configuration": {
                    # Session data between the operator and the container, under the stack key.
                    "kms_key_id": args.stack.kms_key_arn,
                    "logging": "OVERRIDE",
                    "log_configuration": {
                        "cloud_watch_log_group_name": exec_log_group.name,
                        "cloud_watch_encryption_enabled": True,
                    },
                }
            },
            tags=merge_tags(args.stack.tags, Name=f"{name}-cluster"),
            opts=self._child,
        )
        self.exec_session_policy_arn = (
            self._exec_session_policy(cluster) if args.config.ecs_exec_enabled else None
        )

        environment = task_settings.environment()
        task_defs: dict[str, aws.ecs.TaskDefinition] = {}
        for role, workload in table.items():
            own = workload.reads_media_signing_key
            task_defs[role] = self._task_definition(
                workload,
                image_uri,
                environment,
                own_secrets if own else secrets,
                log_groups[role],
                own_execution_role if own else execution_role,
                static_role if workload.writes_static else task_role,
                # Registering a task definition checks no `valueFrom`; starting a task needs them all,
                # and the execution role's grant to read them, or a new revision's tasks fail to start.
                depends_on=[
                    secret_key.version,
                    own_execution_policy if own else execution_policy,
                    *(parameter for parameter, _ in settings.values()),
                    *(own_parameters if own else []),
                ],
            )

        services = Services(self, name, self._physical, args, cluster).run(table, task_defs)

        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.web_service_name = services["web"].name
        self.worker_service_name = services["worker"].name
        self.beat_service_name = services["beat"].name if "beat" in services else None
        self.migrate_task_definition_arn = task_defs["migrate"].arn
        self.collectstatic_task_definition_arn = task_defs["collectstatic"].arn
        # The deploy registers these first (`pulumi up --target`), runs them, then rolls the services.
        self.release_task_urns = pulumi.Output.all(*[task_defs[role].urn for role in RELEASE_TASKS])
        self.task_subnet_ids = pulumi.Output.from_input(args.placement.app_subnet_ids).apply(
            lambda ids: [str(i) for i in ids]
        )
        self.task_security_group_ids = pulumi.Output.all(args.workloads.worker_security_group_id)
        self.log_group_names = pulumi.Output.all(
            *[group.name for group in log_groups.values()], exec_log_group.name
        )
        self.image_uri = pulumi.Output.from_input(image_uri)
        self.secret_key_secret_arn = secret_key.arn
        self.execution_role_arn = execution_role.arn
        self.web_execution_role_arn = own_execution_role.arn
        self.task_role_arn = task_role.arn
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "web_service_name": self.web_service_name,
                "worker_service_name": self.worker_service_name,
                "beat_service_name": self.beat_service_name,
                "migrate_task_definition_arn": self.migrate_task_definition_arn,
                "collectstatic_task_definition_arn": self.collectstatic_task_definition_arn,
                "release_task_urns": self.release_task_urns,
                "task_subnet_ids": self.task_subnet_ids,
                "task_security_group_ids": self.task_security_group_ids,
                "log_group_names": self.log_group_names,
                "image_uri": self.image_uri,
                "secret_key_secret_arn": self.secret_key_secret_arn,
                "execution_role_arn": self.execution_role_arn,
                "web_execution_role_arn": self.web_execution_role_arn,
                "task_role_arn": self.task_role_arn,
                "exec_session_policy_arn": self.exec_session_policy_arn,
            }
        )

    # --- image ---------------------------------------------------------------------------------

    def _image(self) -> tuple[pulumi.Input[str], pulumi.Output[str | None]]:
        """The image the tasks run and the ECR repository the execution role may pull from."""
        args = self._args
        if args.config.image is not None:
            return args.config.image, pulumi.Output.from_input(ecr_repository_arn(args.config.image))
        # awsx only here: building and pushing an image is what it adds over pulumi-aws. Its
        # ALB/Fargate components are not used (see the README).
        import pulumi_awsx as awsx

        repository = awsx.ecr.Repository(
            f"{self._name}-repo",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=args.stack.kms_key_arn
                )
            ],
            force_delete=False,
            tags=merge_tags(args.stack.tags, Name=f"{self._name}-repo"),
            opts=self._child,
        )
        image = awsx.ecr.Image(
            f"{self._name}-image",
            repository_url=repository.url,
            context=args.config.docker_context,
            dockerfile=args.dockerfile,
            platform="linux/arm64" if args.config.cpu_architecture == "ARM64" else "linux/amd64",
            opts=self._child,
        )
        return image.image_uri, repository.url.apply(ecr_repository_arn)

    def _log_group(self, role: str, retention_days: int | None = None) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{self._name}-{role}-logs",
            name=f"/ecs/{self._physical}/{role}",
            retention_in_days=retention_days or self._args.stack.log_retention_days,
            kms_key_id=self._args.stack.kms_key_arn,
            tags=merge_tags(self._args.stack.tags, Name=f"{self._name}-{role}-logs", Workload=role),
            opts=self._child,
        )

    # --- IAM -----------------------------------------------------------------------------------

    def _role(self, role_name: str, description: str) -> aws.iam.Role:
        return aws.iam.Role(
            f"{self._name}-{role_name}-role",
            description=description,
            assume_role_policy=pulumi.Output.all(self._region, self._account).apply(
                lambda ra: documents.ecs_task_trust_policy(ra[0], ra[1])
            ),
            tags=merge_tags(self._args.stack.tags, Name=f"{self._name}-{role_name}-role"),
            opts=self._child,
        )

    def _execution_role(
        self,
        secret_key: StoredSecret,
        log_groups: Sequence[aws.cloudwatch.LogGroup],
        repository_arn: pulumi.Output[str | None],
        secrets: pulumi.Output[list[dict[str, str]]],
        role_name: str = "execution",
        media_secret_arn: pulumi.Output[str] | None = None,
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """What ECS itself needs to start a task. `media_secret_arn`: the web task's own role, which
        also reads the media signing key."""
        args = self._args
        role = self._role(
            role_name,
            "ECS starts the Django web task: image pull, its secrets (media signing key too), its log stream"
            if media_secret_arn is not None
            else "ECS starts the Django tasks: image pull, their secrets, their log streams",
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-{role_name}-policy",
            role=role.id,
            policy=pulumi.Output.all(
                cache=args.cache.auth_secret_arn,
                key=secret_key.arn,
                media=pulumi.Output.all(*([media_secret_arn] if media_secret_arn is not None else [])),
                kms=args.stack.kms_key_arn,
                region=self._region,
                logs=pulumi.Output.all(*[group.arn for group in log_groups]),
                repository=repository_arn,
                secrets=secrets,
            ).apply(
                lambda v: documents.execution_role_policy(
                    secret_arns=[v["cache"], v["key"], *v["media"]],
                    kms_key_arn=v["kms"],
                    region=v["region"],
                    log_group_arns=v["logs"],
                    repository_arn=v["repository"],
                    secrets=v["secrets"],
                )
            ),
            opts=self._child,
        )
        return role, policy

    def _task_role(self, exec_log_group: aws.cloudwatch.LogGroup) -> aws.iam.Role:
        """What the Django code may do: the media bucket, and ECS Exec (plus X-Ray when enabled)."""
        args = self._args
        role = self._role("task", "Django tasks: media bucket objects, ECS Exec sessions")
        aws.iam.RolePolicy(
            f"{self._name}-task-policy",
            role=role.id,
            policy=pulumi.Output.all(
                bucket=args.buckets.media_arn,
                kms=args.stack.kms_key_arn,
                region=self._region,
                account=self._account,
                exec_logs=exec_log_group.arn,
                db_resources=pulumi.Output.from_input(args.database.resource_ids),
            ).apply(
                lambda v: documents.task_role_policy(
                    media_bucket_arn=v["bucket"],
                    kms_key_arn=v["kms"],
                    region=v["region"],
                    account=v["account"],
                    database_resource_ids=v["db_resources"],
                    database_user=args.database.app_username,
                    exec_log_group_arn=v["exec_logs"],
                    exec_enabled=args.config.ecs_exec_enabled,
                    xray_enabled=args.config.xray_enabled,
                )
            ),
            opts=self._child,
        )
        return role

    def _static_writer_role(self) -> aws.iam.Role:
        """The collectstatic task's role: write the static bucket, nothing else."""
        args = self._args
        role = self._role(
            "static-writer", "Django collectstatic task: writes the static bucket, the only role that may"
        )
        aws.iam.RolePolicy(
            f"{self._name}-static-writer-policy",
            role=role.id,
            policy=pulumi.Output.all(
                self._partition, args.buckets.static_name, args.stack.kms_key_arn, self._region
            ).apply(lambda v: documents.static_writer_policy(f"arn:{v[0]}:s3:::{v[1]}", v[2], v[3])),
            opts=self._child,
        )
        return role

    def _exec_session_policy(self, cluster: aws.ecs.Cluster) -> pulumi.Output[str]:
        """Who may open an ECS Exec session: attach this policy to them (like the bastion's)."""
        policy = aws.iam.Policy(
            f"{self._name}-exec-session",
            description=f"Open ECS Exec sessions in {self._physical} tasks (every session is logged)",
            policy=pulumi.Output.all(
                region=self._region,
                account=self._account,
                cluster_arn=cluster.arn,
                cluster_name=cluster.name,
                kms_key_arn=self._args.stack.kms_key_arn,
            ).apply(lambda v: documents.exec_session_policy(**v)),
            tags=merge_tags(self._args.stack.tags, Name=f"{self._name}-exec-session"),
            opts=self._child,
        )
        return policy.arn

    # --- task definitions ----------------------------------------------------------------------
    def _task_definition(
        self,
        workload: Workload,
        image_uri: pulumi.Input[str],
        environment: pulumi.Output[dict[str, str]],
        secrets: pulumi.Output[list[dict[str, str]]],
        log_group: aws.cloudwatch.LogGroup,
        execution_role: aws.iam.Role,
        task_role: aws.iam.Role,
        depends_on: Sequence[pulumi.Resource],
    ) -> aws.ecs.TaskDefinition:
        args = self._args
        role = workload.role
        size = workload.scaling(args)
        command = workload.command(args)
        return aws.ecs.TaskDefinition(
            f"{self._name}-{role}-task",
            family=f"{self._physical}-{role}",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(size.cpu),
            memory=str(size.memory),
            runtime_platform={
                "operating_system_family": "LINUX",
                "cpu_architecture": args.config.cpu_architecture,
            },
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            volumes=[{"name": volume} for volume in workload.writable_paths],
            container_definitions=pulumi.Output.all(
                image=image_uri,
                environment=environment,
                secrets=secrets,
                log_group=log_group.name,
                region=self._region,
            ).apply(
                lambda v: containers.container_definitions(
                    workload,
                    command=command,
                    image=v["image"],
                    environment=v["environment"],
                    secrets=v["secrets"],
                    log_group=v["log_group"],
                    region=v["region"],
                    container_port=args.config.container_port,
                    xray_enabled=args.config.xray_enabled,
                    exec_enabled=args.config.ecs_exec_enabled,
                )
            ),
            tags=merge_tags(args.stack.tags, Name=f"{self._name}-{role}", Workload=role),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )

    @property
    def running(self) -> RunningServices:
        """The cluster and services, as alarms and dashboards name them."""
        return RunningServices(
            cluster_name=self.cluster_name,
            web_service_name=self.web_service_name,
            worker_service_name=self.worker_service_name,
            web_scales_to_zero=self._args.config.nightly_scale_down,
            web_wanted_slots=self._args.config.web_wanted_slots,
        )
