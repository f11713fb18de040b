"""Operations: an alarm topic, CloudWatch alarms on every tier, and one dashboard of the same metrics.

Alarms are built from the identifiers the other tiers export (ALB and target-group ARN suffixes,
ECS cluster and service names, RDS instance identifiers, the Redis replication group, the WAF's
metric name). Each alarm notifies the topic when it fires and when it recovers.

CloudWatch alarms can only notify a topic in their own region, and the WAF of a CloudFront
distribution reports its metrics in us-east-1, so the WAF alarm and a second topic (with its own
us-east-1 KMS key) live there: each names the region itself (pulumi-aws 7's `region`) through the
stack's own provider, so the stack's `aws:*` config applies there too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, type_token

EDGE_REGION = "us-east-1"
GIB = 1024**3


@dataclass(frozen=True)
class AlarmThresholds:
    """When each alarm fires. Field names match `settings.AlarmThresholdSettings`."""

    alb_5xx_percent: int = 5
    """Percentage of ALB requests answered with a 5xx (by the app or the ALB). Default: 5."""
    response_time_p95_ms: int = 2000
    """95th-percentile target response time in milliseconds. Default: 2000."""
    unhealthy_hosts: int = 1
    """Web targets failing the health check. Default: 1."""
    ecs_cpu_percent: int = 80
    """Average CPU of the web or worker service. Default: 80."""
    ecs_memory_percent: int = 85
    """Average memory of the web or worker service. Default: 85."""
    rds_cpu_percent: int = 80
    """CPU of the database primary. Default: 80."""
    rds_free_storage_gib: int = 10
    """Free storage of the database primary, in GiB (alarm below). Default: 10."""
    rds_connections: int = 200
    """Connections held by the database primary. Default: 200."""
    rds_replica_lag_seconds: int = 60
    """Replication lag of any read replica, in seconds. Default: 60."""
    redis_cpu_percent: int = 80
    """EngineCPUUtilization of the busiest Redis node. Default: 80."""
    redis_memory_percent: int = 80
    """DatabaseMemoryUsagePercentage of the fullest Redis node. Default: 80."""
    redis_evictions: int = 0
    """Keys evicted across Redis nodes in 5 minutes (alarm above). Default: 0."""
    waf_blocked_requests: int = 1000
    """Requests the WAF blocks in 5 minutes. Default: 1000."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name.endswith("_percent") and not 1 <= value <= 100:
                raise ValueError(f"{item.name} {value}: use a percentage from 1 to 100")
            if item.name == "redis_evictions" and value < 0:
                raise ValueError(f"redis_evictions {value}: use 0 or more")
            if item.name != "redis_evictions" and value < 1:
                raise ValueError(f"{item.name} {value}: use 1 or more")


@dataclass(frozen=True)
class ObservabilityArgs:
    kms_key_arn: pulumi.Input[str]
    """Stack KMS key that encrypts the alarm topic. Its key policy must let `cloudwatch.amazonaws.com`
    use it (kms:Decrypt, kms:GenerateDataKey*), or alarm notifications are dropped. Required."""
    alb_arn_suffix: pulumi.Input[str]
    """`LoadBalancer.arn_suffix` (the ALB metrics' LoadBalancer dimension). Required."""
    target_group_arn_suffix: pulumi.Input[str]
    """`LoadBalancer.target_group_arn_suffix` (the TargetGroup dimension). Required."""
    cluster_name: pulumi.Input[str]
    """ECS cluster of the web and worker services. Required."""
    web_service_name: pulumi.Input[str]
    """ECS web service. Required."""
    worker_service_name: pulumi.Input[str]
    """ECS Celery worker service. Required."""
    db_instance_identifier: pulumi.Input[str]
    """RDS primary instance identifier. Required."""
    cache_replication_group_id: pulumi.Input[str]
    """ElastiCache replication group; its nodes are `<id>-001`, `<id>-002`, ... Required."""
    db_replica_identifiers: Sequence[pulumi.Input[str]] = ()
    """One identifier per read replica; each gets a lag alarm. Default: none."""
    web_scales_to_zero: bool = False
    """The web service is scaled to zero on a schedule (nightly scale-down). The no-healthy-hosts
    alarm then fires only while ECS wants web tasks: it reads Container Insights' DesiredTaskCount,
    so the cluster needs Container Insights. Default: False (a plain HealthyHostCount alarm)."""
    cache_node_count: int = 2
    """Nodes in the replication group (primary plus replicas). Default: 2."""
    waf_metric_name: str | None = None
    """`Edge.waf_metric_name`; adds the WAF alarm and the us-east-1 topic. Default: None (no WAF)."""
    distribution_id: pulumi.Input[str] | None = None
    """CloudFront distribution shown on the dashboard. Default: None."""
    alarm_email: str | None = None
    """Address subscribed to the topics. Default: None (no subscription)."""
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    """When each alarm fires. Default: `AlarmThresholds()`."""
    keep_data: bool = False
    """Protect the us-east-1 key that encrypts the edge alarm topic (like the stack key). Default: False."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags merged into every taggable child. Default: none."""

    def __post_init__(self) -> None:
        if not 1 <= self.cache_node_count <= 6:
            raise ValueError(
                f"cache_node_count {self.cache_node_count}: a replication group has 1 to 6 nodes"
            )
        if self.alarm_email is not None and "@" not in self.alarm_email:
            raise ValueError(f"alarm_email {self.alarm_email!r}: expected an e-mail address, or None")
        if self.waf_metric_name is not None and not self.waf_metric_name:
            raise ValueError("waf_metric_name '': pass Edge.waf_metric_name, or None without a WAF")


