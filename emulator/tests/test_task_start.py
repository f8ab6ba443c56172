"""What a Fargate task needs to start: a way out of its subnet, its execution role's permissions, its image.

Each test builds a service as ecsdeploy deploys it (`fargate_world`), breaks one prerequisite and
checks what ECS reports: the deployment's failed tasks, the service event "(service X) was unable
to place a task. Reason: <stoppedReason>." and the stopped tasks' reasons (control API state dump).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import FIRST_ROLLOUT, START, Account, create_target_group, new_account
from fargate_world import (
    LOG_GROUP,
    REGION,
    REPOSITORY,
    ROLE_NAME,
    FargateWorld,
    ecsdeploy_policy,
    make_fargate_world,
    push_image,
)

ECR_CONNECTION = (
    "ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth "
    "from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network "
    "configuration."
)
ASM_CONNECTION = (
    "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret from asm: "
    "There is a connection issue between the task and AWS Secrets Manager. Check your task network configuration."
)
LOGS_CONNECTION = (
    "ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon CloudWatch "
    "log group defined in the task definition. There is a connection issue between the task and Amazon "
    "CloudWatch. Check your network configuration."
)


def messages(service: dict[str, Any]) -> list[str]:
    return [event["message"] for event in service["events"]]


def states(service: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d["status"], d["rolloutState"]) for d in service["deployments"]]


def starts(world: FargateWorld) -> dict[str, Any]:
    """Creates the service and checks that its first deployment is COMPLETED when it should be."""
    world.create_service()
    service = world.after(FIRST_ROLLOUT)
    assert states(service) == [("PRIMARY", "COMPLETED")], (messages(service), world.stopped_reasons())
    assert service["runningCount"] == 1
    return service


def fails_to_start(world: FargateWorld, reason_start: str, **service: Any) -> dict[str, Any]:
    """Creates the service and checks its task stopped at the end of its start (30 s) with a reason
    starting `reason_start`."""
    world.create_service(**service)
    assert world.after(START - 1)["deployments"][0]["failedTasks"] == 0
    described = world.after(1)
    [deployment] = described["deployments"]
    assert deployment["runningCount"] == 0
    assert deployment["failedTasks"] >= 1
    reasons = world.stopped_reasons()
    assert reasons and all(reason.startswith(reason_start) for reason in reasons), reasons
    placed = [m for m in messages(described) if m.startswith("(service auth) was unable to place a task. Reason: ")]
    assert placed and placed[0].startswith(f"(service auth) was unable to place a task. Reason: {reason_start}")
    return described


# --- egress ---------------------------------------------------------------------------------


def test_a_private_subnet_with_a_nat_gateway_route_lets_the_task_start(account: Account) -> None:
    """VPC User Guide, "NAT gateways": "The instances in private subnets can connect to services
    outside your VPC" through a public NAT gateway in a public subnet; ECS Developer Guide, "Amazon ECS
    task networking options for Fargate": a task without a public IP in a private subnet reaches ECR,
    Secrets Manager and CloudWatch Logs through the NAT gateway."""
    world = make_fargate_world(account, egress="nat")
    service = starts(world)
    assert world.stopped_reasons() == []
    assert not any("unable to place" in m for m in messages(service))


def test_without_a_way_out_the_task_cannot_reach_ecr(account: Account) -> None:
    """AWS re:Post, "How do I troubleshoot ResourceInitializationError errors ... in Amazon ECS" and the
    real stoppedReason on Fargate 1.4: "ResourceInitializationError: unable to pull secrets or
    registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue
    between the task and Amazon ECR. Check your task network configuration." ECS reports the task in
    a service event "(service X) was unable to place a task. Reason: ..."."""
    world = make_fargate_world(account, egress="none")
    service = fails_to_start(world, ECR_CONNECTION)
    assert 'Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp' in world.stopped_reasons()[0]
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"  # 1 failed task, threshold 3


def test_vpc_endpoints_with_private_dns_are_a_way_out(account: Account) -> None:
    """ECS Developer Guide, "Amazon ECS interface VPC endpoints (AWS PrivateLink)" and ECR User Guide,
    "Amazon ECR interface VPC endpoints": Fargate tasks pulling from ECR need the com.amazonaws.region
    .ecr.dkr and .ecr.api endpoints and the S3 gateway endpoint ("Amazon ECR uses Amazon S3 to store
    your image layers"), com.amazonaws.region.logs for the awslogs driver and .secretsmanager for
    secrets."""
    starts(make_fargate_world(account, egress="endpoints"))


@pytest.mark.parametrize(
    ("missing", "reason_start"),
    [
        ("ecr.api", ECR_CONNECTION),
        ("secretsmanager", ASM_CONNECTION),
        (
            "ecr.dkr",
            "CannotPullContainerError: The task cannot pull '{image}' from the Amazon ECR repository "
            "'{account}.dkr.ecr.us-east-1.amazonaws.com/acme/auth'. There is a connection issue between the task "
            "and Amazon ECR. Check your task network configuration.",
        ),
        (
            "s3",
            "CannotPullContainerError: The task cannot pull '{image}' from the registry "
            "'{account}.dkr.ecr.us-east-1.amazonaws.com'. There is a connection issue between the task and the "
            "registry. Check your task network configuration. : failed to copy: httpReadSeeker: failed open",
        ),
        ("logs", LOGS_CONNECTION),
    ],
)
def test_each_missing_endpoint_stops_the_task_at_its_step(account: Account, missing: str, reason_start: str) -> None:
    """The same documents: each endpoint serves one step of the start (registry auth, secrets, the
    image manifest, the image layers in S3, the log stream); without it that step cannot connect.
    Wording: Developer Guide, "CannotPullContainer task errors in Amazon ECS" ("The task cannot pull
    'image-name' from the Amazon ECR repository 'repository URI'. There is a connection issue between
    the task and Amazon ECR. Check your task network configuration.") and real stopped reasons."""
    world = make_fargate_world(account, egress="endpoints")
    world.client("ec2").delete_vpc_endpoints(VpcEndpointIds=[world.endpoint_ids[missing]])
    fails_to_start(world, reason_start.format(image=world.image_uri, account=world.account_id))


def test_an_s3_gateway_endpoint_must_be_on_the_subnets_route_table(account: Account) -> None:
    """VPC User Guide, "Gateway endpoints": "You specify the route tables ... Traffic from the subnets
    associated with these route tables is routed to the endpoint"; a gateway endpoint on another
    route table does not carry the image layers."""
    world = make_fargate_world(account, egress="endpoints")
    ec2 = world.client("ec2")
    other_table = ec2.create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
    ec2.modify_vpc_endpoint(
        VpcEndpointId=world.endpoint_ids["s3"],
        AddRouteTableIds=[other_table],
        RemoveRouteTableIds=[world.route_table_id],
    )
    fails_to_start(world, "CannotPullContainerError: The task cannot pull")


def test_interface_endpoints_need_private_dns(account: Account) -> None:
    """PrivateLink guide, "Access an AWS service using an interface VPC endpoint": without private DNS
    the service's public name does not resolve to the endpoint; and "To use private DNS, you must set
    the following VPC attributes to true: enableDnsHostnames and enableDnsSupport"."""
    world = make_fargate_world(account, egress="endpoints")
    world.client("ec2").modify_vpc_attribute(VpcId=world.vpc_id, EnableDnsHostnames={"Value": False})
    fails_to_start(world, ECR_CONNECTION)


def test_an_internet_gateway_route_needs_a_public_ip(account: Account) -> None:
    """VPC User Guide, "Connect to the internet using an internet gateway": "To use an internet
    gateway, ... ensure that instances in your subnet have a public IPv4 address"; ECS Developer Guide,
    "CannotPullContainer task errors in Amazon ECS": "For tasks in public subnets, specify ENABLED for
    Auto-assign public IP when launching the task"."""
    fails_to_start(make_fargate_world(account, egress="public"), ECR_CONNECTION)


def test_a_public_ip_in_a_public_subnet_is_a_way_out(other_account: Account) -> None:
    """The same documents: with assignPublicIp ENABLED a task in a subnet routing 0.0.0.0/0 to an
    internet gateway reaches ECR, Secrets Manager and CloudWatch Logs."""
    world = make_fargate_world(other_account, egress="public")
    world.create_service(assign_public_ip="ENABLED")
    assert states(world.after(FIRST_ROLLOUT)) == [("PRIMARY", "COMPLETED")]


def test_a_security_group_without_https_egress_cuts_the_task_off(account: Account) -> None:
    """VPC User Guide, "Security group rules": "Outbound rules control the outbound traffic that's
    allowed to leave the resource"; without an outbound rule for HTTPS the task's connections to ECR
    time out (re:Post, "ResourceInitializationError ... Check that your security group allows outbound
    traffic on port 443")."""
    world = make_fargate_world(account, egress="nat")
    world.client("ec2").revoke_security_group_egress(
        GroupId=world.security_group_id, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    fails_to_start(world, ECR_CONNECTION)


def test_a_public_image_needs_the_internet_even_with_endpoints(account: Account) -> None:
    """ECS Developer Guide, "Amazon ECS interface VPC endpoints": the endpoints reach Amazon ECR
    private registries; an image in a public registry (Docker Hub) needs a route to the internet."""
    world = make_fargate_world(account, egress="endpoints")
    world.register(container={"image": "nginx:1.27"})
    fails_to_start(
        world, "CannotPullContainerError: The task cannot pull 'nginx:1.27' from the registry 'registry-1.docker.io'."
    )


def test_the_standard_world_lets_ecsdeploys_tasks_start_unless_its_egress_is_none(account: Account) -> None:
    """The standard world (`POST /world`) with its default NAT gateway or its VPC endpoints, as
    ecsdeploy's end-to-end tests use it: ecsdeploy's execution role policy, an image in ECR, the
    world's secret, awslogs (the same documents as the tests above)."""
    for egress, other in (("nat", None), ("endpoints", None), ("none", ECR_CONNECTION)):
        fresh = new_account(account.emulator)
        world_ids = fresh.control("/world", {"egress": egress})
        stage_secret = world_ids["secrets"]["stage/auth/db"]
        world = make_fargate_world(fresh, egress="none", secret_arn=stage_secret)  # its own VPC goes unused
        world.put_role_policy(ecsdeploy_policy(fresh.account_id, [f"{stage_secret.rsplit('-', 1)[0]}-??????"]))
        world.register(container={"secrets": [{"name": "DB_PASSWORD", "valueFrom": f"{stage_secret}:password::"}]})
        elbv2 = fresh.client("elbv2")
        group = create_target_group(elbv2, world_ids["vpc_id"], name="stage-auth")
        balancer = elbv2.create_load_balancer(Name="acme", Subnets=world_ids["public_subnet_ids"])["LoadBalancers"][0]
        elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
        )
        security_group = fresh.client("ec2").create_security_group(
            GroupName="stage-auth", Description="stage-auth", VpcId=world_ids["vpc_id"]
        )["GroupId"]
        world.create_service(
            name="stage-auth",
            loadBalancers=[{"targetGroupArn": group, "containerName": "app", "containerPort": 8080}],
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": world_ids["private_subnet_ids"],
                    "securityGroups": [security_group],
                    "assignPublicIp": "DISABLED",
                }
            },
        )
        service = world.after(FIRST_ROLLOUT, "stage-auth")
        if other is None:
            assert states(service) == [("PRIMARY", "COMPLETED")], world.stopped_reasons("stage-auth")
        else:
            assert world.stopped_reasons("stage-auth")[0].startswith(other)


