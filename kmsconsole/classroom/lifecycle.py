"""The class clock, closing a class, and deleting its workspaces after retention.

Closing freezes every student workspace of the class:

- all its access keys (the students' and the lab's users', and role sessions) become
  Inactive, so the API refuses them (``UnrecognizedClientException``, as AWS answers
  for a deactivated key);
- the student no longer owns it, so the console no longer offers it: the console only
  shows workspaces a user owns or was granted, and every console action goes through
  that check. The frozen workspace stays readable on the class pages.

Results are snapshotted first, because the workspaces and the labs' step rows go when
the retention period ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kmsconsole.iam.clock import ClockAdvance, advance_clock
from kmsconsole.iam.models import AccessKey, AccessKeyStatus, Workspace
from labs.models import LabAttempt

from . import results
from .models import Classroom, ClassStatus


def class_workspace_ids(classroom: Classroom) -> set[int]:
    """Every workspace the class gave its students: the one built when they joined, and
    those of the class's later labs they started since."""
    ids = set(classroom.enrollments.exclude(workspace=None).values_list("workspace_id", flat=True))
    joined = dict(classroom.enrollments.values_list("user_id", "joined_at"))
    attempts = LabAttempt.objects.filter(
        lab_slug__in=classroom.lab_slugs, user_id__in=list(joined), workspace__isnull=False
    ).values_list("user_id", "workspace_id", "started_real_at")
    ids.update(workspace_id for user_id, workspace_id, started in attempts if started >= joined[user_id])
    return ids


def advance_class_clock(classroom: Classroom, delta: timedelta) -> list[ClockAdvance]:
    """Move every student workspace's clock by ``delta`` through the same function as
    ``manage.py advanceclock``, which also enqueues the sweeps that became due."""
    if not classroom.is_open:
        raise ValueError("The clock of a closed class no longer moves.")
    workspaces = Workspace.objects.filter(pk__in=class_workspace_ids(classroom)).order_by("pk")
    return [advance_clock(workspace, delta) for workspace in workspaces]


def close_class(classroom: Classroom, *, now: datetime | None = None) -> int:
    """Snapshot the results, close the class and freeze its workspaces; return how many
    workspaces were frozen. Closing twice does nothing the second time."""
    with transaction.atomic():
        locked = Classroom.objects.select_for_update().get(pk=classroom.pk)
        if not locked.is_open:
            return 0
        results.snapshot(locked)
        workspace_ids = class_workspace_ids(locked)
        freeze_workspaces(workspace_ids)
        locked.enrollments.update(frozen=True)
        locked.status = ClassStatus.CLOSED
        locked.closed_at = now or timezone.now()
        locked.save(update_fields=["status", "closed_at"])
    classroom.refresh_from_db()
    return len(workspace_ids)


def freeze_workspaces(workspace_ids: set[int]) -> None:
    AccessKey.objects.filter(principal__account__workspace_id__in=workspace_ids).update(status=AccessKeyStatus.INACTIVE)
    Workspace.members.through.objects.filter(workspace_id__in=workspace_ids).delete()
    Workspace.objects.filter(pk__in=workspace_ids).update(owner=None)


def is_frozen(workspace: Workspace) -> bool:
    """Whether ``workspace`` belongs to a closed class: the hook for the console and the
    labs to refuse changes (they currently rely on the workspace having no owner)."""
    return Workspace.objects.filter(
        Q(enrollments__frozen=True) | Q(lab_attempts__user__enrollments__frozen=True), pk=workspace.pk
    ).exists()


def classes_past_retention(now: datetime | None = None) -> list[Classroom]:
    now = now or timezone.now()
    closed = Classroom.objects.filter(status=ClassStatus.CLOSED, workspaces_deleted_at__isnull=True)
    return [classroom for classroom in closed if (due := classroom.deletion_due_at()) is not None and due <= now]


def delete_expired_workspaces(*, now: datetime | None = None, batch_size: int = 10) -> int:
    """Delete the workspaces of up to ``batch_size`` classes whose retention has run out;
    return how many workspaces went. The class, its enrollments and their results
    snapshots stay."""
    deleted = 0
    for classroom in classes_past_retention(now)[:batch_size]:
        with transaction.atomic():
            locked = Classroom.objects.select_for_update().get(pk=classroom.pk)
            if locked.workspaces_deleted_at is not None:
                continue
            ids = class_workspace_ids(locked)
            Workspace.objects.filter(pk__in=ids).delete()
            locked.workspaces_deleted_at = timezone.now()
            locked.save(update_fields=["workspaces_deleted_at"])
            deleted += len(ids)
    return deleted
