"""Maple Quest as it runs today (its architecture review): the deployment the policy pack exists to reject.

Everything sits in public subnets: an internet-facing ALB answering plain HTTP on port 80, Fargate
tasks with public IPs, and a publicly accessible PostgreSQL whose security group admits 5432 from
0.0.0.0/0 so that a developer's desktop SQL client can connect. Images live in a public-read bucket
that the iOS app uploads to directly. The task environment carries SECRET_KEY and ALLOWED_HOSTS=*,
and the task logs are kept one week. Do not deploy this; `make plan PROGRAM=examples/maple_quest_current
STACK=dev` shows what the pack says about it.
"""

import json

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
region = aws.get_region_output().region
azs = ["us-west-2a", "us-west-2b"]

vpc = aws.ec2.Vpc("maple-quest-vpc", cidr_block="10.0.0.0/16", enable_dns_hostnames=True)
igw = aws.ec2.InternetGateway("maple-quest-igw", vpc_id=vpc.id)
public_rt = aws.ec2.RouteTable(
    "maple-quest-public-rt",
    vpc_id=vpc.id,
    routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}],
)
public_subnets = []
for index, az in enumerate(azs):
    subnet = aws.ec2.Subnet(
        f"maple-quest-public-{index}",
        vpc_id=vpc.id,
        cidr_block=f"10.0.{index}.0/24",
        availability_zone=az,
        map_public_ip_on_launch=True,
    )
    aws.ec2.RouteTableAssociation(
        f"maple-quest-public-{index}-rta", subnet_id=subnet.id, route_table_id=public_rt.id
    )
    public_subnets.append(subnet)
    # The private subnets exist but nothing runs in them.
    aws.ec2.Subnet(
        f"maple-quest-private-{index}",
        vpc_id=vpc.id,
        cidr_block=f"10.0.{10 + index}.0/24",
        availability_zone=az,
    )

alb_sg = aws.ec2.SecurityGroup(
    "maple-quest-alb-sg",
    vpc_id=vpc.id,
    description="ALB: HTTP from anywhere",
    ingress=[{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"]}],
    egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
)
app_sg = aws.ec2.SecurityGroup(
    "maple-quest-app-sg",
    vpc_id=vpc.id,
    description="Django tasks: 8000 from the ALB",
    ingress=[{"protocol": "tcp", "from_port": 8000, "to_port": 8000, "security_groups": [alb_sg.id]}],
    egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
)
db_sg = aws.ec2.SecurityGroup(
    "maple-quest-db-sg",
    vpc_id=vpc.id,
    description="PostgreSQL open to the internet for DBeaver",
    ingress=[{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_blocks": ["0.0.0.0/0"]}],
)

db_subnets = aws.rds.SubnetGroup("maple-quest-db-subnets", subnet_ids=[s.id for s in public_subnets])
db = aws.rds.Instance(
    "maple-quest-db",
    identifier="maple-quest-db",
    engine="postgres",
    engine_version="16.3",
    instance_class="db.t4g.micro",
    allocated_storage=20,
    db_name="maplequest",
    username="postgres",
    password=config.require_secret("dbPassword"),
    db_subnet_group_name=db_subnets.name,
    vpc_security_group_ids=[db_sg.id],
    publicly_accessible=True,
    skip_final_snapshot=True,
)
db_password = aws.secretsmanager.Secret("maple-quest-db-password")
aws.secretsmanager.SecretVersion(
    "maple-quest-db-password-value",
    secret_id=db_password.id,
    secret_string=config.require_secret("dbPassword"),
)

images = aws.s3.Bucket("maple-quest-images", bucket="maple-quest-images-123456789012-us-west-2")
public_access = aws.s3.BucketPublicAccessBlock(
    "maple-quest-images-public-access",
    bucket=images.id,
    block_public_acls=False,
    block_public_policy=False,
    ignore_public_acls=False,
    restrict_public_buckets=False,
)
ownership = aws.s3.BucketOwnershipControls(
    "maple-quest-images-ownership",
    bucket=images.id,
    rule={"object_ownership": "BucketOwnerPreferred"},
)
aws.s3.BucketAcl(
    "maple-quest-images-acl",
    bucket=images.id,
    acl="public-read",
    opts=pulumi.ResourceOptions(depends_on=[public_access, ownership]),
)
aws.s3.BucketPolicy(
    "maple-quest-images-policy",
    bucket=images.id,
    policy=images.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"{arn}/*",
                    }
                ],
            }
        )
    ),
    opts=pulumi.ResourceOptions(depends_on=[public_access]),
)
aws.s3.BucketCorsConfiguration(
    "maple-quest-images-cors",
    bucket=images.id,
    cors_rules=[{"allowed_methods": ["GET", "PUT"], "allowed_origins": ["*"], "allowed_headers": ["*"]}],
)

