"""Edge: the custom domain (a validated us-east-1 certificate, TLS 1.2, DNS records), the host header
Django receives, and the edge each stack's settings build.

The component is built directly with plain-string stand-ins for the app and data tiers' outputs,
and checked through what the engine would receive.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.edge import Edge
from offline.engine import Registrations, activate_mocks, build_components
from offline.mock_answers_edge import (
    CLOUDFRONT_HOSTED_ZONE_ID,
)
from offline.stack_config import load_stack_config
from settings import load_settings
from tests._edge import (
    ALB_DNS,
    AMPLIFY_APP,
    CERTIFICATE,
    CERTIFICATE_VALIDATION,
    DOMAIN,
    PROVIDER,
    RECORD,
    TOKEN,
    ZONE,
    alb,
    build_edge,
    distribution,
    edge_args,
    in_us_east_1,
    origin,
    resolve,
)
from tests.conftest import ROOT, STACKS

# --- TLS, certificate and DNS --------------------------------------------------------------------


def test_custom_domain_uses_a_validated_us_east_1_certificate_with_tls_1_2(
    build: Callable[..., Registrations],
) -> None:
    edge, built = build_edge(build, domain_name=DOMAIN, hosted_zone_id=ZONE)
    assert not built.of_type(PROVIDER)

    (certificate,) = built.of_type(CERTIFICATE)
    assert certificate.inputs["domainName"] == DOMAIN
    assert certificate.inputs["validationMethod"] == "DNS"
    assert in_us_east_1(certificate)
    assert certificate.outputs["arn"].startswith("arn:aws:acm:us-east-1:")

    (validation_option,) = certificate.outputs["domainValidationOptions"]
    validation_record = built.named("edge-certificate-validation")
    assert validation_record.inputs["zoneId"] == ZONE
    assert validation_record.inputs["name"] == validation_option["resourceRecordName"]
    assert validation_record.inputs["type"] == "CNAME"
    assert validation_record.inputs["records"] == [validation_option["resourceRecordValue"]]

    (validated,) = built.of_type(CERTIFICATE_VALIDATION)
    assert in_us_east_1(validated)
    assert validated.inputs["validationRecordFqdns"] == [validation_record.outputs["fqdn"]]

    inputs = distribution(built)
    assert inputs["aliases"] == [DOMAIN]
    assert inputs["viewerCertificate"] == {
        "acmCertificateArn": certificate.outputs["arn"],
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    # The distribution may only use the certificate once it is validated.
    assert validated.urn in built.named("edge-cdn").property_dependencies["viewerCertificate"]

    for record_type in ("A", "AAAA"):
        alias = built.named(f"edge-alias-{record_type.lower()}")
        assert alias.inputs["type"] == record_type
        assert alias.inputs["name"] == DOMAIN
        assert alias.inputs["zoneId"] == ZONE
        (target,) = alias.inputs["aliases"]
        assert target["zoneId"] == CLOUDFRONT_HOSTED_ZONE_ID
        assert target["name"].endswith(".cloudfront.net")

    assert resolve(edge.site_host) == DOMAIN
    assert resolve(edge.site_url) == f"https://{DOMAIN}"
    assert resolve(edge.certificate_arn) == certificate.outputs["arn"]  # type: ignore[arg-type]


def test_without_a_domain_the_cloudfront_name_and_certificate_are_used(
    default_edge: tuple[Edge, Registrations],
) -> None:
    edge, built = default_edge
    assert not built.of_type(CERTIFICATE, CERTIFICATE_VALIDATION, RECORD)
    inputs = distribution(built)
    assert not inputs.get("aliases")
    # CloudFront applies its TLSv1 policy to *.cloudfront.net whatever is asked; the plan says so.
    assert inputs["viewerCertificate"] == {
        "cloudfrontDefaultCertificate": True,
        "minimumProtocolVersion": "TLSv1",
    }
    host = resolve(edge.site_host)
    assert host.endswith(".cloudfront.net")
    assert host == built.named("edge-cdn").outputs["domainName"]
    assert resolve(edge.site_url) == f"https://{host}"
    assert edge.certificate_arn is None


@pytest.mark.parametrize(
    ("origin_domain_name", "expected"),
    [(None, ALB_DNS), ("origin.epicvibe.example.com", "origin.epicvibe.example.com")],
)
def test_origin_host_is_the_host_header_django_receives(
    build: Callable[..., Registrations], origin_domain_name: str | None, expected: str
) -> None:
    edge, built = build_edge(
        build, load_balancer=alb(https=origin_domain_name is not None, origin_domain_name=origin_domain_name)
    )
    assert resolve(edge.origin_host) == expected
    # AllViewerExceptHostHeader: CloudFront sends the origin's domain name as Host.
    assert origin(distribution(built), "alb")["domainName"] == expected


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"domain_name": DOMAIN}, "hosted_zone_id '': set together with the domain name"),
        ({"hosted_zone_id": ZONE}, f"hosted_zone_id '{ZONE}': set together with the domain name"),
        ({"price_class": "PriceClass_Cheap"}, "price_class 'PriceClass_Cheap'"),
        ({"waf_rate_limit": 5}, "waf_rate_limit 5"),
        ({"error_caching_seconds": 3600}, "error_caching_seconds 3600"),
        ({"log_prefix": "/cloudfront/"}, "log_prefix '/cloudfront/'"),
        ({"amplify_repository": "https://github.com/acme/frontend"}, "needs the Amplify access token"),
        ({"amplify_access_token": TOKEN}, "access token is given without a repository"),
        ({"amplify_stage": "prod"}, "amplify_stage 'prod'"),
    ],
)
def test_invalid_args_are_refused_naming_the_value_and_the_fix(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        edge_args(**overrides)


# --- per stack: settings drive the component the way __main__.py will --------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_stack_settings_shape_the_edge(stack: str) -> None:
    config = load_stack_config(ROOT, stack)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    monitor = activate_mocks(config.project, stack)
    edge_settings = load_settings().edge

    built = build_components(
        monitor,
        lambda: Edge(
            "epicvibe-edge",
            dataclasses.replace(edge_args(), config=edge_settings),
        ),
    )
    inputs = distribution(built)
    assert ("webAclId" in inputs) is edge_settings.waf_enabled  # required in production
    if stack == "prod":
        assert inputs["aliases"] == ["epicvibe.example.com"]
        assert inputs["viewerCertificate"]["minimumProtocolVersion"] == "TLSv1.2_2021"
        assert inputs["priceClass"] == "PriceClass_200"
        assert len(built.of_type(RECORD)) == 3  # validation, A, AAAA
    else:
        assert inputs["viewerCertificate"]["cloudfrontDefaultCertificate"] is True
        assert inputs["priceClass"] == "PriceClass_100"
        assert not built.of_type(CERTIFICATE, RECORD)


def test_amplify_serves_the_front_end_on_the_domain_and_knows_the_api(
    build: Callable[..., Registrations],
) -> None:
    _, built = build_edge(
        build,
        domain_name=DOMAIN,
        hosted_zone_id=ZONE,
        amplify_repository="https://github.com/acme/frontend",
        amplify_access_token=pulumi.Output.secret(TOKEN),
        amplify_domain_prefix="www2",
        amplify_environment={"SENTRY_DSN_HOST": "o1.ingest.sentry.io"},
    )
    (app,) = built.of_type(AMPLIFY_APP)
    assert app.inputs["environmentVariables"] == {
        "API_URL": f"https://{DOMAIN}",
        "SENTRY_DSN_HOST": "o1.ingest.sentry.io",
    }
    (association,) = built.of_type("aws:amplify/domainAssociation:DomainAssociation")
    assert association.inputs["domainName"] == DOMAIN
    assert association.inputs["subDomains"] == [{"branchName": "main", "prefix": "www2"}]
    assert association.inputs["waitForVerification"] is False


def test_amplify_without_a_domain_keeps_its_own_and_refuses_credentials_in_its_environment(
    build: Callable[..., Registrations],
) -> None:
    _, built = build_edge(
        build,
        amplify_repository="https://github.com/acme/frontend",
        amplify_access_token=pulumi.Output.secret(TOKEN),
    )
    assert not built.of_type("aws:amplify/domainAssociation:DomainAssociation")
    with pytest.raises(ValueError, match="API_TOKEN"):
        edge_args(
            amplify_repository="https://github.com/acme/frontend",
            amplify_access_token=TOKEN,
            amplify_environment={"API_TOKEN": "x"},
        )
