"""An ACM certificate validated through a DNS record in a Route 53 zone: the edge's (us-east-1, the
only region CloudFront reads) and the load balancer's origin certificate (the stack's region)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from ._base import merge_tags


def dns_validated_certificate(
    resource_name: str,
    *,
    domain: str,
    zone_id: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    region: str | None = None,
) -> pulumi.Output[str]:
    """The ARN of `domain`'s certificate once ACM has issued it. Children: `<resource_name>`,
    `<resource_name>-validation` (the record) and `<resource_name>-validated`. `region`: where the
    certificate is used; default: the stack's."""
    child = pulumi.ResourceOptions(parent=parent)
    regional = {"region": region} if region else {}
    certificate = aws.acm.Certificate(
        resource_name,
        domain_name=domain,
        validation_method="DNS",
        tags=merge_tags(tags, Name=domain),
        opts=child,
        **regional,
    )

    def validation(field_name: str) -> pulumi.Output[str]:
        # Records are created per known domain name, so their number never depends on an apply.
        return certificate.domain_validation_options.apply(
            lambda options: next(str(getattr(o, field_name)) for o in options if o.domain_name == domain)
        )

    record = aws.route53.Record(
        f"{resource_name}-validation",
        zone_id=zone_id,
        name=validation("resource_record_name"),
        type=validation("resource_record_type"),
        records=[validation("resource_record_value")],
        ttl=300,
        # ACM reuses the same record for a re-issued certificate; taking it over keeps re-creation working.
        allow_overwrite=True,
        opts=child,
    )
    validated = aws.acm.CertificateValidation(
        f"{resource_name}-validated",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        opts=child,
        **regional,
    )
    return validated.certificate_arn