# --- the execution role -------------------------------------------------------------------------


def test_ecsdeploys_execution_role_lets_a_task_with_a_cmk_encrypted_secret_start(account: Account) -> None:
    """Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables": the
    execution role needs secretsmanager:GetSecretValue, and "If your secret uses a customer managed
    KMS key ... kms:Decrypt"; Secrets Manager User Guide, "Encryption and decryption in Secrets
    Manager": "Secrets Manager uses the secret ARN as encryption context" (`SecretARN`) and the
    kms:ViaService condition key is secretsmanager.<region>.amazonaws.com. ecsdeploy grants kms:Decrypt
    on `*` under exactly those conditions."""
    world = make_fargate_world(account)
    key = world.client("kms").create_key()["KeyMetadata"]
    world.client("secretsmanager").update_secret(SecretId=world.secret_arn, KmsKeyId=key["Arn"])
    starts(world)


def test_the_aws_managed_policy_covers_ecr_and_logs(account: Account) -> None:
    """Developer Guide, "Amazon ECS task execution IAM role": "Amazon ECS provides the managed policy
    named AmazonECSTaskExecutionRolePolicy which contains the permissions the common use cases ...
    require" (ECR pull and CloudWatch Logs, not secrets)."""
    world = make_fargate_world(account)
    iam = world.client("iam")
    iam.delete_role_policy(RoleName=ROLE_NAME, PolicyName="ecsdeploy")
    iam.attach_role_policy(
        RoleName=ROLE_NAME, PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    )
    world.register(container={"secrets": None})
    starts(world)


