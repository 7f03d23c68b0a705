"""CloudTrail's ``LookupEvents`` on the kmsconsole endpoint: the event history of the
caller's own account and region, as ``aws cloudtrail lookup-events`` reads it on AWS.

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html

Event history covers the last 90 days of the workspace clock, newest first, with at
most one lookup attribute per request. Pages are a keyset over ``(event_time, id)``
carried in a signed ``NextToken`` that is bound to the request it continues, so a token
replayed with other filters, by another account or after tampering is refused.

Lookups are not themselves recorded: CloudTrail does not log ``LookupEvents`` as a
management event of the trail it reads.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

from kmsconsole.engine.errors import (
    InvalidEventCategoryException,
    InvalidLookupAttributesException,
    InvalidMaxResultsException,
    InvalidNextTokenException,
    InvalidTimeRangeException,
)
from kmsconsole.iam.callers import Caller
from kmsconsole.kms import authz
from kmsconsole.kms.operations.registry import Request, Response, operation

from .lookup import event_record
from .models import Event

HISTORY_WINDOW = timedelta(days=90)
MAX_RESULTS = 50
KMS_KEY_RESOURCE_TYPE = "AWS::KMS::Key"
INSIGHT_CATEGORY = "insight"
_TOKEN_SALT = "kmsconsole.audit.LookupEvents"
_ONE_SECOND = timedelta(seconds=1)


class LookupAttributeKey(StrEnum):
    EVENT_ID = "EventId"
    EVENT_NAME = "EventName"
    READ_ONLY = "ReadOnly"
    USERNAME = "Username"
    RESOURCE_TYPE = "ResourceType"
    RESOURCE_NAME = "ResourceName"
    EVENT_SOURCE = "EventSource"
    ACCESS_KEY_ID = "AccessKeyId"


# Attributes that compare one Event column with the value as given.
_EXACT_COLUMNS = {
    LookupAttributeKey.EVENT_ID: "event_id",
    LookupAttributeKey.EVENT_NAME: "event_name",
    LookupAttributeKey.USERNAME: "username",
    LookupAttributeKey.EVENT_SOURCE: "event_source",
    LookupAttributeKey.ACCESS_KEY_ID: "access_key_id",
}


@operation(
    "LookupEvents", service="cloudtrail", read_only=True, audited=False, checks_input=lambda r: check_lookup_request(r)
)
def lookup_events(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html"""
    authz.decide(caller, "cloudtrail:LookupEvents").enforce()
    events = _account_history(caller).filter(_window(caller, request))
    attributes = request.get("LookupAttributes", [])
    if attributes:
        events = events.filter(_attribute_filter(attributes[0]))
    if "NextToken" in request:
        events = events.filter(_after_token(caller, request))
    if request.get("EventCategory") == INSIGHT_CATEGORY:
        events = events.none()  # kmsconsole has no CloudTrail Insights, so no insight events.
    limit = request.get("MaxResults", MAX_RESULTS)
    page = list(events.order_by("-event_time", "-id")[: limit + 1])
    response: Response = {"Events": [_event_view(event) for event in page[:limit]]}
    if len(page) > limit:
        response["NextToken"] = _token_after(caller, request, page[limit - 1])
    return response


def check_lookup_request(request: Request) -> None:
    """CloudTrail's own answers to a malformed lookup, each with its specific error.

    AWS checks these before any generic model constraint, so a MaxResults of 51 is an
    ``InvalidMaxResultsException`` there. The operation decorator validates the model
    first, which turns an out-of-range MaxResults, an unknown attribute key or event
    category into a ``ValidationException`` before this runs; the other checks apply."""
    attributes = request.get("LookupAttributes", [])
    if len(attributes) > 1:
        raise InvalidLookupAttributesException(
            f"Only one lookup attribute can be specified per request; {len(attributes)} were given."
        )
    for attribute in attributes:
        _check_attribute(attribute)
    limit = request.get("MaxResults", MAX_RESULTS)
    if not 1 <= limit <= MAX_RESULTS:
        raise InvalidMaxResultsException(
            f"A max results value of {limit} is invalid. Specify max results between 1 and {MAX_RESULTS}."
        )
    category = request.get("EventCategory")
    if category is not None and category != INSIGHT_CATEGORY:
        raise InvalidEventCategoryException(
            f"The event category '{category}' is not valid. The only event category is '{INSIGHT_CATEGORY}'."
        )
    start, end = request.get("StartTime"), request.get("EndTime")
    if start is not None and end is not None and start > end:
        raise InvalidTimeRangeException(
            f"The start time {_iso(start)} is after the end time {_iso(end)}; the start time must not be later."
        )