@dataclass(frozen=True)
class _Alarm:
    """One alarm as plain data: what it watches, when it fires, and what to do."""

    role: str
    description: str
    threshold: float
    comparison: str
    treat_missing_data: str
    evaluation_periods: int
    datapoints_to_alarm: int
    metric: dict[str, Any] | None = None
    """namespace, metric_name, dimensions, period, and statistic or extended_statistic."""
    queries: list[dict[str, Any]] | None = None
    """Metric-math queries; the one with return_data is what the alarm compares."""


class Observability(pulumi.ComponentResource):
    """Alarm topic(s), alarms and a dashboard (see the module docstring)."""

    topic_arn: pulumi.Output[str]
    edge_topic_arn: pulumi.Output[str] | None
    """The us-east-1 topic the WAF alarm notifies; None without a WAF."""
    alarm_arns: pulumi.Output[list[str]]
    dashboard_name: pulumi.Output[str]
    dashboard_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(type_token("observability", "Observability"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        tags = args.tags

        topic = aws.sns.Topic(
            f"{name}-alarms",
            display_name=f"{name} alarms",
            kms_master_key_id=args.kms_key_arn,
            tags=merge_tags(tags, Name=f"{name}-alarms"),
            opts=child,
        )
        self._topic_policy(f"{name}-alarms-policy", topic, region, account, child)
        if args.alarm_email:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=child,
            )

        alarms = self._alarm_specs(args)
        created = [self._create_alarm(name, spec, topic, tags, child) for spec in alarms]

        self.edge_topic_arn = None
        if args.waf_metric_name:
            edge_topic = self._edge_topic(name, args, account, child)
            created.append(
                self._create_alarm(name, self._waf_alarm(args), edge_topic, tags, child, region=EDGE_REGION)
            )
            self.edge_topic_arn = edge_topic.arn

        dashboard_name = f"{name}-{pulumi.get_stack()}"
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=dashboard_name,
            dashboard_body=pulumi.Output.all(
                region=region,
                alb=args.alb_arn_suffix,
                target_group=args.target_group_arn_suffix,
                cluster=args.cluster_name,
                web=args.web_service_name,
                worker=args.worker_service_name,
                db=args.db_instance_identifier,
                replicas=pulumi.Output.all(*args.db_replica_identifiers),
                cache=args.cache_replication_group_id,
                distribution=args.distribution_id,
            ).apply(lambda ids: json.dumps(_dashboard_body(ids, args), sort_keys=True)),
            opts=child,
        )

        self.topic_arn = topic.arn
        self.alarm_arns = pulumi.Output.all(*[alarm.arn for alarm in created])
        self.dashboard_name = dashboard.dashboard_name
        self.dashboard_url = pulumi.Output.concat(
            "https://",
            region,
            ".console.aws.amazon.com/cloudwatch/home?region=",
            region,
            "#dashboards/dashboard/",
            dashboard.dashboard_name,
        )
        self.register_outputs(
            {
                "topic_arn": self.topic_arn,
                "edge_topic_arn": self.edge_topic_arn,
                "alarm_arns": self.alarm_arns,
                "dashboard_name": self.dashboard_name,
                "dashboard_url": self.dashboard_url,
            }
        )

    # --- topics --------------------------------------------------------------------------------

    def _topic_policy(
        self,
        resource_name: str,
        topic: aws.sns.Topic,
        region: pulumi.Input[str],
        account: pulumi.Input[str],
        opts: pulumi.ResourceOptions,
        *,
        in_region: str | None = None,
    ) -> None:
        """Only this account's CloudWatch alarms publish, and only over TLS."""
        aws.sns.TopicPolicy(
            resource_name,
            arn=topic.arn,
            region=in_region,
            policy=pulumi.Output.all(topic.arn, region, account).apply(
                lambda v: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "CloudWatchAlarmsOfThisAccount",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Action": "sns:Publish",
                                "Resource": v[0],
                                "Condition": {
                                    "StringEquals": {"aws:SourceAccount": v[2]},
                                    "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{v[1]}:{v[2]}:alarm:*"},
                                },
                            },
                            {
                                "Sid": "TlsOnly",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "sns:Publish",
                                "Resource": v[0],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            },
                        ],
                    }
                )
            ),
            opts=opts,
        )

    def _edge_topic(
        self, name: str, args: ObservabilityArgs, account: pulumi.Output[str], at_edge: pulumi.ResourceOptions
    ) -> aws.sns.Topic:
        """A us-east-1 topic for the WAF alarm. SNS needs a key in the topic's region, and CloudWatch
        cannot use the AWS-managed SNS key, so this topic gets a small customer-managed key of its own."""
        key = aws.kms.Key(
            f"{name}-edge-alarms-key",
            description=f"Encrypts the {name} alarm topic in {EDGE_REGION}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            # In a key policy, Resource "*" means this key and nothing else.
            policy=account.apply(
                lambda account_id: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "AccountAdministers",
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                                "Action": "kms:*",
                                "Resource": "*",
                            },
                            {
                                "Sid": "CloudWatchAlarmsPublish",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                                "Resource": "*",
                                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                            },
                        ],
                    }
                )
            ),
            tags=merge_tags(args.tags, Name=f"{name}-edge-alarms"),
            region=EDGE_REGION,
            opts=pulumi.ResourceOptions.merge(at_edge, pulumi.ResourceOptions(protect=args.keep_data)),
        )
        topic = aws.sns.Topic(
            f"{name}-edge-alarms",
            display_name=f"{name} alarms ({EDGE_REGION})",
            kms_master_key_id=key.arn,
            tags=merge_tags(args.tags, Name=f"{name}-edge-alarms"),
            region=EDGE_REGION,
            opts=at_edge,
        )
        self._topic_policy(
            f"{name}-edge-alarms-policy", topic, EDGE_REGION, account, at_edge, in_region=EDGE_REGION
        )
        if args.alarm_email:
            aws.sns.TopicSubscription(
                f"{name}-edge-alarms-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                region=EDGE_REGION,
                opts=at_edge,
            )
        return topic

    # --- alarms --------------------------------------------------------------------------------

    def _create_alarm(
        self,
        name: str,
        spec: _Alarm,
        topic: aws.sns.Topic,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions,
        *,
        region: str | None = None,
    ) -> aws.cloudwatch.MetricAlarm:
        metric = spec.metric or {}
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.role}",
            region=region,
            alarm_description=spec.description,
            comparison_operator=spec.comparison,
            threshold=spec.threshold,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=spec.treat_missing_data,
            metric_queries=spec.queries,
            namespace=metric.get("namespace"),
            metric_name=metric.get("metric_name"),
            dimensions=metric.get("dimensions"),
            period=metric.get("period"),
            statistic=metric.get("statistic"),
            extended_statistic=metric.get("extended_statistic"),
            actions_enabled=True,
            alarm_actions=[topic.arn],
            ok_actions=[topic.arn],
            tags=merge_tags(tags, Name=f"{name}-{spec.role}"),
            opts=opts,
        )

    def _alarm_specs(self, args: ObservabilityArgs) -> list[_Alarm]:
        t = args.thresholds
        alb = {"LoadBalancer": args.alb_arn_suffix}
        target_group = {"LoadBalancer": args.alb_arn_suffix, "TargetGroup": args.target_group_arn_suffix}

        def alb_count(query_id: str, metric_name: str) -> dict[str, Any]:
            return {
                "id": query_id,
                "return_data": False,
                "metric": {
                    "namespace": "AWS/ApplicationELB",
                    "metric_name": metric_name,
                    "dimensions": alb,
                    "period": 60,
                    "stat": "Sum",
                },
            }

        specs = [
            _Alarm(
                role="alb-5xx-rate",
                description=(
                    f"More than {t.alb_5xx_percent}% of requests end in a 5xx from Django or the ALB. "
                    "Check the web service's logs and recent deploys; roll back if a deploy started it."
                ),
                threshold=t.alb_5xx_percent,
                comparison="GreaterThanThreshold",
                # No requests, no errors: silence is not an outage here (the healthy-host alarm covers that).
                treat_missing_data="notBreaching",
                evaluation_periods=5,
                datapoints_to_alarm=3,
                queries=[
                    alb_count("target5xx", "HTTPCode_Target_5XX_Count"),
                    alb_count("elb5xx", "HTTPCode_ELB_5XX_Count"),
                    alb_count("requests", "RequestCount"),
                    {
                        "id": "rate",
                        "label": "5xx responses (%)",
                        "expression": "IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)",
                        "return_data": True,
                    },
                ],
            ),
            _Alarm(
                role="response-time-p95",
                description=(
                    f"The slowest 5% of requests take over {t.response_time_p95_ms} ms. Look for slow queries "
                    "(RDS CPU, connections), a busy web service (ECS CPU) or a slow third-party call."
                ),
                threshold=t.response_time_p95_ms / 1000,
                comparison="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                evaluation_periods=5,
                datapoints_to_alarm=3,
                metric={
                    "namespace": "AWS/ApplicationELB",
                    "metric_name": "TargetResponseTime",
                    "dimensions": target_group,
                    "period": 60,
                    "extended_statistic": "p95",
                },
            ),
            _Alarm(
                role="unhealthy-hosts",
                description=(
                    f"{t.unhealthy_hosts} or more web tasks fail the health check. Read the failing tasks' "
                    "logs (database or Redis unreachable? a crash on start?); ECS replaces them."
                ),
                threshold=t.unhealthy_hosts,
                comparison="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                evaluation_periods=3,
                datapoints_to_alarm=3,
                metric={
                    "namespace": "AWS/ApplicationELB",
                    "metric_name": "UnHealthyHostCount",
                    "dimensions": target_group,
                    "period": 60,
                    "statistic": "Maximum",
                },
            ),
            _no_healthy_hosts(args, target_group),
        ]

        for service, service_name in (("web", args.web_service_name), ("worker", args.worker_service_name)):
            for metric_name, short, threshold in (
                ("CPUUtilization", "cpu", t.ecs_cpu_percent),
                ("MemoryUtilization", "memory", t.ecs_memory_percent),
            ):
                specs.append(
                    _Alarm(
                        role=f"ecs-{service}-{short}",
                        description=(
                            f"The {service} service averages over {threshold}% {short}. Autoscaling should "
                            "add tasks; if it is at its maximum, raise the maximum or the task size."
                        ),
                        threshold=threshold,
                        comparison="GreaterThanThreshold",
                        # No tasks, no data: that is the unhealthy-host alarm's business, not this one's.
                        treat_missing_data="notBreaching",
                        evaluation_periods=3,
                        datapoints_to_alarm=3,
                        metric={
                            "namespace": "AWS/ECS",
                            "metric_name": metric_name,
                            "dimensions": {"ClusterName": args.cluster_name, "ServiceName": service_name},
                            "period": 300,
                            "statistic": "Average",
                        },
                    )
                )

        def rds(metric_name: str, statistic: str, instance: pulumi.Input[str], period: int) -> dict[str, Any]:
            return {
                "namespace": "AWS/RDS",
                "metric_name": metric_name,
                "dimensions": {"DBInstanceIdentifier": instance},
                "period": period,
                "statistic": statistic,
            }

        primary = args.db_instance_identifier
        specs += [
            _Alarm(
                role="rds-cpu",
                description=(
                    f"The database primary's CPU is over {t.rds_cpu_percent}%. Find the heavy queries in "
                    "CloudWatch Database Insights (its Top SQL view); move reads to the replicas or scale the "
                    "instance class."
                ),
                threshold=t.rds_cpu_percent,
                comparison="GreaterThanThreshold",
                # RDS always reports; a gap is transient, so keep the previous state.
                treat_missing_data="missing",
                evaluation_periods=3,
                datapoints_to_alarm=3,
                metric=rds("CPUUtilization", "Average", primary, 300),
            ),
            _Alarm(
                role="rds-free-storage",
                description=(
                    f"The database primary has under {t.rds_free_storage_gib} GiB free. Raise the "
                    "allocated storage (or its autoscaling maximum) before writes fail."
                ),
                threshold=t.rds_free_storage_gib * GIB,
                comparison="LessThanThreshold",
                # Missing storage data from a running primary is itself a reason to look.
                treat_missing_data="breaching",
                evaluation_periods=2,
                datapoints_to_alarm=2,
                metric=rds("FreeStorageSpace", "Minimum", primary, 300),
            ),
            _Alarm(
                role="rds-connections",
                description=(
                    f"The database primary holds over {t.rds_connections} connections. Look for a "
                    "connection leak or too many tasks; CONN_MAX_AGE and task counts multiply."
                ),
                threshold=t.rds_connections,
                comparison="GreaterThanThreshold",
                treat_missing_data="missing",
                evaluation_periods=2,
                datapoints_to_alarm=2,
                metric=rds("DatabaseConnections", "Maximum", primary, 300),
            ),
        ]
        # Numbered from 1, like the replicas' identifiers (`<stack>-replica-1`).
        for index, replica in enumerate(args.db_replica_identifiers, start=1):
            specs.append(
                _Alarm(
                    role=f"rds-replica-{index}-lag",
                    description=(
                        f"Read replica {index} is over {t.rds_replica_lag_seconds} s behind: pages reading "
                        "from it show stale data. Check its CPU and I/O and long-running queries on it."
                    ),
                    threshold=t.rds_replica_lag_seconds,
                    comparison="GreaterThanThreshold",
                    # A replica that stops reporting lag has usually stopped replicating.
                    treat_missing_data="breaching",
                    evaluation_periods=5,
                    datapoints_to_alarm=5,
                    metric=rds("ReplicaLag", "Maximum", replica, 60),
                )
            )

        nodes = _cache_nodes(args)

        def redis(metric_name: str, statistic: str, combine: str, label: str) -> list[dict[str, Any]]:
            queries: list[dict[str, Any]] = [
                {
                    "id": f"node{index}",
                    "return_data": False,
                    "metric": {
                        "namespace": "AWS/ElastiCache",
                        "metric_name": metric_name,
                        "dimensions": {"CacheClusterId": node},
                        "period": 300,
                        "stat": statistic,
                    },
                }
                for index, node in enumerate(nodes, start=1)
            ]
            node_ids = ", ".join(q["id"] for q in queries)
            queries.append(
                {
                    "id": "combined",
                    "label": label,
                    "expression": f"{combine}([{node_ids}])",
                    "return_data": True,
                }
            )
            return queries

        specs += [
            _Alarm(
                role="redis-cpu",
                description=(
                    f"Redis's engine thread is over {t.redis_cpu_percent}% CPU on a node. Look for "
                    "expensive commands (KEYS, large sets) or scale to a larger node type."
                ),
                threshold=t.redis_cpu_percent,
                comparison="GreaterThanThreshold",
                treat_missing_data="missing",
                evaluation_periods=3,
                datapoints_to_alarm=3,
                queries=redis("EngineCPUUtilization", "Average", "MAX", "busiest node CPU (%)"),
            ),
            _Alarm(
                role="redis-memory",
                description=(
                    f"Redis uses over {t.redis_memory_percent}% of its memory on a node; next come "
                    "evictions of sessions and queued tasks. Purge old keys or scale the node type."
                ),
                threshold=t.redis_memory_percent,
                comparison="GreaterThanThreshold",
                treat_missing_data="missing",
                evaluation_periods=2,
                datapoints_to_alarm=2,
                queries=redis("DatabaseMemoryUsagePercentage", "Maximum", "MAX", "fullest node memory (%)"),
            ),
            _Alarm(
                role="redis-evictions",
                description=(
                    f"Redis evicted over {t.redis_evictions} keys in 5 minutes: users were logged out "
                    "or Celery tasks were lost. Scale the node type; check the memory alarm."
                ),
                threshold=t.redis_evictions,
                comparison="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                evaluation_periods=1,
                datapoints_to_alarm=1,
                queries=redis("Evictions", "Sum", "SUM", "evicted keys"),
            ),
        ]
        return specs

    def _waf_alarm(self, args: ObservabilityArgs) -> _Alarm:
        t = args.thresholds
        return _Alarm(
            role="waf-blocked-spike",
            description=(
                f"The WAF blocked over {t.waf_blocked_requests} requests in 5 minutes: an attack, a "
                "scraper, or a false positive hurting real users. Read the sampled requests of the "
                "web ACL to see which rule blocks what."
            ),
            threshold=t.waf_blocked_requests,
            comparison="GreaterThanThreshold",
            # The WAF emits nothing while it blocks nothing.
            treat_missing_data="notBreaching",
            evaluation_periods=1,
            datapoints_to_alarm=1,
            metric={
                "namespace": "AWS/WAFV2",
                "metric_name": "BlockedRequests",
                # CloudFront-scoped web ACLs have no Region dimension.
                "dimensions": {"WebACL": args.waf_metric_name, "Rule": "ALL"},
                "period": 300,
                "statistic": "Sum",
            },
        )


