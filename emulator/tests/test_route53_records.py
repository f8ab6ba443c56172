"""Route53 ChangeResourceRecordSets as Route53 applies a change batch (see validation.route53)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Account

ZONE = "acme.example"
OWNER = '"heritage=ecsdeploy,ecsdeploy/owner=stage-auth,ecsdeploy/resource=\\"dns\\""'


@pytest.fixture
def zone(account: Account) -> tuple[Any, str]:
    route53 = account.client("route53")
    zone_id = route53.create_hosted_zone(Name=ZONE, CallerReference="zone")["HostedZone"]["Id"]
    return route53, zone_id


def change(route53: Any, zone_id: str, *changes: tuple[str, str, str, list[str]], ttl: int = 300) -> Any:
    return route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": action,
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": record_type,
                        "TTL": ttl,
                        "ResourceRecords": [{"Value": value} for value in values],
                    },
                }
                for action, name, record_type, values in changes
            ]
        },
    )


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response


def records(route53: Any, zone_id: str, record_type: str | None = None) -> list[dict[str, Any]]:
    found = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return [record for record in found if record_type is None or record["Type"] == record_type]


def test_txt_records_round_trip_with_their_quotes(zone: tuple[Any, str]) -> None:
    """Route53 Developer Guide, "Supported DNS record types", TXT: "A TXT record contains one or more
    strings that are enclosed in double quotation marks (")." and "To include a quotation mark (") in
    a string, precede the quotation mark with a backslash character (\\)." ListResourceRecordSets
    answers the value as it was given, quotes and escapes included (moto 5.2.5 already)."""
    route53, zone_id = zone
    two_strings = '"v=spf1 include:example.net" "~all"'
    change(route53, zone_id, ("CREATE", "_owner.api.acme.example", "TXT", [OWNER, two_strings]))
    [record] = records(route53, zone_id, "TXT")
    assert record["Name"] == "_owner.api.acme.example."
    assert [item["Value"] for item in record["ResourceRecords"]] == [OWNER, two_strings]


def test_create_of_an_existing_record_is_refused_and_upsert_replaces_it(zone: tuple[Any, str]) -> None:
    """API Reference, ChangeResourceRecordSets: "CREATE: Creates a resource record set that has the
    specified values." / "UPSERT: If a resource record set doesn't already exist, Route 53 creates
    it. If a resource record set does exist, Route 53 updates it with the values in the request."
    A CREATE of an existing name and type: InvalidChangeBatch "Tried to create resource record set
    [name='<name>', type='<type>'] but it already exists", whatever its values (moto 5.2.5 refused
    only an identical CREATE and otherwise added a second record set)."""
    route53, zone_id = zone
    change(route53, zone_id, ("CREATE", "_owner.api.acme.example", "TXT", [OWNER]))
    for values in ([OWNER], ['"someone-else"']):
        response = refused(change, route53, zone_id, ("CREATE", "_owner.api.acme.example", "TXT", values))
        assert response["Error"]["Code"] == "InvalidChangeBatch"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert response["Error"]["Message"] == (
            "Tried to create resource record set [name='_owner.api.acme.example.', type='TXT'] but it already exists"
        )
    assert [item["Value"] for item in records(route53, zone_id, "TXT")[0]["ResourceRecords"]] == [OWNER]
    change(route53, zone_id, ("UPSERT", "_owner.api.acme.example", "TXT", ['"replaced"']), ttl=60)
    [record] = records(route53, zone_id, "TXT")
    assert record["ResourceRecords"] == [{"Value": '"replaced"'}]
    assert record["TTL"] == 60
    change(route53, zone_id, ("CREATE", "_owner.api.acme.example", "A", ["10.0.0.1"]))  # another type


def test_names_compare_with_or_without_the_trailing_dot(zone: tuple[Any, str]) -> None:
    """Route53 Developer Guide, "DNS domain name format": "Route 53 treats www.example.com (without
    a trailing dot) and www.example.com. (with a trailing dot) as identical." """
    route53, zone_id = zone
    change(route53, zone_id, ("CREATE", "api.acme.example.", "A", ["10.0.0.1"]))
    response = refused(change, route53, zone_id, ("CREATE", "api.acme.example", "A", ["10.0.0.2"]))
    assert response["Error"]["Code"] == "InvalidChangeBatch"


