"""Values between rpcv2Cbor and awsJson 1.0, driven by the service's botocore model.

moto answers CloudWatch in awsJson 1.0 (what boto3 speaks to it). Both protocols carry the same
members under the same names; they differ in how a value is typed on the wire:

| Smithy type        | awsJson 1.0                          | rpcv2Cbor                                  |
|--------------------|--------------------------------------|--------------------------------------------|
| timestamp          | number, epoch seconds                | tag 1 over epoch seconds (ms resolution)   |
| blob               | base64 string                        | byte string                                |
| double, float      | number (`80` and `80.0` alike)       | float (the Rust SDK refuses an integer)     |
| integer, long, ... | number                               | integer (the Rust SDK refuses a float)      |
| null               | null                                 | left out                                   |

A request needs no model (CBOR carries its own types); a response does, so every output value is
typed by the operation's output shape. Members the shape does not know are left out.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import functools
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from botocore.utils import parse_timestamp
from cbor2 import CBORTag, undefined

EPOCH_TAG = 1


@functools.cache
def service_model(service_name: str) -> ServiceModel:
    """The botocore model moto itself serves (same installed botocore)."""
    return botocore.session.Session().get_service_model(service_name)


def operation_model(service_name: str, operation: str) -> OperationModel | None:
    model = service_model(service_name)
    if operation not in model.operation_names:
        return None
    return model.operation_model(operation)


def input_to_json(value: Any) -> Any:
    """A decoded CBOR input value as the awsJson value moto's JSON parser reads."""
    if isinstance(value, dict):
        return {str(key): input_to_json(item) for key, item in value.items() if not _is_null(item)}
    if isinstance(value, list):
        return [None if _is_null(item) else input_to_json(item) for item in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.timestamp()
    if isinstance(value, CBORTag) and value.tag == EPOCH_TAG:
        return value.value
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def output_to_cbor(shape: Shape | None, value: Any) -> Any:
    """An awsJson output value typed for rpcv2Cbor by its shape."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return {
            name: output_to_cbor(shape.members[name], item)
            for name, item in value.items()
            if name in shape.members and item is not None
        }
    if kind == "list":
        return [output_to_cbor(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if kind == "map":
        value_shape = shape.value  # type: ignore[attr-defined]
        return {key: output_to_cbor(value_shape, item) for key, item in value.items()}
    if kind == "timestamp":
        return CBORTag(EPOCH_TAG, _epoch_seconds(value))
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long", "short", "byte"):
        return int(value)
    if kind == "boolean":
        return bool(value)
    if kind == "blob":
        return base64.b64decode(value) if isinstance(value, str) else value
    return value


def error_shape(service_name: str, operation: str, code: str) -> Shape | None:
    """The modelled error whose awsQuery code (else shape name) is `code`.

    Codes are not unique (CloudWatch's `ResourceNotFound` and `DashboardNotFoundError` share the
    code `ResourceNotFound`), so the operation's own errors are searched first.
    """
    model = service_model(service_name)
    own = model.operation_model(operation).error_shapes if operation in model.operation_names else []
    for shapes in (own, model.error_shapes):
        by_code = [shape for shape in shapes if shape.error_code == code]
        by_name = [shape for shape in shapes if shape.name == code]
        if by_code or by_name:
            return (by_code or by_name)[0]
    return None


def _epoch_seconds(value: Any) -> int | float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = parse_timestamp(value).timestamp()
    elif isinstance(value, datetime.datetime):
        value = value.timestamp()
    seconds = round(float(value), 3)
    return int(seconds) if seconds.is_integer() else seconds


def _is_null(value: Any) -> bool:
    return value is None or value is undefined
