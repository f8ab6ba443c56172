"""Fresh, isolated accounts: one per test.

moto keeps every account's resources apart. It maps a request to an account through the request's
access key: a key created by IAM CreateAccessKey in an account maps to that account; any unknown
key maps to the default account 123456789012. So an account with an IAM user and access key, whose
key a test hands to its client, isolates that test from every other.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import moto.iam.models as iam_models
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

from .locking import EXTENSION_LOCK

ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
# IAM allows two access keys per user, so each request gets its own user.
TEST_USER_PREFIX = "ecsdeploy-test-"


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
        key = iam.create_access_key(user_name)
    return AccountCredentials(account_id, key.access_key_id, key.secret_access_key)


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
