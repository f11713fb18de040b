"""Property tests: the public-database rule flags exactly the ingress rules that let an address
outside private space reach a database or cache port, in all three ways a rule can be written.

The oracle below is written independently of the rule: integer ranges for the IPv4 blocks the IANA
special-purpose registry marks not globally reachable (RFC 1918, 100.64.0.0/10 shared space, loopback,
link-local, benchmarking, reserved; documentation ranges count as public, they stand for real
addresses), the fc00::/7 bit pattern for IPv6 unique-local space, and plain arithmetic for ports.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_guard import BY_NAME
from platform_guard.exposure_ingress import DATABASE_PORTS, is_private_cidr
from tests.policy_harness import check_resource

RULE = BY_NAME["no-internet-ingress-to-database-ports"]
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

PRIVATE_V4 = [(0x0A000000, 8), (0xAC100000, 12), (0xC0A80000, 16), (0x64400000, 10)]  # RFC 1918, 100.64/10
# Not globally reachable either (0/8, 127/8, 169.254/16, 192.0.0.0/29, 192.0.0.170/31, 198.18/15,
# 240/4, 255.255.255.255/32); never wider than a /8, so a wider network is never private.
OTHER_NON_GLOBAL_V4 = [
    (0x00000000, 8),
    (0x7F000000, 8),
    (0xA9FE0000, 16),
    (0xC0000000, 29),
    (0xC00000AA, 31),
    (0xC6120000, 15),
    (0xF0000000, 4),
    (0xFFFFFFFF, 32),
]


def _private(cidr: str) -> bool:
    network = ipaddress.ip_network(cidr)
    if network.version == 4:
        first, last = int(network.network_address), int(network.broadcast_address)
        if network.prefixlen < 8:
            return False
        for base, prefix in PRIVATE_V4 + OTHER_NON_GLOBAL_V4:
            size = 1 << (32 - prefix)
            if base <= first and last < base + size:
                return True
        return False
    # RFC 6890's non-global IPv6 blocks (documentation's 2001:db8::/32 stands for public addresses).
    v6 = ipaddress.IPv6Network(cidr)
    return any(v6.subnet_of(ipaddress.IPv6Network(block)) for block in NON_GLOBAL_V6)


NON_GLOBAL_V6 = (
    "::1/128",
    "::/128",
    "::ffff:0:0/96",
    "100::/64",
    "2001::/23",
    "2001:10::/28",
    "fc00::/7",
    "fe80::/10",
)


def _exposes(protocol: str, from_port: int | None, to_port: int | None, cidrs: list[str]) -> bool:
    if not any(not _private(c) for c in cidrs):
        return False
    if protocol in ("-1", "all"):
        return True
    if protocol not in ("tcp", "6") or from_port is None or to_port is None:
        return False
    low, high = min(from_port, to_port), max(from_port, to_port)
    return any(low <= port <= high for port in DATABASE_PORTS)


def _v4(draw: Any) -> str:
    private = draw(st.booleans())
    if private:
        base, block_prefix = draw(st.sampled_from(PRIVATE_V4))
        host = draw(st.integers(0, (1 << (32 - block_prefix)) - 1))
        # Prefixes shorter than the block's reach outside private space.
        prefix = draw(st.integers(max(0, block_prefix - 3), 32))
        return str(ipaddress.ip_network((base + host, prefix), strict=False))
    if draw(st.booleans()):
        return "0.0.0.0/0"
    return str(
        ipaddress.ip_network((draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 32))), strict=False)
    )


def _v6(draw: Any) -> str:
    choice = draw(st.integers(0, 2))
    if choice == 0:
        address = (0b1111110 << 121) | draw(st.integers(0, 2**121 - 1))
        return str(ipaddress.ip_network((address, draw(st.integers(4, 128))), strict=False))
    if choice == 1:
        return "::/0"
    return str(
        ipaddress.ip_network((draw(st.integers(0, 2**128 - 1)), draw(st.integers(0, 128))), strict=False)
    )


Sources = tuple[list[str], list[str]]
"""Source security groups and prefix lists drawn for a rule."""


def _ports(draw: Any, protocol: str) -> tuple[int, int]:
    if protocol in ("-1", "all"):
        return 0, 0
    if protocol == "icmp":
        return draw(st.integers(-1, 255)), draw(st.integers(-1, 15))
    from_port = draw(st.sampled_from([*DATABASE_PORTS, 0, 22, 80, 443, 8000, 65535]) | st.integers(0, 65535))
    return from_port, draw(st.sampled_from([from_port, 65535]) | st.integers(from_port, 65535))


def _without_empty(props: dict[str, Any], **sources: Any) -> dict[str, Any]:
    """`props` plus each source that is not empty."""
    return {**props, **{key: value for key, value in sources.items() if value}}


def _group_rule(
    draw: Any, protocol: str, ports: dict[str, Any], cidrs4: list[str], cidrs6: list[str], sources: Sources
) -> dict[str, Any]:
    """ec2.SecurityGroup with one inline ingress rule."""
    groups, prefix_lists = sources
    rule = _without_empty(
        {"protocol": protocol, **ports},
        cidrBlocks=cidrs4,
        ipv6CidrBlocks=cidrs6,
        securityGroups=groups,
        prefixListIds=prefix_lists,
    )
    if draw(st.booleans()):
        rule["self"] = True
    return {"vpcId": "vpc-1", "ingress": [rule]}


def _rule_resource(
    protocol: str, ports: dict[str, Any], cidrs4: list[str], cidrs6: list[str], sources: Sources
) -> dict[str, Any]:
    """ec2.SecurityGroupRule: CIDRs, or else one group, prefix list or self."""
    groups, prefix_lists = sources
    props = _without_empty(
        {"type": "ingress", "securityGroupId": "sg-target", "protocol": protocol, **ports},
        cidrBlocks=cidrs4,
        ipv6CidrBlocks=cidrs6,
    )
    if not cidrs4 and not cidrs6:
        if groups:
            props["sourceSecurityGroupId"] = groups[0]
        elif prefix_lists:
            props["prefixListIds"] = prefix_lists
        else:
            props["self"] = True
    return props


def _vpc_rule(draw: Any, vpc_protocol: str, ports: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """vpc.SecurityGroupIngressRule: exactly one source; protocol -1 takes no ports."""
    source = draw(st.sampled_from(["v4", "v6", "group", "prefix"]))
    props: dict[str, Any] = {"securityGroupId": "sg-target", "ipProtocol": vpc_protocol}
    if vpc_protocol != "-1":
        props.update(ports)
    cidrs: list[str] = []
    if source == "v4":
        cidrs = [_v4(draw)]
        props["cidrIpv4"] = cidrs[0]
    elif source == "v6":
        cidrs = [_v6(draw)]
        props["cidrIpv6"] = cidrs[0]
    elif source == "group":
        props["referencedSecurityGroupId"] = "sg-0123456789abcdef0"
    else:
        props["prefixListId"] = "pl-0a1b2c3d"
    return props, cidrs


@st.composite
def ingress(draw: Any) -> tuple[str, dict[str, Any], str, int | None, int | None, list[str]]:
    """(resource type, engine-shaped props, protocol, from, to, cidr sources) of one ingress rule."""
    kind = draw(st.sampled_from([SG, SG_RULE, INGRESS_RULE]))
    protocol = draw(st.sampled_from(["tcp", "6", "udp", "17", "icmp", "-1", "all"]))
    from_port, to_port = _ports(draw, protocol)
    cidrs4 = [_v4(draw) for _ in range(draw(st.integers(0, 3)))]
    cidrs6 = [_v6(draw) for _ in range(draw(st.integers(0, 2)))]
    groups = draw(st.lists(st.sampled_from(["sg-0123456789abcdef0", "sg-0fedcba9876543210"]), max_size=2))
    prefix_lists = draw(st.lists(st.just("pl-0a1b2c3d"), max_size=1))
    ports: dict[str, Any] = {"fromPort": float(from_port), "toPort": float(to_port)}

    if kind == SG:
        props = _group_rule(draw, protocol, ports, cidrs4, cidrs6, (groups, prefix_lists))
        return kind, props, protocol, from_port, to_port, cidrs4 + cidrs6
    if kind == SG_RULE:
        props = _rule_resource(protocol, ports, cidrs4, cidrs6, (groups, prefix_lists))
        return kind, props, protocol, from_port, to_port, cidrs4 + cidrs6
    vpc_protocol = "-1" if protocol == "all" else protocol
    props, cidrs = _vpc_rule(draw, vpc_protocol, ports)
    return kind, props, vpc_protocol, from_port, to_port, cidrs


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ingress())
def test_flags_exactly_the_rules_exposing_a_database_port(
    example: tuple[str, dict[str, Any], str, int | None, int | None, list[str]],
) -> None:
    kind, props, protocol, from_port, to_port, cidrs = example
    outcome = check_resource(RULE, kind, props)
    assert outcome.not_judged is None
    assert bool(outcome.violations) == _exposes(protocol, from_port, to_port, cidrs), (props, outcome)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ingress().filter(lambda e: e[0] == SG), min_size=1, max_size=4))
def test_a_group_is_flagged_once_per_exposing_rule(examples: list[Any]) -> None:
    rules = [e[1]["ingress"][0] for e in examples]
    outcome = check_resource(RULE, SG, {"vpcId": "vpc-1", "ingress": rules})
    exposing = [i for i, e in enumerate(examples) if _exposes(e[2], e[3], e[4], e[5])]
    assert [m.split(" ", 1)[0] for m in outcome.messages] == [f"ingress[{i}]" for i in exposing]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_private_cidrs_agree_with_the_oracle(data: st.DataObject) -> None:
    family = data.draw(st.sampled_from(["v4", "v6"]))
    value = _v4(data.draw) if family == "v4" else _v6(data.draw)
    assert is_private_cidr(value) == _private(value)