logs = aws.cloudwatch.LogGroup("maple-quest-logs", name="/ecs/maple-quest-new", retention_in_days=7)

execution_role = aws.iam.Role(
    "maple-quest-execution-role",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    ),
)
aws.iam.RolePolicyAttachment(
    "maple-quest-execution-policy",
    role=execution_role.name,
    policy_arn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
)

cluster = aws.ecs.Cluster("maple-quest-cluster")
task = aws.ecs.TaskDefinition(
    "maple-quest-task",
    family="maple-quest-new",
    cpu="512",
    memory="1024",
    network_mode="awsvpc",
    requires_compatibilities=["FARGATE"],
    execution_role_arn=execution_role.arn,
    # Plain values, as Maple Quest's architecture review lists them; an output still unknown at preview (the database's
    # address) would make the whole JSON unknown and leave the pack nothing to judge until `up`.
    container_definitions=pulumi.Output.all(
        bucket=images.bucket, secret=db_password.arn, logs=logs.name, region=region
    ).apply(
        lambda v: json.dumps(
            [
                {
                    "name": "django",
                    "image": "123456789012.dkr.ecr.us-west-2.amazonaws.com/maple-quest:latest",
                    "essential": True,
                    "portMappings": [{"containerPort": 8000, "protocol": "tcp"}],
                    "environment": [
                        {"name": "SECRET_KEY", "value": "xxx"},
                        {"name": "DEBUG", "value": "False"},
                        {"name": "ALLOWED_HOSTS", "value": "*"},
                        {"name": "S3_BUCKET_NAME", "value": v["bucket"]},
                        {"name": "AWS_REGION", "value": v["region"]},
                        {"name": "DB_NAME", "value": "maplequest"},
                        {"name": "DB_USER", "value": "postgres"},
                        {"name": "DB_HOST", "value": "maple-quest-db.xxx.us-west-2.rds.amazonaws.com"},
                        {"name": "DB_PORT", "value": "5432"},
                    ],
                    "secrets": [{"name": "DB_PASSWORD", "valueFrom": v["secret"]}],
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {
                            "awslogs-group": v["logs"],
                            "awslogs-region": v["region"],
                            "awslogs-stream-prefix": "ecs",
                        },
                    },
                }
            ]
        )
    ),
)

alb = aws.lb.LoadBalancer(
    "maple-quest-alb",
    load_balancer_type="application",
    internal=False,
    subnets=[s.id for s in public_subnets],
    security_groups=[alb_sg.id],
)
target_group = aws.lb.TargetGroup(
    "maple-quest-tg",
    port=8000,
    protocol="HTTP",
    target_type="ip",
    vpc_id=vpc.id,
    health_check={"path": "/health/"},
)
listener = aws.lb.Listener(
    "maple-quest-http",
    load_balancer_arn=alb.arn,
    port=80,
    protocol="HTTP",
    default_actions=[{"type": "forward", "target_group_arn": target_group.arn}],
)
aws.ecs.Service(
    "maple-quest-service",
    cluster=cluster.arn,
    task_definition=task.arn,
    desired_count=1,
    launch_type="FARGATE",
    network_configuration={
        "subnets": [s.id for s in public_subnets],
        "security_groups": [app_sg.id],
        "assign_public_ip": True,
    },
    load_balancers=[
        {"target_group_arn": target_group.arn, "container_name": "django", "container_port": 8000}
    ],
    opts=pulumi.ResourceOptions(depends_on=[listener]),
)

pulumi.export("albDnsName", alb.dns_name)
pulumi.export("dbEndpoint", db.endpoint)
pulumi.export("imagesBucket", images.bucket)
