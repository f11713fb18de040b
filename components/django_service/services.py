"""The long-running workloads as ECS services: capacity providers, Cloud Map for the web, the
services' deployment settings, and their autoscaling (target tracking, nightly schedules).

Every row of the workload table that is a service gets one; what differs between them (ports,
Spot, deployment percentages, scaling) is read from the row, not from its name."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from .._base import merge_tags
from .config import DjangoServicesArgs
from .workloads import Workload, rebalancing_for


class Services:
    """Creates the services of one `DjangoServices` as its children."""

    def __init__(
        self,
        parent: pulumi.Resource,
        name: str,
        physical: str,
        args: DjangoServicesArgs,
        cluster: aws.ecs.Cluster,
    ) -> None:
        self._name = name
        self._physical = physical
        self._args = args
        self._cluster = cluster
        self._parent = parent
        self._child = pulumi.ResourceOptions(parent=parent)

    def run(
        self, table: dict[str, Workload], task_definitions: dict[str, aws.ecs.TaskDefinition]
    ) -> dict[str, aws.ecs.Service]:
        """One ECS service per service workload, with its scaling; by role."""
        capacity = aws.ecs.ClusterCapacityProviders(
            f"{self._name}-capacity",
            cluster_name=self._cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[{"capacity_provider": "FARGATE", "base": 0, "weight": 1}],
            opts=self._child,
        )
        discovery = self._service_discovery()
        services = {
            role: self._service(
                workload,
                task_definitions[role],
                capacity,
                registry_arn=discovery if workload.serves_http else None,
            )
            for role, workload in table.items()
            if workload.service
        }
        self._autoscaling(table, services)
        return services

    def _service_discovery(self) -> pulumi.Output[str] | None:
        """Cloud Map: `web.<namespace>` resolves to the running web tasks' private IPs."""
        args = self._args
        if args.discovery.namespace is None:
            return None
        namespace = aws.servicediscovery.PrivateDnsNamespace(
            f"{self._name}-namespace",
            name=args.discovery.namespace,
            vpc=args.placement.vpc_id,
            description=f"{self._name}: internal names of the Django services",
            tags=merge_tags(args.stack.tags, Name=f"{self._name}-namespace"),
            opts=self._child,
        )
        service = aws.servicediscovery.Service(
            f"{self._name}-web-discovery",
            name="web",
            dns_config={
                "namespace_id": namespace.id,
                "dns_records": [{"ttl": 10, "type": "A"}],
                "routing_policy": "MULTIVALUE",
            },
            # ECS reports task health to Cloud Map: only tasks that passed their checks are answered.
            health_check_custom_config={"failure_threshold": 1},
            tags=merge_tags(args.stack.tags, Name=f"{self._name}-web-discovery"),
            opts=self._child,
        )
        # Internal callers are the worker and beat tasks; they reach gunicorn directly.
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-web-from-workers",
            security_group_id=args.workloads.web_security_group_id,
            referenced_security_group_id=args.workloads.worker_security_group_id,
            ip_protocol="tcp",
            from_port=args.config.container_port,
            to_port=args.config.container_port,
            description="Worker and beat tasks call the web service by its Cloud Map name",
            tags=merge_tags(args.stack.tags, Name=f"{self._name}-web-from-workers"),
            opts=self._child,
        )
        return service.arn

    def _capacity_strategy(self, *, spot: bool) -> list[dict[str, Any]]:
        args = self._args
        strategy: list[dict[str, Any]] = [
            {"capacity_provider": "FARGATE", "base": args.fargate_base_tasks, "weight": 1}
        ]
        if spot and args.config.fargate_spot_weight > 0:
            strategy.append(
                {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": args.config.fargate_spot_weight}
            )
        return strategy

    def _service(
        self,
        workload: Workload,
        task_definition: aws.ecs.TaskDefinition,
        capacity: aws.ecs.ClusterCapacityProviders,
        *,
        registry_arn: pulumi.Output[str] | None = None,
    ) -> aws.ecs.Service:
        args = self._args
        role = workload.role
        extra: dict[str, Any] = {}
        if registry_arn is not None:
            # awsvpc tasks register A records: no port in the registry.
            extra["service_registries"] = {"registry_arn": registry_arn}
        if workload.serves_http:
            extra["load_balancers"] = [
                {
                    "target_group_arn": args.load_balancer.target_group_arn,
                    "container_name": role,
                    "container_port": args.config.container_port,
                }
            ]
            extra["health_check_grace_period_seconds"] = args.config.health_check_grace_period_seconds
        security_group = (
            args.workloads.web_security_group_id
            if workload.security_group == "web"
            else args.workloads.worker_security_group_id
        )
        return aws.ecs.Service(
            f"{self._name}-{role}",
            cluster=self._cluster.arn,
            task_definition=task_definition.arn,
            desired_count=workload.scaling(args).min_tasks if workload.autoscaled else 1,
            capacity_provider_strategies=self._capacity_strategy(spot=workload.spot_allowed),
            platform_version="LATEST",
            network_configuration={
                "subnets": args.placement.app_subnet_ids,
                "security_groups": [security_group],
                "assign_public_ip": False,
            },
            # Roll forward with new tasks next to the old ones; stop and roll back a release whose
            # tasks keep failing to start or to pass health checks.
            deployment_minimum_healthy_percent=workload.minimum_healthy_percent,
            deployment_maximum_percent=workload.maximum_percent,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            availability_zone_rebalancing=rebalancing_for(workload.maximum_percent),
            # `pulumi up` returns once the rollout has finished (or failed and rolled back), so
            # what runs after it (the smoke check) meets the new release, not the old tasks.
            wait_for_steady_state=True,
            enable_execute_command=args.config.ecs_exec_enabled,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            tags=merge_tags(args.stack.tags, Name=f"{self._name}-{role}", Workload=role),
            # Autoscaling owns the running count after creation; `pulumi up` must not reset it.
            opts=pulumi.ResourceOptions(
                parent=self._parent, depends_on=[capacity], ignore_changes=["desired_count"]
            ),
            **extra,
        )

    def _autoscaling(self, table: dict[str, Workload], services: dict[str, aws.ecs.Service]) -> None:
        args = self._args
        targets: dict[str, aws.appautoscaling.Target] = {}
        bounds: dict[str, tuple[int, int]] = {}
        for role, service in services.items():
            workload = table[role]
            if workload.autoscaled:
                size = workload.scaling(args)
                bounds[role] = (size.min_tasks, size.max_tasks)
                targets[role] = self._scaling_target(role, service, *bounds[role])
                self._track_load(workload, targets[role])
            elif args.config.nightly_scale_down:
                # A fixed service has no load to scale on; its target exists so that nights stop it
                # too, rather than filling the broker with jobs nobody consumes until morning.
                bounds[role] = (1, 1)
                targets[role] = self._scaling_target(role, service, 1, 1)
        if not args.config.nightly_scale_down:
            return
        for role, target in targets.items():
            low, high = bounds[role]
            for phase, schedule, action in (
                ("night", args.config.nightly_scale_down_cron, {"min_capacity": 0, "max_capacity": 0}),
                ("morning", args.config.nightly_scale_up_cron, {"min_capacity": low, "max_capacity": high}),
            ):
                aws.appautoscaling.ScheduledAction(
                    f"{self._name}-{role}-{phase}",
                    name=f"{self._physical}-{role}-{phase}",
                    service_namespace=target.service_namespace,
                    resource_id=target.resource_id,
                    scalable_dimension=target.scalable_dimension,
                    schedule=schedule,
                    timezone=args.config.schedule_timezone,
                    scalable_target_action=action,
                    opts=self._child,
                )

    def _track_load(self, workload: Workload, target: aws.appautoscaling.Target) -> None:
        args = self._args
        role = workload.role
        size = workload.scaling(args)
        self._target_tracking(
            f"{role}-cpu", target, size.cpu_target_percent, "ECSServiceAverageCPUUtilization"
        )
        if workload.serves_http:
            self._target_tracking(
                f"{role}-requests",
                target,
                args.config.web_requests_per_target,
                "ALBRequestCountPerTarget",
                resource_label=pulumi.Output.concat(
                    args.load_balancer.arn_suffix, "/", args.load_balancer.target_group_arn_suffix
                ),
            )
        self._target_tracking(
            f"{role}-memory", target, size.memory_target_percent, "ECSServiceAverageMemoryUtilization"
        )

    def _scaling_target(
        self, role: str, service: aws.ecs.Service, low: int, high: int
    ) -> aws.appautoscaling.Target:
        return aws.appautoscaling.Target(
            f"{self._name}-{role}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", self._cluster.name, "/", service.name),
            min_capacity=low,
            max_capacity=high,
            tags=merge_tags(self._args.stack.tags, Name=f"{self._name}-{role}-scaling"),
            opts=self._child,
        )

    def _target_tracking(
        self,
        label: str,
        target: aws.appautoscaling.Target,
        value: int,
        metric: str,
        resource_label: pulumi.Input[str] | None = None,
    ) -> None:
        specification: dict[str, Any] = {"predefined_metric_type": metric}
        if resource_label is not None:
            specification["resource_label"] = resource_label
        aws.appautoscaling.Policy(
            f"{self._name}-{label}",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            target_tracking_scaling_policy_configuration={
                "target_value": value,
                "predefined_metric_specification": specification,
                # Add capacity quickly, give it back slowly: a spike right after scale-in hurts more.
                "scale_out_cooldown": 60,
                "scale_in_cooldown": 300,
            },
            opts=self._child,
        )
