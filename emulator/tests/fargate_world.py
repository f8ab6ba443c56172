"""A Fargate service as ecsdeploy deploys it, with each prerequisite of a task start under the test's control.

`make_fargate_world(account, egress=...)` builds, with boto3 against the emulator: a VPC 10.0.0.0/16
(DNS support and hostnames on) with two private subnets and a security group (default egress), a
way out chosen by `egress`, an ECR repository `acme/auth` with a pushed image, a log group
`/ecs/auth`, a secret `stage/auth/db`, an execution role `auth-execution` trusted by ECS tasks whose
inline policy is ecsdeploy's (ECR pull on its repository, logs on its log group, GetSecretValue on
`stage/auth/db-??????`, kms:Decrypt on `*` under kms:ViaService and kms:EncryptionContext:SecretARN),
a cluster `acme`, a task definition `auth` using all of them and a target group `auth`.

egress: "nat" (a NAT gateway route), "none" (no way out), "endpoints" (interface endpoints for
ecr.api, ecr.dkr, logs and secretsmanager with private DNS, an S3 gateway endpoint on the private
route table), "public" (the subnets route 0.0.0.0/0 to an internet gateway).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from conftest import Account, create_target_group, nat_gateway_egress

REGION = "us-east-1"
REPOSITORY = "acme/auth"
LOG_GROUP = "/ecs/auth"
SECRET_NAME = "stage/auth/db"
ROLE_NAME = "auth-execution"
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def push_image(ecr: Any, repository: str, tag: str) -> str:
    """Pushes a small image manifest as `repository:tag`; returns its digest."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7023,
            "digest": "sha256:" + "ab" * 32,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 32654,
                "digest": "sha256:" + f"{len(tag):02x}" * 32,
            }
        ],
    }
    answer = ecr.put_image(repositoryName=repository, imageTag=tag, imageManifest=json.dumps(manifest))
    return answer["image"]["imageId"]["imageDigest"]


def ecsdeploy_policy(account_id: str, secret_patterns: list[str] | None = None) -> dict[str, Any]:
    """The inline policy ecsdeploy gives a service's execution role (src/desired/iam.rs)."""
    secrets = secret_patterns or [f"arn:aws:secretsmanager:{REGION}:{account_id}:secret:{SECRET_NAME}-??????"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": ["*"]},
            {
                "Sid": "PullOwnImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": [f"arn:aws:ecr:{REGION}:{account_id}:repository/{REPOSITORY}"],
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"arn:aws:logs:{REGION}:{account_id}:log-group:{LOG_GROUP}:*"],
            },
            {
                "Sid": "DecryptOwnSecrets",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": ["*"],
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:SecretARN": secrets},
                },
            },
            {
                "Sid": "ReadOwnSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": secrets,
            },
        ],
    }


@dataclass
class FargateWorld:
    account: Account
    vpc_id: str
    subnet_ids: list[str]
    security_group_id: str
    route_table_id: str | None
    image_digest: str
    image_uri: str
    secret_arn: str
    role_arn: str
    target_group_arn: str
    endpoint_ids: dict[str, str] = field(default_factory=dict)
    task_definition_arn: str = ""
    ecs: Any = None
    elbv2: Any = None

    @property
    def account_id(self) -> str:
        return self.account.account_id

    def client(self, name: str) -> Any:
        return self.account.client(name)

    def register(self, **overrides: Any) -> str:
        """Registers the task definition `auth` (the image by digest, a secret, awslogs)."""
        container = {
            "name": "app",
            "image": self.image_uri,
            "essential": True,
            "portMappings": [{"containerPort": 8080}],
            "secrets": [{"name": "DB_USERNAME", "valueFrom": f"{self.secret_arn}:username::"}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": LOG_GROUP, "awslogs-region": REGION, "awslogs-stream-prefix": "ecs"},
            },
        }
        container.update(overrides.pop("container", {}))
        for key in [key for key, value in container.items() if value is None]:
            del container[key]
        parameters: dict[str, Any] = {
            "family": "auth",
            "containerDefinitions": [container],
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            "cpu": "256",
            "memory": "512",
            "executionRoleArn": self.role_arn,
        }
        parameters.update(overrides)
        if parameters.get("executionRoleArn") is None:
            parameters.pop("executionRoleArn")
        registered = self.ecs.register_task_definition(**parameters)["taskDefinition"]
        self.task_definition_arn = registered["taskDefinitionArn"]
        return self.task_definition_arn

    def create_service(
        self, name: str = "auth", assign_public_ip: str = "DISABLED", **overrides: Any
    ) -> dict[str, Any]:
        if not self.task_definition_arn:
            self.register()
        parameters: dict[str, Any] = {
            "cluster": "acme",
            "serviceName": name,
            "taskDefinition": self.task_definition_arn,
            "desiredCount": 1,
            "launchType": "FARGATE",
            "loadBalancers": [
                {"targetGroupArn": self.target_group_arn, "containerName": "app", "containerPort": 8080}
            ],
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": self.subnet_ids,
                    "securityGroups": [self.security_group_id],
                    "assignPublicIp": assign_public_ip,
                }
            },
            "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        }
        parameters.update(overrides)
        return self.ecs.create_service(**parameters)["service"]

    def describe(self, name: str = "auth") -> dict[str, Any]:
        return self.ecs.describe_services(cluster="acme", services=[name])["services"][0]

    def after(self, seconds: float, name: str = "auth") -> dict[str, Any]:
        """The service as DescribeServices shows it `seconds` of simulated time later."""
        self.account.advance(seconds)
        return self.describe(name)

    def put_role_policy(self, document: dict[str, Any]) -> None:
        self.client("iam").put_role_policy(
            RoleName=ROLE_NAME, PolicyName="ecsdeploy", PolicyDocument=json.dumps(document)
        )

    def stopped_reasons(self, name: str = "auth") -> list[str]:
        """The stoppedReason of every task the service's deployments stopped (control API state dump)."""
        state = self.account.ecs_state()
        return [
            task["stopped_reason"]
            for service in state["services"]
            if service["service"] == name
            for task in service["stopped_tasks"]
        ]


