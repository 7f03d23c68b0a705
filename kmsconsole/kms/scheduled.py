"""Time-driven KMS work: automatic rotation and the end of deletion waiting periods.

Each sweep compares due dates with each workspace's own clock, works in bounded batches,
and claims rows under ``select_for_update(skip_locked=True)`` (PostgreSQL), re-checking
that a row is still due once it holds the lock. So two workers, or a second beat started
by mistake, never apply the same change twice, and a sweep killed mid-batch loses nothing:
its uncommitted batch rolls back and the next sweep finds those keys still due. SQLite
has no row locks, but it runs one write transaction at a time, which gives the same
guarantee with the re-check.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Now

from kmsconsole.audit.recorder import record_service_event
from kmsconsole.engine.enums import KeyState, RotationType
from kmsconsole.iam.models import Workspace

from . import materials
from .deletion import delete_key_now
from .models import Key
from .rotation import record_rotate_key_event, rotate_key_material

# Keys claimed per transaction. A crash loses at most one uncommitted chunk, which the
# next sweep finds still due. Tests shrink it to kill a worker between chunks.
CHUNK_SIZE = int(os.environ.get("KMSCONSOLE_SWEEP_CHUNK_SIZE", "100"))


@dataclass
class SweepResult:
    processed: int = 0
    key_arns: list[str] | None = None

    def add(self, arn: str) -> None:
        self.processed += 1
        if self.key_arns is not None and len(self.key_arns) < 50:
            self.key_arns.append(arn)


def _workspace_now() -> F:
    """Each row's own workspace clock, computed in SQL."""
    return Now() + F("account__workspace__clock_offset")  # type: ignore[return-value]


def _due(field: str, workspace_id: int | None, **conditions: object) -> QuerySet[Key]:
    """Keys whose ``field`` date has passed on their workspace's clock. For one workspace
    the clock is read once and compared as a constant, which lets the database use the
    due-date index instead of computing every candidate row's workspace time."""
    if workspace_id is None:
        return Key.objects.filter(**conditions, **{f"{field}__lte": _workspace_now()})
    now = Workspace.objects.get(pk=workspace_id).now()
    return Key.objects.filter(account__workspace_id=workspace_id, **conditions, **{f"{field}__lte": now})


def keys_due_for_rotation(workspace_id: int | None = None) -> QuerySet[Key]:
    return _due("next_rotation_date", workspace_id, rotation_enabled=True, key_state=KeyState.ENABLED)


def keys_due_for_deletion(workspace_id: int | None = None) -> QuerySet[Key]:
    return _due("deletion_date", workspace_id, key_state=KeyState.PENDING_DELETION)


def _claim(due: QuerySet[Key]) -> list[Key]:
    """Lock up to CHUNK_SIZE due keys that no other sweep holds (inside a transaction)."""
    rows = due.select_related("account__workspace").order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows[:CHUNK_SIZE])


def _sweep(due: Callable[[], QuerySet[Key]], act: Callable[[Key], None], batch_size: int) -> SweepResult:
    """Apply ``act`` to up to ``batch_size`` due keys, one committed chunk at a time."""
    result = SweepResult(key_arns=[])
    while result.processed < batch_size:
        with transaction.atomic():
            claimed = _claim(due())
            for key in claimed:
                act(key)
                result.add(key.arn)
        if len(claimed) < CHUNK_SIZE:
            break
    return result


def rotate_due_keys(*, batch_size: int = 1000, workspace_id: int | None = None) -> SweepResult:
    """Rotate up to ``batch_size`` keys whose next rotation date has passed."""
    return _sweep(lambda: keys_due_for_rotation(workspace_id), _rotate, batch_size)


# A clock jumped far ahead rotates a key once per period it skipped, up to this many.
MAX_CATCH_UP_ROTATIONS = 40


def _rotate(key: Key) -> None:
    """Rotate ``key`` once for every period that has passed, each rotation dated when it
    fell due: a year fast-forwarded with a 90-day period shows four rotations, as a year
    of real time would have. Rotations missed while the key was disabled are not
    replayed: EnableKey moves an overdue date to the moment of enabling, so such a key
    rotates once, as AWS rotates it when it is enabled again."""
    now = key.account.workspace.now()
    for _ in range(MAX_CATCH_UP_ROTATIONS):
        due = key.next_rotation_date
        if due is None or due > now:
            return
        previous = materials.material(key).material_id
        rotate_key_material(key, now=due, rotation_type=RotationType.AUTOMATIC)
        record_rotate_key_event(key, previous_material_id=previous, now=due, rotation_type=RotationType.AUTOMATIC)


def expire_pending_deletions(*, batch_size: int = 1000, workspace_id: int | None = None) -> SweepResult:
    """Delete up to ``batch_size`` keys whose waiting period has ended."""
    return _sweep(lambda: keys_due_for_deletion(workspace_id), _delete, batch_size)


def _delete(key: Key) -> None:
    now = key.account.workspace.now()
    record_service_event(
        workspace_id=key.account.workspace_id,
        account_id=key.account.account_id,
        region=key.region,
        event_name="DeleteKey",
        key_arn=key.arn,
        event_time=now,
    )
    delete_key_now(key)
