"""Request shapes from botocore's service models: wire decoding and constraint checks.

botocore's models are the authority for member names, types, enums and limits, so the
generic rules (required members, lengths, ranges, enums, patterns) live here once and
every operation gets AWS's ``ValidationException`` wording for free. Rules the model
does not carry (PendingWindowInDays 7-30 and the like) stay in the operations.

Patterns are matched against the whole value with ASCII classes, as AWS's Java services
do (a policy with one character outside its Latin-1 pattern fails, though the rest fits).
Deviation from AWS: strings holding U+0000 or an unpaired surrogate (both legal in JSON
text) are refused as a ``SerializationException``, because no database we run on can
store or even compare them, and an answer must never be a server error.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.loaders import Loader

from .errors import SerializationException, ValidationError, ValidationException

Shape = dict[str, Any]


@functools.cache
def service_model(service: str) -> dict[str, Any]:
    return Loader().load_service_model(service, "service-2")


def uses_query_protocol(service: str) -> bool:
    """IAM and STS speak the Query protocol, whose services name a constraint violation
    ``ValidationError`` (same message grammar) where JSON services say ``ValidationException``."""
    return bool(service_model(service)["metadata"]["protocol"] == "query")


def operation_names(service: str) -> frozenset[str]:
    return frozenset(service_model(service)["operations"])


def input_shape_name(service: str, operation: str) -> str | None:
    spec = service_model(service)["operations"][operation]
    return spec.get("input", {}).get("shape")


def _shape(service: str, name: str) -> Shape:
    return service_model(service)["shapes"][name]


def _wire_name(member: str) -> str:
    """AWS names members lowerCamel in validation messages (``KeyId`` -> ``keyId``)."""
    return member[:1].lower() + member[1:]


# ---------------------------------------------------------------- wire decoding


def decode_json_input(service: str, operation: str, payload: Any) -> dict[str, Any]:
    """Turn a parsed JSON 1.1 body into Python values: blobs to bytes, timestamps to
    datetimes. A value of the wrong JSON type is a ``SerializationException``, as AWS's
    JSON services answer; unknown members are dropped, as AWS ignores them."""
    if not isinstance(payload, dict):
        raise SerializationException("Start of list found where not expected" if isinstance(payload, list) else "")
    shape_name = input_shape_name(service, operation)
    if shape_name is None:
        return {}
    return _decode_structure(service, _shape(service, shape_name), payload)


def _decode_structure(service: str, shape: Shape, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SerializationException(_type_message(value, "structure"))
    decoded: dict[str, Any] = {}
    for member, spec in shape.get("members", {}).items():
        if member in value and value[member] is not None:
            decoded[member] = _decode(service, _shape(service, spec["shape"]), value[member])
    return decoded


def _decode(service: str, shape: Shape, value: Any) -> Any:
    kind = shape["type"]
    if kind == "structure":
        return _decode_structure(service, shape, value)
    if kind == "list":
        if not isinstance(value, list):
            raise SerializationException(_type_message(value, "list"))
        item_shape = _shape(service, shape["member"]["shape"])
        return [_decode(service, item_shape, item) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            raise SerializationException(_type_message(value, "map"))
        value_shape = _shape(service, shape["value"]["shape"])
        return {_storable(str(k)): _decode(service, value_shape, v) for k, v in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise SerializationException(_type_message(value, "String"))
        return _storable(value)
    if kind in ("integer", "long"):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not value.is_integer())
        ):
            raise SerializationException(_type_message(value, "Integer"))
        return int(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise SerializationException(_type_message(value, "Boolean"))
        return value
    if kind == "blob":
        if not isinstance(value, str):
            raise SerializationException(_type_message(value, "Blob"))
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise SerializationException("Could not decode the base64 value of a blob member.") from None
    if kind == "timestamp":
        return _decode_timestamp(value)
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SerializationException(_type_message(value, "Double"))
        return float(value)
    return value


def _storable(text: str) -> str:
    """``text``, if it is Unicode that UTF-8 databases can hold (see the module docstring)."""
    if "\x00" in text or not (text.isascii() or _encodes_as_utf8(text)):
        raise SerializationException("Strings must be valid Unicode without U+0000 characters.")
    return text


def _encodes_as_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate
        return False
    return True


def _decode_timestamp(value: Any) -> datetime:
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise ValueError
            return datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        pass
    raise SerializationException(f"Could not read {value!r} as a timestamp.")


def _type_message(value: Any, expected: str) -> str:
    if isinstance(value, dict):
        return "Start of structure or map found where not expected."
    if isinstance(value, list):
        return "Start of list found where not expected"
    found = {bool: "BOOLEAN_VALUE", str: "STRING_VALUE", int: "NUMBER_VALUE", float: "NUMBER_VALUE"}.get(
        type(value), "VALUE"
    )
    return f"{found} can not be converted to {'an' if expected[0] in 'AEIOU' else 'a'} {expected}"


# ---------------------------------------------------------------- constraints


def validate_input(service: str, operation: str, params: dict[str, Any]) -> None:
    """Check ``params`` (Python values, blobs as bytes) against the model's constraints.

    Raises one ``ValidationException`` listing every violation in AWS's grammar.
    """
    shape_name = input_shape_name(service, operation)
    if shape_name is None:
        return
    problems = list(_check_structure(service, _shape(service, shape_name), params, path=""))
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        error = ValidationError if uses_query_protocol(service) else ValidationException
        raise error(f"{count} validation {noun} detected: " + "; ".join(problems))


def _check_structure(service: str, shape: Shape, value: dict[str, Any], path: str) -> Iterator[str]:
    for member in shape.get("required", []):
        if value.get(member) is None:
            yield (f"Value null at '{path}{_wire_name(member)}' failed to satisfy constraint: Member must not be null")
    for member, spec in shape.get("members", {}).items():
        if value.get(member) is None:
            continue
        member_shape = _shape(service, spec["shape"])
        yield from _check(service, member_shape, value[member], f"{path}{_wire_name(member)}")


def _check(service: str, shape: Shape, value: Any, path: str) -> Iterator[str]:
    kind = shape["type"]
    sensitive = bool(shape.get("sensitive")) or kind == "blob"
    shown = "" if sensitive else f" '{_show(value)}'"

    def fail(rule: str) -> str:
        return f"Value{shown} at '{path}' failed to satisfy constraint: Member must {rule}"

    if kind == "structure":
        if not isinstance(value, dict):
            yield fail("be a structure")
            return
        yield from _check_structure(service, shape, value, path + ".")
        return
    if kind in ("string", "blob", "list", "map"):
        size = len(value)
        if "min" in shape and size < shape["min"]:
            yield fail(f"have length greater than or equal to {shape['min']}")
        if "max" in shape and size > shape["max"]:
            yield fail(f"have length less than or equal to {shape['max']}")
    if kind in ("integer", "long"):
        if "min" in shape and value < shape["min"]:
            yield fail(f"have value greater than or equal to {shape['min']}")
        if "max" in shape and value > shape["max"]:
            yield fail(f"have value less than or equal to {shape['max']}")
    if kind == "string":
        if "enum" in shape and value not in shape["enum"]:
            yield fail(f"satisfy enum value set: [{', '.join(shape['enum'])}]")
        pattern = shape.get("pattern")
        if pattern and value and not _compiled(pattern).fullmatch(value):
            yield fail(f"satisfy regular expression pattern: {pattern}")
    if kind == "list":
        item_shape = _shape(service, shape["member"]["shape"])
        for index, item in enumerate(value, start=1):
            yield from _check(service, item_shape, item, f"{path}.{index}.member")
    if kind == "map":
        value_shape = _shape(service, shape["value"]["shape"])
        for key, item in value.items():
            yield from _check(service, value_shape, item, f"{path}.{key}")


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


# Java's Unicode classes, which ``re`` lacks, spelled as ranges (IAM's tag patterns use
# them inside a character class). Letters are approximated as every non-ASCII character
# past Latin-1's symbols; digits and spaces are exact enough for tags.
_JAVA_CLASSES = {
    r"\p{L}": r"A-Za-z\u00AA\u00B5\u00BA\u00C0-\u00D6\u00D8-\u00F6\u00F8-\U0010FFFF",
    r"\p{N}": r"0-9\u00B2\u00B3\u00B9\u00BC-\u00BE",
    r"\p{Z}": r" \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000",
}


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, python)
    return re.compile(pattern, re.ASCII)


def enum_values(service: str, shape_name: str) -> list[str]:
    return list(_shape(service, shape_name).get("enum", []))
