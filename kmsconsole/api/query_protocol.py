"""The AWS Query protocol of IAM and STS: form-encoded requests, XML responses and errors.

A request is ``application/x-www-form-urlencoded``: ``Action`` and ``Version``, then the
input members by name, nested with dots. A list is ``Name.member.1``, ``Name.member.2``
(an empty list is ``Name=``); a map is ``Name.entry.1.key`` / ``Name.entry.1.value``;
members may be renamed by the model's ``locationName``. (The Query protocol also knows
"flattened" lists and maps; the IAM and STS models have none, so they are not read.)
The botocore model of the service drives decoding, so values arrive at the operation as
Python values (int, bool, bytes, datetime), exactly as JSON requests do.

A response is ``<ActionResponse xmlns=...><ActionResult>...</ActionResult>
<ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></ActionResponse>``; lists
are ``<member>`` elements, timestamps ISO 8601, and IAM policy documents are
percent-encoded (RFC 3986), as IAM sends them and as botocore and the aws CLI decode them.
An error is ``<ErrorResponse><Error><Type>Sender</Type><Code>...</Code><Message>...``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote
from xml.etree.ElementTree import Element, SubElement, tostring

from django.http import HttpResponse

from kmsconsole.engine import shapes
from kmsconsole.engine.errors import AWSError, ValidationError

CONTENT_TYPE = "text/xml"
POLICY_DOCUMENT_SHAPE = "policyDocumentType"

# JSON services and the Query protocol name the same failures differently; the codes our
# shared layers raise (SigV4, authentication, validation) are renamed for Query clients.
# Sources: the IAM and STS models' error shapes; AWS's answers as the aws CLI prints them
# ("An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation").
QUERY_ERRORS: dict[str, tuple[str, int]] = {
    "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    "IncompleteSignatureException": ("IncompleteSignature", 400),
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
    "ExpiredTokenException": ("ExpiredToken", 403),
    "ValidationException": ("ValidationError", 400),
    "AccessDeniedException": ("AccessDenied", 403),
    "MalformedPolicyDocumentException": ("MalformedPolicyDocument", 400),
    "KMSInternalException": ("InternalFailure", 500),
}

Shape = dict[str, Any]


# ---------------------------------------------------------------- requests


def parse_form(body: bytes) -> dict[str, str]:
    """The form fields of a request body; a field given twice keeps its last value."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("The request body is not valid UTF-8.") from None
    return dict(parse_qsl(text, keep_blank_values=True))


def decode_input(service: str, operation: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The operation's input members from ``form``, as Python values; fields that are
    not members (``Action``, ``Version``, unknown names) are ignored, as AWS ignores them."""
    shape_name = shapes.input_shape_name(service, operation)
    if shape_name is None:
        return {}
    reader = _FormReader(service, form)
    return reader.structure(_shape(service, shape_name), prefix="")


class _FormReader:
    """Walks a shape and reads each member's fields from the flat form."""

    def __init__(self, service: str, form: Mapping[str, str]) -> None:
        self.service = service
        self.form = form
        # Every dotted prefix of every field name, so "is anything under X?" is one lookup.
        self.prefixes = {name.rsplit(".", depth)[0] for name in form for depth in range(name.count(".") + 1)}

    def present(self, prefix: str) -> bool:
        return prefix in self.prefixes

    def structure(self, shape: Shape, prefix: str) -> dict[str, Any]:
        decoded: dict[str, Any] = {}
        for member, spec in shape.get("members", {}).items():
            field_name = prefix + spec.get("locationName", member)
            if self.present(field_name):
                decoded[member] = self.value(_shape(self.service, spec["shape"]), field_name)
        return decoded

    def value(self, shape: Shape, name: str) -> Any:
        kind = shape["type"]
        if kind == "structure":
            return self.structure(shape, name + ".")
        if kind == "list":
            return self.list(shape, name)
        if kind == "map":
            return self.map(shape, name)
        return _scalar(kind, self.form.get(name, ""), name)

    def list(self, shape: Shape, name: str) -> list[Any]:
        if self.form.get(name) == "":
            return []
        member = shape["member"]
        base = f"{name}.{member.get('locationName', 'member')}"
        item_shape = _shape(self.service, member["shape"])
        items = []
        index = 1
        while self.present(f"{base}.{index}"):
            items.append(self.value(item_shape, f"{base}.{index}"))
            index += 1
        return items

    def map(self, shape: Shape, name: str) -> dict[str, Any]:
        base = f"{name}.entry"
        key_name = shape["key"].get("locationName", "key")
        value_name = shape["value"].get("locationName", "value")
        value_shape = _shape(self.service, shape["value"]["shape"])
        entries: dict[str, Any] = {}
        index = 1
        while self.present(f"{base}.{index}"):
            key = self.form.get(f"{base}.{index}.{key_name}", "")
            entries[key] = self.value(value_shape, f"{base}.{index}.{value_name}")
            index += 1
        return entries


def _scalar(kind: str, raw: str, name: str) -> Any:
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("double", "float"):
            return float(raw)
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if kind == "blob":
            return base64.b64decode(raw, validate=True)
        if kind == "timestamp":
            return _parse_timestamp(raw)
    except (ValueError, binascii.Error, OverflowError):
        raise ValidationError(f"Value '{raw}' for parameter {name} is not a valid {kind}.") from None
    return raw


def _parse_timestamp(raw: str) -> datetime:
    if raw.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(raw), tz=UTC)
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------- responses


