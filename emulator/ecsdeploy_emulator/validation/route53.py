"""Route53 ChangeResourceRecordSets: a batch is checked change by change against the zone as the
earlier changes of the batch leave it, and refused whole (InvalidChangeBatch, 400) before anything
changes.

API Reference, ChangeResourceRecordSets: "CREATE: Creates a resource record set that has the
specified values." / "DELETE: Deletes an existing resource record set that has the specified
values." / "UPSERT: If a resource record set doesn't already exist, Route 53 creates it. If a
resource record set does exist, Route 53 updates it with the values in the request."; "The request
body must include a document with a ChangeResourceRecordSetsRequest element. ... Change batches are
considered transactional changes. Route 53 validates the changes in the request and then either
makes all or none of the changes in the change batch request." Route53 Developer Guide, "Supported
DNS record types", TXT record type: "A TXT record contains one or more strings that are enclosed in
double quotation marks ("). ... Each string can be up to 255 characters ... To include a quotation
mark (") in a string, precede the quotation mark with a backslash character (\\)."

| change | refused when | message (AWS's, as clients record it) |
|---|---|---|
| CREATE | a record set with the name, type (and set identifier) exists | `Tried to create resource record set [name='<name>', type='<type>'] but it already exists` |
| DELETE | none exists | `Tried to delete resource record set [name='<name>', type='<type>'] but it was not found` |
| DELETE | its TTL, values (any order), alias target or routing fields differ | `Tried to delete resource record set [name='<name>', type='<type>'] but the values provided do not match the current values` |
| TXT/SPF value | not one or more quoted strings | `Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '<value>'` |
| TXT/SPF value | a string over 255 characters (escapes count as one) | `Invalid Resource Record: FATAL problem: CharacterStringTooLong (Value is too long) encountered with '<value>'` |

moto 5.2.5 refused a CREATE only when an identical CREATE had been made before (a CREATE of an
existing name and type with other values succeeded and left two record sets), answered a DELETE of
a missing record, or one whose values differ, with `InvalidInput` "Invalid request: Expected exactly
one of [AliasTarget, all of [TTL, and ResourceRecords], ...]", and accepted any TXT value. Values
are kept byte for byte (a TXT value with its quotes and escapes round-trips through
ListResourceRecordSets, as in AWS); only the first problem of a batch is reported.
"""

from __future__ import annotations

import re
from typing import Any

from moto.route53.exceptions import Route53ClientError
from moto.route53.models import Route53Backend

from .common import Wrap, before

QUOTED_TYPES = ("TXT", "SPF")
MAX_STRING = 255
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(\d{3}|.)")
ROUTING = ("Weight", "Region", "Failover", "HealthCheckId", "GeoLocation", "MultiValueAnswer", "CidrRoutingConfig")


class ChangeBatchRefused(Route53ClientError):
    """InvalidChangeBatch with the message of the case (moto's class has one fixed message)."""

    def __init__(self, message: str) -> None:
        super().__init__("InvalidChangeBatch", message)


def fqdn(name: str) -> str:
    """A record name as Route53 compares them: lower case, a trailing dot, `\\052` as `*`."""
    name = name.replace("\\052", "*").lower()
    return name if name.endswith(".") else name + "."


def _values(record: dict[str, Any]) -> list[str]:
    return [item["Value"] if isinstance(item, dict) else item for item in record.get("ResourceRecords") or []]


def txt_problem(value: str) -> str | None:
    """Why Route53 refuses a TXT/SPF value, or None."""
    rest = value.strip()
    strings = []
    while rest:
        match = _STRING.match(rest)
        if match is None:
            return f"Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '{value}'"
        strings.append(match.group(1))
        rest = rest[match.end() :].lstrip()
    if not strings:
        return f"Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '{value}'"
    if any(len(_ESCAPE.sub("x", text)) > MAX_STRING for text in strings):
        return f"Invalid Resource Record: FATAL problem: CharacterStringTooLong (Value is too long) encountered with '{value}'"
    return None


def _existing(zone: Any) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    records = {}
    for record_set in list(zone.rrsets):
        record = {
            "Name": record_set.name,
            "Type": record_set.type,
            "TTL": record_set.ttl,
            "ResourceRecords": list(record_set.records or []),
            "AliasTarget": record_set.alias_target,
            "SetIdentifier": record_set.set_identifier,
            "Weight": record_set.weight,
            "Region": record_set.region,
            "Failover": record_set.failover,
            "HealthCheckId": record_set.health_check_id,
            "GeoLocation": record_set.geo_location,
            "MultiValueAnswer": record_set.multi_value_answer,
        }
        records[_key(record)] = record
    return records


def _key(record: dict[str, Any]) -> tuple[str, str, str | None]:
    return fqdn(str(record.get("Name", ""))), str(record.get("Type", "")), record.get("SetIdentifier")


def _alias(alias: Any) -> Any:
    if not alias:
        return None
    return (
        fqdn(str(alias.get("DNSName", ""))),
        alias.get("HostedZoneId"),
        str(alias.get("EvaluateTargetHealth", False)).lower(),
    )


def _same(given: dict[str, Any], current: dict[str, Any]) -> bool:
    def text(value: Any) -> str | None:
        return None if value in (None, "") else str(value).lower()

    if text(given.get("TTL")) != text(current.get("TTL")):
        return False
    if sorted(_values(given)) != sorted(_values(current)):
        return False
    if _alias(given.get("AliasTarget")) != _alias(current.get("AliasTarget")):
        return False
    return all(text(given.get(field)) == text(current.get(field)) for field in ROUTING)


def _change_resource_record_sets(backend: Route53Backend, arguments: dict[str, Any]) -> None:
    """ChangeResourceRecordSets: CREATE of an existing record, DELETE of a missing or different one,
    badly quoted TXT values: the whole batch is refused."""
    zone = backend.get_hosted_zone(arguments["zoneid"])  # NoSuchHostedZone as moto answers it
    records = _existing(zone)
    for change in arguments.get("change_list") or []:
        record = change.get("ResourceRecordSet") or {}
        action = change.get("Action")
        key = _key(record)
        label = f"[name='{key[0]}', type='{key[1]}']"
        if action in ("CREATE", "UPSERT") and key[1] in QUOTED_TYPES:
            for value in _values(record):
                problem = txt_problem(str(value))
                if problem:
                    raise ChangeBatchRefused(problem)
        if action == "CREATE":
            if key in records:
                raise ChangeBatchRefused(f"Tried to create resource record set {label} but it already exists")
            records[key] = record
        elif action == "UPSERT":
            records[key] = record
        elif action == "DELETE":
            current = records.get(key)
            if current is None:
                raise ChangeBatchRefused(f"Tried to delete resource record set {label} but it was not found")
            if not _same(record, current):
                raise ChangeBatchRefused(
                    f"Tried to delete resource record set {label} but the values provided do not match the current values"
                )
            del records[key]


WRAPS: list[Wrap] = [(Route53Backend, "change_resource_record_sets", before(_change_resource_record_sets))]
