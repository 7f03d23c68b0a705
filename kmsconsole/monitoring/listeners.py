"""Reactions to audited changes, handed over by the audit recorder once the transaction
that recorded them has committed (``recorder.AFTER_CHANGE_CALLBACKS``).

Compliance rules are re-evaluated for the keys the events name when an event can change
a rule's verdict; key rotations, scheduled deletions and deletions go to the inbox.
Events come in per-transaction batches and are handled a batch at a time, so a sweep
deleting a hundred keys in one transaction costs a handful of queries here, not
hundreds; events of no interest cost a set lookup.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import transaction

from kmsconsole.audit.models import Event

from .compliance import evaluate_rules_for_key_arns
from .models import NotificationKind
from .notifications import Notice, notify_many

# Events after which a rule's verdict for the named key may differ.
RULE_EVENTS = frozenset(
    {
        "CreateKey",
        "EnableKeyRotation",
        "DisableKeyRotation",
        "ScheduleKeyDeletion",
        "CancelKeyDeletion",
        "PutKeyPolicy",
        "ImportKeyMaterial",
        "DeleteKey",
    }
)

_INBOX = {
    "RotateKey": (NotificationKind.KEY_ROTATED, "Key rotated: {key}"),
    "ScheduleKeyDeletion": (NotificationKind.KEY_DELETION_SCHEDULED, "Key scheduled for deletion: {key}"),
    "DeleteKey": (NotificationKind.KEY_DELETED, "Key deleted at the end of its waiting period: {key}"),
}


def on_committed_changes(events: list[Event]) -> None:
    """React to the events one transaction committed, in one transaction of our own."""
    relevant = [e for e in events if e.key_arn and (e.event_name in RULE_EVENTS or e.event_name in _INBOX)]
    if not relevant:
        return
    rule_keys: dict[int, dict[str, datetime]] = defaultdict(dict)
    notices: dict[int, list[Notice]] = defaultdict(list)
    for event in relevant:
        if event.event_name in RULE_EVENTS:
            rule_keys[event.workspace_id][event.key_arn] = event.event_time
        if event.event_name in _INBOX:
            kind, subject = _INBOX[event.event_name]
            notices[event.workspace_id].append(
                Notice(kind, subject.format(key=event.key_arn), _detail(event), event.event_time)
            )
    with transaction.atomic():
        for workspace_id, changed_at in rule_keys.items():
            evaluate_rules_for_key_arns(workspace_id, list(changed_at), now=max(changed_at.values()))
        for workspace_id, items in notices.items():
            notify_many(workspace_id, items)


def _detail(event: Event) -> dict[str, Any]:
    record = event.record or {}
    detail: dict[str, Any] = {
        "eventName": event.event_name,
        "eventID": event.event_id,
        "eventTime": record.get("eventTime"),
        "keyArn": event.key_arn,
        "principalArn": event.principal_arn or None,
    }
    if event.event_name == "ScheduleKeyDeletion":
        response = record.get("responseElements") or {}
        detail["deletionDate"] = response.get("deletionDate")
        detail["pendingWindowInDays"] = response.get("pendingWindowInDays")
    if event.event_name == "RotateKey":
        detail["rotationType"] = (record.get("serviceEventDetails") or {}).get("rotationType")
    return detail
