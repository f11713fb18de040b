"""The internal ALB: reachable only from CloudFront, forwarding only to the web tasks, TLS when it can."""

from __future__ import annotations

import pytest

from components.load_balancer import (
    CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST,
    TLS_POLICY,
    LoadBalancer,
    LoadBalancerArgs,
    LoadBalancerConfig,
)
from offline.engine import Registrations
from tests._app_tier import (
    APP_SUBNETS,
    CERTIFICATE,
    LOG_BUCKET,
    ORIGIN,
    VPC_ID,
    WEB_SG,
    load_balancer_args,
    load_balancer_config,
)
from tests._handles import buckets, placement, workload_groups
from tests.fixtures import Build

ALB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def build_lb(build: Build, **changes: object) -> tuple[Registrations, list[LoadBalancer]]:
    made: list[LoadBalancer] = []
    built = build(lambda: made.append(LoadBalancer("lb", load_balancer_args(**changes))))
    return built, made


def alb_group_id(built: Registrations) -> str:
    # The mock engine answers the group's registration with its id; rules carry it as securityGroupId.
    group = built.named("lb-sg")
    return next(
        r.inputs["securityGroupId"]
        for r in built.of_type(INGRESS, EGRESS)
        if group.urn in r.dependencies and r.inputs["securityGroupId"] != WEB_SG
    )


def test_alb_is_internal_in_the_app_subnets_and_drops_invalid_headers(build: Build) -> None:
    built, _ = build_lb(build, deletion_protection=True, idle_timeout_seconds=120)
    alb = built.named("lb-alb").inputs
    assert alb["internal"] is True
    assert alb["loadBalancerType"] == "application"
    assert alb["subnets"] == APP_SUBNETS
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["enableDeletionProtection"] is True
    assert alb["idleTimeout"] == 120
    assert alb["accessLogs"] == {"bucket": LOG_BUCKET, "prefix": "alb", "enabled": True}
    assert alb["securityGroups"] == [alb_group_id(built)]


