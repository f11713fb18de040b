"""Who may do what: resource policies open to everyone, IAM policies that amount to administrator
access, roles anyone may assume, Lambda permissions for any caller."""

from __future__ import annotations

from .policy_documents import admin_statements, public_statements
from .props import UNKNOWN, non_empty
from .rule import Subject, resource_rule

# Every resource whose policy document (the property named) grants access to others. Bucket
# policies have their own rule (storage.py) with S3-specific advice.
RESOURCE_POLICY_PROPS: dict[str, str] = {
    "aws:kms/key:Key": "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
    "aws:kms/replicaKey:ReplicaKey": "policy",
    "aws:secretsmanager/secret:Secret": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:ecr/registryPolicy:RegistryPolicy": "policy",
    "aws:glacier/vault:Vault": "accessPolicy",
    "aws:backup/vaultPolicy:VaultPolicy": "policy",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "policy",
    "aws:s3control/accessPointPolicy:AccessPointPolicy": "policy",
    "aws:s3/accessPoint:AccessPoint": "policy",
    "aws:s3control/bucketPolicy:BucketPolicy": "policy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
    "aws:iam/role:Role": "assumeRolePolicy",
}


def _resource_policy(r: Subject) -> None:
    prop = RESOURCE_POLICY_PROPS[r.type]
    document = r.document(prop)
    if document is UNKNOWN or document is None:
        return
    what = "the role can be assumed by" if prop == "assumeRolePolicy" else "grants"
    for finding in public_statements(document):
        r.report(
            f"{prop}: {finding} with no condition pinning the caller ({what} any AWS account or anyone "
            "on the internet). Name the account, role or service principal that needs it, or pin "
            "aws:PrincipalOrgID / aws:SourceArn / aws:SourceAccount."
        )


resource_policy_not_public = resource_rule(
    name="resource-policy-not-public",
    description=(
        "No resource policy (KMS keys, secrets, SNS topics, SQS queues, ECR repositories, backup vaults, "
        "event buses, access points) and no role trust policy allows principal '*' unless a condition "
        "pins the caller; a source-IP condition covering the internet does not count."
    ),
    types=RESOURCE_POLICY_PROPS,
    reads=sorted(set(RESOURCE_POLICY_PROPS.values())),
    check=_resource_policy,
)


# --- iam-no-admin-grants ---------------------------------------------------------------------

IDENTITY_POLICIES: dict[str, str] = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:iam/role:Role": "inlinePolicies",
}
ATTACHMENTS = frozenset(
    {
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
    }
)
# AWS managed policies that grant everything (or everything IAM, which is the same).
ADMIN_MANAGED = frozenset({"AdministratorAccess", "IAMFullAccess"})


def _admin_arn(value: object) -> bool:
    return (
        isinstance(value, str)
        and value.startswith("arn:aws")
        and value.split("/")[-1] in ADMIN_MANAGED
        and ":aws:policy/" in value
    )


def _admin(r: Subject) -> None:
    fix = "Grant the actions and resources the workload uses; administrators get access through SSO."
    if r.type in ATTACHMENTS:
        arn = r.prop("policyArn")
        if _admin_arn(arn):
            r.report(f"policyArn is '{arn}': the principal becomes an administrator of the account. {fix}")
        return
    if r.type == "aws:iam/role:Role":
        for arn in (a for _, a in r.items(r.props, "managedPolicyArns")):
            if _admin_arn(arn):
                r.report(f"managedPolicyArns includes '{arn}': the role administers the account. {fix}")
        for index, inline in r.items(r.props, "inlinePolicies"):
            document = r.json(inline, "policy", label=f"inlinePolicies[{index}].policy")
            for finding in admin_statements(document) if document is not UNKNOWN else []:
                r.report(f"inlinePolicies[{index}]: {finding}, which amounts to administrator access. {fix}")
        return
    document = r.document("policy")
    if document is UNKNOWN or not non_empty(document):
        return
    for finding in admin_statements(document):
        r.report(f"policy: {finding}, which amounts to administrator access. {fix}")


iam_no_admin_grants = resource_rule(
    name="iam-no-admin-grants",
    description=(
        "No IAM policy allows Action '*' (or NotAction on every resource), and no role, user or group is "
        "given AdministratorAccess."
    ),
    types={*IDENTITY_POLICIES, *ATTACHMENTS},
    reads=["policy", "inlinePolicies", "managedPolicyArns", "policyArn"],
    check=_admin,
)


# --- lambda-permission-not-public ------------------------------------------------------------

LAMBDA_PERMISSIONS = frozenset(
    {"aws:lambda/permission:Permission", "aws:lambda/layerVersionPermission:LayerVersionPermission"}
)


def _lambda_permission(r: Subject) -> None:
    principal = r.prop("principal")
    if not (isinstance(principal, str) and principal.strip() == "*"):
        return
    pins = [r.prop(k) for k in ("sourceArn", "sourceAccount", "principalOrgId", "organizationId")]
    if any(p is UNKNOWN for p in pins) or any(non_empty(p) for p in pins):
        return
    auth = r.prop("functionUrlAuthType")
    what = "invoke the function" if r.type == "aws:lambda/permission:Permission" else "use the layer"
    extra = " through a function URL without authentication" if auth == "NONE" else ""
    r.report(
        f"principal is '*' with no sourceArn, sourceAccount or principalOrgId: anyone can {what}{extra}. "
        "Name the calling service principal and its sourceArn, or the account."
    )


lambda_permission_not_public = resource_rule(
    name="lambda-permission-not-public",
    description="Lambda permissions and layer permissions never grant principal '*' without a source or organization condition.",
    types=LAMBDA_PERMISSIONS,
    reads=["principal", "sourceArn", "sourceAccount", "principalOrgId", "organizationId"],
    check=_lambda_permission,
)


POLICIES = [resource_policy_not_public, iam_no_admin_grants, lambda_permission_not_public]