def _without(world: FargateWorld, sid: str, actions: list[str] | None = None) -> dict[str, Any]:
    """ecsdeploy's policy without statement `sid` (or with only `actions` of it)."""
    policy = ecsdeploy_policy(world.account_id)
    kept = []
    for statement in policy["Statement"]:
        if statement["Sid"] == sid:
            if not actions:
                continue
            statement = {**statement, "Action": actions}
        kept.append(statement)
    return {**policy, "Statement": kept}


@pytest.mark.parametrize(
    ("sid", "actions", "reason_start", "denied"),
    [
        (
            "EcrLogin",
            None,
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
            "failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): operation error "
            "ECR: GetAuthorizationToken, https response error StatusCode: 400, RequestID: ",
            "is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based "
            "policy allows the ecr:GetAuthorizationToken action",
        ),
        (
            "ReadOwnSecrets",
            None,
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
            "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
            "secret ",
            "is not authorized to perform: secretsmanager:GetSecretValue on resource: ",
        ),
        (
            "PullOwnImage",
            ["ecr:GetDownloadUrlForLayer"],
            "CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions to "
            "pull images from the registry.",
            "is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:",
        ),
        (
            "PullOwnImage",
            ["ecr:BatchGetImage"],
            "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed "
            "open: unexpected status code",
            "is not authorized to perform: ecr:GetDownloadUrlForLayer",
        ),
        (
            "WriteOwnLogs",
            ["logs:PutLogEvents"],
            "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
            "failed to create Cloudwatch log stream: operation error CloudWatch Logs: CreateLogStream",
            "is not authorized to perform: logs:CreateLogStream on resource: arn:aws:logs:us-east-1:",
        ),
        (
            "WriteOwnLogs",
            ["logs:CreateLogStream"],
            "ResourceInitializationError: failed to validate logger args:",
            "is not authorized to perform: logs:PutLogEvents",
        ),
    ],
)
def test_each_missing_permission_stops_the_task(
    account: Account, sid: str, actions: list[str] | None, reason_start: str, denied: str
) -> None:
    """Developer Guide, "Amazon ECS task execution IAM role": the role makes the ECR (registry auth,
    BatchGetImage, GetDownloadUrlForLayer), Secrets Manager and CloudWatch Logs calls for the task;
    without the permission the call is refused with AWS's AccessDeniedException "User: <assumed role
    session> is not authorized to perform: <action> on resource: <arn> because no identity-based policy
    allows the <action> action". (AWS starts a task whose role lacks logs:PutLogEvents and drops its
    logs; the emulator refuses to start it: stricter.)"""
    world = make_fargate_world(account)
    world.put_role_policy(_without(world, sid, actions))
    fails_to_start(world, reason_start)
    reason = world.stopped_reasons()[0]
    assert denied in reason, reason
    assert f"User: arn:aws:sts::{world.account_id}:assumed-role/{ROLE_NAME}/" in reason


