"""How each resource type turns into priced quantities (see offline/cost.py for the estimate; ECS on
Fargate is in offline/cost_rules_ecs.py)."""

from __future__ import annotations

import json
from typing import Any

from .cost import STACK_RULES, CostError, PlannedResource, _Pricing, rule
from .cost_schedule import HOURS_PER_MONTH

H = HOURS_PER_MONTH

# AWS managed rule groups with a subscription or request fee on top of the rule price.
PAID_RULE_GROUPS = (
    "AWSManagedRulesBotControlRuleSet",
    "AWSManagedRulesATPRuleSet",
    "AWSManagedRulesACFPRuleSet",
    "AWSManagedRulesAntiDDoSRuleSet",
)
XRAY_RESERVOIR_PER_SECOND = 1.0  # X-Ray's default sampling rule: the first request each second...
XRAY_RATE = 0.05  # ...and 5% of the rest


@rule("aws:ec2/natGateway:NatGateway")
def _nat(p: _Pricing, r: PlannedResource) -> None:
    p.add(r, "NAT gateway hours", "ec2.natGateway.hour", H)


@rule("aws:ec2/eip:Eip")
def _eip(p: _Pricing, r: PlannedResource) -> None:
    p.add(r, "public IPv4 address hours", "vpc.publicIpv4.hour", H)


@rule("aws:ec2/vpcEndpoint:VpcEndpoint")
def _endpoint(p: _Pricing, r: PlannedResource) -> None:
    kind = r.inputs.get("vpcEndpointType", "Gateway")
    if kind == "Gateway":
        return  # S3 and DynamoDB gateway endpoints have no charge
    if kind != "Interface":
        raise CostError(f"endpoint type {kind!r} has no pricing rule")
    subnets = r.inputs.get("subnetIds")
    if not isinstance(subnets, list):
        raise CostError("its subnets are unknown, so the number of endpoint ENIs is too")
    service = str(r.inputs.get("serviceName", "")).split(".", 3)[-1]  # com.amazonaws.<region>.<service>
    p.add(
        r,
        f"interface endpoint ({service}) x {len(subnets)} AZ hours",
        "vpc.interfaceEndpoint.hour",
        H * len(subnets),
    )


def _rds_source(p: _Pricing, r: PlannedResource) -> PlannedResource | None:
    sources = p.linked(r, "replicateSourceDb", r.type)
    if sources:
        return sources[0]
    wanted = r.inputs.get("replicateSourceDb")
    matches = [x for x in p.resources if x.type == r.type and x.inputs.get("identifier") == wanted]
    return matches[0] if matches else None


@rule("aws:rds/instance:Instance")
def _rds(p: _Pricing, r: PlannedResource) -> None:
    source = _rds_source(p, r) if r.inputs.get("replicateSourceDb") else None
    if r.inputs.get("replicateSourceDb") and source is None:
        raise CostError("its source database is not in the plan")
    engine = r.inputs.get("engine") or (source.inputs.get("engine") if source else None)
    klass = r.inputs["instanceClass"]
    multi_az = bool(r.inputs.get("multiAz"))
    # A Multi-AZ instance bills the primary and its standby: twice the hours and the storage.
    copies = 2 if multi_az else 1
    role = "read replica" if source else ("Multi-AZ primary + standby" if multi_az else "Single-AZ")
    p.add(r, f"{klass} {engine} {role} hours", f"rds.{engine}.{klass}.hour", H * copies)
    storage_from = source or r
    gb = float(r.inputs.get("allocatedStorage") or storage_from.inputs.get("allocatedStorage") or 0)
    ceiling = float(
        r.inputs.get("maxAllocatedStorage") or storage_from.inputs.get("maxAllocatedStorage") or gb
    )
    kind = r.inputs.get("storageType") or storage_from.inputs.get("storageType") or "gp2"
    p.add(
        r,
        f"{kind} storage GB (x{copies}; max: autoscaling ceiling)",
        f"rds.storage.{kind}.gbMonth",
        gb * copies,
        max(gb, ceiling) * copies,
    )
    if r.inputs.get("manageMasterUserPassword"):
        p.add(r, "RDS-managed master password secret", "secretsmanager.secret.month", 1)


@rule("aws:elasticache/replicationGroup:ReplicationGroup")
def _cache(p: _Pricing, r: PlannedResource) -> None:
    engine = r.inputs.get("engine", "redis")
    node = r.inputs["nodeType"]
    if r.inputs.get("numCacheClusters") is not None:
        nodes = int(r.inputs["numCacheClusters"])
    else:
        nodes = int(r.inputs.get("numNodeGroups", 1)) * (int(r.inputs.get("replicasPerNodeGroup", 0)) + 1)
    p.add(r, f"{node} {engine} x {nodes} node hours", f"elasticache.{engine}.{node}.hour", H * nodes)


