"""Accounts from the control API are isolated from each other (moto maps each access key to its account)."""

from __future__ import annotations

from conftest import Account, Emulator


def make_account(emulator: Emulator, **body: str) -> Account:
    created = emulator.post("/_ecsdeploy/accounts", body)
    return Account(emulator, created["account_id"], created["access_key_id"], created["secret_access_key"])


def test_two_accounts_do_not_see_each_other(emulator: Emulator) -> None:
    first, second = make_account(emulator), make_account(emulator)
    assert first.account_id != second.account_id
    first.client("ecs").create_cluster(clusterName="only-in-first")

    assert first.client("sts").get_caller_identity()["Account"] == first.account_id
    assert second.client("sts").get_caller_identity()["Account"] == second.account_id
    assert [arn.split("/")[-1] for arn in first.client("ecs").list_clusters()["clusterArns"]] == [
        "only-in-first"
    ]
    assert second.client("ecs").list_clusters()["clusterArns"] == []


def test_an_explicit_account_id_gets_a_working_key_each_time(emulator: Emulator) -> None:
    first = make_account(emulator, account_id="210987654321")
    again = make_account(emulator, account_id="210987654321")
    # IAM allows two keys per user: a third request must still work.
    third = make_account(emulator, account_id="210987654321")

    assert len({first.access_key_id, again.access_key_id, third.access_key_id}) == 3
    for account in (first, again, third):
        assert account.client("sts").get_caller_identity()["Account"] == "210987654321"


def test_a_bad_account_id_is_refused(emulator: Emulator) -> None:
    status, answer = emulator.request("POST", "/_ecsdeploy/accounts", {"account_id": "12345"})
    assert status == 400
    assert "12 digits" in answer["error"]