def test_the_log_stream_is_the_resource_of_the_logs_permissions(account: Account) -> None:
    """CloudWatch Logs User Guide, "CloudWatch Logs permissions reference": CreateLogStream and
    PutLogEvents act on the log stream `log-group:<name>:log-stream:<stream>`; a policy naming the log
    group ARN without `:*` does not cover the stream (the awslogs stream is
    `<prefix>/<container>/<task id>`)."""
    world = make_fargate_world(account)
    policy = ecsdeploy_policy(world.account_id)
    for statement in policy["Statement"]:
        if statement["Sid"] == "WriteOwnLogs":
            statement["Resource"] = [f"arn:aws:logs:{REGION}:{world.account_id}:log-group:{LOG_GROUP}"]
    world.put_role_policy(policy)
    fails_to_start(world, "ResourceInitializationError: failed to validate logger args:")
    assert f"log-group:{LOG_GROUP}:log-stream:ecs/app/" in world.stopped_reasons()[0]


def test_an_explicit_deny_wins(account: Account) -> None:
    """IAM User Guide, "Policy evaluation logic": "An explicit deny in any of these policies overrides
    the allow"; AWS's message then says "with an explicit deny in an identity-based policy"."""
    world = make_fargate_world(account)
    policy = ecsdeploy_policy(world.account_id)
    policy["Statement"].append(
        {
            "Effect": "Deny",
            "NotAction": ["ecr:*", "logs:*", "kms:*"],
            "Resource": "arn:aws:secretsmanager:*:*:secret:stage/*",
        }
    )
    world.put_role_policy(policy)
    fails_to_start(world, "ResourceInitializationError: unable to pull secrets or registry auth:")
    assert "with an explicit deny in an identity-based policy" in world.stopped_reasons()[0]


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}},
        {"StringLike": {"kms:EncryptionContext:SecretARN": "arn:aws:secretsmanager:us-east-1:*:secret:prod/*"}},
        None,  # no kms:Decrypt statement at all
    ],
)
def test_a_customer_managed_key_needs_kms_decrypt_through_secrets_manager(account: Account, condition: Any) -> None:
    """Secrets Manager User Guide, "Encryption and decryption in Secrets Manager": to read a secret
    encrypted with a customer managed key the caller needs kms:Decrypt, which Secrets Manager calls
    with kms:ViaService secretsmanager.<region>.amazonaws.com and the encryption context SecretARN;
    Secrets Manager answers "AccessDeniedException: Access to KMS is not allowed"."""
    world = make_fargate_world(account)
    key = world.client("kms").create_key()["KeyMetadata"]
    world.client("kms").create_alias(AliasName="alias/auth", TargetKeyId=key["KeyId"])
    world.client("secretsmanager").update_secret(SecretId=world.secret_arn, KmsKeyId="alias/auth")
    policy = ecsdeploy_policy(world.account_id)
    statements = [s for s in policy["Statement"] if s["Sid"] != "DecryptOwnSecrets"]
    if condition is not None:
        statements.append({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": condition})
    world.put_role_policy({**policy, "Statement": statements})
    fails_to_start(world, "ResourceInitializationError: unable to pull secrets or registry auth:")
    assert world.stopped_reasons()[0].endswith("api error AccessDeniedException: Access to KMS is not allowed")


def test_a_key_policy_that_does_not_delegate_to_iam_keeps_the_key_closed(account: Account) -> None:
    """KMS Developer Guide, "Key policies in AWS KMS": "Unless the key policy explicitly allows it, you
    cannot use IAM policies to allow access to a KMS key"."""
    world = make_fargate_world(account)
    kms = world.client("kms")
    key = kms.create_key(
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{world.account_id}:role/someone-else"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            }
        ),
        BypassPolicyLockoutSafetyCheck=True,
    )["KeyMetadata"]
    world.client("secretsmanager").update_secret(SecretId=world.secret_arn, KmsKeyId=key["KeyId"])
    fails_to_start(world, "ResourceInitializationError: unable to pull secrets or registry auth:")
    assert world.stopped_reasons()[0].endswith("Access to KMS is not allowed")


def test_the_aws_managed_key_needs_no_kms_permission(account: Account) -> None:
    """Secrets Manager User Guide, "Encryption and decryption in Secrets Manager": a secret without a
    customer managed key uses the AWS managed key aws/secretsmanager, whose key policy lets the
    account's principals use it through Secrets Manager."""
    world = make_fargate_world(account)
    world.client("secretsmanager").update_secret(SecretId=world.secret_arn, KmsKeyId="alias/aws/secretsmanager")
    policy = ecsdeploy_policy(world.account_id)
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != "DecryptOwnSecrets"]
    world.put_role_policy(policy)
    starts(world)


