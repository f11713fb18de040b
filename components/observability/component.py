"""Operations: an alarm topic, CloudWatch alarms on every tier, and one dashboard of the same metrics.

Alarms are built from the identifiers the other tiers export (ALB and target-group ARN suffixes,
ECS cluster and service names, RDS instance identifiers, the Redis replication group, the WAF's
metric name). Each alarm notifies the topic when it fires and when it recovers.

CloudWatch alarms can only notify a topic in their own region, and the WAF of a CloudFront
distribution reports its metrics in us-east-1, so the WAF alarm and a second topic (with its own
us-east-1 KMS key) live there: each names the region itself (pulumi-aws 7's `region`) through the
stack's own provider, so the stack's `aws:*` config applies there too.

What the alarms and the dashboard contain is decided by the pure modules below this one
(`alarms`, `dashboard`, `topic_policy`); this module only turns their data into resources.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .._base import merge_tags, physical_name, type_token
from ..handles import AlbTarget, CacheEndpoint, DatabaseEndpoint, RunningServices, Site, StackWide
from .alarms import AlarmSpec, Watched, alarm_catalogue, cache_node_id
from .config import EDGE_REGION, ObservabilityConfig
from .dashboard import dashboard_body
from .topic_policy import alarm_topic_policy, edge_topic_key_policy


@dataclass(frozen=True, kw_only=True)
class ObservabilityArgs:
    """The stack's observability config plus what the other tiers expose for it to watch."""

    config: ObservabilityConfig
    """The alarm e-mail and thresholds (validated by `ObservabilityConfig`). Required."""
    stack: StackWide
    """The stack's shared values: its KMS key encrypts the alarm topic (its key policy must let
    `cloudwatch.amazonaws.com` use it, kms:Decrypt and kms:GenerateDataKey*, or alarm notifications
    are dropped); `keep_data` protects the us-east-1 key that encrypts the edge alarm topic, like the
    stack key; `tags`. Required."""
    load_balancer: AlbTarget
    """`LoadBalancer.target`: its ARN suffixes are the ALB metrics' LoadBalancer and TargetGroup
    dimensions. Required."""
    services: RunningServices
    """`DjangoServices.running`: the ECS cluster and its web and Celery worker services. When the web
    service is scaled to zero on a schedule (`web_scales_to_zero`), the no-healthy-hosts alarm fires
    only while web tasks are wanted: in its `web_wanted_slots` when given, otherwise when Container
    Insights' DesiredTaskCount is above zero. Required."""
    database: DatabaseEndpoint
    """`Database.connection`: the primary's instance identifier, and one identifier per read
    replica, each of which gets a lag alarm. Required."""
    cache: CacheEndpoint
    """`Cache.endpoint`: the replication group (its nodes are `<id>-001`, `<id>-002`, ...) and its
    node count (primary plus replicas, 1 to 6). Required."""
    site: Site
    """`Edge.site`: its distribution is shown on the dashboard; its WAF metric name, when not None,
    adds the WAF alarm and the us-east-1 topic. Required."""

    def __post_init__(self) -> None:
        if not 1 <= self.cache.node_count <= 6:
            raise ValueError(
                f"cache.node_count {self.cache.node_count}: a replication group has 1 to 6 nodes; "
                "pass the cache's own handle (`Cache.endpoint`)"
            )
        if self.site.waf_metric_name is not None and not self.site.waf_metric_name:
            raise ValueError("site.waf_metric_name '': pass Edge.site, whose name is None without a WAF")


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

        topic = self._topic(name, args, region, account, child)
        topics: dict[str | None, aws.sns.Topic] = {None: topic}
        self.edge_topic_arn = None
        if args.site.waf_metric_name:
            topics[EDGE_REGION] = edge_topic = self._edge_topic(name, args, account, child)
            self.edge_topic_arn = edge_topic.arn

        group = pulumi.Output.from_input(args.cache.replication_group_id)
        watched = Watched(
            alb_arn_suffix=args.load_balancer.arn_suffix,
            target_group_arn_suffix=args.load_balancer.target_group_arn_suffix,
            cluster_name=args.services.cluster_name,
            web_service_name=args.services.web_service_name,
            worker_service_name=args.services.worker_service_name,
            db_instance_identifier=args.database.instance_identifier,
            db_replica_identifiers=args.database.replica_identifiers,
            cache_nodes=[_cache_node(group, index) for index in range(1, args.cache.node_count + 1)],
            waf_metric_name=args.site.waf_metric_name,
        )
        specs = alarm_catalogue(
            args.config.alarms,
            watched,
            web_scales_to_zero=args.services.web_scales_to_zero,
            web_wanted_slots=args.services.web_wanted_slots,
        )
        created = [self._alarm(name, spec, topics[spec.region], args.stack.tags, child) for spec in specs]

        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=physical_name(name, pulumi.get_stack()),
            dashboard_body=pulumi.Output.all(
                region=region, watched=_resolved(watched), distribution=args.site.distribution_id
            ).apply(
                lambda known: json.dumps(
                    dashboard_body(
                        args.config.alarms,
                        known["watched"],
                        region=known["region"],
                        distribution_id=known["distribution"],
                    ),
                    sort_keys=True,
                )
            ),
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

    def _topic(
        self,
        name: str,
        args: ObservabilityArgs,
        region: pulumi.Output[str],
        account: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> aws.sns.Topic:
        topic = aws.sns.Topic(
            f"{name}-alarms",
            display_name=f"{name} alarms",
            kms_master_key_id=args.stack.kms_key_arn,
            tags=merge_tags(args.stack.tags, Name=f"{name}-alarms"),
            opts=child,
        )
        self._topic_policy(f"{name}-alarms-policy", topic, region, account, child)
        if args.config.alarm_email:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.config.alarm_email,
                opts=child,
            )
        return topic

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
        aws.sns.TopicPolicy(
            resource_name,
            arn=topic.arn,
            region=in_region,
            policy=pulumi.Output.all(topic.arn, region, account).apply(
                lambda v: json.dumps(alarm_topic_policy(v[0], v[1], v[2]))
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
            policy=account.apply(lambda account_id: json.dumps(edge_topic_key_policy(account_id))),
            tags=merge_tags(args.stack.tags, Name=f"{name}-edge-alarms"),
            region=EDGE_REGION,
            opts=pulumi.ResourceOptions.merge(at_edge, pulumi.ResourceOptions(protect=args.stack.keep_data)),
        )
        topic = aws.sns.Topic(
            f"{name}-edge-alarms",
            display_name=f"{name} alarms ({EDGE_REGION})",
            kms_master_key_id=key.arn,
            tags=merge_tags(args.stack.tags, Name=f"{name}-edge-alarms"),
            region=EDGE_REGION,
            opts=at_edge,
        )
        self._topic_policy(
            f"{name}-edge-alarms-policy", topic, EDGE_REGION, account, at_edge, in_region=EDGE_REGION
        )
        if args.config.alarm_email:
            aws.sns.TopicSubscription(
                f"{name}-edge-alarms-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.config.alarm_email,
                region=EDGE_REGION,
                opts=at_edge,
            )
        return topic

    # --- alarms --------------------------------------------------------------------------------

    def _alarm(
        self,
        name: str,
        spec: AlarmSpec,
        topic: aws.sns.Topic,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions,
    ) -> aws.cloudwatch.MetricAlarm:
        metric = spec.metric or {}
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.role}",
            region=spec.region,
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


def _cache_node(group: pulumi.Output[str], index: int) -> pulumi.Output[str]:
    return group.apply(lambda name: cache_node_id(name, index))


def _resolved(watched: Watched) -> pulumi.Output[Watched]:
    """The same identifiers once they are known: the dashboard body is one JSON string."""
    return pulumi.Output.all(
        alb_arn_suffix=watched.alb_arn_suffix,
        target_group_arn_suffix=watched.target_group_arn_suffix,
        cluster_name=watched.cluster_name,
        web_service_name=watched.web_service_name,
        worker_service_name=watched.worker_service_name,
        db_instance_identifier=watched.db_instance_identifier,
        db_replica_identifiers=pulumi.Output.all(*watched.db_replica_identifiers),
        cache_nodes=pulumi.Output.all(*watched.cache_nodes),
    ).apply(lambda ids: Watched(**ids, waf_metric_name=watched.waf_metric_name))
