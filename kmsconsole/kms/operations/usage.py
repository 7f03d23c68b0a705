"""GetKeyLastUsage: when a key last did cryptographic work, read from the audit trail.

Every call is already recorded as a CloudTrail-shaped event, so the last use is simply the
newest successful event of a tracked operation that names the key. The event of the
GetKeyLastUsage call itself is written after this returns, and is not a tracked operation
anyway.
"""

from __future__ import annotations

from kmsconsole.audit.models import Event
from kmsconsole.engine import shapes
from kmsconsole.iam.callers import Caller

from ..models import Key
from .common import key_for
from .registry import Request, Response, operation

# The operations AWS counts as "use", straight from the model's enum.
TRACKED_OPERATIONS = frozenset(shapes.service_model("kms")["shapes"]["KeyLastUsageTrackingOperation"]["enum"])


@operation("GetKeyLastUsage", read_only=True)
def get_key_last_usage(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyLastUsage.html

    Tracking starts when the key is created: the audit trail is as old as the workspace,
    which is never younger than its keys. ``KeyLastUsage`` is empty for an unused key."""
    key = key_for(caller, request["KeyId"], operation="GetKeyLastUsage")
    last_use = last_successful_use(key)
    return {
        "KeyId": key.key_id,
        "KeyLastUsage": _usage_data(last_use) if last_use else {},
        "TrackingStartDate": key.creation_date,
        "KeyCreationDate": key.creation_date,
    }


def last_successful_use(key: Key) -> Event | None:
    """The newest successful tracked event that used ``key``.

    An event names its first key in ``key_arn`` (indexed). ReEncrypt uses two keys and
    AWS counts it for both, so a ReEncrypt naming the key second is looked up as well."""
    successes = Event.objects.filter(workspace_id=key.account.workspace_id, error_code="").order_by(
        "-event_time", "-id"
    )
    candidates = [
        successes.filter(key_arn=key.arn, event_name__in=TRACKED_OPERATIONS).first(),
        successes.filter(event_name="ReEncrypt", record__resources__1__ARN=key.arn).first(),
    ]
    found = [event for event in candidates if event is not None]
    return max(found, key=lambda event: (event.event_time, event.pk)) if found else None


def _usage_data(event: Event) -> dict[str, object]:
    return {
        "Operation": event.event_name,
        "Timestamp": event.event_time,
        "CloudTrailEventId": event.event_id,
        "KmsRequestId": event.record.get("requestID", ""),
    }