@pytest.mark.parametrize("form", ["full", "partial", "full-key", "partial-key"])
def test_secrets_are_found_by_full_or_partial_arn(account: Account, form: str) -> None:
    """Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables":
    valueFrom is `arn:aws:secretsmanager:region:aws_account_id:secret:secret-name:json-key:
    version-stage:version-id`; Secrets Manager finds a secret by its full ARN or by a partial ARN
    (without the 6 random characters). The permission is checked on the secret's full ARN."""
    world = make_fargate_world(account)
    partial = world.secret_arn.rsplit("-", 1)[0]
    value_from = {
        "full": world.secret_arn,
        "partial": partial,
        "full-key": f"{world.secret_arn}:password::",
        "partial-key": f"{partial}:username:AWSCURRENT:",
    }[form]
    world.register(container={"secrets": [{"name": "DB", "valueFrom": value_from}]})
    starts(world)


@pytest.mark.parametrize(
    ("value_from", "reason_end"),
    [
        ("{arn}:nope::", "retrieved secret from Secrets Manager did not contain json key nope"),
        (
            "arn:aws:secretsmanager:us-east-1:{account}:secret:stage/auth/dbx",
            "api error ResourceNotFoundException: Secrets Manager can't find the specified secret.",
        ),
    ],
)
def test_a_missing_secret_or_json_key_stops_the_task(account: Account, value_from: str, reason_end: str) -> None:
    """Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables" and
    Secrets Manager API Reference, GetSecretValue: ResourceNotFoundException "Secrets Manager can't
    find the resource that you asked for"; a json-key the secret does not have stops the task."""
    world = make_fargate_world(account)
    policy = ecsdeploy_policy(world.account_id, [f"arn:aws:secretsmanager:{REGION}:{world.account_id}:secret:stage/*"])
    world.put_role_policy(policy)
    world.register(
        container={
            "secrets": [{"name": "DB", "valueFrom": value_from.format(arn=world.secret_arn, account=world.account_id)}]
        }
    )
    fails_to_start(world, "ResourceInitializationError: unable to pull secrets or registry auth:")
    assert world.stopped_reasons()[0].endswith(reason_end), world.stopped_reasons()[0]


