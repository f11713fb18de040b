"""What the Django containers are told, and where it is kept: the plain environment, the late
settings' SSM parameters, the SECRET_KEY secret and the `secrets` lists naming them all by ARNs a
preview knows (invokes and fixed names, never a created resource's output)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .._base import merge_tags
from ..storage import MediaSigning
from . import containers
from .config import SECRETS_MANAGER_REFERENCE, XRAY_DAEMON_PORT, DjangoServicesArgs

# What `late_settings` creates: the SSM parameter and its ARN as a preview knows it.
Settings = dict[str, tuple[aws.ssm.Parameter, pulumi.Output[str]]]


@dataclass(frozen=True)
class StoredSecret:
    arn: pulumi.Output[str]
    version: aws.secretsmanager.SecretVersion
    value_from: pulumi.Output[str]
    """The secret as `valueFrom` names it: Parameter Store's reference by name, known in a preview."""


@dataclass(frozen=True)
class TaskSettings:
    """Creates the settings' parameters and the SECRET_KEY secret as children of `parent`."""

    parent: pulumi.Resource
    name: str
    physical: str
    """Prefix of physical names, unique per stack: parameters live under /<physical>/."""
    args: DjangoServicesArgs
    region: pulumi.Output[str]
    account: pulumi.Output[str]
    partition: pulumi.Output[str]

    @property
    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent)

    def secret_key(self) -> StoredSecret:
        args = self.args
        secret = aws.secretsmanager.Secret(
            f"{self.name}-secret-key",
            description="Django SECRET_KEY of the web, worker and beat tasks",
            kms_key_id=args.stack.kms_key_arn,
            recovery_window_in_days=args.stack.secret_recovery_window_days,
            tags=merge_tags(args.stack.tags, Name=f"{self.name}-secret-key"),
            opts=self._child,
        )
        secret_key: pulumi.Input[str] = args.config.django_secret_key
        version = aws.secretsmanager.SecretVersion(
            f"{self.name}-secret-key-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(secret_key),
            opts=self._child,
        )
        return StoredSecret(secret.arn, version, self.secret_reference(secret.name))

    def environment(self) -> pulumi.Output[dict[str, str]]:
        """Plain settings every container gets: where things are, never what unlocks them."""
        args = self.args
        values: dict[str, pulumi.Input[Any]] = {
            "DEBUG": "False",
            "DJANGO_SETTINGS_MODULE": args.config.django_settings_module,
            "AWS_REGION": self.region,
            "MEDIA_BUCKET_NAME": args.buckets.media_name,
            "STATIC_BUCKET_NAME": args.buckets.static_name,
            "DATABASE_PORT": pulumi.Output.from_input(args.database.port).apply(str),
            "DATABASE_NAME": args.database.name,
            "DATABASE_USER": args.database.app_username,
            # The contract with the image (README, "Database credentials"): every new connection uses
            # a token from rds.generate_db_auth_token for this user, host and port, in AWS_REGION.
            "DATABASE_AUTH": "iam",
            # No replicas: nothing to wait for, and SSM refuses an empty parameter value.
            **({} if args.database.reader_addresses else {"DATABASE_READER_HOSTS": ""}),
            # libpq reads this: connections to RDS are encrypted even if the app forgets to ask.
            "PGSSLMODE": "require",
            "REDIS_PORT": pulumi.Output.from_input(args.cache.port).apply(str),
            "REDIS_TLS": "true",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if args.config.xray_enabled:
            values["AWS_XRAY_DAEMON_ADDRESS"] = f"127.0.0.1:{XRAY_DAEMON_PORT}"
        return pulumi.Output.all(**values).apply(containers.checked_environment)

    def late_settings(self) -> Settings:
        """One SSM String parameter per setting in LATE_SETTINGS the stack has, with its ARN as a
        preview knows it: built from the fixed name and invokes, never from the parameter's output."""
        args = self.args
        values: dict[str, pulumi.Input[str]] = {
            "ALLOWED_HOSTS": pulumi.Output.all(*args.allowed_hosts).apply(containers.allowed_hosts_value),
            "DATABASE_HOST": args.database.address,
            "REDIS_HOST": args.cache.primary_address,
            "REDIS_READER_HOST": args.cache.reader_address,
            "CSRF_TRUSTED_ORIGINS": pulumi.Output.all(*args.csrf_trusted_origins).apply(
                lambda origins: ",".join(str(o) for o in origins)
            ),
        }
        if args.database.reader_addresses:
            values["DATABASE_READER_HOSTS"] = pulumi.Output.all(*args.database.reader_addresses).apply(
                lambda hosts: ",".join(str(h) for h in hosts)
            )
        settings = {}
        for setting, value in sorted(values.items()):
            slug = setting.lower().replace("_", "-")
            parameter_name = f"/{self.physical}/{setting}"
            parameter = aws.ssm.Parameter(
                f"{self.name}-{slug}-setting",
                name=parameter_name,
                description=f"{setting} of the Django tasks (ECS reads it at task start)",
                # Host names and origins, not secrets: String, readable only where IAM allows.
                type="String",
                value=value,
                tags=merge_tags(args.stack.tags, Name=f"{self.name}-{slug}-setting"),
                opts=self._child,
            )
            settings[setting] = (parameter, self.parameter_arn(parameter_name))
        return settings

    def parameter_arn(self, parameter_name: pulumi.Input[str]) -> pulumi.Output[str]:
        """The ARN of an SSM parameter in the stack's region and account (names start with "/")."""
        return pulumi.Output.concat(
            "arn:", self.partition, ":ssm:", self.region, ":", self.account, ":parameter", parameter_name
        )

    def secret_reference(self, secret_name: pulumi.Input[str]) -> pulumi.Output[str]:
        """A Secrets Manager secret as Parameter Store serves it, by name (SECRETS_MANAGER_REFERENCE)."""
        return self.parameter_arn(pulumi.Output.concat(SECRETS_MANAGER_REFERENCE, secret_name))

    def setting_secrets(self, settings: Settings) -> pulumi.Output[list[dict[str, str]]]:
        """LATE_SETTINGS as ECS injects them: from their parameters, at task start."""
        names = sorted(settings)
        return pulumi.Output.all(*[settings[n][1] for n in names]).apply(
            lambda arns: containers.setting_secrets(dict(zip(names, arns, strict=True)))
        )

    def secrets(self, secret_key: StoredSecret) -> pulumi.Output[list[dict[str, str]]]:
        """Credentials, injected by ECS from Secrets Manager at task start."""
        args = self.args
        json_key = args.cache_auth_secret_json_key
        # A JSON key can only be selected with the secret's ARN (`<arn>:<json key>::`), which is unknown
        # until the secret exists; Parameter Store's reference serves the whole secret, by name.
        cache_secret = (
            args.cache.auth_secret_arn if json_key else self.secret_reference(args.cache.auth_secret_name)
        )
        return pulumi.Output.all(cache_secret, secret_key.value_from).apply(
            lambda arns: containers.credential_secrets(
                cache_value_from=arns[0], cache_json_key=json_key, secret_key_value_from=arns[1]
            )
        )

    def media_signing_secrets(
        self, secrets: pulumi.Output[list[dict[str, str]]], media: MediaSigning
    ) -> tuple[pulumi.Output[list[dict[str, str]]], list[aws.ssm.Parameter]]:
        """The web container's task secrets plus the media signing key: CloudFront's id of the key
        (the Key-Pair-Id of every signed URL, not a secret, but known only once the key exists, so
        from a parameter like LATE_SETTINGS) and the private key (PEM), by its Parameter Store
        reference."""
        name = f"/{self.physical}/MEDIA_SIGNING_KEY_ID"
        key_id = aws.ssm.Parameter(
            f"{self.name}-media-signing-key-id-setting",
            name=name,
            description="MEDIA_SIGNING_KEY_ID of the Django web task (ECS reads it at task start)",
            type="String",
            value=media.public_key_id,
            tags=merge_tags(self.args.stack.tags, Name=f"{self.name}-media-signing-key-id-setting"),
            opts=self._child,
        )
        web_secrets = pulumi.Output.all(
            secrets, self.parameter_arn(name), self.secret_reference(media.private_key_secret_name)
        ).apply(
            lambda v: [
                *v[0],
                *containers.media_signing_secrets(key_id_parameter_arn=v[1], private_key_value_from=v[2]),
            ]
        )
        return web_secrets, [key_id]
