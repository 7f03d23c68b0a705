"""AWS JSON 1.1: decoding request bodies and encoding responses and errors."""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime
from typing import Any

from django.http import HttpResponse

from kmsconsole.engine.errors import AWSError, SerializationException

CONTENT_TYPE = "application/x-amz-json-1.1"


def parse_body(body: bytes) -> Any:
    """The request body as JSON; an empty body is an empty object, as botocore sends
    for operations without input.

    The body must be UTF-8 (``json.loads`` would otherwise guess UTF-16 or UTF-32 from
    the first bytes), and nesting too deep for the parser is malformed input like any
    other, not a server failure.
    """
    if not body.strip():
        return {}
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise SerializationException("") from None


def _refuse_constant(name: str) -> float:
    raise ValueError(name)


def _encode_value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime):
        stamp = value.timestamp()
        return int(stamp) if math.isclose(stamp, round(stamp)) else round(stamp, 3)
    raise TypeError(f"cannot encode {type(value).__name__}")


def success(payload: dict[str, Any], request_id: str) -> HttpResponse:
    body = json.dumps(payload, default=_encode_value, separators=(",", ":"))
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["x-amzn-RequestId"] = request_id
    return response


def error(err: AWSError, request_id: str) -> HttpResponse:
    body = json.dumps({"__type": err.code, "message": err.message})
    response = HttpResponse(body, content_type=CONTENT_TYPE, status=err.status)
    response["x-amzn-RequestId"] = request_id
    return response