@rule("aws:elasticache/cluster:Cluster")
def _cache_cluster(p: _Pricing, r: PlannedResource) -> None:
    engine, node, nodes = (
        r.inputs.get("engine", "redis"),
        r.inputs["nodeType"],
        int(r.inputs.get("numCacheNodes", 1)),
    )
    p.add(r, f"{node} {engine} x {nodes} node hours", f"elasticache.{engine}.{node}.hour", H * nodes)


@rule("aws:wafv2/webAcl:WebAcl")
def _waf(p: _Pricing, r: PlannedResource) -> None:
    rules = r.inputs.get("rules") or []
    for waf_rule in rules:
        group = ((waf_rule.get("statement") or {}).get("managedRuleGroupStatement") or {}).get("name")
        if group in PAID_RULE_GROUPS:
            raise CostError(f"managed rule group {group} carries a subscription fee the tables do not hold")
    p.add(r, "web ACL", "wafv2.webAcl.month", 1)
    p.add(r, f"{len(rules)} rules and rule groups", "wafv2.rule.month", len(rules))
    p.add(
        r,
        "requests inspected (usage: requestsPerMonth), millions",
        "wafv2.requests.million",
        p.usage["requestsPerMonth"] / 1e6,
    )


@rule("aws:cloudfront/distribution:Distribution")
def _cloudfront(p: _Pricing, r: PlannedResource) -> None:
    p.add(
        r,
        "data to viewers, GB (usage: egressGb)",
        "cloudfront.dataTransferOut.gb",
        p.usage["egressGb"],
        region="global",
    )
    p.add(
        r,
        "HTTPS requests / 10,000 (usage: requestsPerMonth)",
        "cloudfront.https.requests.10k",
        p.usage["requestsPerMonth"] / 1e4,
        region="global",
    )


@rule("aws:cloudfront/function:Function")
def _cf_function(p: _Pricing, r: PlannedResource) -> None:
    p.add(
        r,
        "invocations, millions (one per request)",
        "cloudfront.functions.million",
        p.usage["requestsPerMonth"] / 1e6,
        region="global",
    )


@rule("aws:cloudwatch/logDelivery:LogDelivery")
def _log_delivery(p: _Pricing, r: PlannedResource) -> None:
    gb = p.usage["requestsPerMonth"] * p.usage["accessLogBytesPerRequest"] / 1e9
    p.add(r, "access log lines delivered to S3, GB", "cloudfront.logs.s3.gb", gb, region="global")


@rule("aws:lb/loadBalancer:LoadBalancer")
def _alb(p: _Pricing, r: PlannedResource) -> None:
    if r.inputs.get("loadBalancerType", "application") != "application":
        raise CostError(f"load balancer type {r.inputs['loadBalancerType']!r} has no pricing rule")
    p.add(r, "load balancer hours", "elb.application.hour", H)
    # An LCU is the largest of: 25 new connections/s, 1 GB/h processed (and two dimensions a
    # small site stays far below). Each origin request is counted as a new connection.
    seconds = H * 3600
    origin_requests = p.usage["requestsPerMonth"] * p.usage["originShare"]
    lcu = max(origin_requests / seconds / 25, p.usage["egressGb"] * p.usage["originShare"] / H)
    p.add(
        r,
        f"LCU-hours ({lcu:.3f} LCU average; usage: requests, egress, originShare)",
        "elb.application.lcu.hour",
        lcu * H,
    )


@rule("aws:cloudwatch/metricAlarm:MetricAlarm")
def _alarm(p: _Pricing, r: PlannedResource) -> None:
    queries = r.inputs.get("metricQueries") or []
    metrics = [q for q in queries if q.get("metric")] if queries else [r.inputs]
    periods = [float((q.get("metric") or q).get("period") or 60) for q in metrics]
    high_res = any(period < 60 for period in periods)
    key = "cloudwatch.alarm.highres.metric.month" if high_res else "cloudwatch.alarm.standard.metric.month"
    p.add(r, f"alarm on {len(metrics)} metric(s)", key, len(metrics))


@rule("aws:cloudwatch/dashboard:Dashboard")
def _dashboard(p: _Pricing, r: PlannedResource) -> None:
    p.add(r, "dashboard", "cloudwatch.dashboard.month", 1)


@rule("aws:kms/key:Key")
def _kms(p: _Pricing, r: PlannedResource) -> None:
    p.add(r, "customer managed key", "kms.key.month", 1)


@rule("aws:secretsmanager/secret:Secret")
def _secret(p: _Pricing, r: PlannedResource) -> None:
    p.add(r, "secret", "secretsmanager.secret.month", 1)


@rule("aws:ec2/instance:Instance")
def _instance(p: _Pricing, r: PlannedResource) -> None:
    p.add(r, f"{r.inputs['instanceType']} hours", f"ec2.{r.inputs['instanceType']}.hour", H)
    root = r.inputs.get("rootBlockDevice") or {}
    # 8 GiB is the root volume of the Amazon Linux AMIs when none is asked for.
    size = float(root.get("volumeSize") or 8)
    kind = root.get("volumeType") or "gp3"
    p.add(r, f"{kind} root volume GB", f"ebs.{kind}.gbMonth", size)


