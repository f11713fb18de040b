"""The public edge: one CloudFront distribution in front of the internal ALB and the static and
media buckets, the WAF that screens it, the certificate and DNS of a custom domain, and an optional
Amplify app for front-end assets.

Everything CloudFront-scoped that AWS keeps in us-east-1 (the ACM certificate, the WAF web ACL and
its logs, the standard-logging delivery) names that region on the resource (pulumi-aws 7's
`region`), through the stack's own provider, so the stack's `aws:*` config (profile, assumed roles,
allowed accounts, default tags) applies there too and the stack's own region can be anything.

What the distribution serves from where, what the WAF does and which headers go out are decided by
the pure modules below this one (`behaviors`, `waf`, `headers`, `functions`); this module only
turns their data into resources.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .._base import merge_tags, physical_name, type_token
from ..certificates import dns_validated_certificate
from ..handles import Site
from .behaviors import (
    Policies,
    default_behavior,
    error_responses,
    ordered_behaviors,
    origins,
    viewer_certificate,
)
from .config import (
    ALL_VIEWER_EXCEPT_HOST,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
    CORS_S3_ORIGIN,
    EDGE_REGION,
    LOG_SUFFIX_PATH,
    MAINTENANCE_PAGE,
    EdgeArgs,
)
from .functions import FORWARDED_HOST_FUNCTION, FORWARDED_HOST_HEADER
from .headers import amplify_custom_headers, security_headers_config
from .waf import log_key_policy, redacted_fields, visibility, web_acl_rules


class Edge(pulumi.ComponentResource):
    """CloudFront + WAF + custom domain in front of the app (see the module docstring)."""

    distribution_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    distribution_domain_name: pulumi.Output[str]
    site_host: pulumi.Output[str]
    """The host viewers use: the custom domain when configured, else the `*.cloudfront.net` name."""
    site_url: pulumi.Output[str]
    origin_host: pulumi.Output[str]
    """The Host header Django receives from CloudFront: the ALB's name (or `origin_domain_name`)."""
    forwarded_host_header: str
    """Header carrying the viewer's Host to Django (read it with USE_X_FORWARDED_HOST = True)."""
    web_acl_arn: pulumi.Output[str] | None
    waf_metric_name: str | None
    """CloudWatch `WebACL` dimension of the web ACL's metrics (in us-east-1), for alarms."""
    certificate_arn: pulumi.Output[str] | None
    amplify_app_id: pulumi.Output[str] | None
    amplify_default_domain: pulumi.Output[str] | None

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("edge", "Edge"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Names AWS requires to be unique per account carry the stack, so staging and prod can share one.
        physical = physical_name(name, pulumi.get_stack())
        tags = args.stack.tags

        at_edge = child

        invoke = pulumi.InvokeOutputOptions(parent=self)
        caching_disabled = aws.cloudfront.get_cache_policy_output(name=CACHING_DISABLED, opts=invoke).id
        caching_optimized = aws.cloudfront.get_cache_policy_output(name=CACHING_OPTIMIZED, opts=invoke).id
        all_viewer_except_host = aws.cloudfront.get_origin_request_policy_output(
            name=ALL_VIEWER_EXCEPT_HOST, opts=invoke
        ).id
        cors_s3 = aws.cloudfront.get_origin_request_policy_output(name=CORS_S3_ORIGIN, opts=invoke).id

        origin_host = pulumi.Output.from_input(
            args.load_balancer.origin_domain_name or args.load_balancer.dns_name
        )
        vpc_origin = aws.cloudfront.VpcOrigin(
            f"{name}-alb-origin",
            vpc_origin_endpoint_config={
                "name": f"{physical}-alb",
                "arn": args.load_balancer.arn,
                "http_port": 80,
                "https_port": 443,
                "origin_protocol_policy": "https-only" if args.load_balancer.https else "http-only",
                "origin_ssl_protocols": {"items": ["TLSv1.2"], "quantity": 1},
            },
            tags=merge_tags(tags, Name=f"{name}-alb-origin"),
            opts=child,
        )

        # One origin access control per bucket: CloudFront signs every request (SigV4, always), and
        # each bucket's policy admits only this distribution's ARN, so the buckets stay private.
        access_controls = {
            role: aws.cloudfront.OriginAccessControl(
                f"{name}-{role}-oac",
                description=f"CloudFront reads the {role} bucket of {physical}",
                origin_access_control_origin_type="s3",
                signing_behavior="always",
                signing_protocol="sigv4",
                opts=child,
            )
            for role in ("static", "media")
        }

        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-security-headers",
            comment=f"Security headers for {physical}",
            security_headers_config=security_headers_config(args.hsts_max_age_seconds),
            opts=child,
        )

        forwarded_host = aws.cloudfront.Function(
            f"{name}-forwarded-host",
            runtime="cloudfront-js-2.0",
            comment="Copies the viewer's Host into X-Forwarded-Host for Django",
            code=FORWARDED_HOST_FUNCTION,
            publish=True,
            # No tags: CreateFunction with tags is reported to fail with a 409, and a function is
            # found through its distribution, not its tags.
            opts=child,
        )

        web_acl = self._web_acl(name, physical, args, at_edge) if args.config.waf_enabled else None
        certificate_arn = self._certificate(name, args) if args.config.domain_name else None

        policies = Policies(
            caching_disabled=caching_disabled,
            caching_optimized=caching_optimized,
            all_viewer_except_host=all_viewer_except_host,
            cors_s3=cors_s3,
            security_headers=headers.id,
        )
        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            comment=f"{physical}: app, static files and media",
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=args.config.price_class,
            aliases=[args.config.domain_name] if args.config.domain_name else None,
            web_acl_id=web_acl.arn if web_acl is not None else None,
            origins=origins(
                alb_host=origin_host,
                vpc_origin_id=vpc_origin.id,
                static_domain=args.buckets.static_regional_domain_name,
                static_access_control_id=access_controls["static"].id,
                media_domain=args.buckets.media_regional_domain_name,
                media_access_control_id=access_controls["media"].id,
            ),
            default_cache_behavior=default_behavior(policies, forwarded_host.arn),
            ordered_cache_behaviors=ordered_behaviors(
                args.media_public_path_pattern,
                policies,
                args.buckets.media_signing.key_group_id if args.buckets.media_signing is not None else None,
            ),
            custom_error_responses=error_responses(args.maintenance_page_path, args.error_caching_seconds),
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=viewer_certificate(certificate_arn),
            tags=merge_tags(tags, Name=f"{name}-cdn"),
            opts=child,
        )

        if args.upload_maintenance_page:
            aws.s3.BucketObjectv2(
                f"{name}-maintenance-page",
                bucket=args.buckets.static_name,
                key=args.maintenance_page_path.lstrip("/"),
                content=MAINTENANCE_PAGE,
                content_type="text/html; charset=utf-8",
                cache_control="no-cache",
                tags=tags,
                opts=child,
            )

        self._access_logs(name, args, distribution, at_edge)

        if args.config.domain_name and args.config.hosted_zone_id:
            for record_type in ("A", "AAAA"):
                aws.route53.Record(
                    f"{name}-alias-{record_type.lower()}",
                    zone_id=args.config.hosted_zone_id,
                    name=args.config.domain_name,
                    type=record_type,
                    aliases=[
                        {
                            "name": distribution.domain_name,
                            "zone_id": distribution.hosted_zone_id,
                            "evaluate_target_health": False,
                        }
                    ],
                    opts=child,
                )

        amplify_app_id: pulumi.Output[str] | None = None
        amplify_default_domain: pulumi.Output[str] | None = None
        self.site_host = (
            pulumi.Output.from_input(args.config.domain_name)
            if args.config.domain_name
            else distribution.domain_name
        )
        self.site_url = pulumi.Output.concat("https://", self.site_host)
        if args.config.amplify_repository:
            amplify_app_id, amplify_default_domain = self._amplify(name, args, child, self.site_url)

        self.distribution_id = distribution.id
        self.distribution_arn = distribution.arn
        self.distribution_domain_name = distribution.domain_name
        self.origin_host = origin_host
        self.forwarded_host_header = FORWARDED_HOST_HEADER
        self.web_acl_arn = web_acl.arn if web_acl is not None else None
        self.waf_metric_name = f"{physical}-waf" if web_acl is not None else None
        self.certificate_arn = certificate_arn
        self.amplify_app_id = amplify_app_id
        self.amplify_default_domain = amplify_default_domain
        self.register_outputs(
            {
                "distribution_id": self.distribution_id,
                "distribution_arn": self.distribution_arn,
                "distribution_domain_name": self.distribution_domain_name,
                "site_host": self.site_host,
                "site_url": self.site_url,
                "origin_host": self.origin_host,
                "forwarded_host_header": self.forwarded_host_header,
                "web_acl_arn": self.web_acl_arn,
                "waf_metric_name": self.waf_metric_name,
                "certificate_arn": self.certificate_arn,
                "amplify_app_id": self.amplify_app_id,
                "amplify_default_domain": self.amplify_default_domain,
            }
        )

    def _web_acl(
        self, name: str, physical: str, args: EdgeArgs, at_edge: pulumi.ResourceOptions
    ) -> aws.wafv2.WebAcl:
        web_acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            description=f"Screens requests to {physical} before CloudFront serves them",
            scope="CLOUDFRONT",
            default_action={"allow": {}},
            rules=web_acl_rules(physical, args.config.waf_rate_limit),
            visibility_config=visibility(f"{physical}-waf"),
            tags=merge_tags(args.stack.tags, Name=f"{name}-waf"),
            region=EDGE_REGION,
            opts=at_edge,
        )
        self._waf_logging(name, physical, args, web_acl)
        return web_acl

    def _waf_logging(self, name: str, physical: str, args: EdgeArgs, web_acl: aws.wafv2.WebAcl) -> None:
        """The WAF's request log in CloudWatch Logs. WAF writes only to a group named `aws-waf-logs-*`
        in the web ACL's region (us-east-1 for CloudFront); a log group's key must be in its own
        region, so the stack key can't be used and the log gets a small us-east-1 key of its own.
        Credentials never reach the log: the Authorization and Cookie headers are redacted."""
        group_name = f"aws-waf-logs-{physical}"
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        key = aws.kms.Key(
            f"{name}-waf-logs-key",
            description=f"Encrypts the WAF log {group_name} in {EDGE_REGION}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(lambda account_id: log_key_policy(account_id, group_name)),
            tags=merge_tags(args.stack.tags, Name=f"{name}-waf-logs"),
            region=EDGE_REGION,
            opts=pulumi.ResourceOptions(parent=self, protect=args.stack.keep_data),
        )
        group = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs",
            name=group_name,
            retention_in_days=args.stack.log_retention_days,
            kms_key_id=key.arn,
            tags=merge_tags(args.stack.tags, Name=group_name),
            region=EDGE_REGION,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=web_acl.arn,
            log_destination_configs=[group.arn],
            redacted_fields=redacted_fields(),
            region=EDGE_REGION,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _certificate(self, name: str, args: EdgeArgs) -> pulumi.Output[str]:
        """An ACM certificate in us-east-1 (the only region CloudFront reads), DNS-validated in the zone."""
        assert args.config.domain_name and args.config.hosted_zone_id  # checked by EdgeConfig
        return dns_validated_certificate(
            f"{name}-certificate",
            domain=args.config.domain_name,
            zone_id=args.config.hosted_zone_id,
            tags=args.stack.tags,
            parent=self,
            region=EDGE_REGION,
        )

    def _access_logs(
        self,
        name: str,
        args: EdgeArgs,
        distribution: aws.cloudfront.Distribution,
        at_edge: pulumi.ResourceOptions,
    ) -> None:
        """CloudFront standard logging (v2): delivered by CloudWatch Logs as the `delivery.logs`
        service under the bucket policy, so the log bucket keeps ACLs disabled (BucketOwnerEnforced);
        legacy logging would need an ACL grant to CloudFront's log account."""
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-access-logs",
            log_type="ACCESS_LOGS",
            resource_arn=distribution.arn,
            tags=args.stack.tags,
            region=EDGE_REGION,
            opts=at_edge,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-access-logs-bucket",
            output_format="json",
            delivery_destination_configuration={
                "destination_resource_arn": pulumi.Output.concat(
                    "arn:", partition, ":s3:::", args.buckets.log_name, "/", args.log_prefix
                )
            },
            tags=args.stack.tags,
            region=EDGE_REGION,
            opts=at_edge,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-access-logs-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            s3_delivery_configurations=[
                {"suffix_path": LOG_SUFFIX_PATH, "enable_hive_compatible_path": False}
            ],
            tags=args.stack.tags,
            region=EDGE_REGION,
            opts=at_edge,
        )

    def _amplify(
        self, name: str, args: EdgeArgs, child: pulumi.ResourceOptions, site_url: pulumi.Output[str]
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """Amplify builds the front-end repository and hosts it on its own CloudFront, with the same
        security headers as the distribution."""
        app = aws.amplify.App(
            f"{name}-frontend",
            repository=args.config.amplify_repository,
            access_token=args.config.amplify_access_token,
            platform="WEB",
            enable_branch_auto_build=True,
            custom_headers=amplify_custom_headers(args.hsts_max_age_seconds),
            environment_variables={**args.amplify_environment, "API_URL": site_url},
            tags=merge_tags(args.stack.tags, Name=f"{name}-frontend"),
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["accessToken"]),
        )
        branch = aws.amplify.Branch(
            f"{name}-frontend-{args.config.amplify_branch.replace('/', '-')}",
            app_id=app.id,
            branch_name=args.config.amplify_branch,
            stage=args.amplify_stage,
            enable_auto_build=True,
            tags=args.stack.tags,
            opts=child,
        )
        if args.config.domain_name:
            # Amplify validates the certificate it issues and adds the records itself when the zone
            # is in Route 53 in this account; `pulumi up` does not wait for that (it can take hours).
            aws.amplify.DomainAssociation(
                f"{name}-frontend-domain",
                app_id=app.id,
                domain_name=args.config.domain_name,
                sub_domains=[
                    {"branch_name": branch.branch_name, "prefix": args.config.amplify_domain_prefix}
                ],
                wait_for_verification=False,
                opts=child,
            )
        return app.id, app.default_domain

    @property
    def site(self) -> Site:
        """The public site as the application and the alarms need it."""
        return Site(
            url=self.site_url,
            host=self.site_host,
            origin_host=self.origin_host,
            distribution_id=self.distribution_id,
            distribution_arn=self.distribution_arn,
            waf_metric_name=self.waf_metric_name,
        )
