"""RDS PostgreSQL: private, in the data subnets, admitting named security groups on 5432 only,
encrypted with the stack key, Multi-AZ and replicas per stack, data kept in production."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components.database import Database, DatabaseArgs, DatabaseConfig
from offline.engine import ProgramRun, RegisteredResource, Registrations
from tests._handles import placement, stack_wide, workload_groups

INSTANCE = "aws:rds/instance:Instance"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/unit"
# What Pulumi.yaml defaults to: a valid config, for components built directly.
CONFIG_VALUES: dict[str, Any] = {
    "engine_version": "17",
    "instance_class": "db.t4g.micro",
    "allocated_storage_gb": 20,
    "max_allocated_storage_gb": 100,
    "multi_az": False,
    "read_replica_count": 0,
    "backup_retention_days": 7,
    "backup_window": "02:00-02:30",
    "maintenance_window": "sun:03:00-sun:04:00",
    "performance_insights": True,
    "monitoring_interval_seconds": 0,
    "log_exports": ("postgresql", "upgrade"),
    "slow_query_ms": 1000,
    "snapshot_identifier": None,
}


def database_config(**overrides: Any) -> DatabaseConfig:
    return DatabaseConfig(**{**CONFIG_VALUES, **overrides})


def primary(run: Registrations) -> RegisteredResource:
    return run.named("epicvibe-database-primary")


def replicas(run: Registrations) -> list[RegisteredResource]:
    return [r for r in run.of_type(INSTANCE) if "replicateSourceDb" in r.inputs]


def database_sg_id(run: Registrations, component: str = "epicvibe-database") -> str:
    return run.named(f"{component}-sg").id


def sg_ids(run: ProgramRun, *names: str) -> set[str]:
    return {run.named(name).id for name in names}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_only_web_worker_and_bastion_reach_5432(stack_runs: dict[str, ProgramRun], stack: str) -> None:
    run = stack_runs[stack]
    db_sg = database_sg_id(run)
    assert not run.named("epicvibe-database-sg").inputs.get("ingress")
    rules = [r.inputs for r in run.of_type(INGRESS, SG_RULE) if r.inputs.get("securityGroupId") == db_sg]
    sources = {rule["referencedSecurityGroupId"] for rule in rules}
    assert sources == sg_ids(
        run, "epicvibe-workloads-web", "epicvibe-workloads-worker", "epicvibe-bastion-sg"
    )
    for rule in rules:
        assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 5432, 5432)
        assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(rule)
    # No egress at all: the database opens no connections of its own.
    assert [r for r in run.of_type(EGRESS) if r.inputs["securityGroupId"] == db_sg] == []


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_instance_is_private_in_the_data_subnets_with_the_database_sg(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    subnet_group = run.named("epicvibe-database-subnets")
    assert subnet_group.inputs["subnetIds"] == run.stack_outputs["dataSubnetIds"]
    assert primary(run).inputs["dbSubnetGroupName"] == subnet_group.outputs["name"]
    for instance in run.of_type(INSTANCE):
        assert instance.inputs["publiclyAccessible"] is False, instance.name
        assert instance.inputs["vpcSecurityGroupIds"] == [database_sg_id(run)], instance.name
        assert instance.inputs["port"] == 5432


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_storage_secret_and_insights_are_encrypted_with_the_stack_key(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    key_arn = run.stack_outputs["kmsKeyArn"]
    for instance in run.of_type(INSTANCE):
        inputs = instance.inputs
        assert inputs["storageEncrypted"] is True and inputs["kmsKeyId"] == key_arn, instance.name
        assert inputs["storageType"] == "gp3"
        assert inputs["performanceInsightsKmsKeyId"] == key_arn
        assert inputs["caCertIdentifier"] == "rds-ca-rsa2048-g1"
    main = primary(run).inputs
    # The humans' master secret is the stack's own, under the stack key (RDS-managed secrets rule out
    # read replicas); the password is never a plain input.
    assert "password" not in main
    (secret,) = [
        s
        for s in run.of_type("aws:secretsmanager/secret:Secret")
        if s.outputs["arn"] == run.stack_outputs["databaseMasterSecretArn"]
    ]
    assert secret.inputs["kmsKeyId"] == key_arn


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_parameter_group_forces_tls_and_logs_slow_queries(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    group = run.named("epicvibe-database-params")
    assert group.inputs["family"] == "postgres17"
    parameters = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert parameters == {"rds.force_ssl": "1", "log_min_duration_statement": "1000"}
    assert all(i.inputs["parameterGroupName"] == group.outputs["name"] for i in run.of_type(INSTANCE))


@pytest.mark.parametrize(
    ("stack", "multi_az", "replica_count", "retention", "instance_class"),
    [("staging", False, 0, 7, "db.t4g.micro"), ("prod", True, 1, 14, "db.t4g.medium")],
)
def test_availability_and_size_per_stack(
    stack_runs: dict[str, ProgramRun],
    stack: str,
    multi_az: bool,
    replica_count: int,
    retention: int,
    instance_class: str,
) -> None:
    run = stack_runs[stack]
    main = primary(run).inputs
    assert main["multiAz"] is multi_az
    assert main["backupRetentionPeriod"] == retention
    assert main["instanceClass"] == instance_class
    assert main["maxAllocatedStorage"] > main["allocatedStorage"]
    assert len(replicas(run)) == replica_count
    assert len(run.stack_outputs["databaseReaderAddresses"]) == replica_count


def test_replicas_copy_the_primary_and_keep_the_same_security(run_stack: Callable[..., ProgramRun]) -> None:
    run = run_stack("staging", dbReadReplicaCount="2")
    main = primary(run)
    found = replicas(run)
    assert sorted(r.inputs["identifier"] for r in found) == [
        "epicvibe-staging-replica-1",
        "epicvibe-staging-replica-2",
    ]
    for replica in found:
        assert replica.inputs["replicateSourceDb"] == main.outputs["identifier"]
        for key in (
            "instanceClass",
            "vpcSecurityGroupIds",
            "parameterGroupName",
            "kmsKeyId",
            "publiclyAccessible",
        ):
            assert replica.inputs[key] == main.inputs[key], key
        # Replicas take the source's subnet group (the data subnets) and never set their own credentials.
        assert not {"dbSubnetGroupName", "username", "password", "manageMasterUserPassword"} & set(
            replica.inputs
        )
    addresses = run.stack_outputs["databaseReaderAddresses"]
    # In replica order: replica-1 first, whatever order the engine registered them in.
    assert addresses == [r.outputs["address"] for r in sorted(found, key=lambda r: r.inputs["identifier"])]


@pytest.mark.parametrize(("stack", "kept"), [("staging", False), ("prod", True)])
def test_data_is_kept_only_where_settings_say_so(
    stack_runs: dict[str, ProgramRun], stack: str, kept: bool
) -> None:
    run = stack_runs[stack]
    main = primary(run)
    assert main.protect is kept
    assert main.inputs["deletionProtection"] is kept
    assert main.inputs["skipFinalSnapshot"] is (not kept)
    assert main.inputs["deleteAutomatedBackups"] is (not kept)
    if kept:
        assert main.inputs["finalSnapshotIdentifier"] == f"epicvibe-{stack}-final"
    else:
        assert "finalSnapshotIdentifier" not in main.inputs
    for replica in replicas(run):
        assert replica.protect is kept and replica.inputs["deletionProtection"] is kept


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_logs_go_to_precreated_groups_with_retention_and_the_stack_key(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    retention = 30 if stack == "staging" else 90
    for instance in run.of_type(INSTANCE):
        identifier = instance.inputs["identifier"]
        assert instance.inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
        groups = [
            g
            for g in run.of_type(LOG_GROUP)
            if g.inputs.get("name", "").startswith(f"/aws/rds/instance/{identifier}/")
        ]
        assert sorted(g.inputs["name"].rsplit("/", 1)[1] for g in groups) == ["postgresql", "upgrade"]
        for group in groups:
            assert group.inputs["retentionInDays"] == retention
            assert group.inputs["kmsKeyId"] == run.stack_outputs["kmsKeyArn"]
            # RDS would create the group itself (never expiring) if the instance came first.
            assert group.urn in instance.dependencies


@pytest.mark.parametrize(("stack", "interval"), [("staging", 0), ("prod", 60)])
def test_enhanced_monitoring_per_stack_with_the_aws_managed_role_policy(
    stack_runs: dict[str, ProgramRun], stack: str, interval: int
) -> None:
    run = stack_runs[stack]
    assert primary(run).inputs["monitoringInterval"] == interval
    roles = [r for r in run.resources if r.name == "epicvibe-database-monitoring-role"]
    if not interval:
        assert roles == [] and "monitoringRoleArn" not in primary(run).inputs
        return
    (role,) = roles
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert primary(run).inputs["monitoringRoleArn"] == role.outputs["arn"]
    attachment = run.named("epicvibe-database-monitoring-policy").inputs
    assert attachment["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def test_iam_authentication_minor_upgrades_and_snapshot_tags(stack_runs: dict[str, ProgramRun]) -> None:
    for instance in stack_runs["prod"].of_type(INSTANCE):
        assert instance.inputs["iamDatabaseAuthenticationEnabled"] is True
        assert instance.inputs["autoMinorVersionUpgrade"] is True
        assert instance.inputs["copyTagsToSnapshot"] is True
    assert primary(stack_runs["prod"]).inputs["allowMajorVersionUpgrade"] is False


def test_settings_reach_the_instance(run_stack: Callable[..., ProgramRun]) -> None:
    run = run_stack(
        "staging",
        dbEngineVersion="16.10",
        dbInstanceClass="db.r7g.large",
        dbAllocatedStorageGb="40",
        dbMaxAllocatedStorageGb="400",
        dbBackupWindow="23:30-00:15",
        dbMaintenanceWindow="sat:01:00-sat:02:00",
        dbPerformanceInsights="false",
        dbLogExports='["postgresql"]',
        dbSlowQueryMs="-1",
    )
    main = primary(run).inputs
    assert (main["engineVersion"], main["instanceClass"]) == ("16.10", "db.r7g.large")
    assert (main["allocatedStorage"], main["maxAllocatedStorage"]) == (40, 400)
    assert (main["backupWindow"], main["maintenanceWindow"]) == ("23:30-00:15", "sat:01:00-sat:02:00")
    assert main["performanceInsightsEnabled"] is False and "performanceInsightsKmsKeyId" not in main
    assert main["enabledCloudwatchLogsExports"] == ["postgresql"]
    group = run.named("epicvibe-database-params").inputs
    assert group["family"] == "postgres16"
    assert [p["name"] for p in group["parameters"]] == ["rds.force_ssl"]


@pytest.mark.slow  # a whole-program run of its own, shared with test_bastion
def test_without_the_bastion_only_the_workloads_are_admitted(staging_without_bastion: ProgramRun) -> None:
    run = staging_without_bastion
    db_sg = database_sg_id(run)
    sources = {
        r.inputs["referencedSecurityGroupId"]
        for r in run.of_type(INGRESS)
        if r.inputs["securityGroupId"] == db_sg
    }
    assert sources == sg_ids(run, "epicvibe-workloads-web", "epicvibe-workloads-worker")


def test_component_built_directly_admits_exactly_the_given_groups(
    build: Callable[..., Registrations],
) -> None:
    built = build(
        lambda: Database(
            "unit",
            DatabaseArgs(
                identifier="unit-db",
                placement=placement(vpc_id="vpc-0123", data_subnet_ids=["subnet-data-a", "subnet-data-b"]),
                stack=stack_wide(kms_key_arn=KEY_ARN, tags={"Team": "data"}),
                config=database_config(log_exports=()),
                clients=workload_groups(web_security_group_id="sg-app", worker_security_group_id="sg-ops"),
            ),
        )
    )
    rules = built.of_type(INGRESS)
    assert sorted(r.inputs["referencedSecurityGroupId"] for r in rules) == ["sg-app", "sg-ops"]
    assert built.named("unit-subnets").inputs["subnetIds"] == ["subnet-data-a", "subnet-data-b"]
    assert built.named("unit-sg").inputs["vpcId"] == "vpc-0123"
    assert built.of_type(LOG_GROUP) == []
    main = built.named("unit-primary")
    assert main.inputs["tags"]["Team"] == "data" and main.inputs["dbName"] == "app"
    assert main.protect is False and main.inputs["multiAz"] is False


def test_a_client_admitted_after_construction_gets_the_next_rule(build: Callable[..., Registrations]) -> None:
    """`admit` closes the bastion cycle: its rule is the one listing the group would have made."""

    def program() -> None:
        database = Database(
            "unit",
            DatabaseArgs(
                identifier="unit-db",
                config=database_config(),
                placement=placement(vpc_id="vpc-1", data_subnet_ids=["s-1", "s-2"]),
                stack=stack_wide(kms_key_arn=KEY_ARN),
                clients=workload_groups(web_security_group_id="sg-app", worker_security_group_id="sg-worker"),
            ),
        )
        database.admit("sg-bastion")

    built = build(program)
    rules = {rule.name: rule for rule in built.of_type(INGRESS)}
    assert sorted(rules) == ["unit-ingress-0", "unit-ingress-1", "unit-ingress-2"]
    admitted = rules["unit-ingress-2"]
    assert admitted.inputs["referencedSecurityGroupId"] == "sg-bastion"
    assert (admitted.inputs["ipProtocol"], admitted.inputs["fromPort"], admitted.inputs["toPort"]) == (
        "tcp",
        5432,
        5432,
    )
    assert admitted.inputs["securityGroupId"] == built.named("unit-sg").id
    assert admitted.parent == built.named("unit").urn


def test_no_clients_means_no_ingress(build: Callable[..., Registrations]) -> None:
    built = build(
        lambda: Database(
            "lonely",
            DatabaseArgs(
                config=database_config(),
                placement=placement(vpc_id="vpc-1", data_subnet_ids=["s-1", "s-2"]),
                stack=stack_wide(kms_key_arn=KEY_ARN, physical_name="lonely-test"),
            ),
        )
    )
    assert built.of_type(INGRESS) == []
    # Without an identifier of its own the primary takes the stack's physical name.
    assert built.named("lonely-primary").inputs["identifier"] == "lonely-test"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"identifier": "Epic_DB"}, "lower-case letters"),
        ({"identifier": "db--x"}, "single hyphens"),
        ({"identifier": "x" * 53}, "2 to 52"),
        ({"database_name": "my-app"}, "underscores"),
        ({"app_username": "postgres"}, "other than the master's"),
    ],
)
def test_bad_arguments_are_refused_with_the_fix(kwargs: dict, message: str) -> None:
    base = {
        "identifier": "unit",
        "config": database_config(),
        "placement": placement(),
        "stack": stack_wide(kms_key_arn=KEY_ARN),
    }
    with pytest.raises(ValueError, match=message):
        DatabaseArgs(**{**base, **kwargs})