@pytest.mark.parametrize("reference", ["tag", "digest"])
def test_an_image_that_is_not_in_ecr_cannot_be_pulled(account: Account, reference: str) -> None:
    """Developer Guide, "CannotPullContainer task errors in Amazon ECS": "The task can’t pull the image.
    Check that the role has the permissions ..." / "CannotPullContainerError: pull image manifest has
    been retried 5 time(s): failed to resolve ref" — "Verify that the image specified in the task
    definition matches the image in the repository"."""
    world = make_fargate_world(account)
    base = f"{world.account_id}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}"
    image = f"{base}:v2" if reference == "tag" else f"{base}@sha256:{'0' * 64}"
    world.register(container={"image": image})
    fails_to_start(world, "CannotPullContainerError: The task can’t pull the image. Check whether the image exists.")
    assert world.stopped_reasons()[0].endswith(f"failed to resolve ref {image}: {image}: not found")


def test_an_image_is_found_by_tag(account: Account) -> None:
    """ECR User Guide, "Pulling an image": an image is pulled by `repository:tag` or
    `repository@digest`."""
    world = make_fargate_world(account)
    push_image(world.client("ecr"), REPOSITORY, "v2")
    world.register(container={"image": f"{world.account_id}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}:v2"})
    starts(world)


def test_a_role_ecs_tasks_cannot_assume_launches_no_task(account: Account) -> None:
    """Developer Guide, "Amazon ECS task execution IAM role": the role's trust relationship names the
    service principal ecs-tasks.amazonaws.com. ECS then cannot launch the task at all: "ECS was unable
    to assume the role '<arn>' that was provided for this task. Please verify that the role being
    passed has the proper trust relationship and permissions and that your IAM user has permissions to
    pass this role." """
    world = make_fargate_world(account)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    world.client("iam").update_assume_role_policy(RoleName=ROLE_NAME, PolicyDocument=json.dumps(trust))
    world.create_service()
    assert world.after(9)["deployments"][0]["failedTasks"] == 1
    service = world.after(1)  # ECS tries again 10 s later
    assert service["deployments"][0]["failedTasks"] == 2
    assert not any("has started" in m for m in messages(service))
    assert (
        f"(service auth) failed to launch a task with (error ECS was unable to assume the role '{world.role_arn}' "
        "that was provided for this task. Please verify that the role being passed has the proper trust "
        "relationship and permissions and that your IAM user has permissions to pass this role.)."
    ) in messages(service)


def test_a_confused_deputy_condition_in_the_trust_policy_holds_for_the_tasks_account(account: Account) -> None:
    """Developer Guide, "Amazon ECS task execution IAM role" (confused deputy prevention): the trust
    policy may require aws:SourceAccount to be the account and aws:SourceArn to be one of its ECS
    resources, as ecsdeploy's does; ECS assumes the role for its own tasks."""
    world = make_fargate_world(account)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": world.account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{world.account_id}:*"},
                },
            }
        ],
    }
    world.client("iam").update_assume_role_policy(RoleName=ROLE_NAME, PolicyDocument=json.dumps(trust))
    starts(world)


