"""Whether a simulated Fargate task can start: network egress, execution role, image, secrets, logs.

AWS decides this when Fargate prepares the task; the first step that fails stops the task before it
is RUNNING (stop code `TaskFailedToStart`) with a `stoppedReason` such as
`ResourceInitializationError: ...` or `CannotPullContainerError: ...`. The steps, in the order the
Fargate agent takes them, and the AWS documents they follow:

1. Assume the task execution role. Developer Guide, "Amazon ECS task execution IAM role": the role's
   trust relationship must let `ecs-tasks.amazonaws.com` call `sts:AssumeRole`. If it cannot, ECS
   does not launch the task: "ECS was unable to assume the role '...' that was provided for this
   task. Please verify that the role being passed has the proper trust relationship and permissions
   and that your IAM user has permissions to pass this role."
2. Execution resources ("unable to pull secrets or registry auth"): the ECR registry auth token
   (`ecr:GetAuthorizationToken`, resource `*`) when an image is in a private ECR registry; each
   secret of `secrets` (Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment
   variables": `secretsmanager:GetSecretValue` on the secret, and "If your secret uses a customer
   managed KMS key ... kms:Decrypt"; Secrets Manager User Guide, "Encryption and decryption in
   Secrets Manager": Secrets Manager calls KMS with the encryption context `SecretARN` and
   `SecretVersionId`, and `kms:ViaService` is `secretsmanager.<region>.amazonaws.com`); Systems
   Manager parameters (`ssm:GetParameters`).
3. The image pull (Developer Guide, "CannotPullContainer task errors in Amazon ECS"): for ECR,
   `ecr:BatchGetImage` (the manifest) and `ecr:GetDownloadUrlForLayer` (the layers, served from S3)
   on the repository; the image must exist with that tag or digest ("The task can’t pull the image.
   Check whether the image exists."). Public registries need the internet.
4. The awslogs log driver (Developer Guide, "Send Amazon ECS logs to CloudWatch"): the log group
   must exist unless `awslogs-create-group` is `true` (then `logs:CreateLogGroup`), and the role
   needs `logs:CreateLogStream` and `logs:PutLogEvents` on the log stream.

Every call first needs a network path from the task's subnet (see `task_egress`); a missing path
gives AWS's "There is a connection issue between the task and ..." errors. Permissions are
evaluated by `iam_policy` over the role's inline and attached managed policies (and its permissions
boundary), the secret's resource policy, the KMS key policy and the ECR repository policy.

Stricter than AWS on purpose: AWS starts a task whose role lacks `logs:PutLogEvents` and loses its
logs; here the task does not start. The messages follow AWS's wording as found in the documents
above and in real stopped-task reasons; request IDs and IP addresses in them are made up.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.ecr.models import ecr_backends
from moto.ecs.models import ecs_backends
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.logs.models import logs_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends

from . import iam_policy, task_egress
from .iam_policy import ALLOW, DENY, Principal, Request

TASK_FAILED_TO_START = "TaskFailedToStart"
AWS_MANAGED_SECRETS_KEY = "alias/aws/secretsmanager"
ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(.+)$")
# Made-up public addresses of the endpoints a task fails to reach (they only appear in messages).
ENDPOINT_ADDRESSES = {"ecr": "52.46.145.23", "registry": "52.46.152.114", "s3": "16.15.180.104"}


@dataclass(frozen=True)
class StartFailure:
    """Why a task did not start: its stoppedReason, and whether ECS launched it at all."""

    reason: str
    cause: str  # a stable key for the cause (the reason carries request IDs): dedupes events
    stop_code: str = TASK_FAILED_TO_START
    launched: bool = True


@dataclass
class TaskLaunch:
    """One task ECS is about to start for a service deployment."""

    account_id: str
    region: str
    cluster_name: str
    task_id: str
    task_definition_arn: str
    subnet_id: str | None
    security_group_ids: list[str] = field(default_factory=list)
    assign_public_ip: bool = False

    @property
    def task_arn(self) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account_id}:task/{self.cluster_name}/{self.task_id}"


def check(launch: TaskLaunch) -> StartFailure | None:
    """The reason the task cannot start, or None when it starts."""
    definition = _task_definition(launch)
    if definition is None:
        return None  # deregistered after the deployment started: moto's ECS has it still
    return _Start(launch, definition).run()


def _task_definition(launch: TaskLaunch) -> Any:
    backend = (dict.get(ecs_backends, launch.account_id) or {}).get(launch.region)
    if backend is None:
        return None
    try:
        return backend.describe_task_definition(launch.task_definition_arn)
    except Exception:
        return None


class _Failed(Exception):
    def __init__(self, failure: StartFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


@dataclass(frozen=True)
class _Decision:
    allowed: bool
    why: str = ""  # AWS's "because no identity-based policy allows the X action" and the like


class _Start:
    """The start of one task: each step raises `_Failed` with AWS's reason."""

    def __init__(self, launch: TaskLaunch, definition: Any) -> None:
        self.launch = launch
        self.definition = definition
        self.containers: list[dict[str, Any]] = list(definition.container_definitions or [])
        self.role_arn: str | None = getattr(definition, "execution_role_arn", None)
        self.role: Any = None
        self.principal: Principal | None = None
        self.identity: list[dict[str, Any]] = []
        self.boundary: list[dict[str, Any]] | None = None
        self.network = (
            task_egress.subnet_network(
                launch.account_id, launch.region, launch.subnet_id, launch.security_group_ids, launch.assign_public_ip
            )
            if launch.subnet_id
            else None
        )

    def run(self) -> StartFailure | None:
        try:
            self._assume_role()
            images = [(container, _parse_image(container.get("image") or "")) for container in self.containers]
            for registry in sorted({image.registry for _, image in images if image.is_ecr}):
                self._registry_auth(registry)
            for container in self.containers:
                for secret in container.get("secrets") or []:
                    self._secret(str(secret.get("valueFrom") or ""))
            for container, image in images:
                self._pull(image)
            for container in self.containers:
                self._logs(container)
        except _Failed as failed:
            return failed.failure
        return None

    # --- 1. the execution role ------------------------------------------------------------

    def _assume_role(self) -> None:
        if not self.role_arn:
            return
        iam = iam_backends[self.launch.account_id]["aws"]
        role = next((r for r in list(iam.roles.values()) if r.arn == self.role_arn), None)
        if role is None or not self._trusts_ecs_tasks(role):
            message = (
                f"ECS was unable to assume the role '{self.role_arn}' that was provided for this task. Please "
                "verify that the role being passed has the proper trust relationship and permissions and that "
                "your IAM user has permissions to pass this role."
            )
            raise _Failed(StartFailure(message, cause=f"assume-role:{self.role_arn}", launched=False))
        self.role = role
        self.principal = Principal(
            account_id=self.launch.account_id,
            role_arn=role.arn,
            session_arn=f"arn:aws:sts::{self.launch.account_id}:assumed-role/{role.name}/{self.launch.task_id}",
        )
        for document in list(role.policies.values()):
            self.identity += iam_policy.parse(document)
        for policy in list(role.managed_policies.values()):
            self.identity += iam_policy.parse(_default_document(policy))
        boundary_arn = getattr(role, "permissions_boundary_arn", None)
        if boundary_arn:
            boundary = iam.managed_policies.get(boundary_arn)
            self.boundary = iam_policy.parse(_default_document(boundary)) if boundary else []

    def _trusts_ecs_tasks(self, role: Any) -> bool:
        request = Request(
            "sts:AssumeRole",
            role.arn,
            {"aws:SourceAccount": self.launch.account_id, "aws:SourceArn": self.launch.task_arn},
        )
        allowed = False
        for statement in iam_policy.parse(role.assume_role_policy_document):
            principal = statement.get("Principal")
            services = principal.get("Service") if isinstance(principal, dict) else None
            names = [services] if isinstance(services, str) else list(services or [])
            if principal != "*" and "ecs-tasks.amazonaws.com" not in names:
                continue
            outcome = iam_policy.evaluate([statement], request)
            if outcome == DENY:
                return False
            allowed = allowed or outcome == ALLOW
        return allowed

    # --- permissions ----------------------------------------------------------------------

    def _session(self) -> str:
        return self.principal.session_arn if self.principal else f"task/{self.launch.task_id}"

    def _context(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        context: dict[str, Any] = {
            "aws:PrincipalAccount": self.launch.account_id,
            "aws:PrincipalArn": self.role_arn or "",
            "aws:PrincipalType": "AssumedRole",
            "aws:RequestedRegion": self.launch.region,
            "aws:SecureTransport": "true",
        }
        return {**context, **(extra or {})}

    def _authorize(
        self,
        action: str,
        resource: str,
        context: dict[str, Any] | None = None,
        resource_policy: Any = None,
        resource_account: str | None = None,
        key_policy: bool = False,
    ) -> _Decision:
        """Identity policies (within the boundary) and the resource's policy, as IAM combines them.

        IAM User Guide, "Policy evaluation logic": an explicit deny anywhere wins; within an account
        an allow in either the identity-based or the resource-based policy is enough; across
        accounts both must allow. A KMS key policy must always allow, directly or by delegating to
        the account's IAM policies (KMS Developer Guide, "Key policies in AWS KMS": "Unless the key
        policy explicitly allows it, you cannot use IAM policies to allow access to a KMS key")."""
        if self.principal is None:
            return _Decision(False, f"because no identity-based policy allows the {action} action")
        request = Request(action, resource, self._context(context))
        identity = iam_policy.evaluate(self.identity, request)
        if identity == DENY:
            return _Decision(False, "with an explicit deny in an identity-based policy")
        if self.boundary is not None:
            bounded = iam_policy.evaluate(self.boundary, request)
            if bounded == DENY:
                return _Decision(False, "with an explicit deny in a permissions boundary")
            if bounded != ALLOW:
                identity = iam_policy.NOT_APPLICABLE
        statements = iam_policy.parse(resource_policy) if resource_policy else []
        if iam_policy.evaluate(statements, request, self.principal) == DENY:
            return _Decision(False, "with an explicit deny in a resource-based policy")
        direct = [s for s in statements if iam_policy.principal_matches(s, self.principal) == "direct"]
        delegated = [s for s in statements if iam_policy.principal_matches(s, self.principal) == "account"]
        resource_direct = iam_policy.evaluate(direct, request, self.principal) == ALLOW
        resource_account_wide = iam_policy.evaluate(delegated, request, self.principal) == ALLOW
        same_account = (resource_account or self.launch.account_id) == self.launch.account_id
        if key_policy:
            if resource_direct or (resource_account_wide and identity == ALLOW):
                return _Decision(True)
            if identity != ALLOW:
                return _Decision(False, f"because no identity-based policy allows the {action} action")
            return _Decision(False, f"because no resource-based policy allows the {action} action")
        if same_account:
            if identity == ALLOW or resource_direct:
                return _Decision(True)
            return _Decision(False, f"because no identity-based policy allows the {action} action")
        if identity != ALLOW:
            return _Decision(False, f"because no identity-based policy allows the {action} action")
        if not (resource_direct or resource_account_wide):
            return _Decision(False, f"because no resource-based policy allows the {action} action")
        return _Decision(True)

    def _denied(self, action: str, resource: str, decision: _Decision) -> str:
        return (
            f"User: {self._session()} is not authorized to perform: {action} on resource: {resource} "
            f"{decision.why}"
        )

    def _path(self, service: str, region: str | None = None) -> task_egress.Path | None:
        if self.network is None:
            return None
        if region and region != self.launch.region:
            # VPC endpoints serve their own Region only: another Region needs the internet.
            return task_egress.Path("internet") if self.network.has_internet() else None
        return self.network.path_to(service)

    def _endpoint_context(self, path: task_egress.Path | None) -> dict[str, Any]:
        if path is None or path.via != "endpoint" or self.network is None:
            return {}
        return {"aws:SourceVpce": path.endpoint_id, "aws:SourceVpc": self.network.vpc_id}

    # --- 2. execution resources -----------------------------------------------------------

    def _registry_auth(self, registry: tuple[str, str]) -> None:
        account_id, region = registry
        path = self._path(task_egress.ECR_API, region)
        if path is None:
            raise _Failed(
                StartFailure(
                    "ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull "
                    "registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. "
                    "Check your task network configuration. operation error ECR: GetAuthorizationToken, exceeded "
                    "maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send "
                    f'failed, Post "https://api.ecr.{region}.amazonaws.com/": dial tcp '
                    f"{ENDPOINT_ADDRESSES['ecr']}:443: i/o timeout",
                    cause=f"network:ecr.api:{region}",
                )
            )
        if not self.role_arn:
            return  # no token without a role: the pull itself is refused below
        decision = self._authorize("ecr:GetAuthorizationToken", "*", self._endpoint_context(path))
        if not decision.allowed:
            raise _Failed(
                StartFailure(
                    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                    "retrieval failed: unable to retrieve ecr registry auth: service call has been retried 1 "
                    "time(s): operation error ECR: GetAuthorizationToken, https response error StatusCode: 400, "
                    f"RequestID: {uuid.uuid4()}, api error AccessDeniedException: "
                    + self._denied("ecr:GetAuthorizationToken", "*", decision),
                    cause="denied:ecr:GetAuthorizationToken",
                )
            )

    def _secret(self, value_from: str) -> None:
        if value_from.startswith("arn:") and ":secretsmanager:" in value_from:
            self._secrets_manager_secret(value_from)
        else:
            self._ssm_parameter(value_from)

    def _asm_error(self, secret_id: str, detail: str, cause: str) -> _Failed:
        return _Failed(
            StartFailure(
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): "
                f"failed to fetch secret {secret_id} from secrets manager: operation error Secrets Manager: "
                f"GetSecretValue, https response error StatusCode: 400, RequestID: {uuid.uuid4()}, api error "
                + detail,
                cause=cause,
            )
        )

    def _secrets_manager_secret(self, value_from: str) -> None:
        parts = value_from.split(":")
        secret_id = ":".join(parts[:7])
        json_key = parts[7] if len(parts) > 7 else ""
        version_stage = parts[8] if len(parts) > 8 else ""
        version_id = parts[9] if len(parts) > 9 else ""
        region = parts[3] if len(parts) > 3 else self.launch.region
        account_id = parts[4] if len(parts) > 4 else self.launch.account_id
        path = self._path(task_egress.SECRETS_MANAGER, region)
        if path is None:
            raise _Failed(
                StartFailure(
                    "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve "
                    "secret from asm: There is a connection issue between the task and AWS Secrets Manager. Check "
                    f"your task network configuration. failed to fetch secret {secret_id} from secrets manager: "
                    "operation error Secrets Manager: GetSecretValue, https response error StatusCode: 0, "
                    "RequestID: , canceled, context deadline exceeded",
                    cause=f"network:secretsmanager:{region}",
                )
            )
        secret = _find_secret(account_id, region, secret_id)
        resource = secret.arn if secret is not None else secret_id
        context = {**self._endpoint_context(path), "secretsmanager:SecretId": secret_id}
        if secret is not None:
            for tag in secret.tags or []:
                context[f"aws:ResourceTag/{tag['Key']}"] = tag["Value"]
                context[f"secretsmanager:ResourceTag/{tag['Key']}"] = tag["Value"]
        decision = self._authorize(
            "secretsmanager:GetSecretValue",
            resource,
            context,
            resource_policy=getattr(secret, "policy", None),
            resource_account=account_id,
        )
        if not decision.allowed:
            raise self._asm_error(
                secret_id,
                "AccessDeniedException: " + self._denied("secretsmanager:GetSecretValue", secret_id, decision),
                cause=f"denied:secretsmanager:{resource}",
            )
        if secret is None:
            raise self._asm_error(
                secret_id,
                "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
                cause=f"missing-secret:{secret_id}",
            )
        if secret.is_deleted():
            raise self._asm_error(
                secret_id,
                "InvalidRequestException: You can't perform this operation on the secret because it was marked "
                "for deletion.",
                cause=f"deleted-secret:{secret.arn}",
            )
        version = _secret_version(secret, version_stage, version_id)
        if version is None:
            raise self._asm_error(
                secret_id,
                "ResourceNotFoundException: Secrets Manager can't find the specified secret value for "
                f"{'VersionId' if version_id else 'staging label'}: {version_id or version_stage or 'AWSCURRENT'}",
                cause=f"missing-version:{secret.arn}",
            )
        version_id_found, content = version
        self._decrypt_secret(secret, secret_id, version_id_found, region, account_id)
        if json_key:
            try:
                values = json.loads(content.get("secret_string") or "")
            except ValueError:
                values = None
            if not isinstance(values, dict) or json_key not in values:
                raise _Failed(
                    StartFailure(
                        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
                        "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 "
                        f"time(s): retrieved secret from Secrets Manager did not contain json key {json_key}",
                        cause=f"json-key:{secret.arn}:{json_key}",
                    )
                )

    def _decrypt_secret(self, secret: Any, secret_id: str, version_id: str, region: str, account_id: str) -> None:
        key_id = getattr(secret, "kms_key_id", None)
        if not key_id or key_id == AWS_MANAGED_SECRETS_KEY:
            return
        key = _find_key(account_id, region, key_id)
        if key is not None and getattr(key, "key_manager", "CUSTOMER") == "AWS":
            return  # the AWS managed key aws/secretsmanager: its key policy allows the account's callers
        if key is None or getattr(key, "key_state", "Enabled") != "Enabled":
            raise self._asm_error(
                secret_id,
                "DecryptionFailure: Secrets Manager can't decrypt the protected secret text using the provided "
                "KMS key.",
                cause=f"kms-key:{key_id}",
            )
        context = {
            "kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
            "kms:CallerAccount": self.launch.account_id,
            "kms:EncryptionContext:SecretARN": secret.arn,
            "kms:EncryptionContext:SecretVersionId": version_id,
            "kms:EncryptionContextKeys": ["SecretARN", "SecretVersionId"],
            "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "aws:CalledVia": ["secretsmanager.amazonaws.com"],
            "aws:CalledViaFirst": "secretsmanager.amazonaws.com",
            "aws:CalledViaLast": "secretsmanager.amazonaws.com",
        }
        decision = self._authorize(
            "kms:Decrypt", key.arn, context, resource_policy=key.policy, resource_account=account_id, key_policy=True
        )
        if not decision.allowed:
            raise self._asm_error(
                secret_id, "AccessDeniedException: Access to KMS is not allowed", cause=f"denied:kms:{key.arn}"
            )

    def _ssm_parameter(self, value_from: str) -> None:
        if value_from.startswith("arn:"):
            parts = value_from.split(":", 5)
            region, account_id = parts[3], parts[4]
            name = parts[5][len("parameter") :] if len(parts) > 5 else ""
        else:
            region, account_id, name = self.launch.region, self.launch.account_id, value_from
        if not name.startswith("/"):
            name = "/" + name
        parameter_arn = f"arn:aws:ssm:{region}:{account_id}:parameter{name}"
        display = name if not value_from.startswith("arn:") else value_from
        path = self._path(task_egress.SSM, region)
        if path is None:
            raise _Failed(
                StartFailure(
                    "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve "
                    "secrets from ssm: The task cannot pull secrets from AWS Systems Manager. There is a connection "
                    "issue between the task and AWS Systems Manager Parameter Store. Check your task network "
                    "configuration. operation error SSM: GetParameters, https response error StatusCode: 0, "
                    "RequestID: , canceled, context deadline exceeded",
                    cause=f"network:ssm:{region}",
                )
            )
        decision = self._authorize(
            "ssm:GetParameters", parameter_arn, self._endpoint_context(path), resource_account=account_id
        )
        prefix = (
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
            "failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
        )
        if not decision.allowed:
            raise _Failed(
                StartFailure(
                    prefix
                    + "AccessDeniedException: "
                    + self._denied("ssm:GetParameters", parameter_arn, decision)
                    + f" status code: 400, request id: {uuid.uuid4()}",
                    cause=f"denied:ssm:{parameter_arn}",
                )
            )
        parameter = _find_parameter(account_id, region, name)
        if parameter is None:
            raise _Failed(StartFailure(prefix + f"invalid parameters: {display}", cause=f"missing-ssm:{name}"))
        key_id = getattr(parameter, "keyid", None)
        if getattr(parameter, "type", "") == "SecureString" and key_id and key_id != "alias/aws/ssm":
            key = _find_key(account_id, region, key_id)
            if key is not None and getattr(key, "key_manager", "CUSTOMER") == "AWS":
                return
            context = {
                "kms:ViaService": f"ssm.{region}.amazonaws.com",
                "kms:CallerAccount": self.launch.account_id,
                "kms:EncryptionContext:PARAMETER_ARN": parameter_arn,
                "kms:EncryptionContextKeys": ["PARAMETER_ARN"],
            }
            allowed = (
                key is not None
                and getattr(key, "key_state", "Enabled") == "Enabled"
                and self._authorize(
                    "kms:Decrypt", key.arn, context, key.policy, resource_account=account_id, key_policy=True
                ).allowed
            )
            if not allowed:
                raise _Failed(
                    StartFailure(
                        prefix + f"AccessDeniedException: The ciphertext refers to a customer master key that does "
                        f"not exist, does not exist in this region, or you are not allowed to access. status code: "
                        f"400, request id: {uuid.uuid4()}",
                        cause=f"denied:kms:{key_id}",
                    )
                )

    # --- 3. the image ---------------------------------------------------------------------

    def _pull(self, image: _Image) -> None:
        if not image.is_ecr:
            if self.network is None or not self.network.has_internet():
                raise _Failed(
                    StartFailure(
                        f"CannotPullContainerError: The task cannot pull '{image.uri}' from the registry "
                        f"'{image.host}'. There is a connection issue between the task and the registry. Check your "
                        f"task network configuration. : failed to resolve ref {image.uri}: failed to do request: "
                        f'Head "https://{image.host}/v2/{image.repository}/manifests/{image.reference}": dial tcp '
                        f"{ENDPOINT_ADDRESSES['registry']}:443: i/o timeout",
                        cause=f"network:registry:{image.host}",
                    )
                )
            return  # a public registry: whether the image exists there is not modelled
        path = self._path(task_egress.ECR_DKR, image.region)
        if path is None:
            raise _Failed(
                StartFailure(
                    f"CannotPullContainerError: The task cannot pull '{image.uri}' from the Amazon ECR repository "
                    f"'{image.host}/{image.repository}'. There is a connection issue between the task and Amazon "
                    f"ECR. Check your task network configuration. : failed to resolve ref {image.uri}: failed to do "
                    f'request: Head "https://{image.host}/v2/{image.repository}/manifests/{image.reference}": '
                    f"dial tcp {ENDPOINT_ADDRESSES['ecr']}:443: i/o timeout",
                    cause=f"network:ecr.dkr:{image.region}",
                )
            )
        repository = _find_repository(image)
        repository_arn = f"arn:aws:ecr:{image.region}:{image.registry_id}:repository/{image.repository}"
        if not self.role_arn:
            raise _Failed(
                StartFailure(
                    f"CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve "
                    f"ref {image.uri}: pulling from host {image.host} failed with status code "
                    f"[manifests {image.reference}]: 401 Unauthorized",
                    cause=f"unauthenticated:{image.host}",
                )
            )
        context = self._endpoint_context(path)
        policy = getattr(repository, "policy", None)
        decision = self._authorize(
            "ecr:BatchGetImage", repository_arn, context, resource_policy=policy, resource_account=image.registry_id
        )
        if not decision.allowed:
            raise _Failed(
                StartFailure(
                    "CannotPullContainerError: The task can’t pull the image. Check that the role has the "
                    "permissions to pull images from the registry. pull image manifest has been retried 1 time(s): "
                    f"failed to resolve ref {image.uri}: pulling from host {image.host} failed with status code "
                    f"[manifests {image.reference}]: 403 Forbidden: denied: "
                    + self._denied("ecr:BatchGetImage", repository_arn, decision),
                    cause=f"denied:ecr:BatchGetImage:{repository_arn}",
                )
            )
        found = _find_image(repository, image)
        if found is None:
            raise _Failed(
                StartFailure(
                    "CannotPullContainerError: The task can’t pull the image. Check whether the image exists. pull "
                    f"image manifest has been retried 1 time(s): failed to resolve ref {image.uri}: {image.uri}: "
                    "not found",
                    cause=f"missing-image:{image.uri}",
                )
            )
        digest = found.get_image_digest()
        decision = self._authorize(
            "ecr:GetDownloadUrlForLayer",
            repository_arn,
            context,
            resource_policy=policy,
            resource_account=image.registry_id,
        )
        if not decision.allowed:
            raise _Failed(
                StartFailure(
                    "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: "
                    f"failed open: unexpected status code https://{image.host}/v2/{image.repository}/blobs/{digest}: "
                    "403 Forbidden: denied: " + self._denied("ecr:GetDownloadUrlForLayer", repository_arn, decision),
                    cause=f"denied:ecr:GetDownloadUrlForLayer:{repository_arn}",
                )
            )
        if self._path(task_egress.S3, image.region) is None:
            bucket = f"prod-{image.region}-starport-layer-bucket"
            raise _Failed(
                StartFailure(
                    f"CannotPullContainerError: The task cannot pull '{image.uri}' from the registry "
                    f"'{image.host}'. There is a connection issue between the task and the registry. Check your "
                    "task network configuration. : failed to copy: httpReadSeeker: failed open: failed to do "
                    f'request: Get "https://{bucket}.s3.{image.region}.amazonaws.com/": dial tcp '
                    f"{ENDPOINT_ADDRESSES['s3']}:443: i/o timeout",
                    cause=f"network:s3:{image.region}",
                )
            )

    # --- 4. logs --------------------------------------------------------------------------

    def _logs(self, container: dict[str, Any]) -> None:
        configuration = container.get("logConfiguration") or {}
        if configuration.get("logDriver") != "awslogs":
            return
        options = configuration.get("options") or {}
        group = str(options.get("awslogs-group") or "")
        region = str(options.get("awslogs-region") or self.launch.region)
        prefix = options.get("awslogs-stream-prefix")
        stream = f"{prefix}/{container.get('name')}/{self.launch.task_id}" if prefix else self.launch.task_id
        if self._path(task_egress.LOGS, region) is None:
            raise _Failed(
                StartFailure(
                    "ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon "
                    "CloudWatch log group defined in the task definition. There is a connection issue between the "
                    "task and Amazon CloudWatch. Check your network configuration. : signal: killed",
                    cause=f"network:logs:{region}",
                )
            )
        prefix_message = "ResourceInitializationError: failed to validate logger args: "
        group_arn = f"arn:aws:logs:{region}:{self.launch.account_id}:log-group:{group}"
        stream_arn = f"{group_arn}:log-stream:{stream}"
        backend = logs_backends[self.launch.account_id][region]
        if group not in backend.groups:
            if str(options.get("awslogs-create-group", "")).lower() != "true":
                raise _Failed(
                    StartFailure(
                        prefix_message + "create stream has been retried 1 times: failed to create Cloudwatch log "
                        "stream: operation error CloudWatch Logs: CreateLogStream, https response error StatusCode: "
                        f"400, RequestID: {uuid.uuid4()}, ResourceNotFoundException: The specified log group does "
                        "not exist. : exit status 1",
                        cause=f"missing-log-group:{group}",
                    )
                )
            decision = self._authorize("logs:CreateLogGroup", f"{group_arn}:*")
            if not decision.allowed:
                raise _Failed(
                    StartFailure(
                        prefix_message + "failed to create Cloudwatch log group: operation error CloudWatch Logs: "
                        f"CreateLogGroup, https response error StatusCode: 400, RequestID: {uuid.uuid4()}, api error "
                        "AccessDeniedException: " + self._denied("logs:CreateLogGroup", f"{group_arn}:*", decision)
                        + " : exit status 1",
                        cause=f"denied:logs:CreateLogGroup:{group}",
                    )
                )
            backend.create_log_group(group, {})  # the driver creates it, as in AWS
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            decision = self._authorize(action, stream_arn)
            if not decision.allowed:
                call = action.split(":")[1]
                raise _Failed(
                    StartFailure(
                        prefix_message + "create stream has been retried 1 times: failed to create Cloudwatch log "
                        f"stream: operation error CloudWatch Logs: {call}, https response error StatusCode: 400, "
                        f"RequestID: {uuid.uuid4()}, api error AccessDeniedException: "
                        + self._denied(action, stream_arn, decision)
                        + " : exit status 1",
                        cause=f"denied:{action}:{group}",
                    )
                )


