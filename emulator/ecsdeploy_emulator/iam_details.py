"""IAM GetAccountAuthorizationDetails as the IAM API Reference describes it (moto 5.2.5 differs).

IAM API Reference, GetAccountAuthorizationDetails:

- `Filter`: "Each string value in the list must be one of the valid values listed below" (User,
  Role, Group, LocalManagedPolicy, AWSManagedPolicy); another value is the constraint error
  (ValidationError, 400). No filter: every kind. moto accepted any value.
- `MaxItems` (1-1000): "If you do not include this parameter, the number of items defaults to
  100."; "If additional items exist beyond the maximum you specify, the IsTruncated response
  element is true" and `Marker` "When IsTruncated is true, this element is present and contains
  the value to use for the Marker parameter in a subsequent pagination request." moto answered
  everything at once (1,500+ AWS managed policies without a filter) with IsTruncated false and
  ignored MaxItems and Marker. Here the users, groups, roles and managed policies (in that order,
  each by name) are one sequence cut into pages of MaxItems entities. A marker that is not one this
  operation issued is ValidationError "Invalid Marker." (the code and message IAM's list operations
  answer for a bad marker; the API reference does not document it). Out-of-range MaxItems is the
  constraint error.
- "Policies returned by this operation are URL-encoded compliant with RFC 3986": every
  `AssumeRolePolicyDocument` (each RoleDetail's and each instance profile role's) is URL-encoded
  as GetRole encodes it; moto answered the trust policy as plain JSON here (and URL-encoded in
  GetRole), so a client that decodes, as it must, got a different document. RolePolicyList and the
  managed policies' PolicyVersionList documents were already encoded.
- ManagedPolicyDetail: PolicyName, PolicyId and PermissionsBoundaryUsageCount (roles and users
  with the policy as their boundary) as the data type lists them (moto left them out).
- RoleDetail members (the API reference's `RoleDetail`): Path, RoleName, RoleId, Arn, CreateDate,
  AssumeRolePolicyDocument, InstanceProfileList, RolePolicyList (PolicyName, PolicyDocument),
  AttachedManagedPolicies, PermissionsBoundary (only when the role has one), Tags, RoleLastUsed;
  the same values GetRole, GetRolePolicy, ListAttachedRolePolicies and ListRoleTags answer.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.core.serialize import url_encode
from moto.iam.exceptions import ValidationError
from moto.iam.responses import IamResponse

ENTITY_TYPES = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
DEFAULT_MAX_ITEMS = 100
MIN_MAX_ITEMS, MAX_MAX_ITEMS = 1, 1000
MAX_MARKER_LENGTH = 320
MARKER_MARK = "ecsdeploy-gaad:1:"
USERS, GROUPS, ROLES, POLICIES = 0, 1, 2, 3
LIST_OF_SECTION = {USERS: "UserDetailList", GROUPS: "GroupDetailList", ROLES: "RoleDetailList", POLICIES: "Policies"}


def _constraint(value: Any, where: str, rule: str) -> ValidationError:
    return ValidationError(f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: Member must {rule}")


def _check(filters: Any, max_items: Any, marker: Any) -> None:
    if filters and any(item not in ENTITY_TYPES for item in filters):
        raise _constraint(
            "[" + ", ".join(str(item) for item in filters) + "]",
            "filter",
            "satisfy constraint: [Member must satisfy enum value set: [LocalManagedPolicy, Role, Group, User, AWSManagedPolicy]]",
        )
    if max_items is not None:
        if max_items < MIN_MAX_ITEMS:
            raise _constraint(max_items, "maxItems", f"have value greater than or equal to {MIN_MAX_ITEMS}")
        if max_items > MAX_MAX_ITEMS:
            raise _constraint(max_items, "maxItems", f"have value less than or equal to {MAX_MAX_ITEMS}")
    if marker is not None and not 1 <= len(marker) <= MAX_MARKER_LENGTH:
        raise _constraint(marker, "marker", f"have length between 1 and {MAX_MARKER_LENGTH}")


def encode_marker(section: int, key: str) -> str:
    return base64.urlsafe_b64encode((MARKER_MARK + json.dumps([section, key])).encode()).decode("ascii")


def decode_marker(marker: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(marker.encode("ascii")).decode()
        if raw.startswith(MARKER_MARK):
            section, key = json.loads(raw[len(MARKER_MARK) :])
            if section in LIST_OF_SECTION and isinstance(key, str):
                return int(section), key
    except (binascii.Error, UnicodeError, ValueError, TypeError):
        pass
    raise ValidationError("Invalid Marker.")


def _role_document(role: Any) -> str:
    return url_encode(role.assume_role_policy_document)


def _role(role: Any) -> dict[str, Any]:
    """A role as the `Role` shape (inside an instance profile)."""
    found: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": role.arn,
        "CreateDate": role.create_date,
        "AssumeRolePolicyDocument": _role_document(role),
    }
    if role.max_session_duration:
        found["MaxSessionDuration"] = role.max_session_duration
    return found


def _instance_profile(profile: Any) -> dict[str, Any]:
    return {
        "Path": profile.path,
        "InstanceProfileName": profile.name,
        "InstanceProfileId": profile.id,
        "Arn": profile.arn,
        "CreateDate": profile.create_date,
        "Roles": [_role(role) for role in profile.roles],
        "Tags": list(profile.tags or []),
    }


def role_detail(backend: Any, role: Any) -> dict[str, Any]:
    """The `RoleDetail` of a role, with the documents URL-encoded as IAM sends them."""
    detail: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": role.arn,
        "CreateDate": role.create_date,
        "AssumeRolePolicyDocument": _role_document(role),
        "InstanceProfileList": [
            _instance_profile(profile) for profile in list(backend.instance_profiles.values()) if role in profile.roles
        ],
        "RolePolicyList": [
            {"PolicyName": name, "PolicyDocument": url_encode(document)} for name, document in role.policies.items()
        ],
        "AttachedManagedPolicies": role.attached_managed_policies,
        "Tags": list(role.tags or []),
        "RoleLastUsed": (
            {"LastUsedDate": role.last_used, "Region": role.last_used_region} if role.last_used is not None else {}
        ),
    }
    if role.permissions_boundary_arn:
        detail["PermissionsBoundary"] = role.permissions_boundary
    return detail


def policy_detail(policy: Any, boundary_uses: int = 0) -> dict[str, Any]:
    """The `ManagedPolicyDetail` of a managed policy (moto left out PolicyName and PolicyId)."""
    detail: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": policy.attachment_count,
        "PermissionsBoundaryUsageCount": boundary_uses,
        "IsAttachable": policy.is_attachable,
        "CreateDate": policy.create_date,
        "UpdateDate": policy.update_date,
        "PolicyVersionList": policy.policy_version_list,
    }
    if policy.description:
        detail["Description"] = policy.description
    return detail


def _entities(backend: Any, filters: list[str]) -> list[tuple[int, str, Callable[[], Any]]]:
    """(section, sort key, the entry) of every entity the filter asks for, in answer order."""
    wanted = set(filters) if filters else set(ENTITY_TYPES)
    entries: list[tuple[int, str, Callable[[], Any]]] = []
    if "User" in wanted:
        entries += [(USERS, user.name, lambda user=user: user) for user in list(backend.users.values())]
    if "Group" in wanted:
        entries += [(GROUPS, group.name, lambda group=group: group) for group in list(backend.groups.values())]
    if "Role" in wanted:
        entries += [(ROLES, role.name, lambda role=role: role_detail(backend, role)) for role in list(backend.roles.values())]
    aws_managed = {policy.arn for policy in backend.aws_managed_policies}
    boundaries: dict[str, int] = {}
    for holder in [*list(backend.roles.values()), *list(backend.users.values())]:
        boundary = getattr(holder, "permissions_boundary_arn", None)
        if boundary:
            boundaries[boundary] = boundaries.get(boundary, 0) + 1
    for policy in list(backend.managed_policies.values()):
        kind = "AWSManagedPolicy" if policy.arn in aws_managed else "LocalManagedPolicy"
        if kind in wanted:
            entries.append((POLICIES, policy.arn, lambda policy=policy: policy_detail(policy, boundaries.get(policy.arn, 0))))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return entries


def get_account_authorization_details(original: Any, response: IamResponse) -> ActionResult:
    """GetAccountAuthorizationDetails: checked Filter, pages of MaxItems, encoded documents."""
    filters = response._get_param("Filter") or []
    max_items = response._get_param("MaxItems")
    marker = response._get_param("Marker")
    _check(filters, max_items, marker)
    entries = _entities(response.backend, list(filters))
    if marker is not None:
        after = decode_marker(marker)
        entries = [entry for entry in entries if (entry[0], entry[1]) > after]
    limit = DEFAULT_MAX_ITEMS if max_items is None else max_items
    page, rest = entries[:limit], entries[limit:]
    result: dict[str, Any] = {name: [] for name in LIST_OF_SECTION.values()}
    for section, _key, entry in page:
        result[LIST_OF_SECTION[section]].append(entry())
    result["IsTruncated"] = bool(rest)
    if rest:
        result["Marker"] = encode_marker(page[-1][0], page[-1][1])
    return ActionResult(result)


WRAPS = [(IamResponse, "get_account_authorization_details", get_account_authorization_details)]
