"""Key state changes: EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion, UpdateKeyDescription.

Each resolves the key under a row lock through ``key_for``, which authorizes the change
and applies the key-state table before anything changes. AWS managed keys are refused by
their own key policy, which lets the account only read them.
"""

from __future__ import annotations

from datetime import timedelta

from kmsconsole.engine.enums import KeyState
from kmsconsole.engine.errors import ValidationException
from kmsconsole.iam.callers import Caller

from .common import key_for
from .registry import Request, Response, operation

MIN_PENDING_WINDOW_DAYS = 7
MAX_PENDING_WINDOW_DAYS = 30
DEFAULT_PENDING_WINDOW_DAYS = 30


@operation("EnableKey")
def enable_key(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKey.html"""
    key = key_for(caller, request["KeyId"], operation="EnableKey", for_update=True)
    key.key_state = KeyState.ENABLED
    changed = ["key_state"]
    if key.rotation_enabled and key.next_rotation_date is not None and key.next_rotation_date < caller.now:
        # Rotations missed while disabled are not replayed: the key rotates once, now.
        key.next_rotation_date = caller.now
        changed.append("next_rotation_date")
    key.save(update_fields=changed)
    return {}


@operation("DisableKey")
def disable_key(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKey.html"""
    key = key_for(caller, request["KeyId"], operation="DisableKey", for_update=True)
    key.key_state = KeyState.DISABLED
    key.save(update_fields=["key_state"])
    return {}


@operation("ScheduleKeyDeletion")
def schedule_key_deletion(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html

    The model allows 1-365 days; the service itself enforces 7-30."""
    days = request.get("PendingWindowInDays", DEFAULT_PENDING_WINDOW_DAYS)
    if not MIN_PENDING_WINDOW_DAYS <= days <= MAX_PENDING_WINDOW_DAYS:
        raise ValidationException(
            f"PendingWindowInDays must be between {MIN_PENDING_WINDOW_DAYS} and {MAX_PENDING_WINDOW_DAYS}"
        )
    key = key_for(caller, request["KeyId"], operation="ScheduleKeyDeletion", for_update=True)
    key.key_state = KeyState.PENDING_DELETION
    key.deletion_date = caller.now + timedelta(days=days)
    key.pending_window_days = days
    key.save(update_fields=["key_state", "deletion_date", "pending_window_days"])
    return {
        "KeyId": key.arn,
        "DeletionDate": key.deletion_date,
        "KeyState": key.key_state,
        "PendingWindowInDays": days,
    }


@operation("CancelKeyDeletion")
def cancel_key_deletion(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_CancelKeyDeletion.html

    A cancelled key comes back Disabled, not Enabled, so nothing starts using it by surprise."""
    key = key_for(caller, request["KeyId"], operation="CancelKeyDeletion", for_update=True)
    key.key_state = KeyState.DISABLED
    key.deletion_date = None
    key.pending_window_days = None
    key.save(update_fields=["key_state", "deletion_date", "pending_window_days"])
    return {"KeyId": key.arn}


@operation("UpdateKeyDescription")
def update_key_description(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateKeyDescription.html"""
    key = key_for(caller, request["KeyId"], operation="UpdateKeyDescription", for_update=True)
    key.description = request["Description"]
    key.save(update_fields=["description"])
    return {}