@pytest.mark.parametrize(("certificate", "port"), [(None, 80), (CERTIFICATE, 443)])
def test_only_cloudfront_origin_facing_addresses_reach_the_alb_on_one_port(
    build: Build, certificate: str | None, port: int
) -> None:
    built, made = build_lb(build, certificate_arn=certificate, origin_domain_name=certificate and ORIGIN)
    group_id = alb_group_id(built)
    ingress = [r.inputs for r in built.of_type(INGRESS) if r.inputs["securityGroupId"] == group_id]
    assert len(ingress) == 1, "one prefix-list rule only: it counts ~55 against the 60-rule quota"
    rule = ingress[0]
    assert rule["prefixListId"].startswith("pl-")
    assert (rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (port, port, "tcp")
    assert not {"cidrIpv4", "cidrIpv6", "referencedSecurityGroupId"} & set(rule)
    assert built.named("lb-sg").inputs.get("ingress") in (None, [])
    assert made[0].listener_port == port


def test_prefix_list_is_cloudfronts_origin_facing_list(build: Build) -> None:
    from offline.mocks import AwsMocks

    seen: list[dict] = []
    hook = AwsMocks.call_hooks["aws:ec2/getManagedPrefixList:getManagedPrefixList"]

    def spy(args: dict, region: str) -> dict:
        seen.append(args)
        return hook(args, region)

    AwsMocks.call_hooks["aws:ec2/getManagedPrefixList:getManagedPrefixList"] = spy
    try:
        build_lb(build)
    finally:
        AwsMocks.call_hooks["aws:ec2/getManagedPrefixList:getManagedPrefixList"] = hook
    assert [a.get("name") for a in seen] == [CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST]


def test_cloudfront_service_group_replaces_the_prefix_list_when_configured(build: Build) -> None:
    built, _ = build_lb(build, cloudfront_security_group_id="sg-0cf0000000000000a")
    group_id = alb_group_id(built)
    ingress = [r.inputs for r in built.of_type(INGRESS) if r.inputs["securityGroupId"] == group_id]
    assert [(r["referencedSecurityGroupId"], r["fromPort"]) for r in ingress] == [
        ("sg-0cf0000000000000a", 80)
    ]
    assert all("prefixListId" not in r for r in ingress)


def test_alb_sends_only_to_the_web_tasks_and_web_admits_only_the_alb(build: Build) -> None:
    built, _ = build_lb(build, container_port=8080)
    group_id = alb_group_id(built)
    egress = [r.inputs for r in built.of_type(EGRESS)]
    assert len(egress) == 1
    assert egress[0]["securityGroupId"] == group_id
    assert egress[0]["referencedSecurityGroupId"] == WEB_SG
    assert (egress[0]["fromPort"], egress[0]["toPort"], egress[0]["ipProtocol"]) == (8080, 8080, "tcp")
    assert built.named("lb-sg").inputs.get("egress") in (None, [])
    web_ingress = [r.inputs for r in built.of_type(INGRESS) if r.inputs["securityGroupId"] == WEB_SG]
    assert len(web_ingress) == 1
    assert web_ingress[0]["referencedSecurityGroupId"] == group_id
    assert (web_ingress[0]["fromPort"], web_ingress[0]["toPort"]) == (8080, 8080)


def test_without_a_certificate_one_http_listener_forwards(build: Build) -> None:
    built, made = build_lb(build)
    listeners = built.of_type(LISTENER)
    assert [(r.inputs["port"], r.inputs["protocol"]) for r in listeners] == [(80, "HTTP")]
    assert listeners[0].inputs["defaultActions"][0]["type"] == "forward"
    assert made[0].https is False


def test_with_a_certificate_https_forwards_and_http_only_redirects(build: Build) -> None:
    built, made = build_lb(build, certificate_arn=CERTIFICATE, origin_domain_name=ORIGIN)
    listeners = {r.inputs["port"]: r.inputs for r in built.of_type(LISTENER)}
    assert set(listeners) == {80, 443}
    https = listeners[443]
    assert https["protocol"] == "HTTPS"
    assert https["certificateArn"] == CERTIFICATE
    assert https["sslPolicy"] == TLS_POLICY
    assert [a["type"] for a in https["defaultActions"]] == ["forward"]
    http = listeners[80]
    assert [a["type"] for a in http["defaultActions"]] == ["redirect"]
    redirect = http["defaultActions"][0]["redirect"]
    assert (redirect["protocol"], redirect["port"], redirect["statusCode"]) == ("HTTPS", "443", "HTTP_301")
    assert made[0].https is True


def test_target_group_checks_health_and_drains_per_settings(build: Build) -> None:
    built, _ = build_lb(
        build, container_port=8000, health_check_path="/healthz/", deregistration_delay_seconds=45
    )
    group = built.named("lb-web").inputs
    assert group["targetType"] == "ip"
    assert group["vpcId"] == VPC_ID
    assert (group["port"], group["protocol"]) == (8000, "HTTP")
    assert group["deregistrationDelay"] == 45
    assert group["healthCheck"]["path"] == "/healthz/"
    assert group["healthCheck"]["matcher"] == "200"


def test_outputs_name_the_alb_and_target_group(build: Build) -> None:
    captured: dict[str, object] = {}

    def construct() -> None:
        lb = LoadBalancer("lb", load_balancer_args())
        for attribute in ("arn", "arn_suffix", "dns_name", "target_group_arn", "target_group_arn_suffix"):
            getattr(lb, attribute).apply(lambda value, a=attribute: captured.__setitem__(a, value))

    build(construct)
    assert str(captured["arn"]).endswith(str(captured["arn_suffix"]))
    assert str(captured["arn_suffix"]).startswith("app/")
    assert str(captured["target_group_arn"]).endswith(str(captured["target_group_arn_suffix"]))
    assert str(captured["target_group_arn_suffix"]).startswith("targetgroup/")
    assert str(captured["dns_name"]).startswith("internal-")


def test_children_carry_the_tags(build: Build) -> None:
    built, _ = build_lb(build, certificate_arn=CERTIFICATE, origin_domain_name=ORIGIN)
    taggable = built.of_type(ALB, TARGET_GROUP, SECURITY_GROUP, LISTENER, INGRESS, EGRESS)
    assert taggable
    assert all(r.inputs["tags"]["Stack"] == "test" for r in taggable)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"container_port": 80}, "unprivileged port"),
        ({"access_log_prefix": "/alb/"}, "without leading"),
        ({"origin_domain_name": ORIGIN}, "give both"),
    ],
)
def test_bad_arguments_are_refused_with_the_fix(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LoadBalancerArgs(
            config=load_balancer_config(),
            placement=placement(vpc_id=VPC_ID, app_subnet_ids=APP_SUBNETS),
            workloads=workload_groups(web_security_group_id=WEB_SG),
            buckets=buckets(log_name=LOG_BUCKET),
            **change,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"health_check_path": "health"}, "health_check_path", "absolute URL path"),
        ({"health_check_path": "/health check/"}, "health_check_path", "no spaces"),
        ({"health_check_path": "/" + "h" * 1024}, "health_check_path", "at most 1024"),
        ({"deregistration_delay_seconds": 7200}, "deregistration_delay_seconds", "0 to 3600"),
        ({"deregistration_delay_seconds": -1}, "deregistration_delay_seconds", "0 to 3600"),
        ({"idle_timeout_seconds": 0}, "idle_timeout_seconds", "1 to 4000"),
        ({"idle_timeout_seconds": 4001}, "idle_timeout_seconds", "1 to 4000"),
        (
            {
                "certificate_arn": "arn:aws:iam::123456789012:server-certificate/x",
                "origin_domain_name": ORIGIN,
            },
            "certificate_arn",
            "ACM certificate ARN",
        ),
        ({"certificate_arn": CERTIFICATE}, "origin_domain_name", "together with albCertificateArn"),
        ({"origin_domain_name": ORIGIN}, "origin_domain_name", "together with albCertificateArn"),
        (
            {"certificate_arn": CERTIFICATE, "origin_domain_name": "Origin_.example"},
            "origin_domain_name",
            "host name",
        ),
        (
            {"cloudfront_security_group_id": "CloudFront-VPCOrigins-Service-SG"},
            "cloudfront_security_group_id",
            "the id",
        ),
    ],
)
def test_config_refuses_each_bad_value_with_field_value_and_fix(
    change: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        load_balancer_config(**change)
    text = str(refused.value)
    assert text.startswith("invalid LoadBalancerConfig: ")
    # The field and the value it holds ('' for a missing half of a pair).
    assert f"{field} {change.get(field, '')!r}" in text


def test_a_valid_config_constructs_and_has_no_problems() -> None:
    config = load_balancer_config(certificate_arn=CERTIFICATE, origin_domain_name=ORIGIN)
    assert config.certificate_arn == CERTIFICATE
    values = {name: getattr(config, name) for name in LoadBalancerConfig.__dataclass_fields__}
    assert LoadBalancerConfig.problems(values) == []
