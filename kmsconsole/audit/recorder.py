"""Build and store CloudTrail-shaped events for every call, allowed, denied or failed.

An operation notes the resources it touched on the current draft (``note_key``); the
operation decorator writes the event in the same transaction as the change it describes
(or, for a failed call, in a transaction of its own after the change rolled back).
Plaintext, ciphertext, key material and secrets never reach a record.
"""

from __future__ import annotations

import contextvars
import functools
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from kmsconsole import fastpath
from kmsconsole.engine.errors import AWSError
from kmsconsole.iam.callers import Caller

from .models import Event

EVENT_VERSION = "1.08"

# Members CloudTrail never logs: secrets whatever their type, and grant tokens, which
# CloudTrail leaves out of CreateGrant's responseElements.
_UNLOGGED_MEMBERS = frozenset(
    {
        "Plaintext",
        "PrivateKeyPlaintext",
        "SecretAccessKey",
        "SessionToken",
        "SharedSecret",
        "CiphertextBlob",
        "GrantToken",
    }
)


@dataclass
class EventDraft:
    """What an operation learns while it runs that its audit event must say."""

    resources: list[tuple[str, str]] = field(default_factory=list)
    trace: list[dict[str, Any]] | None = None
    # The request being served, and the alias it named a key by (kms:RequestAlias), for
    # the authorization decision to read.
    request: dict[str, Any] = field(default_factory=dict)
    requested_alias: str = ""

    def note_key(self, key_arn: str, account_id: str) -> None:
        if (key_arn, account_id) not in self.resources:
            self.resources.append((key_arn, account_id))


# Extension point: functions called, once a transaction has committed, with the
# successful, non-read-only events it recorded (monitoring registers its compliance and
# inbox reactions here). Read-only calls such as Encrypt and Decrypt never reach them.
# A sweep's chunk of a hundred deletions makes one call with a hundred events.
AFTER_CHANGE_CALLBACKS: list[Callable[[list[Event]], None]] = []
_changes = threading.local()


def _after_change(event: Event) -> Event:
    """Add ``event`` to this thread's open batch, which the first of its on_commit hooks
    hands over. A batch left open by a rolled-back transaction is reused by the next
    one; the hand-over drops events whose rows did not survive."""
    if AFTER_CHANGE_CALLBACKS:
        batch = getattr(_changes, "open", None)
        if batch is None:
            batch = _changes.open = []
        batch.append(event)
        transaction.on_commit(functools.partial(_hand_over, batch), robust=True)
    return event


def _hand_over(batch: list[Event]) -> None:
    if getattr(_changes, "open", None) is batch:
        _changes.open = None
    events, batch[:] = batch[:], []
    if not events:
        return
    # By event id, not pk: SQLite hands a rolled-back row's pk to the next insert.
    ids = [event.event_id for event in events]
    committed = set(Event.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
    for callback in AFTER_CHANGE_CALLBACKS:
        callback([event for event in events if event.event_id in committed])


_current_draft: contextvars.ContextVar[EventDraft | None] = contextvars.ContextVar("audit_draft", default=None)


@contextmanager
def drafting(request: dict[str, Any] | None = None) -> Iterator[EventDraft]:
    draft = EventDraft(request=request or {})
    token = _current_draft.set(draft)
    try:
        yield draft
    finally:
        _current_draft.reset(token)


def current_draft() -> EventDraft:
    """The draft of the call in progress; a throwaway one outside any call."""
    return _current_draft.get() or EventDraft()


def record(
    caller: Caller,
    *,
    event_name: str,
    event_source: str,
    read_only: bool,
    data_plane: bool,
    request: Mapping[str, Any],
    draft: EventDraft,
    response: Mapping[str, Any] | None = None,
    error: AWSError | None = None,
) -> Event:
    """Store one event describing a call by ``caller``."""
    event_time = caller.now
    event_id = str(uuid.uuid4())
    record_json: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": caller.user_identity(),
        "eventTime": _iso(event_time),
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": caller.region,
        "sourceIPAddress": caller.invoked_by or caller.source_ip,
        "userAgent": caller.invoked_by or caller.user_agent,
        "requestParameters": _request_parameters(event_name, request, draft),
        "responseElements": None if (data_plane or response is None) else (loggable(response) or None),
        "requestID": caller.request_id,
        "eventID": event_id,
        "readOnly": read_only,
        "resources": [
            {"accountId": account_id, "type": "AWS::KMS::Key", "ARN": arn} for arn, account_id in draft.resources
        ],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": caller.account_id,
        "eventCategory": "Management",
    }
    if error is not None:
        record_json["errorCode"] = error.code
        record_json["errorMessage"] = error.message
    event = fastpath.insert(
        Event(
            workspace_id=caller.account.workspace_id,
            event_id=event_id,
            event_time=event_time,
            event_name=event_name,
            event_source=event_source,
            region=caller.region,
            account_id=caller.account_id,
            username=caller.principal.name,
            principal_arn=caller.arn,
            access_key_id=caller.access_key_id,
            key_arn=draft.resources[0][0] if draft.resources else "",
            error_code=error.code if error else "",
            read_only=read_only,
            record=record_json,
            trace=draft.trace,
        )
    )
    return _after_change(event) if error is None and not read_only else event