@rule("aws:route53/zone:Zone")
def _zone(p: _Pricing, r: PlannedResource) -> None:
    p.add(r, "hosted zone", "route53.hostedZone.month", 1, region="global")


@rule("aws:ecr/repository:Repository")
def _ecr(p: _Pricing, r: PlannedResource) -> None:
    p.add(r, "image storage GB (usage: ecrGb)", "ecr.storage.gbMonth", p.usage["ecrGb"])


@rule("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace")
def _private_namespace(p: _Pricing, r: PlannedResource) -> None:
    # Cloud Map creates a Route 53 private hosted zone for the namespace and bills its queries.
    p.add(r, "private hosted zone", "route53.hostedZone.month", 1, region="global")
    p.add(
        r,
        "DNS queries, millions (usage: privateDnsQueriesPerMonth)",
        "route53.queries.million",
        p.usage["privateDnsQueriesPerMonth"] / 1e6,
        region="global",
    )


@rule("aws:servicediscovery/service:Service")
def _discovery_service(_p: _Pricing, r: PlannedResource) -> None:
    # A DNS-discovered service is answered from its namespace's hosted zone, priced there (ECS
    # registers the tasks; ECS service discovery bills the Route 53 zone, its queries and Cloud Map
    # discovery API calls). An API-only service would bill per registered instance-month.
    if not r.inputs.get("dnsConfig"):
        raise CostError(
            "an API-discovered Cloud Map service bills per registered instance-month, a price the "
            "tables do not hold: add cloudmap.instance.month and a rule for it"
        )


@rule("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
def _waf_logging(p: _Pricing, r: PlannedResource) -> None:
    # WAF logs are vended logs: CloudWatch Logs bills their ingestion at the vended-logs price, in
    # the web ACL's region (us-east-1 for CloudFront). Not part of logGb.
    gb = p.usage["requestsPerMonth"] * p.usage["wafLogBytesPerRequest"] / 1e9
    p.add(
        r,
        "WAF log records ingested, GB (usage: requestsPerMonth x wafLogBytesPerRequest)",
        "cloudwatch.logs.vended.gb",
        gb,
    )


@rule("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
def _replication(p: _Pricing, r: PlannedResource) -> None:
    buckets = p.linked(r, "rules", "aws:s3/bucket:Bucket") + p.linked(r, "rules", "aws:s3/bucketV2:BucketV2")
    if not buckets:
        raise CostError("its destination bucket is not in the plan")
    destination = p.region_of(buckets[0])
    p.add(
        r,
        f"replica storage GB in {destination} (usage: s3Gb)",
        "s3.standard.gbMonth",
        p.usage["s3Gb"],
        region=destination,
    )
    p.add(
        r,
        "replicated new data GB (usage: s3NewGbPerMonth)",
        "s3.replication.interRegion.gb",
        p.usage["s3NewGbPerMonth"],
        region=p.region_of(r),
    )


def _containers(task: dict[str, Any]) -> list[dict[str, Any]]:
    raw = task.get("containerDefinitions")
    try:
        containers = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return []
    return containers if isinstance(containers, list) else []


def _stack_usage(p: _Pricing) -> None:
    """Usage-priced items that belong to the stack rather than to one resource."""
    types = {r.type for r in p.resources}
    if "aws:ec2/natGateway:NatGateway" in types:
        p.add(
            "NAT gateways (all)",
            "NAT data processed, GB (usage: natGb)",
            "ec2.natGateway.gb",
            p.usage["natGb"],
        )
    if types & {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}:
        p.add(
            "S3 buckets (all)", "S3 Standard GB stored (usage: s3Gb)", "s3.standard.gbMonth", p.usage["s3Gb"]
        )
    if "aws:cloudwatch/logGroup:LogGroup" in types:
        p.add(
            "CloudWatch Logs (all groups)",
            "log data ingested, GB (usage: logGb)",
            "cloudwatch.logs.ingest.gb",
            p.usage["logGb"],
        )
    services = [r for r in p.resources if r.type == "aws:ecs/service:Service"]
    traced = any(
        "xray" in str(c.get("image", "")) or c.get("name") == "xray-daemon"
        for s in services
        for d in p.linked(s, "taskDefinition", "aws:ecs/taskDefinition:TaskDefinition")
        for c in _containers(d.inputs)
    )
    if traced:
        requests = p.usage["requestsPerMonth"] * p.usage["originShare"]
        reservoir = XRAY_RESERVOIR_PER_SECOND * H * 3600
        traces = min(requests, reservoir) + XRAY_RATE * max(0.0, requests - reservoir)
        p.add(
            "X-Ray (web and worker tasks)",
            "traces recorded, millions (default sampling of origin requests)",
            "xray.traces.million",
            traces / 1e6,
        )


STACK_RULES.append(_stack_usage)
