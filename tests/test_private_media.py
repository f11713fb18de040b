"""Private media need a CloudFront signature; the public prefix does not (docs/private-media.md).

Unit checks of the edge's behaviors and of the signing-key validator, then both stacks as planned:
prod signs /media/* with the configured key, staging (no key) serves no private media from the
bucket, only the web task can read the private key, and the pack passes both.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from components.django_service import DjangoServices
from components.storage import MediaSigning, media_signing_key_problem
from offline.engine import ProgramRun, Registrations
from platform_guard.edge_cloudfront import cloudfront_private_media_signed
from tests._app_tier import buckets, services_args
from tests._edge import build_edge, distribution, edge_args, stored
from tests.policy_harness import check_resource, engine_props
from tests.test_settings import refusal
from tests.test_storage_pieces import storage_config

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
KEY_GROUP = "aws:cloudfront/keyGroup:KeyGroup"
PUBLIC_KEY = "aws:cloudfront/publicKey:PublicKey"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ROLE_POLICIES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
SIGNING_SECRET = "epicvibe-storage-media-signing-private-key"


def public_pem(key: Any) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


# Keys are made on first use, not at import: making an RSA key takes a while, and every pytest
# process imports this module to collect it, including runs that select none of these tests.
@functools.cache
def key_pair(kind: str) -> Any:
    """A fresh private key of `kind`: "rsa2048", "rsa3072" or "ec" (P-256)."""
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=int(kind.removeprefix("rsa")))


def private_pem() -> str:
    return (
        key_pair("rsa2048")
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )


def signing(key_group_id: str = "kg-0123456789") -> MediaSigning:
    return MediaSigning(
        key_group_id=pulumi.Output.from_input(key_group_id),
        public_key_id=pulumi.Output.from_input("K2JCJMDEHXQW5F"),
        private_key_secret_arn=pulumi.Output.from_input(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:media-signing-AbCdEf"
        ),
        private_key_secret_name=pulumi.Output.from_input("media-signing"),
    )


def bucket_paths(inputs: dict[str, Any]) -> list[str]:
    return [b["pathPattern"] for b in inputs["orderedCacheBehaviors"] if b["targetOriginId"] == "media"]


# --- the edge ----------------------------------------------------------------------------------


def test_with_a_key_media_needs_it_and_the_public_prefix_comes_first(
    build: Callable[..., Registrations],
) -> None:
    _, built = build_edge(build, buckets=stored(media_signing=signing()))
    inputs = distribution(built)
    by_path = {b["pathPattern"]: b for b in inputs["orderedCacheBehaviors"]}
    # CloudFront takes the first behavior whose pattern matches: the public prefix must precede /media/*.
    assert bucket_paths(inputs) == ["/media/public/*", "/media/*"]
    assert by_path["/media/*"]["trustedKeyGroups"] == ["kg-0123456789"]
    assert not by_path["/media/public/*"].get("trustedKeyGroups")
    assert not by_path["/static/*"].get("trustedKeyGroups")


def test_without_a_key_no_private_media_is_served_from_the_bucket(
    build: Callable[..., Registrations],
) -> None:
    _, built = build_edge(build)
    inputs = distribution(built)
    assert bucket_paths(inputs) == ["/media/public/*"]
    # /media/proofs/... falls through to the default behavior: the app, never the bucket.
    assert inputs["defaultCacheBehavior"]["targetOriginId"] == "alb"


def test_the_public_prefix_is_configurable(build: Callable[..., Registrations]) -> None:
    _, built = build_edge(
        build, buckets=stored(media_signing=signing()), media_public_path_pattern="/media/flyers/*"
    )
    assert bucket_paths(distribution(built)) == ["/media/flyers/*", "/media/*"]


@pytest.mark.parametrize(
    "pattern",
    ["/media/*", "/static/public/*", "/media/pub*/x/*", "/media/public", "media/public/*", "/media/a b/*"],
)
def test_a_public_prefix_that_would_expose_more_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="media_public_path_pattern"):
        edge_args(media_public_path_pattern=pattern)


@pytest.mark.parametrize("signed", [True, False])
def test_the_pack_passes_our_edge_and_rejects_it_without_the_key_group(
    build: Callable[..., Registrations], signed: bool
) -> None:
    _, built = build_edge(build, buckets=stored(media_signing=signing() if signed else None))
    (cdn,) = built.of_type(DISTRIBUTION)
    props = engine_props(cdn)
    assert check_resource(cloudfront_private_media_signed, DISTRIBUTION, props).passed
    # The same distribution with /media/* from the bucket but no key group is what the rule refuses.
    unsigned = json.loads(json.dumps(props))
    behaviors = unsigned["orderedCacheBehaviors"]
    if signed:
        behaviors[-1].pop("trustedKeyGroups")
    else:
        behaviors.append({**behaviors[-1], "pathPattern": "/media/*"})
    outcome = check_resource(cloudfront_private_media_signed, DISTRIBUTION, unsigned)
    assert any("'/media/*'" in m and "trustedKeyGroups" in m for m in outcome.messages), outcome


# --- the key -----------------------------------------------------------------------------------


def test_an_rsa_2048_public_key_is_accepted() -> None:
    assert media_signing_key_problem(public_pem(key_pair("rsa2048"))) is None


@pytest.mark.parametrize(
    ("make_value", "says"),
    [
        (private_pem, "is a private key"),
        (lambda: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host", "not a PEM public key"),
        (lambda: "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----", "does not parse"),
        (lambda: public_pem(key_pair("rsa3072")), "RSA 3072-bit"),
        (lambda: public_pem(key_pair("ec")), "need RSA 2048"),
    ],
    ids=["private-key", "ssh-format", "not-der", "rsa-3072", "ec-p256"],
)
def test_a_bad_key_is_refused_without_echoing_it(make_value: Callable[[], str], says: str) -> None:
    value = make_value()
    problem = media_signing_key_problem(value)
    assert problem is not None and says in problem
    body = [line for line in value.splitlines() if "-----" not in line]
    assert not any(line and line in problem for line in body)
    with pytest.raises(ValueError, match="media_signing_public_key") as refused:
        storage_config(media_signing_public_key=value)
    assert not any(line and line in str(refused.value) for line in body)


def test_settings_refuse_a_private_key_naming_the_key_but_not_the_value() -> None:
    pem = private_pem()
    message = refusal(mediaSigningPublicKey=pem)
    assert "django-platform:mediaSigningPublicKey" in message and "private key" in message
    assert pem.splitlines()[1] not in message


def test_production_refuses_a_stack_without_a_signing_key() -> None:
    message = refusal("prod", mediaSigningPublicKey="")
    assert "django-platform:mediaSigningPublicKey: got ''; a signing key is required" in message
    assert "production" in message


def test_settings_refuse_a_public_prefix_outside_media() -> None:
    message = refusal(mediaPublicPathPattern="/static/*")
    assert "django-platform:mediaPublicPathPattern: got '/static/*'" in message


# --- both stacks as planned --------------------------------------------------------------------


def test_prod_trusts_the_configured_key_on_media(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    (key,) = run.of_type(PUBLIC_KEY)
    (group,) = run.of_type(KEY_GROUP)
    configured = run.config.values["django-platform:mediaSigningPublicKey"]
    assert key.inputs["encodedKey"] == configured.strip() + "\n"
    assert group.inputs["items"] == [key.id]
    (cdn,) = run.of_type(DISTRIBUTION)
    by_path = {b["pathPattern"]: b for b in cdn.inputs["orderedCacheBehaviors"]}
    assert by_path["/media/*"]["trustedKeyGroups"] == [group.id]
    assert not by_path["/media/public/*"].get("trustedKeyGroups")
    assert run.stack_outputs["mediaSigningKeyId"] == key.id


def test_the_private_key_secret_is_created_empty_under_the_stack_key(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["prod"]
    secret = run.named(SIGNING_SECRET)
    assert secret.inputs["kmsKeyId"] == run.stack_outputs["kmsKeyArn"]
    assert run.stack_outputs["mediaSigningSecretArn"] == secret.outputs["arn"]
    # No value in Pulumi's config or state: the operator puts it (docs/private-media.md).
    assert not [v for v in run.of_type(SECRET_VERSION) if v.inputs.get("secretId") == secret.outputs["arn"]]


def test_only_the_web_task_can_read_the_private_key(stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs["prod"]
    arn = run.named(SIGNING_SECRET).outputs["arn"]
    readers = [p.name for p in run.of_type(*ROLE_POLICIES) if arn in str(p.inputs.get("policy"))]
    assert readers == ["epicvibe-app-web-execution-policy"]
    web_role = run.named("epicvibe-app-web-execution-role").outputs["arn"]
    shared_role = run.named("epicvibe-app-execution-role").outputs["arn"]
    definitions = {d.name.rsplit("-", 2)[-2]: d for d in run.of_type(TASK_DEFINITION)}
    assert definitions["web"].inputs["executionRoleArn"] == web_role
    for role, definition in definitions.items():
        container = json.loads(definition.inputs["containerDefinitions"])[0]
        secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
        environment = {e["name"]: e["value"] for e in container["environment"]}
        if role == "web":
            # Both by references a preview knows: the secret by name through Parameter Store, the
            # key id from the parameter that holds it.
            name = run.named(SIGNING_SECRET).outputs["name"]
            assert secrets["MEDIA_SIGNING_PRIVATE_KEY"].endswith(
                f":parameter/aws/reference/secretsmanager/{name}"
            )
            key_id = next(
                p
                for p in run.of_type("aws:ssm/parameter:Parameter")
                if p.inputs["name"].endswith("/MEDIA_SIGNING_KEY_ID")
            )
            value = key_id.inputs["value"]  # pulumi-aws marks every parameter value secret
            assert (value["value"] if isinstance(value, dict) else value) == run.stack_outputs[
                "mediaSigningKeyId"
            ]
            assert secrets["MEDIA_SIGNING_KEY_ID"].endswith(f":parameter{key_id.inputs['name']}")
        else:
            assert definition.inputs["executionRoleArn"] == shared_role, role
            assert "MEDIA_SIGNING_PRIVATE_KEY" not in secrets and "MEDIA_SIGNING_KEY_ID" not in secrets
        assert "MEDIA_SIGNING_KEY_ID" not in environment
    (statement,) = [
        s
        for s in json.loads(run.named("epicvibe-app-web-execution-policy").inputs["policy"])["Statement"]
        if s["Sid"] == "ReadTaskSecrets"
    ]
    assert arn in statement["Resource"]


def test_staging_without_a_key_serves_no_private_media_from_the_bucket(
    stack_runs: dict[str, ProgramRun],
) -> None:
    run = stack_runs["staging"]
    assert run.of_type(PUBLIC_KEY) == [] and run.of_type(KEY_GROUP) == []
    assert SIGNING_SECRET not in {s.name for s in run.of_type(SECRET)}
    (cdn,) = run.of_type(DISTRIBUTION)
    assert bucket_paths(cdn.inputs) == ["/media/public/*"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_pack_finds_no_unsigned_private_media_in_our_stacks(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    (cdn,) = stack_runs[stack].of_type(DISTRIBUTION)
    outcome = check_resource(cloudfront_private_media_signed, DISTRIBUTION, engine_props(cdn))
    assert outcome.passed, outcome


def test_the_signing_key_reaches_the_web_task_through_the_buckets_handle(
    build: Callable[..., Registrations],
) -> None:
    built = build(lambda: DjangoServices("app", services_args(buckets=buckets(media_signing=signing()))))
    secrets = {
        d.name.removeprefix("app-").removesuffix("-task"): {
            s["name"]: s["valueFrom"] for s in json.loads(d.inputs["containerDefinitions"])[0]["secrets"]
        }
        for d in built.of_type(TASK_DEFINITION)
    }
    web = secrets.pop("web")
    assert web["MEDIA_SIGNING_PRIVATE_KEY"].endswith(":parameter/aws/reference/secretsmanager/media-signing")
    assert "MEDIA_SIGNING_KEY_ID" in web
    assert secrets, "the other workloads' task definitions"
    for role, found in secrets.items():
        assert "MEDIA_SIGNING_PRIVATE_KEY" not in found and "MEDIA_SIGNING_KEY_ID" not in found, role