def _cache_nodes(args: ObservabilityArgs) -> list[pulumi.Output[str]]:
    """Member clusters of a cluster-mode-disabled replication group, as ElastiCache names them."""
    group = pulumi.Output.from_input(args.cache_replication_group_id)
    return [
        pulumi.Output.format("{0}-{1:03d}", group, index) for index in range(1, args.cache_node_count + 1)
    ]


def _dashboard_body(ids: dict[str, Any], args: ObservabilityArgs) -> dict[str, Any]:
    """The dashboard: one row per tier, the same metrics the alarms watch, thresholds drawn in."""
    t = args.thresholds
    region = ids["region"]
    alb = ["LoadBalancer", ids["alb"]]
    target_group = ["TargetGroup", ids["target_group"], "LoadBalancer", ids["alb"]]
    nodes = [f"{ids['cache']}-{index:03d}" for index in range(1, args.cache_node_count + 1)]
    widgets: list[dict[str, Any]] = []

    def widget(
        title: str,
        metrics: list[list[Any]],
        *,
        stat: str = "Average",
        period: int = 300,
        threshold: float | None = None,
        widget_region: str | None = None,
    ) -> None:
        properties: dict[str, Any] = {
            "title": title,
            "region": widget_region or region,
            "view": "timeSeries",
            "stacked": False,
            "stat": stat,
            "period": period,
            "metrics": metrics,
        }
        if threshold is not None:
            properties["annotations"] = {"horizontal": [{"label": "alarm", "value": threshold}]}
        index = len(widgets)
        widgets.append(
            {
                "type": "metric",
                "x": (index % 3) * 8,
                "y": (index // 3) * 6,
                "width": 8,
                "height": 6,
                "properties": properties,
            }
        )

    widget(
        "ALB 5xx responses (%)",
        [
            ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *alb, {"id": "target5xx", "visible": False}],
            ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", *alb, {"id": "elb5xx", "visible": False}],
            ["AWS/ApplicationELB", "RequestCount", *alb, {"id": "requests", "visible": False}],
            [
                {
                    "id": "rate",
                    "label": "5xx (%)",
                    "expression": "IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)",
                }
            ],
        ],
        stat="Sum",
        period=60,
        threshold=t.alb_5xx_percent,
    )
    widget(
        "Response time p95 (s)",
        [["AWS/ApplicationELB", "TargetResponseTime", *target_group, {"stat": "p95"}]],
        period=60,
        threshold=t.response_time_p95_ms / 1000,
    )
    widget(
        "Web targets",
        [
            ["AWS/ApplicationELB", "HealthyHostCount", *target_group, {"stat": "Minimum"}],
            ["AWS/ApplicationELB", "UnHealthyHostCount", *target_group, {"stat": "Maximum"}],
        ],
        period=60,
        threshold=t.unhealthy_hosts,
    )
    for metric_name, title, threshold in (
        ("CPUUtilization", "ECS CPU (%)", t.ecs_cpu_percent),
        ("MemoryUtilization", "ECS memory (%)", t.ecs_memory_percent),
    ):
        widget(
            title,
            [
                ["AWS/ECS", metric_name, "ClusterName", ids["cluster"], "ServiceName", service]
                for service in (ids["web"], ids["worker"])
            ],
            threshold=threshold,
        )
    widget(
        "RDS CPU (%)",
        [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", db] for db in [ids["db"], *ids["replicas"]]],
        threshold=t.rds_cpu_percent,
    )
    widget(
        "RDS free storage (bytes)",
        [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", ids["db"]]],
        stat="Minimum",
        threshold=t.rds_free_storage_gib * GIB,
    )
    widget(
        "RDS connections",
        [["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", ids["db"]]],
        stat="Maximum",
        threshold=t.rds_connections,
    )
    if ids["replicas"]:
        widget(
            "RDS replica lag (s)",
            [["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", replica] for replica in ids["replicas"]],
            stat="Maximum",
            period=60,
            threshold=t.rds_replica_lag_seconds,
        )
    for metric_name, title, stat, threshold in (
        ("EngineCPUUtilization", "Redis engine CPU (%)", "Average", t.redis_cpu_percent),
        ("DatabaseMemoryUsagePercentage", "Redis memory (%)", "Maximum", t.redis_memory_percent),
        ("Evictions", "Redis evictions", "Sum", t.redis_evictions),
    ):
        widget(
            title,
            [["AWS/ElastiCache", metric_name, "CacheClusterId", node] for node in nodes],
            stat=stat,
            threshold=threshold,
        )
    if args.waf_metric_name:
        widget(
            "WAF requests",
            [
                ["AWS/WAFV2", metric, "WebACL", args.waf_metric_name, "Rule", "ALL"]
                for metric in ("BlockedRequests", "AllowedRequests")
            ],
            stat="Sum",
            threshold=t.waf_blocked_requests,
            widget_region=EDGE_REGION,
        )
    if ids["distribution"]:
        widget(
            "CloudFront",
            [
                [
                    "AWS/CloudFront",
                    "Requests",
                    "DistributionId",
                    ids["distribution"],
                    "Region",
                    "Global",
                    {"stat": "Sum"},
                ],
                [
                    "AWS/CloudFront",
                    "5xxErrorRate",
                    "DistributionId",
                    ids["distribution"],
                    "Region",
                    "Global",
                    {"yAxis": "right"},
                ],
            ],
            widget_region=EDGE_REGION,
        )
    return {"widgets": widgets}


NO_HEALTHY_HOSTS = (
    "No web task is healthy: the site shows the maintenance page. Check the web service's events "
    "and the last deploy (the circuit breaker should roll it back)."
)


def _no_healthy_hosts(args: ObservabilityArgs, target_group: dict[str, Any]) -> _Alarm:
    """Fires when ECS wants web tasks and none is healthy. With a scale-to-zero schedule, zero
    healthy hosts at night is the plan, not an outage: the alarm then keys on the desired count."""
    if not args.web_scales_to_zero:
        return _Alarm(
            role="no-healthy-hosts",
            description=NO_HEALTHY_HOSTS,
            threshold=1,
            comparison="LessThanThreshold",
            # A target group that stops reporting has no healthy targets either.
            treat_missing_data="breaching",
            evaluation_periods=2,
            datapoints_to_alarm=2,
            metric={
                "namespace": "AWS/ApplicationELB",
                "metric_name": "HealthyHostCount",
                "dimensions": target_group,
                "period": 60,
                "statistic": "Minimum",
            },
        )
    return _Alarm(
        role="no-healthy-hosts",
        description=NO_HEALTHY_HOSTS + " (Silent while the schedule has scaled the web service to zero.)",
        threshold=1,
        comparison="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching",
        # Five minutes: tasks started by the morning scale-up need a while to pass health checks.
        evaluation_periods=5,
        datapoints_to_alarm=5,
        queries=[
            {
                "id": "healthy",
                "return_data": False,
                "metric": {
                    "namespace": "AWS/ApplicationELB",
                    "metric_name": "HealthyHostCount",
                    "dimensions": target_group,
                    "period": 60,
                    "stat": "Minimum",
                },
            },
            {
                "id": "desired",
                "return_data": False,
                "metric": {
                    "namespace": "ECS/ContainerInsights",
                    "metric_name": "DesiredTaskCount",
                    "dimensions": {"ClusterName": args.cluster_name, "ServiceName": args.web_service_name},
                    "period": 60,
                    "stat": "Maximum",
                },
            },
            {
                "id": "down",
                "label": "web tasks wanted but none healthy",
                "expression": "IF(FILL(desired, 0) > 0 AND FILL(healthy, 0) < 1, 1, 0)",
                "return_data": True,
            },
        ],
    )