def _request_parameters(event_name: str, request: Mapping[str, Any], draft: EventDraft) -> dict[str, Any] | None:
    """The logged request, with what CloudTrail writes even when the caller sent nothing:
    a Decrypt event always names the algorithm and the key that decrypted (its ARN)
    (https://docs.aws.amazon.com/kms/latest/developerguide/ct-decrypt.html)."""
    logged = loggable(request)
    if event_name == "Decrypt":
        logged.setdefault("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
        if draft.resources:
            logged.setdefault("keyId", draft.resources[0][0])
    return logged or None


# Members whose value is a map of the caller's own keys (an encryption context):
# CloudTrail logs those keys exactly as sent.
_VERBATIM_MAPS = frozenset(
    {
        "EncryptionContext",
        "SourceEncryptionContext",
        "DestinationEncryptionContext",
        "EncryptionContextEquals",
        "EncryptionContextSubset",
    }
)


def loggable(value: Any) -> Any:
    """Request or response values as CloudTrail shows them: lowerCamel member names,
    dates as text, and nothing secret (no blobs, no plaintext, no secret keys)."""
    if isinstance(value, Mapping):
        return {
            _lower_camel(str(k)): dict(v) if k in _VERBATIM_MAPS and isinstance(v, Mapping) else loggable(v)
            for k, v in value.items()
            if k not in _UNLOGGED_MEMBERS and not isinstance(v, bytes | bytearray | memoryview)
        }
    if isinstance(value, list | tuple):
        return [loggable(v) for v in value]
    if isinstance(value, datetime):
        return _cloudtrail_date(value)
    return value


def _lower_camel(name: str) -> str:
    if name.startswith("AWS") or name.isupper():
        return name
    return name[:1].lower() + name[1:]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _cloudtrail_date(moment: datetime) -> str:
    """CloudTrail writes dates inside responseElements as ``Aug 10, 2022, 10:38:27 PM``."""
    hour = moment.hour % 12 or 12
    return f"{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M:%S %p}"


def record_service_event(
    *,
    workspace_id: int,
    account_id: str,
    region: str,
    event_name: str,
    key_arn: str,
    event_time: datetime,
    details: Mapping[str, Any] | None = None,
) -> Event:
    """Store an event KMS itself caused (automatic rotation, deletion at the end of the
    waiting period), shaped as CloudTrail's ``AwsServiceEvent`` records are."""
    event_id = str(uuid.uuid4())
    record_json: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": {"accountId": account_id, "invokedBy": "AWS Internal"},
        "eventTime": _iso(event_time),
        "eventSource": "kms.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "AWS Internal",
        "userAgent": "AWS Internal",
        "requestParameters": None,
        "responseElements": None,
        "eventID": event_id,
        "readOnly": False,
        "resources": [{"accountId": account_id, "type": "AWS::KMS::Key", "ARN": key_arn}],
        "eventType": "AwsServiceEvent",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    if details:
        record_json["serviceEventDetails"] = dict(details)
    event = Event.objects.create(
        workspace_id=workspace_id,
        event_id=event_id,
        event_time=event_time,
        event_name=event_name,
        event_source="kms.amazonaws.com",
        region=region,
        account_id=account_id,
        username="AWS Internal",
        key_arn=key_arn,
        read_only=False,
        record=record_json,
    )
    return _after_change(event)
