"""The IAM the delivery workflows run with, as pure documents: GitHub OIDC trust, the read-only
preview role's denials, and the deploy role, derived from what the platform program creates.

Two tables are the contract with the program, and tests/test_bootstrap.py checks both against the
plans of both stacks, so a new resource type or data-source lookup cannot reach a workflow unmapped:

- RESOURCE_ACTIONS: every resource type token the program may create -> the IAM actions that create
  and tag it (and, where the type hands a role to a service, PASSED_TO names that service);
- INVOKE_ACTIONS: every invoke (data source) the program makes during a preview -> the IAM actions
  it needs. A preview runs them all, so the preview role must allow each.

No Pulumi imports: the bootstrap program and the tests both use this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
# Global services answer in us-east-1 (IAM, CloudFront, Route 53; WAF and ACM for CloudFront live there).
GLOBAL_REGION = "us-east-1"

# type token -> actions to create and tag it. pulumi-aws tags on create where the API allows it, so
# the Tag action is needed at creation time, not only when tags change.
RESOURCE_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws:acm/certificate:Certificate": ("acm:RequestCertificate", "acm:AddTagsToCertificate"),
    "aws:acm/certificateValidation:CertificateValidation": ("acm:DescribeCertificate",),
    "aws:amplify/app:App": ("amplify:CreateApp", "amplify:TagResource"),
    "aws:amplify/branch:Branch": ("amplify:CreateBranch", "amplify:TagResource"),
    "aws:amplify/domainAssociation:DomainAssociation": ("amplify:CreateDomainAssociation",),
    "aws:appautoscaling/policy:Policy": ("application-autoscaling:PutScalingPolicy",),
    "aws:appautoscaling/scheduledAction:ScheduledAction": ("application-autoscaling:PutScheduledAction",),
    "aws:appautoscaling/target:Target": (
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:TagResource",
    ),
    "aws:cloudfront/distribution:Distribution": ("cloudfront:CreateDistribution", "cloudfront:TagResource"),
    "aws:cloudfront/function:Function": ("cloudfront:CreateFunction", "cloudfront:PublishFunction"),
    # Key groups and public keys take no tags.
    "aws:cloudfront/keyGroup:KeyGroup": ("cloudfront:CreateKeyGroup",),
    "aws:cloudfront/originAccessControl:OriginAccessControl": ("cloudfront:CreateOriginAccessControl",),
    "aws:cloudfront/publicKey:PublicKey": ("cloudfront:CreatePublicKey",),
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": ("cloudfront:CreateResponseHeadersPolicy",),
    "aws:cloudfront/vpcOrigin:VpcOrigin": ("cloudfront:CreateVpcOrigin", "cloudfront:TagResource"),
    "aws:cloudwatch/dashboard:Dashboard": ("cloudwatch:PutDashboard",),
    "aws:cloudwatch/logDelivery:LogDelivery": ("logs:CreateDelivery", "logs:TagResource"),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": (
        "logs:PutDeliveryDestination",
        "logs:TagResource",
    ),
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": ("logs:PutDeliverySource", "logs:TagResource"),
    "aws:cloudwatch/logGroup:LogGroup": (
        "logs:CreateLogGroup",
        "logs:TagResource",
        "logs:PutRetentionPolicy",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:CreateTags",
    ),
    "aws:ec2/eip:Eip": ("ec2:AllocateAddress", "ec2:CreateTags"),
    "aws:ec2/flowLog:FlowLog": ("ec2:CreateFlowLogs", "ec2:CreateTags"),
    "aws:ec2/instance:Instance": ("ec2:RunInstances", "ec2:CreateTags"),
    "aws:ec2/internetGateway:InternetGateway": (
        "ec2:CreateInternetGateway",
        "ec2:AttachInternetGateway",
        "ec2:CreateTags",
    ),
    "aws:ec2/natGateway:NatGateway": ("ec2:CreateNatGateway", "ec2:CreateTags"),
    "aws:ec2/route:Route": ("ec2:CreateRoute",),
    "aws:ec2/routeTable:RouteTable": ("ec2:CreateRouteTable", "ec2:CreateTags"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("ec2:AssociateRouteTable",),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2:CreateSecurityGroup", "ec2:CreateTags"),
    "aws:ec2/subnet:Subnet": ("ec2:CreateSubnet", "ec2:CreateTags"),
    "aws:ec2/vpc:Vpc": ("ec2:CreateVpc", "ec2:CreateTags", "ec2:ModifyVpcAttribute"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2:CreateVpcEndpoint", "ec2:CreateTags"),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ("ecr:PutLifecyclePolicy",),
    # ECR adds its own grant on the KMS key of an encrypted repository, as the caller.
    "aws:ecr/repository:Repository": (
        "ecr:CreateRepository",
        "ecr:TagResource",
        "kms:CreateGrant",
        "kms:DescribeKey",
    ),
    "aws:ecs/cluster:Cluster": ("ecs:CreateCluster", "ecs:TagResource"),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": ("ecs:PutClusterCapacityProviders",),
    # wait_for_steady_state polls the service until its deployment completes.
    "aws:ecs/service:Service": ("ecs:CreateService", "ecs:TagResource", "ecs:DescribeServices"),
    "aws:ecs/taskDefinition:TaskDefinition": ("ecs:RegisterTaskDefinition", "ecs:TagResource"),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "elasticache:CreateReplicationGroup",
        "elasticache:AddTagsToResource",
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": (
        "elasticache:CreateCacheSubnetGroup",
        "elasticache:AddTagsToResource",
    ),
    "aws:iam/instanceProfile:InstanceProfile": (
        "iam:CreateInstanceProfile",
        "iam:TagInstanceProfile",
        "iam:AddRoleToInstanceProfile",
    ),
    "aws:iam/policy:Policy": ("iam:CreatePolicy", "iam:TagPolicy"),
    "aws:iam/role:Role": ("iam:CreateRole", "iam:TagRole"),
    "aws:iam/rolePolicy:RolePolicy": ("iam:PutRolePolicy",),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("iam:AttachRolePolicy",),
    "aws:kms/alias:Alias": ("kms:CreateAlias",),
    "aws:kms/key:Key": ("kms:CreateKey", "kms:TagResource", "kms:EnableKeyRotation"),
    "aws:lb/listener:Listener": ("elasticloadbalancing:CreateListener", "elasticloadbalancing:AddTags"),
    "aws:lb/loadBalancer:LoadBalancer": (
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
    ),
    "aws:lb/targetGroup:TargetGroup": (
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
    ),
    "aws:rds/instance:Instance": (
        "rds:CreateDBInstance",
        "rds:CreateDBInstanceReadReplica",
        "rds:AddTagsToResource",
    ),
    "aws:rds/parameterGroup:ParameterGroup": (
        "rds:CreateDBParameterGroup",
        "rds:ModifyDBParameterGroup",
        "rds:AddTagsToResource",
    ),
    "aws:rds/subnetGroup:SubnetGroup": ("rds:CreateDBSubnetGroup", "rds:AddTagsToResource"),
    "aws:route53/record:Record": ("route53:ChangeResourceRecordSets",),
    "aws:s3/bucket:Bucket": ("s3:CreateBucket", "s3:PutBucketTagging"),
    "aws:s3/bucketLogging:BucketLogging": ("s3:PutBucketLogging",),
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": ("s3:PutBucketCORS",),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ("s3:PutLifecycleConfiguration",),
    "aws:s3/bucketObjectv2:BucketObjectv2": ("s3:PutObject", "s3:PutObjectTagging"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ("s3:PutBucketOwnershipControls",),
    "aws:s3/bucketPolicy:BucketPolicy": ("s3:PutBucketPolicy",),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ("s3:PutReplicationConfiguration",),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "s3:PutEncryptionConfiguration",
    ),
    "aws:s3/bucketVersioning:BucketVersioning": ("s3:PutBucketVersioning",),
    "aws:secretsmanager/secret:Secret": ("secretsmanager:CreateSecret", "secretsmanager:TagResource"),
    "aws:secretsmanager/secretVersion:SecretVersion": ("secretsmanager:PutSecretValue",),
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": (
        "servicediscovery:CreatePrivateDnsNamespace",
        "servicediscovery:TagResource",
        "route53:CreateHostedZone",
        "ec2:DescribeVpcs",
    ),
    "aws:servicediscovery/service:Service": (
        "servicediscovery:CreateService",
        "servicediscovery:TagResource",
    ),
    "aws:sns/topic:Topic": ("sns:CreateTopic", "sns:TagResource"),
    "aws:sns/topicPolicy:TopicPolicy": ("sns:SetTopicAttributes",),
    "aws:sns/topicSubscription:TopicSubscription": ("sns:Subscribe",),
    # Tags sent with PutParameter are authorised as ssm:AddTagsToResource as well.
    "aws:ssm/parameter:Parameter": ("ssm:PutParameter", "ssm:AddTagsToResource"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:CreateTags",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateTags",
    ),
    "aws:wafv2/webAcl:WebAcl": ("wafv2:CreateWebACL", "wafv2:TagResource"),
    # WAF's guide, logging to CloudWatch Logs: the caller also sets up the log delivery and the
    # log group's resource policy that admits delivery.logs.amazonaws.com.
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
        "wafv2:PutLoggingConfiguration",
        "logs:CreateLogDelivery",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    ),
}

# type token -> the service principal a role is passed to when the type is created (iam:PassRole).
# An instance profile takes its role with AddRoleToInstanceProfile, which also requires PassRole.
PASSED_TO: dict[str, str] = {
    "aws:ec2/flowLog:FlowLog": "vpc-flow-logs.amazonaws.com",
    "aws:ec2/instance:Instance": "ec2.amazonaws.com",
    "aws:iam/instanceProfile:InstanceProfile": "ec2.amazonaws.com",
    "aws:ecs/taskDefinition:TaskDefinition": "ecs-tasks.amazonaws.com",
    "aws:rds/instance:Instance": "monitoring.rds.amazonaws.com",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "s3.amazonaws.com",
}

# invoke token -> actions. getRegion and getPartition answer from the provider's configuration,
# without an API call.
INVOKE_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws:index/getRegion:getRegion": (),
    "aws:index/getPartition:getPartition": (),
    "aws:index/getCallerIdentity:getCallerIdentity": ("sts:GetCallerIdentity",),
    "aws:index/getAvailabilityZones:getAvailabilityZones": ("ec2:DescribeAvailabilityZones",),
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": (
        "ec2:DescribeManagedPrefixLists",
        "ec2:GetManagedPrefixListEntries",
    ),
    # The bastion's AMI: a public parameter under /aws/service/.
    "aws:ssm/getParameter:getParameter": ("ssm:GetParameter",),
    # The database's bootstrap master password (sent write-only, replaced after the first deploy).
    "aws:secretsmanager/getRandomPassword:getRandomPassword": ("secretsmanager:GetRandomPassword",),
    "aws:cloudfront/getCachePolicy:getCachePolicy": (
        "cloudfront:ListCachePolicies",
        "cloudfront:GetCachePolicy",
    ),
    "aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy": (
        "cloudfront:ListOriginRequestPolicies",
        "cloudfront:GetOriginRequestPolicy",
    ),
    "aws:cloudfront/getResponseHeadersPolicy:getResponseHeadersPolicy": (
        "cloudfront:ListResponseHeadersPolicies",
        "cloudfront:GetResponseHeadersPolicy",
    ),
}

# IAM on the app's own roles, policies and instance profiles: what the IAM types above need to be
# created, read back, updated, tagged and deleted.
IAM_MANAGE = (
    "iam:AddRoleToInstanceProfile",
    "iam:AttachRolePolicy",
    "iam:CreateInstanceProfile",
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateRole",
    "iam:DeleteInstanceProfile",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetInstanceProfile",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfileTags",
    "iam:ListInstanceProfilesForRole",
    "iam:ListPolicyTags",
    "iam:ListPolicyVersions",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "iam:PutRolePolicy",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile",
    "iam:TagPolicy",
    "iam:TagRole",
    "iam:UntagInstanceProfile",
    "iam:UntagPolicy",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
# Read by every workflow role without being data: the ReadOnlyAccess managed policy's scope.
READ_ONLY_POLICY_ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def services_of(types: Iterable[str]) -> list[str]:
    """IAM service prefixes (other than IAM) whose actions create the given types."""
    return sorted({action.split(":")[0] for t in types for action in RESOURCE_ACTIONS[t]} - {"iam"})


def trust_policy(account_id: str, subject: str, partition: str = "aws") -> str:
    """A role only GitHub Actions jobs with exactly this OIDC subject may assume."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:{partition}:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                            f"{GITHUB_OIDC_HOST}:sub": subject,
                        }
                    },
                }
            ],
        }
    )


