"""Moving a workspace's clock. Every date in the KMS reads ``Workspace.now()``; advancing
the offset and enqueuing the sweeps at once lets a lab watch a year pass in seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.result import AsyncResult
from django.db import transaction
from django.db.models import F

from .models import Workspace


@dataclass
class ClockAdvance:
    workspace: Workspace
    now: datetime
    pending: list[AsyncResult]


def move_clock(workspace: Workspace, delta: timedelta) -> datetime:
    """Move ``workspace``'s clock forward by ``delta``; return the new workspace time.
    Time never runs backwards: due dates already acted on must stay in the past."""
    if delta < timedelta(0):
        raise ValueError("The workspace clock only moves forward.")
    with transaction.atomic():
        Workspace.objects.filter(pk=workspace.pk).update(clock_offset=F("clock_offset") + delta)
    workspace.refresh_from_db(fields=["clock_offset"])
    return workspace.now()


def advance_clock(workspace: Workspace, delta: timedelta) -> ClockAdvance:
    """Move the clock and enqueue at once the work that became due, rather than leaving
    it to the next beat tick."""
    from kmsconsole.kms.tasks import expire_pending_deletions_task, rotate_due_keys_task
    from kmsconsole.monitoring.tasks import evaluate_alarms_task

    now = move_clock(workspace, delta)
    pending = [
        rotate_due_keys_task.delay(workspace_id=workspace.pk),
        expire_pending_deletions_task.delay(workspace_id=workspace.pk),
        # Last, so that one worker judges the alarms after the sweeps' events exist.
        evaluate_alarms_task.delay(workspace_id=workspace.pk),
    ]
    return ClockAdvance(workspace, now, pending)