def success(service: str, operation: str, payload: Mapping[str, Any], request_id: str) -> HttpResponse:
    """``payload`` (the operation's response dict) as the Query protocol's XML answer."""
    model = shapes.service_model(service)
    root = Element(f"{operation}Response", {"xmlns": model["metadata"]["xmlNamespace"]})
    output = model["operations"][operation].get("output")
    if output is not None:
        result = SubElement(root, output.get("resultWrapper", f"{operation}Result"))
        _write_structure(result, service, _shape(service, output["shape"]), payload)
    metadata = SubElement(root, "ResponseMetadata")
    SubElement(metadata, "RequestId").text = request_id
    return _xml_response(root, request_id, status=200)


def error(service: str, err: AWSError, request_id: str) -> HttpResponse:
    """``err`` as the Query protocol's ``ErrorResponse``, with the Query name of its code."""
    code, status = QUERY_ERRORS.get(err.code, (err.code, err.status))
    root = Element("ErrorResponse", {"xmlns": shapes.service_model(service)["metadata"]["xmlNamespace"]})
    detail = SubElement(root, "Error")
    SubElement(detail, "Type").text = "Receiver" if status >= 500 else "Sender"
    SubElement(detail, "Code").text = code
    SubElement(detail, "Message").text = err.message
    SubElement(root, "RequestId").text = request_id
    return _xml_response(root, request_id, status=status)


def _xml_response(root: Element, request_id: str, *, status: int) -> HttpResponse:
    body = tostring(root, encoding="unicode", xml_declaration=False)
    response = HttpResponse(body, content_type=CONTENT_TYPE, status=status)
    response["x-amzn-RequestId"] = request_id
    return response


def _write_structure(parent: Element, service: str, shape: Shape, value: Mapping[str, Any]) -> None:
    for member, spec in shape.get("members", {}).items():
        if value.get(member) is None:
            continue
        element = SubElement(parent, spec.get("locationName", member))
        _write(element, service, spec["shape"], value[member])


def _write(element: Element, service: str, shape_name: str, value: Any) -> None:
    shape = _shape(service, shape_name)
    kind = shape["type"]
    if kind == "structure":
        _write_structure(element, service, shape, value)
    elif kind == "list":
        member = shape["member"]
        for item in value:
            _write(SubElement(element, member.get("locationName", "member")), service, member["shape"], item)
    elif kind == "map":
        for key, item in value.items():
            entry = SubElement(element, "entry")
            SubElement(entry, shape["key"].get("locationName", "key")).text = str(key)
            _write(
                SubElement(entry, shape["value"].get("locationName", "value")), service, shape["value"]["shape"], item
            )
    else:
        element.text = _scalar_text(shape_name, kind, value)


def _scalar_text(shape_name: str, kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return _iso8601(value)
    if kind == "blob":
        return base64.b64encode(bytes(value)).decode()
    if shape_name == POLICY_DOCUMENT_SHAPE:
        return quote(str(value), safe="")
    return str(value)


def _iso8601(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _shape(service: str, name: str) -> Shape:
    return shapes.service_model(service)["shapes"][name]