def test_delete_needs_the_record_exactly_as_it_is(zone: tuple[Any, str]) -> None:
    """ChangeResourceRecordSets: "DELETE: Deletes an existing resource record set that has the
    specified values." A missing record: "Tried to delete resource record set [name='<name>',
    type='<type>'] but it was not found"; other values or TTL: "... but the values provided do not
    match the current values" (both InvalidChangeBatch; moto 5.2.5 answered InvalidInput)."""
    route53, zone_id = zone
    change(route53, zone_id, ("CREATE", "api.acme.example", "A", ["10.0.0.1", "10.0.0.2"]))
    response = refused(change, route53, zone_id, ("DELETE", "other.acme.example", "A", ["10.0.0.1"]))
    assert response["Error"]["Code"] == "InvalidChangeBatch"
    assert response["Error"]["Message"] == (
        "Tried to delete resource record set [name='other.acme.example.', type='A'] but it was not found"
    )
    for values, ttl in ((["10.0.0.1"], 300), (["10.0.0.1", "10.0.0.2"], 60)):
        response = refused(change, route53, zone_id, ("DELETE", "api.acme.example", "A", values), ttl=ttl)
        assert response["Error"]["Code"] == "InvalidChangeBatch"
        assert response["Error"]["Message"] == (
            "Tried to delete resource record set [name='api.acme.example.', type='A'] "
            "but the values provided do not match the current values"
        )
    assert records(route53, zone_id, "A")
    change(route53, zone_id, ("DELETE", "api.acme.example", "A", ["10.0.0.1", "10.0.0.2"]))
    assert records(route53, zone_id, "A") == []


def test_a_batch_is_all_or_nothing(zone: tuple[Any, str]) -> None:
    """ChangeResourceRecordSets: "Change batches are considered transactional changes. Route 53
    validates the changes in the request and then either makes all or none of the changes in the
    change batch request." Each change sees the earlier ones: a DELETE then a CREATE of the same
    record is a replacement."""
    route53, zone_id = zone
    change(route53, zone_id, ("CREATE", "api.acme.example", "A", ["10.0.0.1"]))
    response = refused(
        change,
        route53,
        zone_id,
        ("CREATE", "new.acme.example", "A", ["10.0.0.9"]),
        ("CREATE", "api.acme.example", "A", ["10.0.0.2"]),
    )
    assert response["Error"]["Code"] == "InvalidChangeBatch"
    assert [record["Name"] for record in records(route53, zone_id, "A")] == ["api.acme.example."]
    change(
        route53,
        zone_id,
        ("DELETE", "api.acme.example", "A", ["10.0.0.1"]),
        ("CREATE", "api.acme.example", "A", ["10.0.0.2"]),
    )
    assert records(route53, zone_id, "A")[0]["ResourceRecords"] == [{"Value": "10.0.0.2"}]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("heritage=ecsdeploy", "InvalidCharacterString (Value should be enclosed in quotation marks)"),
        ('"unterminated', "InvalidCharacterString (Value should be enclosed in quotation marks)"),
        ('"a" b', "InvalidCharacterString (Value should be enclosed in quotation marks)"),
        ('"' + "x" * 256 + '"', "CharacterStringTooLong (Value is too long)"),
    ],
)
def test_txt_values_must_be_quoted_strings_of_at_most_255_characters(
    zone: tuple[Any, str], value: str, problem: str
) -> None:
    """Route53 Developer Guide, "Supported DNS record types", TXT: strings "enclosed in double
    quotation marks" of up to 255 characters each. AWS refuses others with InvalidChangeBatch
    "Invalid Resource Record: FATAL problem: <problem> encountered with '<value>'" (as the AWS CLI,
    external-dns and Ansible record it; moto 5.2.5 accepted any value)."""
    route53, zone_id = zone
    response = refused(change, route53, zone_id, ("CREATE", "_owner.acme.example", "TXT", [value]))
    assert response["Error"]["Code"] == "InvalidChangeBatch"
    assert response["Error"]["Message"] == f"Invalid Resource Record: FATAL problem: {problem} encountered with '{value}'"
    assert records(route53, zone_id, "TXT") == []
    change(route53, zone_id, ("CREATE", "_owner.acme.example", "TXT", ['"' + "x" * 255 + '" "' + "y" * 255 + '"']))
