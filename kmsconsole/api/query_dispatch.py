"""IAM and STS requests on the one endpoint: form-encoded ``POST /`` with an ``Action``.

The service is the one the request was signed for (the SigV4 credential scope: ``sts`` or
``iam``), as both services share the endpoint and their actions' names; the request is
authenticated for that service, decoded against its botocore model, handed to the
operation and answered in the Query protocol's XML, errors included.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse

from kmsconsole.engine import shapes, sigv4
from kmsconsole.engine.errors import AWSError, InvalidAction, KMSInternalException, UnsupportedOperationException
from kmsconsole.iam import operations as iam_operations  # noqa: F401  (registers IAM and STS)
from kmsconsole.kms.operations.registry import find

from . import query_protocol
from .authentication import authenticate, signed_request

logger = logging.getLogger(__name__)

QUERY_SERVICES = ("sts", "iam")


def dispatch_query(request: HttpRequest, request_id: str) -> HttpResponse:
    """Answer one Query protocol request; every failure is an XML ``ErrorResponse``."""
    service = _scope_service(request)
    try:
        return _dispatch(request, request_id, service)
    except AWSError as err:
        return query_protocol.error(service, err, request_id)
    except Exception:
        logger.exception("Unhandled error in Query endpoint (request %s)", request_id)
        return query_protocol.error(service, KMSInternalException("An internal error occurred."), request_id)


def _dispatch(request: HttpRequest, request_id: str, service: str) -> HttpResponse:
    caller = authenticate(request, services=[service])
    caller.request_id = request_id
    form = query_protocol.parse_form(request.body)
    name = form.get("Action", "")
    if name not in shapes.operation_names(service):
        version = form.get("Version", "")
        raise InvalidAction(f"Could not find operation {name} for version {version}")
    implementation = find(service, name)
    if implementation is None:
        raise UnsupportedOperationException(f"{name} is not supported by kmsconsole yet.")
    params = query_protocol.decode_input(service, name, form)
    return query_protocol.success(service, name, implementation(caller, params), request_id)


def _scope_service(request: HttpRequest) -> str:
    """The service of the request's SigV4 scope when it is IAM or STS, else ``sts``, so
    that a request signed for anything else fails authentication with AWS's scope error
    and answers in STS's dialect."""
    try:
        credential = sigv4.parse_authorization(signed_request(request))
    except AWSError:
        return QUERY_SERVICES[0]
    return credential.service if credential.service in QUERY_SERVICES else QUERY_SERVICES[0]
