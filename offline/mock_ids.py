"""What every mocked answer is made of: the account, the default region, physical ids derived from
names (stable from run to run), and the shapes of the per-type hooks that fill in what AWS computes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

# Physical-id prefixes AWS uses for EC2-family resources.
EC2_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/instance:Instance": "i",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
}


def digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def service_and_kind(type_token: str) -> tuple[str, str]:
    """`aws:ec2/vpc:Vpc` -> ("ec2", "vpc")."""
    module = type_token.split(":")[1]
    service, _, kind = module.partition("/")
    return service, kind.lower() or service


# A state hook may return a new physical id for types whose ids AWS formats its own way
# (CloudFront distribution ids, ACM certificate ARNs); returning None keeps the default.
StateHook = Callable[[pulumi.runtime.MockResourceArgs, str, dict[str, Any], str], "str | None"]
CallHook = Callable[[dict[str, Any], str], dict[str, Any]]
