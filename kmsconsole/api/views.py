"""The one AWS endpoint: ``POST /`` for every service, dispatched by protocol.

JSON 1.1 requests name their operation in ``X-Amz-Target`` (``TrentService.Encrypt`` for
KMS). Each request is authenticated with SigV4, decoded against botocore's model, handed
to the operation, and answered in the service's wire format. Every client mistake is an
AWS-shaped 4xx; anything else is logged and answered as an internal failure, never with
details that could leak request contents.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from kmsconsole.engine import shapes
from kmsconsole.engine.errors import (
    AWSError,
    KMSInternalException,
    RequestEntityTooLargeException,
    UnknownOperationException,
    UnsupportedOperationException,
)
from kmsconsole.kms import operations

from . import json_protocol
from .authentication import authenticate
from .query_dispatch import dispatch_query

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JsonService:
    service: str  # botocore model name and SigV4 scope service
    target_prefix: str


JSON_SERVICES = (
    JsonService("kms", "TrentService."),
    JsonService("cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."),
)


def aws_endpoint(request: HttpRequest) -> HttpResponse:
    request_id = str(uuid.uuid4())
    try:
        _refuse_oversize(request)
        if request.content_type == "application/x-www-form-urlencoded":
            return dispatch_query(request, request_id)
        return _dispatch_json(request, request_id)
    except AWSError as err:
        return json_protocol.error(err, request_id)
    except Exception:
        logger.exception("Unhandled error in AWS endpoint (request %s)", request_id)
        return json_protocol.error(KMSInternalException("An internal error occurred."), request_id)


def _refuse_oversize(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.KMSCONSOLE_MAX_REQUEST_BYTES:
        raise RequestEntityTooLargeException(
            f"Request body of {length} bytes exceeds the limit of {settings.KMSCONSOLE_MAX_REQUEST_BYTES} bytes."
        )


def _dispatch_json(request: HttpRequest, request_id: str) -> HttpResponse:
    target = request.headers.get("X-Amz-Target", "")
    service = next((s for s in JSON_SERVICES if target.startswith(s.target_prefix)), None)
    caller = authenticate(request, services=[service.service] if service else ["kms"])
    caller.request_id = request_id
    if service is None:
        raise UnknownOperationException("")
    name = target.removeprefix(service.target_prefix)
    if name not in shapes.operation_names(service.service):
        raise UnknownOperationException("")
    implementation = operations.find(service.service, name)
    if implementation is None:
        raise UnsupportedOperationException(f"{name} is not supported by kmsconsole yet.")
    payload = json_protocol.parse_body(request.body)
    params = shapes.decode_json_input(service.service, name, payload)
    return json_protocol.success(implementation(caller, params), request_id)