def _check_attribute(attribute: dict[str, str]) -> None:
    key, value = attribute.get("AttributeKey", ""), attribute.get("AttributeValue", "")
    if key not in set(LookupAttributeKey):
        raise InvalidLookupAttributesException(
            f"'{key}' is not a valid lookup attribute key. Valid keys: {', '.join(LookupAttributeKey)}."
        )
    if key == LookupAttributeKey.READ_ONLY and value not in ("true", "false"):
        raise InvalidLookupAttributesException(
            f"'{value}' is not a valid value for the ReadOnly lookup attribute. Use 'true' or 'false'."
        )


def _account_history(caller: Caller) -> QuerySet[Event]:
    """The trail CloudTrail shows a caller: its own account's events in the region it
    addressed, within its workspace. The decision traces are not part of it."""
    return Event.objects.filter(
        workspace_id=caller.account.workspace_id, account_id=caller.account_id, region=caller.region
    ).defer("trace")


def _window(caller: Caller, request: Request) -> Q:
    """Events whose time, to the second as CloudTrail records it, lies between StartTime
    and EndTime inclusive, and no further back than 90 days on the workspace clock."""
    oldest = caller.now - HISTORY_WINDOW
    requested_start = request.get("StartTime")
    start = oldest if requested_start is None else max(requested_start, oldest)
    window = Q(event_time__gte=_next_whole_second(start))
    end = request.get("EndTime")
    if end is not None:
        window &= Q(event_time__lt=end.replace(microsecond=0) + _ONE_SECOND)
    return window


def _next_whole_second(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + _ONE_SECOND


def _attribute_filter(attribute: dict[str, str]) -> Q:
    key, value = LookupAttributeKey(attribute["AttributeKey"]), attribute["AttributeValue"]
    if key in _EXACT_COLUMNS:
        return Q(**{_EXACT_COLUMNS[key]: value})
    if key == LookupAttributeKey.READ_ONLY:
        return Q(read_only=value == "true")
    if key == LookupAttributeKey.RESOURCE_TYPE:
        # KMS keys are the only resources kmsconsole's events name.
        return ~Q(key_arn="") if value == KMS_KEY_RESOURCE_TYPE else Q(pk__in=[])
    # ResourceName: the key's ARN, or as CloudTrail also matches it, the bare key id.
    return Q(key_arn=value) | Q(key_arn__endswith=f":key/{value}")


def _event_view(event: Event) -> dict[str, Any]:
    record = event_record(event)
    view: dict[str, Any] = {
        "EventId": event.event_id,
        "EventName": event.event_name,
        "ReadOnly": "true" if event.read_only else "false",
        "EventTime": event.event_time.replace(microsecond=0),
        "EventSource": event.event_source,
        "Resources": [
            {"ResourceType": resource["type"], "ResourceName": resource["ARN"]}
            for resource in record.get("resources", [])
        ],
        "CloudTrailEvent": json.dumps(record, separators=(",", ":")),
    }
    if event.access_key_id:
        view["AccessKeyId"] = event.access_key_id
    if event.username:
        view["Username"] = event.username
    return view


# ---------------------------------------------------------------- NextToken


def _token_after(caller: Caller, request: Request, last: Event) -> str:
    position = {"time": last.event_time.isoformat(), "id": last.pk, "request": _request_digest(caller, request)}
    return signing.dumps(position, salt=_TOKEN_SALT)


def _after_token(caller: Caller, request: Request) -> Q:
    """Events after the token's position in newest-first order."""
    time, event_pk = _token_position(caller, request)
    return Q(event_time__lt=time) | Q(event_time=time, pk__lt=event_pk)


def _token_position(caller: Caller, request: Request) -> tuple[datetime, int]:
    """The last event of the previous page. A token that is not ours, was altered, or
    was issued for other filters or another caller is refused."""
    try:
        position = signing.loads(request["NextToken"], salt=_TOKEN_SALT)
        if position["request"] == _request_digest(caller, request):
            return datetime.fromisoformat(position["time"]), int(position["id"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        pass  # Unreadable tokens get the same answer as mismatched ones, below.
    raise InvalidNextTokenException(
        "The NextToken is not valid: it is malformed, or was issued for a request with different parameters."
    )


def _request_digest(caller: Caller, request: Request) -> str:
    """What a token may only be used with: the same caller scope and the same filters
    (MaxResults may change between pages)."""
    bound = [
        caller.account_id,
        caller.region,
        request.get("LookupAttributes", []),
        request.get("StartTime"),
        request.get("EndTime"),
        request.get("EventCategory"),
    ]
    encoded = json.dumps(bound, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