def preview_policy(
    *, state_bucket: str | None = None, secrets_key_arn: str | None = None, partition: str = "aws"
) -> str:
    """The preview role's own policy, next to ReadOnlyAccess: a preview reads metadata, never data.
    The exceptions are exactly the data a preview needs: public SSM parameters (the bastion's AMI
    lookup), and with a self-managed backend its state objects and its secrets provider's key."""

    def deny(sid: str, actions: Sequence[str], allowed: Sequence[str]) -> dict[str, Any]:
        statement: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "Action": list(actions)}
        if allowed:
            statement["NotResource"] = list(allowed)
        else:
            statement["Resource"] = "*"
        return statement

    statements = [
        deny(
            "NoPrivateParameters",
            ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            [f"arn:{partition}:ssm:*::parameter/aws/service/*"],
        ),
        deny(
            "NoObjectReads",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [f"arn:{partition}:s3:::{state_bucket}/*"] if state_bucket else [],
        ),
        deny("NoDecrypt", ["kms:Decrypt"], [secrets_key_arn] if secrets_key_arn else []),
        deny(
            "NoSecretsOrLogs",
            ["secretsmanager:GetSecretValue", "logs:GetLogEvents", "logs:FilterLogEvents", "rds-db:connect"],
            [],
        ),
    ]
    if state_bucket:
        # A self-managed backend locks the stack for a preview too: a lock file under .pulumi/locks/.
        statements.append(
            {
                "Sid": "StateLocks",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                "Resource": f"arn:{partition}:s3:::{state_bucket}/.pulumi/locks/*",
            }
        )
    if secrets_key_arn:
        # ReadOnlyAccess grants no kms:Decrypt; the CLI decrypts the stack's secrets with this key.
        statements.append(
            {
                "Sid": "SecretsProvider",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": secrets_key_arn,
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def deploy_policy(
    *,
    account_id: str,
    app_name: str,
    regions: Sequence[str],
    types: Iterable[str] = tuple(RESOURCE_ACTIONS),
    state_bucket: str | None = None,
    partition: str = "aws",
) -> str:
    """What `pulumi up` of one stack, its release tasks and its wake-up step may do.

    The services the program's types belong to, in the stack's regions only; IAM only on the roles,
    policies and instance profiles named after the app (Pulumi's auto-names start with the resource
    name, which starts with `app_name`), passed only to the services that use them."""
    types = list(types)
    iam = f"arn:{partition}:iam::{account_id}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "StackServices",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in services_of(types)],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": sorted({*regions, GLOBAL_REGION})}},
        },
        {
            "Sid": "AppIamOnly",
            "Effect": "Allow",
            "Action": list(IAM_MANAGE),
            "Resource": [
                f"{iam}:role/{app_name}-*",
                f"{iam}:policy/{app_name}-*",
                f"{iam}:instance-profile/{app_name}-*",
            ],
        },
        {
            "Sid": "PassAppRolesToTheirServices",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": f"{iam}:role/{app_name}-*",
            "Condition": {
                "StringEquals": {
                    "iam:PassedToService": sorted({PASSED_TO[t] for t in types if t in PASSED_TO})
                }
            },
        },
        {
            "Sid": "ServiceLinkedRoles",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"{iam}:role/aws-service-role/*",
        },
        {
            # The lookups the program makes on every run (preview and up alike).
            "Sid": "ProgramLookups",
            "Effect": "Allow",
            "Action": sorted({a for actions in INVOKE_ACTIONS.values() for a in actions}),
            "Resource": "*",
        },
    ]
    if state_bucket:
        statements.append(
            {
                "Sid": "StackState",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                "Resource": [
                    f"arn:{partition}:s3:::{state_bucket}",
                    f"arn:{partition}:s3:::{state_bucket}/*",
                ],
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def stack_subjects(repository: str, environment: str) -> Mapping[str, str]:
    """OIDC subjects of the two roles of a stack: PR previews, and deploys from its environment."""
    return {
        "preview": f"repo:{repository}:pull_request",
        "deploy": f"repo:{repository}:environment:{environment}",
    }
