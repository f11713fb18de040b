"""Entry point the Pulumi CLI runs (`pulumi preview --policy-pack policies`): it only builds the pack.

Constructing `PolicyPack` starts the analyzer gRPC server, prints its port on stdout and blocks;
the rules live in `platform_guard/`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from platform_guard import PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
    description="Rejects public databases, public buckets, tasks with public IPs, plaintext secrets and unsafe Django settings; production rules when stackProfile is production.",
)