# --- lookups in moto's backends ---------------------------------------------------------------


@dataclass(frozen=True)
class _Image:
    uri: str
    host: str
    repository: str
    reference: str  # the tag, or the digest
    tag: str | None
    digest: str | None
    registry_id: str | None = None
    region: str | None = None

    @property
    def is_ecr(self) -> bool:
        return self.registry_id is not None

    @property
    def registry(self) -> tuple[str, str]:
        return (self.registry_id or "", self.region or "")


def _parse_image(uri: str) -> _Image:
    """`<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]`, or any other registry
    (Docker Hub when the first part names no host, as Docker resolves image names)."""
    match = ECR_IMAGE.match(uri)
    first = uri.split("/", 1)[0]
    if match:
        host, rest = first, match.group(3)
    elif "/" in uri and ("." in first or ":" in first or first == "localhost"):
        host, rest = first, uri.split("/", 1)[1]
    else:
        host, rest = "registry-1.docker.io", uri
    digest = tag = None
    if "@" in rest:
        repository, digest = rest.split("@", 1)
    elif ":" in rest.rsplit("/", 1)[-1]:
        repository, tag = rest.rsplit(":", 1)
    else:
        repository, tag = rest, "latest"
    if host == "registry-1.docker.io" and "/" not in repository:
        repository = f"library/{repository}"
    reference = digest or tag or "latest"
    if match:
        return _Image(uri, host, repository, reference, tag, digest, registry_id=match.group(1), region=match.group(2))
    return _Image(uri, host, repository, reference, tag, digest)


