"""Fresh, isolated accounts: one per test.

moto keeps every account's resources apart. It maps a request to an account through the request's
access key: a key created by IAM CreateAccessKey in an account maps to that account; any unknown
key maps to the default account 123456789012. So an account with an IAM user and access key, whose
key a test hands to its client, isolates that test from every other.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

import moto.iam.models as iam_models
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

from . import iam_enforcement
from .locking import EXTENSION_LOCK

ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
# IAM allows two access keys per user, so each request gets its own user.
TEST_USER_PREFIX = "ecsdeploy-test-"
ADMIN_USER = "ecsdeploy-admin"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
USER_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")
MANAGED_POLICY_LIMIT = 6144  # characters, white space not counted (IAM and AWS STS quotas)


class AccountError(ValueError):
    """A control-API account request that cannot be honoured."""


@dataclass(frozen=True)
class AccountCredentials:
    account_id: str
    access_key_id: str
    secret_access_key: str

    def to_json(self) -> dict[str, str]:
        return {
            "account_id": self.account_id,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }


def create_account(account_id: str | None = None) -> AccountCredentials:
    """An IAM user with an access key in `account_id`, or in a fresh random account."""
    if account_id is None:
        account_id = _reserve_fresh_account_id()
    elif not isinstance(account_id, str) or not ACCOUNT_ID_PATTERN.match(account_id):
        raise AccountError("account_id must be a string of 12 digits")
    # Creating an account's IAM backend loads the managed policies (~0.2 s): outside the lock.
    iam = iam_backends[account_id]["aws"]
    with EXTENSION_LOCK:
        number = len(iam.users) + 1
        while f"{TEST_USER_PREFIX}{number}" in iam.users:
            number += 1
        user_name = f"{TEST_USER_PREFIX}{number}"
        iam.create_user(region_name="us-east-1", user_name=user_name)
        if iam_enforcement.enabled():
            # The account's own user can do anything (harness setup, the world, image pushes);
            # a least-privilege principal is `create_principal`'s.
            iam.attach_user_policy(ADMINISTRATOR_ACCESS, user_name)
        key = iam.create_access_key(user_name)
    return AccountCredentials(account_id, key.access_key_id, key.secret_access_key)


@dataclass(frozen=True)
class PrincipalCredentials:
    account_id: str
    user_name: str
    user_arn: str
    policy_arn: str
    access_key_id: str
    secret_access_key: str

    def to_json(self) -> dict[str, str]:
        return {
            "account_id": self.account_id,
            "user_name": self.user_name,
            "user_arn": self.user_arn,
            "policy_arn": self.policy_arn,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }


def create_principal(account_id: str, name: Any, policy: Any) -> PrincipalCredentials:
    """An IAM user `name` in `account_id` whose only permissions are `policy`, with an access key.

    The policy becomes a customer managed policy `<name>-policy` attached to the user (how an
    operator grants ecsdeploy's printed policy: it is sized for a managed policy, 6,144 characters,
    while a user's inline policies may hold only 2,048). AccountError names every problem."""
    problems = []
    if not isinstance(name, str) or not USER_NAME_PATTERN.match(name):
        problems.append("name must be 1-64 characters of letters, digits and +=,.@_- (IAM user name)")
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            problems.append("policy must be an IAM policy document (a JSON object)")
    if not isinstance(policy, dict):
        problems.append("policy must be an IAM policy document (a JSON object)")
        document = ""
    else:
        document = json.dumps(policy)
        size = sum(1 for character in document if not character.isspace())
        if size > MANAGED_POLICY_LIMIT:
            problems.append(
                f"policy has {size} characters without white space; a managed policy may have at most "
                f"{MANAGED_POLICY_LIMIT} (IAM and AWS STS quotas)"
            )
    if problems:
        raise AccountError("; ".join(problems))
    iam = iam_backends[account_id]["aws"]
    with EXTENSION_LOCK:
        if name in iam.users:
            raise AccountError(f"user {name} already exists in account {account_id}")
        try:
            managed = iam.create_policy(
                description=f"ecsdeploy test principal {name}",
                path="/",
                policy_document=document,
                policy_name=f"{name}-policy",
                tags=[],
            )
        except Exception as error:  # moto's MalformedPolicyDocument and the like
            raise AccountError(f"policy is not a valid IAM policy document: {getattr(error, 'message', error)}") from error
        user = iam.create_user(region_name="us-east-1", user_name=name)
        iam.attach_user_policy(managed.arn, name)
        key = iam.create_access_key(name)
    return PrincipalCredentials(account_id, name, user.arn, managed.arn, key.access_key_id, key.secret_access_key)


_ADMIN_KEYS: dict[str, AccountCredentials] = {}


def admin_credentials(account_id: str) -> AccountCredentials:
    """An administrator's key in `account_id` (user `ecsdeploy-admin`, created on first use): the
    control API's own AWS calls (the standard world) are authorized with it in enforcing mode."""
    iam = iam_backends[account_id]["aws"]
    with EXTENSION_LOCK:
        known = _ADMIN_KEYS.get(account_id)
        if known is not None and known.access_key_id in iam.access_keys:
            return known
        if ADMIN_USER not in iam.users:
            iam.create_user(region_name="us-east-1", user_name=ADMIN_USER)
            iam.attach_user_policy(ADMINISTRATOR_ACCESS, ADMIN_USER)
        for old in list(iam.list_access_keys(ADMIN_USER)):
            iam.delete_access_key(old.access_key_id, ADMIN_USER)
        key = iam.create_access_key(ADMIN_USER)
        _ADMIN_KEYS[account_id] = AccountCredentials(account_id, key.access_key_id, key.secret_access_key)
        return _ADMIN_KEYS[account_id]


def install_fast_key_lookup() -> None:
    """Resolves a request's access key to its account without creating IAM backends.

    moto 5.2.5's `get_account_id_from` scans every account's IAM backend in every partition
    (aws, aws-cn, aws-us-gov, ...) and so creates the ones that do not exist yet; with
    MOTO_IAM_LOAD_MANAGED_POLICIES each creation loads ~1,600 managed policies (~0.2 s), about a
    second for each new account's first request. A key can only be in a backend that exists, so
    scanning the existing ones gives the same answer.
    """

    def get_account_id_from(access_key: str) -> str:
        for account_id, account in list(dict.items(iam_backends)):
            for backend in list(dict.values(account)):
                if access_key in backend.access_keys:
                    return account_id
        return DEFAULT_ACCOUNT_ID

    iam_models.get_account_id_from = get_account_id_from


_RESERVED_ACCOUNT_IDS: set[str] = set()


def _reserve_fresh_account_id() -> str:
    with EXTENSION_LOCK:
        taken = set(dict.keys(iam_backends)) | _RESERVED_ACCOUNT_IDS | {DEFAULT_ACCOUNT_ID}
        while True:
            candidate = f"{random.randint(10**11, 10**12 - 1)}"
            if candidate not in taken:
                _RESERVED_ACCOUNT_IDS.add(candidate)
                return candidate
