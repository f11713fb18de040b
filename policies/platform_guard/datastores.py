"""Data stores beyond RDS and Redis, and data left behind: search domains, file systems, in-memory
databases, database proxies, parameter groups that switch TLS off, snapshots shared with everyone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .policy_documents import public_statements
from .props import UNKNOWN, falsy_explicit, is_sequence, non_empty, truthy
from .rule import Subject, resource_rule

SEARCH_DOMAINS = frozenset({"aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain"})
SEARCH_POLICIES = frozenset(
    {"aws:opensearch/domainPolicy:DomainPolicy", "aws:elasticsearch/domainPolicy:DomainPolicy"}
)
EFS = "aws:efs/fileSystem:FileSystem"
EFS_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
MEMORYDB = "aws:memorydb/cluster:Cluster"
MEMORYDB_TYPES = frozenset({MEMORYDB, "aws:memorydb/multiRegionCluster:MultiRegionCluster"})
CACHE_USERS = frozenset({"aws:elasticache/user:User", "aws:memorydb/user:User"})
MSK = "aws:msk/cluster:Cluster"
SERVERLESS_SEARCH_POLICY = "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"
RDS_PROXY = "aws:rds/proxy:Proxy"
DAX = "aws:dax/cluster:Cluster"
PARAMETER_GROUPS = frozenset(
    {
        "aws:rds/parameterGroup:ParameterGroup",
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        "aws:docdb/clusterParameterGroup:ClusterParameterGroup",
        "aws:neptune/clusterParameterGroup:ClusterParameterGroup",
        "aws:redshift/parameterGroup:ParameterGroup",
    }
)
SNAPSHOTS = frozenset(
    {
        "aws:rds/snapshot:Snapshot",
        "aws:rds/clusterSnapshot:ClusterSnapshot",
        "aws:rds/snapshotCopy:SnapshotCopy",
    }
)
EC2_SHARING = frozenset(
    {
        "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission",
        "aws:ec2/amiLaunchPermission:AmiLaunchPermission",
    }
)


def _block(r: Subject, name: str) -> Any:
    """A nested block, which some providers send as a one-element list."""
    value = r.prop(name)
    if is_sequence(value):
        return value[0] if value else None
    return value


# --- search-domain-encrypted-and-private -----------------------------------------------------


def _serverless_network(r: Subject) -> None:
    if r.prop("type") != "network":
        return
    document = r.document("policy")
    rules = document if isinstance(document, list) else [document] if isinstance(document, Mapping) else []
    for index, rule in enumerate(rules):
        if isinstance(rule, Mapping) and truthy(rule.get("AllowFromPublic")):
            r.report(
                f"policy[{index}] sets AllowFromPublic true: the collection's endpoint (and dashboards) accept "
                "connections from the internet. Use SourceVPCEs with a VPC endpoint."
            )


def _search_domain(r: Subject) -> None:
    if r.type == SERVERLESS_SEARCH_POLICY:
        _serverless_network(r)
        return
    if r.type in SEARCH_POLICIES:
        document = r.document("accessPolicies")
        for finding in public_statements(document) if document is not UNKNOWN else []:
            r.report(
                f"accessPolicies: {finding}. Grant the roles that need the domain, or pin aws:SourceVpce."
            )
        return
    at_rest = r.get(_block(r, "encryptAtRest"), "enabled", label="encryptAtRest.enabled")
    if at_rest is not UNKNOWN and not truthy(at_rest):
        r.report(
            f"encryptAtRest.enabled is {'false' if at_rest is not None else 'not set (default false)'}: "
            "indices, logs and swap are stored unencrypted. Set encrypt_at_rest enabled=True (with a KMS key)."
        )
    n2n = r.get(_block(r, "nodeToNodeEncryption"), "enabled", label="nodeToNodeEncryption.enabled")
    if n2n is not UNKNOWN and not truthy(n2n):
        r.report(
            "nodeToNodeEncryption.enabled is not true: nodes exchange documents in plain text. Enable it."
        )
    endpoint = _block(r, "domainEndpointOptions")
    https = r.get(endpoint, "enforceHttps", label="domainEndpointOptions.enforceHttps")
    tls = r.get(endpoint, "tlsSecurityPolicy", label="domainEndpointOptions.tlsSecurityPolicy")
    if https is not UNKNOWN and falsy_explicit(https):
        r.report(
            "domainEndpointOptions.enforceHttps is false: clients may send queries over plain HTTP. Set it to true."
        )
    if isinstance(tls, str) and "TLS-1-0" in tls:
        r.report(
            f"domainEndpointOptions.tlsSecurityPolicy is '{tls}', which accepts TLS 1.0 and 1.1. Use "
            "Policy-Min-TLS-1-2-2019-07 or Policy-Min-TLS-1-2-PFS-2023-10."
        )
    document = r.document("accessPolicies")
    vpc = r.prop("vpcOptions")
    if document is not UNKNOWN and vpc is not UNKNOWN and not non_empty(vpc):
        for finding in public_statements(document):
            r.report(
                f"accessPolicies: {finding} on a domain with a public endpoint (no vpcOptions): anyone on "
                "the internet can query it. Put it in the VPC or grant named roles."
            )


search_domain_encrypted_and_private = resource_rule(
    name="search-domain-encrypted-and-private",
    description=(
        "OpenSearch/Elasticsearch domains encrypt at rest and between nodes, enforce HTTPS with TLS 1.2, "
        "and carry no access policy open to everyone on a public endpoint."
    ),
    types=SEARCH_DOMAINS | SEARCH_POLICIES | {SERVERLESS_SEARCH_POLICY},
    reads=[
        "encryptAtRest",
        "nodeToNodeEncryption",
        "domainEndpointOptions",
        "accessPolicies",
        "vpcOptions",
        "policy",
    ],
    check=_search_domain,
)


# --- file-system-encrypted-and-private -------------------------------------------------------


def _file_system(r: Subject) -> None:
    if r.type == EFS_POLICY:
        document = r.document("policy")
        for finding in public_statements(document) if document is not UNKNOWN else []:
            r.report(
                f"policy: {finding}: any client that can reach a mount target may mount it. Grant the "
                "task or instance roles, or pin elasticfilesystem:AccessPointArn / aws:SourceVpc."
            )
        return
    flag = r.prop("encrypted")
    if flag is not UNKNOWN and not truthy(flag):
        r.report(
            f"encrypted is {'false' if flag is not None else 'not set (default false)'}: files are stored "
            "unencrypted. Set encrypted=True with a KMS key (it cannot be changed later)."
        )


file_system_encrypted_and_private = resource_rule(
    name="file-system-encrypted-and-private",
    description="EFS file systems are encrypted at rest and their policies are not open to everyone.",
    types={EFS, EFS_POLICY},
    reads=["encrypted", "policy"],
    check=_file_system,
)


# --- memorydb-tls-and-acl --------------------------------------------------------------------


def _cache_user(r: Subject) -> None:
    mode = _block(r, "authenticationMode")
    kind = r.get(mode, "type", label="authenticationMode.type")
    open_flag = r.prop("noPasswordRequired")
    if truthy(open_flag) or (
        isinstance(kind, str) and kind.replace("_", "-") in ("no-password-required", "no-password")
    ):
        access = r.prop("accessString")
        r.report(
            f"the user needs no password (noPasswordRequired / authenticationMode 'no-password') and has "
            f"access '{access}': anyone who reaches the port connects as this user. Give it passwords from "
            "Secrets Manager or IAM authentication, or 'off' in its access string."
        )


def _memorydb(r: Subject) -> None:
    if r.type in CACHE_USERS:
        _cache_user(r)
        return
    tls = r.prop("tlsEnabled")
    if tls is not UNKNOWN and falsy_explicit(tls):
        r.report("tlsEnabled is false: clients connect in plain text. Leave it at its default (true).")
    acl = r.prop("aclName")
    if isinstance(acl, str) and acl == "open-access":
        r.report(
            "aclName is 'open-access': anyone who reaches the port can read and write every key. Create "
            "an ACL with users and passwords (aws.memorydb.Acl) and name it here."
        )


memorydb_tls_and_acl = resource_rule(
    name="memorydb-tls-and-acl",
    description=(
        "MemoryDB clusters keep TLS on and use an access control list, never 'open-access'; ElastiCache and "
        "MemoryDB users need a password or IAM authentication."
    ),
    types=MEMORYDB_TYPES | CACHE_USERS,
    reads=["tlsEnabled", "aclName", "authenticationMode", "noPasswordRequired"],
    check=_memorydb,
)


# --- kafka-encrypted-and-private -----------------------------------------------------------


def _msk(r: Subject) -> None:
    info = _block(r, "encryptionInfo")
    transit = r.get(info, "encryptionInTransit", label="encryptionInfo.encryptionInTransit")
    if is_sequence(transit):
        transit = transit[0] if transit else None
    broker = r.get(transit, "clientBroker", label="encryptionInTransit.clientBroker")
    in_cluster = r.get(transit, "inCluster", label="encryptionInTransit.inCluster")
    if isinstance(broker, str) and broker.upper() in ("PLAINTEXT", "TLS_PLAINTEXT"):
        r.report(
            f"encryptionInfo.encryptionInTransit.clientBroker is {broker}: clients may produce and consume "
            "in plain text. Set it to TLS."
        )
    if in_cluster is not UNKNOWN and falsy_explicit(in_cluster):
        r.report(
            "encryptionInfo.encryptionInTransit.inCluster is false: brokers replicate in plain text. Set it to true."
        )
    nodes = _block(r, "brokerNodeGroupInfo")
    connectivity = r.get(nodes, "connectivityInfo", label="brokerNodeGroupInfo.connectivityInfo")
    if is_sequence(connectivity):
        connectivity = connectivity[0] if connectivity else None
    public = r.get(connectivity, "publicAccess", label="connectivityInfo.publicAccess")
    if is_sequence(public):
        public = public[0] if public else None
    kind = r.get(public, "type", label="publicAccess.type")
    if isinstance(kind, str) and kind.upper() == "SERVICE_PROVIDED_EIPS":
        r.report(
            "connectivityInfo.publicAccess.type is SERVICE_PROVIDED_EIPS: the brokers get public IPs. Set it to DISABLED."
        )


kafka_encrypted_and_private = resource_rule(
    name="kafka-encrypted-and-private",
    description="MSK clusters encrypt client and broker traffic (TLS only) and give brokers no public IPs.",
    types={MSK},
    reads=["encryptionInfo", "brokerNodeGroupInfo"],
    check=_msk,
)


# --- database-proxy-requires-tls -------------------------------------------------------------


def _proxy(r: Subject) -> None:
    flag = r.prop("requireTls")
    if flag is not UNKNOWN and not truthy(flag):
        r.report(
            f"requireTls is {'false' if flag is not None else 'not set (default false)'}: clients may "
            "connect to the proxy, and send database credentials, in plain text. Set require_tls=True."
        )


database_proxy_requires_tls = resource_rule(
    name="database-proxy-requires-tls",
    description="RDS Proxies require TLS from their clients.",
    types={RDS_PROXY},
    reads=["requireTls"],
    check=_proxy,
)


# --- dax-encrypted ---------------------------------------------------------------------------


def _dax(r: Subject) -> None:
    sse = r.get(_block(r, "serverSideEncryption"), "enabled", label="serverSideEncryption.enabled")
    if sse is not UNKNOWN and not truthy(sse):
        r.report("serverSideEncryption.enabled is not true: cached items are stored unencrypted. Enable it.")
    endpoint = r.prop("clusterEndpointEncryptionType")
    if endpoint is not UNKNOWN and (endpoint is None or str(endpoint).upper() == "NONE"):
        r.report(
            f"clusterEndpointEncryptionType is {endpoint or 'not set (default NONE)'}: clients talk to "
            "the cluster in plain text. Set it to TLS."
        )


dax_encrypted = resource_rule(
    name="dax-encrypted",
    description="DAX clusters encrypt at rest and require TLS on their endpoint.",
    types={DAX},
    reads=["serverSideEncryption", "clusterEndpointEncryptionType"],
    check=_dax,
)


# --- parameter-group-keeps-tls ---------------------------------------------------------------

# Parameters that, set to these values, let clients connect without TLS.
TLS_OFF: dict[str, frozenset[str]] = {
    "rds.force_ssl": frozenset({"0", "false", "off"}),
    "require_secure_transport": frozenset({"0", "false", "off"}),
    "tls": frozenset({"disabled"}),
    "neptune_enforce_ssl": frozenset({"0", "false", "off"}),
    "require_ssl": frozenset({"0", "false", "off"}),
}


def _parameter_group(r: Subject) -> None:
    for index, parameter in r.items(r.props, "parameters"):
        if not isinstance(parameter, Mapping):
            continue
        name = r.get(parameter, "name", label=f"parameters[{index}].name")
        value = r.get(parameter, "value", label=f"parameters[{index}].value")
        if not isinstance(name, str) or value is UNKNOWN or value is None:
            continue
        shown = str(int(value)) if isinstance(value, float) else str(value)
        if shown.strip().lower() in TLS_OFF.get(name.strip().lower(), frozenset()):
            r.report(
                f"parameters[{index}] sets {name}={shown}: the database then accepts unencrypted "
                f"connections, so passwords and data cross the network in clear text. Set {name} to "
                "require TLS (1 / ON / enabled) or leave the engine default that requires it."
            )


parameter_group_keeps_tls = resource_rule(
    name="parameter-group-keeps-tls",
    description=(
        "No database parameter group switches TLS enforcement off (rds.force_ssl=0, "
        "require_secure_transport=OFF, DocumentDB tls=disabled, Redshift require_ssl=false)."
    ),
    types=PARAMETER_GROUPS,
    reads=["parameters"],
    check=_parameter_group,
)


# --- snapshots-not-public --------------------------------------------------------------------


def _snapshots(r: Subject) -> None:
    if r.type in SNAPSHOTS:
        accounts = [a for _, a in r.items(r.props, "sharedAccounts")]
        if any(isinstance(a, str) and a.strip().lower() == "all" for a in accounts):
            r.report(
                "sharedAccounts includes 'all': every AWS account can copy and restore this snapshot, "
                "with all the data in it. Share with named account ids only."
            )
        return
    group = r.prop("group")
    account = r.prop("accountId")
    if (isinstance(group, str) and group.lower() == "all") or (
        isinstance(account, str) and account.lower() == "all"
    ):
        r.report(
            "the permission is granted to 'all': every AWS account can use the image or snapshot and read "
            "its disks. Grant named accounts or the organization instead."
        )


snapshots_not_public = resource_rule(
    name="snapshots-not-public",
    description="Database snapshots, EBS snapshots and AMIs are never shared with every AWS account ('all').",
    types=SNAPSHOTS | EC2_SHARING,
    reads=["sharedAccounts", "group", "accountId"],
    check=_snapshots,
)


POLICIES = [
    search_domain_encrypted_and_private,
    file_system_encrypted_and_private,
    memorydb_tls_and_acl,
    kafka_encrypted_and_private,
    database_proxy_requires_tls,
    dax_encrypted,
    parameter_group_keeps_tls,
    snapshots_not_public,
]