def test_a_missing_log_group_stops_the_task_unless_the_driver_may_create_it(account: Account) -> None:
    """Developer Guide, "Send Amazon ECS logs to CloudWatch" (awslogs-create-group: "... the log group
    ... must already exist unless awslogs-create-group is true; your IAM policy must include the
    logs:CreateLogGroup permission"); the stopped reason is CloudWatch Logs' "ResourceNotFoundException:
    The specified log group does not exist."."""
    world = make_fargate_world(account)
    world.client("logs").delete_log_group(logGroupName=LOG_GROUP)
    fails_to_start(world, "ResourceInitializationError: failed to validate logger args: create stream has been retried")
    assert "ResourceNotFoundException: The specified log group does not exist." in world.stopped_reasons()[0]

    options = {
        "awslogs-group": LOG_GROUP,
        "awslogs-region": REGION,
        "awslogs-stream-prefix": "ecs",
        "awslogs-create-group": "true",
    }
    world.register(container={"logConfiguration": {"logDriver": "awslogs", "options": options}})
    policy = ecsdeploy_policy(world.account_id)
    for statement in policy["Statement"]:
        if statement["Sid"] == "WriteOwnLogs":
            statement["Action"] = [*statement["Action"], "logs:CreateLogGroup"]
    world.put_role_policy(policy)
    world.ecs.delete_service(cluster="acme", service="auth", force=True)
    starts(world)
    groups = world.client("logs").describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"]
    assert [group["logGroupName"] for group in groups] == [LOG_GROUP]


def test_a_systems_manager_parameter_needs_ssm_get_parameters(account: Account) -> None:
    """Developer Guide, "Pass Systems Manager parameters through Amazon ECS environment variables": the
    execution role needs ssm:GetParameters on the parameter; a parameter of the same Region may be
    named by its name."""
    world = make_fargate_world(account)
    world.client("ssm").put_parameter(Name="/stage/auth/flag", Value="on", Type="String")
    world.register(container={"secrets": [{"name": "FLAG", "valueFrom": "/stage/auth/flag"}]})
    fails_to_start(world, "ResourceInitializationError: unable to pull secrets or registry auth:")
    denied = "is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:"
    assert denied in world.stopped_reasons()[0]

    policy = ecsdeploy_policy(world.account_id)
    policy["Statement"].append(
        {
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": f"arn:aws:ssm:{REGION}:{world.account_id}:parameter/stage/*",
        }
    )
    world.put_role_policy(policy)
    world.ecs.delete_service(cluster="acme", service="auth", force=True)
    starts(world)


def test_a_secret_resource_policy_can_deny(account: Account) -> None:
    """Secrets Manager User Guide, "Resource-based policies": a secret's policy is evaluated with the
    caller's IAM policies; IAM User Guide, "Policy evaluation logic": an explicit deny in a
    resource-based policy overrides the allow ("with an explicit deny in a resource-based policy")."""
    world = make_fargate_world(account)
    world.client("secretsmanager").put_resource_policy(
        SecretId=world.secret_arn,
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": world.role_arn},
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    fails_to_start(world, "ResourceInitializationError: unable to pull secrets or registry auth:")
    assert "with an explicit deny in a resource-based policy" in world.stopped_reasons()[0]


def test_each_start_failure_cause_is_reported_once_until_a_task_is_healthy(account: Account) -> None:
    """Developer Guide, "Amazon ECS service event messages": "duplicate event messages are omitted until
    either the cause is resolved or six hours passes"; "Service throttle logic": when tasks repeatedly
    fail to enter RUNNING ECS says "(service service-name) is unable to consistently start tasks
    successfully." Without the circuit breaker the failures go on."""
    world = make_fargate_world(account, egress="none")
    world.create_service(deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False}})
    service = world.after(5 * START)  # launches at 0, 30, ... 150 s; 5 starts failed
    texts = messages(service)
    assert sum(m.startswith("(service auth) was unable to place a task.") for m in texts) == 1
    assert texts.count("(service auth) is unable to consistently start tasks successfully.") == 1
    assert sum(m.startswith("(service auth) has started 1 tasks") for m in texts) == 6
    assert service["deployments"][0]["failedTasks"] == 5