def _find_repository(image: _Image) -> Any:
    backend = (dict.get(ecr_backends, image.registry_id) or {}).get(image.region) if image.registry_id else None
    if backend is None:
        return None
    return backend.repositories.get(image.repository)


def _find_image(repository: Any, image: _Image) -> Any:
    if repository is None:
        return None
    for candidate in list(repository.images):
        if image.digest is not None:
            if candidate.get_image_digest() == image.digest:
                return candidate
        elif image.tag in (getattr(candidate, "image_tags", None) or [candidate.image_tag]):
            return candidate
    return None


def _find_secret(account_id: str, region: str, secret_id: str) -> Any:
    backend = (dict.get(secretsmanager_backends, account_id) or {}).get(region)
    if backend is None:
        return None
    secrets = list(backend.secrets.values())
    for secret in secrets:
        if secret.arn == secret_id:
            return secret
    name = secret_id.split(":secret:", 1)[-1] if secret_id.startswith("arn:") else secret_id
    for secret in secrets:
        if secret.name == name:
            return secret
    return None


def _secret_version(secret: Any, stage: str, version_id: str) -> tuple[str, dict[str, Any]] | None:
    versions = dict(secret.versions or {})
    if version_id:
        return (version_id, versions[version_id]) if version_id in versions else None
    wanted = stage or "AWSCURRENT"
    for identifier, version in versions.items():
        if wanted in (version.get("version_stages") or []):
            return identifier, version
    return None


def _find_key(account_id: str, region: str, key_id: str) -> Any:
    backend = (dict.get(kms_backends, account_id) or {}).get(region)
    if backend is None:
        return None
    try:
        raw = backend.any_id_to_key_id(key_id)
        return backend.keys.get(raw) if raw else None
    except Exception:
        return None


def _find_parameter(account_id: str, region: str, name: str) -> Any:
    backend = (dict.get(ssm_backends, account_id) or {}).get(region)
    if backend is None:
        return None
    try:
        versions = backend._parameters.get(name) or backend._parameters.get(name.lstrip("/"))
    except Exception:
        return None
    return versions[-1] if versions else None


def _default_document(policy: Any) -> Any:
    if policy is None:
        return None
    for version in getattr(policy, "versions", []) or []:
        if getattr(version, "is_default", False):
            return version.document
    return getattr(policy, "document", None)