def make_fargate_world(account: Account, egress: str = "nat", secret_arn: str | None = None) -> FargateWorld:
    """The world above; `secret_arn` names an existing secret to use instead of creating one."""
    ec2, ecr, logs = account.client("ec2"), account.client("ecr"), account.client("logs")
    iam, secretsmanager = account.client("iam"), account.client("secretsmanager")
    ecs, elbv2 = account.client("ecs"), account.client("elbv2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.0.10.0/24", "us-east-1a"), ("10.0.11.0/24", "us-east-1b"))
    ]
    route_table_id = None
    endpoint_ids: dict[str, str] = {}
    security_group_id = ec2.create_security_group(GroupName="auth", Description="auth", VpcId=vpc_id)["GroupId"]
    if egress == "nat":
        route_table_id = nat_gateway_egress(ec2, vpc_id, subnet_ids)["private_route_table_id"]
    elif egress in ("none", "endpoints"):
        route_table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        for subnet_id in subnet_ids:
            ec2.associate_route_table(RouteTableId=route_table_id, SubnetId=subnet_id)
        if egress == "endpoints":
            for service in INTERFACE_ENDPOINTS:
                endpoint_ids[service] = ec2.create_vpc_endpoint(
                    VpcId=vpc_id,
                    ServiceName=f"com.amazonaws.{REGION}.{service}",
                    VpcEndpointType="Interface",
                    SubnetIds=subnet_ids,
                    SecurityGroupIds=[security_group_id],
                    PrivateDnsEnabled=True,
                )["VpcEndpoint"]["VpcEndpointId"]
            endpoint_ids["s3"] = ec2.create_vpc_endpoint(
                VpcId=vpc_id,
                ServiceName=f"com.amazonaws.{REGION}.s3",
                VpcEndpointType="Gateway",
                RouteTableIds=[route_table_id],
            )["VpcEndpoint"]["VpcEndpointId"]
    elif egress == "public":
        gateway_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
        route_table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=route_table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway_id)
        for subnet_id in subnet_ids:
            ec2.associate_route_table(RouteTableId=route_table_id, SubnetId=subnet_id)
    else:
        raise ValueError(egress)

    ecr.create_repository(repositoryName=REPOSITORY)
    digest = push_image(ecr, REPOSITORY, "v1")
    image_uri = f"{account.account_id}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}@{digest}"
    logs.create_log_group(logGroupName=LOG_GROUP)
    if secret_arn is None:
        secret_arn = secretsmanager.create_secret(
            Name=SECRET_NAME, SecretString=json.dumps({"username": "auth", "password": "s3cret"})
        )["ARN"]
    role_arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=ROLE_NAME, PolicyName="ecsdeploy", PolicyDocument=json.dumps(ecsdeploy_policy(account.account_id))
    )
    ecs.create_cluster(clusterName="acme")
    target_group_arn = create_target_group(elbv2, vpc_id)
    # ECS wants a load balancer in front of a service's target group.
    load_balancer_arn = elbv2.create_load_balancer(
        Name="fargate-world", Subnets=subnet_ids, SecurityGroups=[security_group_id], Scheme="internal"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=load_balancer_arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
    )
    return FargateWorld(
        account=account,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        security_group_id=security_group_id,
        route_table_id=route_table_id,
        image_digest=digest,
        image_uri=image_uri,
        secret_arn=secret_arn,
        role_arn=role_arn,
        target_group_arn=target_group_arn,
        endpoint_ids=endpoint_ids,
        ecs=ecs,
        elbv2=elbv2,
    )
