"""The internal Application Load Balancer in front of the Django web tasks.

The ALB has no public address: it lives in the private app subnets and CloudFront reaches it through
a CloudFront VPC origin, which the edge tier creates from `.arn`. Its security group admits only
CloudFront's origin-facing addresses (or, once it exists, the service-managed group CloudFront puts
on its VPC-origin interfaces), on the one port CloudFront uses; it can send only to the web tasks'
group on the container port. See "Application tier" in the README for why this source was chosen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, type_token
from .app_values import CERTIFICATE_ARN, HOST_NAME, SECURITY_GROUP_ID
from .certificates import dns_validated_certificate
from .config_base import Problem, ValidatedConfig, between, collect
from .handles import AlbTarget, Buckets, Placement, WorkloadGroups

# AWS-managed prefix list of the addresses CloudFront uses to reach origins, VPC origins included.
CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
# TLS 1.3 with TLS 1.2 fallback and forward secrecy only: what CloudFront negotiates with origins.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HTTP_PORT = 80
HTTPS_PORT = 443


@dataclass(frozen=True, kw_only=True)
class LoadBalancerConfig(ValidatedConfig):
    """What an operator sets for the internal ALB."""

    health_check_path: str
    """Path the ALB requests on each web task; a 200 marks the task healthy."""
    deregistration_delay_seconds: int
    """Seconds a draining task keeps serving in-flight requests before it is deregistered (0-3600)."""
    certificate_arn: str | None
    """ACM certificate in the stack's region for an HTTPS listener (HTTP then only redirects); None:
    the stack creates one for the origin name when it has a hosted zone, or serves HTTP only."""
    origin_domain_name: str | None
    """Host name CloudFront uses for the ALB, one `certificate_arn` covers; None: `origin.<domainName>`
    when the stack has a domain, or the ALB's own DNS name."""
    deletion_protection: bool
    """Refuse deletion of the ALB through the AWS API."""
    idle_timeout_seconds: int
    """Seconds an idle connection stays open (1-4000); gunicorn's keep-alive is set longer."""
    cloudfront_security_group_id: str | None
    """The `CloudFront-VPCOrigins-Service-SG` group CloudFront creates in the VPC with the first VPC
    origin: when set, the ALB admits only that group; None: CloudFront's origin-facing prefix list,
    which works before the VPC origin exists."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        path = values["health_check_path"]
        certificate = values["certificate_arn"]
        origin = values["origin_domain_name"]
        group = values["cloudfront_security_group_id"]
        found = [
            between("deregistration_delay_seconds", values["deregistration_delay_seconds"], 0, 3600),
            between("idle_timeout_seconds", values["idle_timeout_seconds"], 1, 4000),
        ]
        if not path.startswith("/") or " " in path or len(path) > 1024:
            found.append(
                Problem(
                    field="health_check_path",
                    value=path,
                    fix="expected an absolute URL path such as /health/ (no spaces, at most 1024 characters)",
                )
            )
        if certificate is not None and not CERTIFICATE_ARN.match(certificate):
            found.append(
                Problem(
                    field="certificate_arn",
                    value=certificate,
                    fix="expected empty or an ACM certificate ARN in the stack's region "
                    "(arn:aws:acm:<region>:<account>:certificate/<id>)",
                )
            )
        if origin is not None and not HOST_NAME.match(origin):
            found.append(
                Problem(
                    field="origin_domain_name",
                    value=origin,
                    fix="expected a host name such as 'origin.epicvibe.example.com'",
                )
            )
        if (certificate is None) != (origin is None):
            found.append(
                Problem(
                    field="origin_domain_name",
                    value=origin or "",
                    fix="set it together with albCertificateArn, to a name that certificate covers: "
                    "CloudFront checks the ALB's certificate against the origin's name, and no "
                    "certificate can cover the ALB's own DNS name",
                )
            )
        if group is not None and not SECURITY_GROUP_ID.match(group):
            found.append(
                Problem(
                    field="cloudfront_security_group_id",
                    value=group,
                    fix="expected empty or the id (sg-...) of CloudFront-VPCOrigins-Service-SG in the "
                    "stack's VPC",
                )
            )
        return collect(*found)


@dataclass(frozen=True)
class LoadBalancerArgs:
    config: LoadBalancerConfig
    """What the operator set. Required."""
    placement: Placement
    """The network's placement: the load balancer and its target group belong to its VPC, the ALB's
    interfaces live in its private app subnets (one per AZ). Required."""
    workloads: WorkloadGroups
    """The workloads' groups: this component admits the ALB into the web group on the container
    port. Required."""
    buckets: Buckets
    """The storage's buckets: the log bucket receives the access logs (SSE-S3, ALB delivery allowed
    under `alb/`). Required."""
    container_port: int = 8000
    """Port gunicorn listens on in the web container (the services' config); the target group
    forwards to it. Default: 8000."""
    origin_domain_name: str | None = None
    """Host name CloudFront uses for the ALB: `config.origin_domain_name`, or the one the program
    derives from the site's domain. With `hosted_zone_id` and no `config.certificate_arn`, the
    component creates an ACM certificate for it in the stack's region, validates it in that zone,
    points the name at the ALB and serves HTTPS with it. Default: none."""
    hosted_zone_id: str | None = None
    """Route 53 zone that holds `origin_domain_name`. Default: none."""
    access_log_prefix: str = "alb"
    """Key prefix of the access logs in the log bucket. Default: alb."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags merged into every taggable child. Default: none."""

    def __post_init__(self) -> None:
        if not 1024 <= self.container_port <= 65535:
            raise ValueError(
                f"container_port {self.container_port}: use an unprivileged port from 1024 to 65535 (e.g. 8000)"
            )
        if bool(self.origin_domain_name) != bool(self.hosted_zone_id) and self.config.certificate_arn is None:
            raise ValueError(
                f"origin_domain_name {self.origin_domain_name!r} / hosted_zone_id {self.hosted_zone_id!r}: "
                "give both to have the origin certificate created, or a config.certificate_arn"
            )
        if not re.fullmatch(r"[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*", self.access_log_prefix):
            raise ValueError(
                f"access_log_prefix {self.access_log_prefix!r}: use an S3 key prefix without leading "
                "or trailing '/', e.g. 'alb'"
            )


class LoadBalancer(pulumi.ComponentResource):
    """Internal ALB, its security group, listeners and the web target group."""

    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    listener_port: int
    https: bool

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("load_balancer", "LoadBalancer"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags
        config = args.config
        creates_certificate = config.certificate_arn is None and bool(
            args.origin_domain_name and args.hosted_zone_id
        )
        self.https = config.certificate_arn is not None or creates_certificate
        # CloudFront reaches the ALB on exactly one port: 443 with a certificate, 80 without.
        self.listener_port = HTTPS_PORT if self.https else HTTP_PORT

        # No inline rules: every rule is its own resource below, so nothing here competes with
        # rules other tiers add. The provider also removes the allow-all egress AWS adds by default.
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description="Internal ALB: from CloudFront VPC origins only, to the web tasks only",
            vpc_id=args.placement.vpc_id,
            tags=merge_tags(tags, Name=f"{name}-alb"),
            opts=child,
        )
        self._admit_cloudfront(name, args, security_group, child)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-web",
            security_group_id=security_group.id,
            description="To the web tasks on the container port",
            ip_protocol="tcp",
            from_port=args.container_port,
            to_port=args.container_port,
            referenced_security_group_id=args.workloads.web_security_group_id,
            tags=merge_tags(tags, Name=f"{name}-to-web"),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-web-from-alb",
            security_group_id=args.workloads.web_security_group_id,
            description="From the internal ALB on the container port",
            ip_protocol="tcp",
            from_port=args.container_port,
            to_port=args.container_port,
            referenced_security_group_id=security_group.id,
            tags=merge_tags(tags, Name=f"{name}-web-from-alb"),
            opts=child,
        )

        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=True,
            subnets=args.placement.app_subnet_ids,
            security_groups=[security_group.id],
            drop_invalid_header_fields=True,
            idle_timeout=config.idle_timeout_seconds,
            enable_deletion_protection=config.deletion_protection,
            access_logs={"bucket": args.buckets.log_name, "prefix": args.access_log_prefix, "enabled": True},
            tags=merge_tags(tags, Name=f"{name}-alb"),
            opts=child,
        )

        target_group = aws.lb.TargetGroup(
            f"{name}-web",
            target_type="ip",  # Fargate tasks register by their ENI address
            vpc_id=args.placement.vpc_id,
            port=args.container_port,
            protocol="HTTP",
            protocol_version="HTTP1",
            deregistration_delay=config.deregistration_delay_seconds,
            # A slow Django view should not pile more requests onto the task that is serving it.
            load_balancing_algorithm_type="least_outstanding_requests",
            health_check={
                "enabled": True,
                "path": config.health_check_path,
                "port": "traffic-port",
                "protocol": "HTTP",
                "matcher": "200",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            tags=merge_tags(tags, Name=f"{name}-web"),
            opts=child,
        )

        certificate_arn = (
            self._origin_certificate(name, args, alb) if creates_certificate else config.certificate_arn
        )
        if certificate_arn is not None:
            listener = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=alb.arn,
                port=HTTPS_PORT,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=certificate_arn,
                default_actions=[{"type": "forward", "target_group_arn": target_group.arn}],
                tags=merge_tags(tags, Name=f"{name}-https"),
                opts=child,
            )
            # The security group does not admit port 80 (a second prefix-list rule would exceed the
            # default rules-per-group quota); the listener exists so that plain HTTP, if it ever
            # arrives, is answered with a redirect and never served.
            aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=HTTP_PORT,
                protocol="HTTP",
                default_actions=[
                    {
                        "type": "redirect",
                        "redirect": {"protocol": "HTTPS", "port": str(HTTPS_PORT), "status_code": "HTTP_301"},
                    }
                ],
                tags=merge_tags(tags, Name=f"{name}-http"),
                opts=child,
            )
        else:
            listener = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=HTTP_PORT,
                protocol="HTTP",
                default_actions=[{"type": "forward", "target_group_arn": target_group.arn}],
                tags=merge_tags(tags, Name=f"{name}-http"),
                opts=child,
            )

        self.arn = alb.arn
        self.arn_suffix = alb.arn_suffix
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.security_group_id = security_group.id
        # ECS refuses a service whose target group is not yet attached to a load balancer. Resolving
        # the ARN only after the forwarding listener exists makes every consumer wait for it.
        self.target_group_arn = pulumi.Output.all(target_group.arn, listener.arn).apply(lambda arns: arns[0])
        self.target_group_arn_suffix = target_group.arn_suffix
        self.origin_domain_name = args.origin_domain_name
        self.idle_timeout_seconds = config.idle_timeout_seconds
        self.register_outputs(
            {
                "arn": self.arn,
                "arn_suffix": self.arn_suffix,
                "dns_name": self.dns_name,
                "zone_id": self.zone_id,
                "security_group_id": self.security_group_id,
                "target_group_arn": self.target_group_arn,
                "target_group_arn_suffix": self.target_group_arn_suffix,
                "listener_port": self.listener_port,
                "https": self.https,
            }
        )

    def _origin_certificate(
        self, name: str, args: LoadBalancerArgs, alb: aws.lb.LoadBalancer
    ) -> pulumi.Output[str]:
        """An ACM certificate for the origin name in the stack's region (where the ALB reads it),
        DNS-validated in the zone, and the name pointed at the ALB: CloudFront then verifies the
        ALB's certificate against a name it covers, as it can't for the ALB's own DNS name."""
        assert args.origin_domain_name and args.hosted_zone_id  # checked by the caller
        domain = args.origin_domain_name
        certificate_arn = dns_validated_certificate(
            f"{name}-origin-certificate",
            domain=domain,
            zone_id=args.hosted_zone_id,
            tags=args.tags,
            parent=self,
        )
        aws.route53.Record(
            f"{name}-origin-name",
            zone_id=args.hosted_zone_id,
            name=domain,
            type="CNAME",
            records=[alb.dns_name],
            ttl=300,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return certificate_arn

    def _admit_cloudfront(
        self,
        name: str,
        args: LoadBalancerArgs,
        security_group: aws.ec2.SecurityGroup,
        child: pulumi.ResourceOptions,
    ) -> None:
        port = self.listener_port
        if args.config.cloudfront_security_group_id is not None:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-cloudfront",
                security_group_id=security_group.id,
                description="From CloudFront VPC origin interfaces (CloudFront-VPCOrigins-Service-SG)",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=args.config.cloudfront_security_group_id,
                tags=merge_tags(args.tags, Name=f"{name}-from-cloudfront"),
                opts=child,
            )
            return
        prefix_list = aws.ec2.get_managed_prefix_list_output(
            name=CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        # A rule naming this list counts as the list's maximum size (about 55) against the group's
        # 60-rule quota, which is why CloudFront is admitted on one port only.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-cloudfront",
            security_group_id=security_group.id,
            description="From CloudFront origin-facing addresses (VPC origin)",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            prefix_list_id=prefix_list.id,
            tags=merge_tags(args.tags, Name=f"{name}-from-cloudfront"),
            opts=child,
        )

    @property
    def target(self) -> AlbTarget:
        """The load balancer as CloudFront, the web service and the alarms need it."""
        return AlbTarget(
            arn=self.arn,
            arn_suffix=self.arn_suffix,
            dns_name=self.dns_name,
            https=self.https,
            origin_domain_name=self.origin_domain_name if self.https else None,
            idle_timeout_seconds=self.idle_timeout_seconds,
            target_group_arn=self.target_group_arn,
            target_group_arn_suffix=self.target_group_arn_suffix,
        )
