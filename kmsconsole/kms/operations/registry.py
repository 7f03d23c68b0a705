"""The operation decorator and registry: one function per AWS operation.

``@operation("Encrypt")`` registers a function under its AWS name and wraps it so that
every call, from the API, the console, a lab or a task, is validated against botocore's
model, runs in one transaction, and is audited whether it succeeds, is denied or fails.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from kmsconsole.audit import recorder
from kmsconsole.engine import shapes
from kmsconsole.engine.errors import AWSError, UnsupportedOperationException
from kmsconsole.iam.callers import Caller

Request = dict[str, Any]
Response = dict[str, Any]
OperationFunction = Callable[[Caller, Request], Response]

EVENT_SOURCES = {
    "kms": "kms.amazonaws.com",
    "sts": "sts.amazonaws.com",
    "iam": "iam.amazonaws.com",
    "cloudtrail": "cloudtrail.amazonaws.com",
}


@dataclass(frozen=True)
class Operation:
    service: str
    name: str
    function: OperationFunction
    read_only: bool
    data_plane: bool

    def __call__(self, caller: Caller, request: Mapping[str, Any] | None = None) -> Response:
        return self.function(caller, dict(request or {}))


REGISTRY: dict[tuple[str, str], Operation] = {}


def operation(
    name: str,
    *,
    service: str = "kms",
    read_only: bool = False,
    data_plane: bool = False,
    audited: bool = True,
    checks_input: Callable[[Request], None] | None = None,
) -> Callable[[OperationFunction], Operation]:
    """Register ``name``'s implementation. ``data_plane`` operations (crypto) log no
    response elements, as CloudTrail does; ``audited=False`` is for lookups of the audit
    trail itself, which AWS does not record as management events either.
    ``checks_input`` runs before the model's generic checks, for services (CloudTrail)
    that answer some bad input with their own error codes rather than ValidationException."""

    def _unit_of_work() -> AbstractContextManager[Any]:
        """A transaction around the change and its audit event. A read-only operation
        writes one row, its event, which needs no transaction of its own: skipping
        BEGIN/COMMIT saves two round trips on the hottest calls (Encrypt, Decrypt)."""
        return nullcontext() if read_only else transaction.atomic()

    def decorate(function: OperationFunction) -> Operation:
        @functools.wraps(function)
        def run(caller: Caller, request: Request) -> Response:
            with recorder.drafting(request) as draft:
                try:
                    if checks_input is not None:
                        checks_input(request)
                    shapes.validate_input(service, name, request)
                    with _unit_of_work():
                        response = function(caller, request)
                        if audited:
                            _record(caller, request, draft, response=response)
                    return response
                except AWSError as error:
                    if audited:
                        _record(caller, request, draft, error=error)
                    raise

        def _record(caller: Caller, request: Request, draft: recorder.EventDraft, **outcome: Any) -> None:
            recorder.record(
                caller,
                event_name=name,
                event_source=EVENT_SOURCES[service],
                read_only=read_only,
                data_plane=data_plane,
                request=request,
                draft=draft,
                **outcome,
            )

        registered = Operation(service, name, run, read_only, data_plane)
        REGISTRY[(service, name)] = registered
        return registered

    return decorate


def find(service: str, name: str) -> Operation | None:
    return REGISTRY.get((service, name))


def unsupported(name: str, reason: str) -> Operation:
    """Register a KMS operation we deliberately do not offer, answering as AWS does for
    features a region lacks, with the reason in the message."""

    @operation(name)
    def refuse(caller: Caller, request: Request) -> Response:
        raise UnsupportedOperationException(reason)

    return refuse
