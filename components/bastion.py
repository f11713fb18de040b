"""A bastion that nobody can connect to: database access for developers without a public endpoint.

The Maple Quest team (examples/maple_quest_current) made its database public so that DBeaver could
reach it. Here a tiny Graviton instance sits in a private app subnet with no public IP, no inbound rule and no SSH key. SSM
Session Manager reaches it from the outside through the agent's own outbound HTTPS connection,
and the `AWS-StartPortForwardingSessionToRemoteHost` document forwards the developer's
`localhost:5432` through it to the database. Who may do that is an IAM question (the session
policy below), every session is logged by SSM, and the database admits the bastion's security
group like any other client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ._base import merge_tags, service_trust_policy, type_token
from .config_base import Problem, ValidatedConfig
from .handles import DatabaseEndpoint, Placement, StackWide

AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
PORT_FORWARD_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost"
SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
GRAVITON_INSTANCE_TYPE = re.compile(r"^[a-z]+\d+g[a-z]*\.[a-z0-9]+$")


@dataclass(frozen=True, kw_only=True)
class BastionConfig(ValidatedConfig):
    """What an operator sets for the bastion."""

    enabled: bool
    """Whether the stack has a bastion at all; the program reads it, the component never sees False."""
    instance_type: str
    """Graviton (arm64) instance type, e.g. "t4g.nano": the image is arm64."""

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        if GRAVITON_INSTANCE_TYPE.match(values["instance_type"]):
            return []
        return [
            Problem(
                field="instance_type",
                value=values["instance_type"],
                fix="expected a Graviton (arm64) instance type such as 't4g.nano': the bastion boots "
                "the arm64 Amazon Linux 2023 image",
            )
        ]


@dataclass(frozen=True)
class BastionArgs:
    config: BastionConfig
    """What the operator set. Required."""
    placement: Placement
    """The network's placement: the bastion goes into its first app subnet (egress through NAT or VPC
    endpoints for the SSM agent) and may open connections to the database port inside its VPC range.
    Required."""
    stack: StackWide
    """The stack's shared values: its KMS key encrypts the root volume; `tags`. Required."""
    database: DatabaseEndpoint
    """The database: port forwarding targets its primary's address. Required."""
    database_port: int = 5432
    """Database port, forwarded to the same local port; a plain number because the egress rule is
    created with it before the database reports its own. Default: 5432."""
    ami_parameter: str = AMI_PARAMETER
    """Public SSM parameter naming the image. Default: the latest Amazon Linux 2023 arm64 image."""

    def __post_init__(self) -> None:
        if not 1 <= self.database_port <= 65535:
            raise ValueError(f"database_port {self.database_port}: use a TCP port")


def port_forward_command(instance_id: str, host: str, port: int, region: str) -> str:
    """The `aws ssm start-session` command that forwards localhost:<port> to <host>:<port>."""
    parameters = json.dumps(
        {"host": [host], "portNumber": [str(port)], "localPortNumber": [str(port)]}, separators=(",", ":")
    )
    return (
        f"aws ssm start-session --target {instance_id} --document-name {PORT_FORWARD_DOCUMENT} "
        f"--parameters '{parameters}' --region {region}"
    )


def session_policy(instance_arn: str, region: str) -> str:
    """What a developer needs to open a port-forwarding session to this bastion, and nothing else."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PortForwardThroughTheBastion",
                    "Effect": "Allow",
                    "Action": "ssm:StartSession",
                    "Resource": [
                        instance_arn,
                        f"arn:aws:ssm:{region}::document/{PORT_FORWARD_DOCUMENT}",
                    ],
                    "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}},
                },
                {
                    "Sid": "ManageOwnSessions",
                    "Effect": "Allow",
                    "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
                    "Resource": "arn:aws:ssm:*:*:session/${aws:userid}-*",
                },
            ],
        }
    )


class Bastion(pulumi.ComponentResource):
    security_group_id: pulumi.Output[str]
    instance_id: pulumi.Output[str]
    port_forward_command: pulumi.Output[str]
    session_policy_arn: pulumi.Output[str]
    """IAM policy to attach to the developers' role or group: start port forwarding to this bastion only."""

    def __init__(self, name: str, args: BastionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("bastion", "Bastion"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.stack.tags
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region

        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description="SSM bastion: no inbound at all; out to AWS APIs and the database port",
            vpc_id=args.placement.vpc_id,
            tags=merge_tags(tags, Name=f"{name}-sg"),
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress-https",
            security_group_id=security_group.id,
            # The SSM agent dials out to the ssm, ssmmessages and ec2messages endpoints (public, or
            # interface endpoints in the VPC); package updates come over HTTPS too.
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to Session Manager and package repositories",
            tags=merge_tags(tags, Name=f"{name}-egress-https"),
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress-database",
            security_group_id=security_group.id,
            # The database admits this group; its own group decides, the VPC range only bounds it.
            cidr_ipv4=args.placement.vpc_cidr,
            ip_protocol="tcp",
            from_port=args.database_port,
            to_port=args.database_port,
            description="Forwarded database sessions",
            tags=merge_tags(tags, Name=f"{name}-egress-database"),
            opts=child,
        )

        role = aws.iam.Role(
            f"{name}-role",
            description="SSM-managed bastion: Session Manager only",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-ssm-core", role=role.name, policy_arn=SSM_CORE_POLICY, opts=child
        )
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=role.name, tags=tags, opts=child)

        image = aws.ssm.get_parameter_output(name=args.ami_parameter, opts=invoke)
        instance = aws.ec2.Instance(
            f"{name}-instance",
            ami=image.insecure_value,
            instance_type=args.config.instance_type,
            subnet_id=pulumi.Output.from_input(args.placement.app_subnet_ids).apply(lambda ids: ids[0]),
            vpc_security_group_ids=[security_group.id],
            associate_public_ip_address=False,
            iam_instance_profile=profile.name,
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 1,
            },
            root_block_device={
                "encrypted": True,
                "kms_key_id": args.stack.kms_key_arn,
                "volume_type": "gp3",
                "delete_on_termination": True,
            },
            tags=merge_tags(tags, Name=f"{name}", Role="bastion"),
            volume_tags=merge_tags(tags, Name=f"{name}-root"),
            # A new image every few weeks would otherwise replace the instance on the next `up`;
            # the instance patches itself with dnf, and a deliberate replacement picks the new image.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["ami"]),
        )

        policy = aws.iam.Policy(
            f"{name}-session-policy",
            description=f"Start SSM port forwarding through {name} (attach to the developers' role)",
            policy=pulumi.Output.all(instance.arn, region).apply(lambda v: session_policy(*v)),
            tags=tags,
            opts=child,
        )

        self.security_group_id = security_group.id
        self.instance_id = instance.id
        self.port_forward_command = pulumi.Output.all(instance.id, args.database.address, region).apply(
            lambda v: port_forward_command(v[0], v[1], args.database_port, v[2])
        )
        self.session_policy_arn = policy.arn
        self.register_outputs(
            {
                "security_group_id": self.security_group_id,
                "instance_id": self.instance_id,
                "port_forward_command": self.port_forward_command,
                "session_policy_arn": self.session_policy_arn,
            }
        )
