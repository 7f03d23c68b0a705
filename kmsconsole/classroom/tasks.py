"""Celery tasks: thin interfaces over the classroom functions. Each is idempotent and
works in bounded batches, which is what makes ``acks_late`` safe."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import enrollment, lifecycle, refresh


@shared_task(acks_late=True)
def provision_enrollments_task(classroom_id: int, batch_size: int = enrollment.PROVISION_BATCH_SIZE) -> dict[str, Any]:
    """Build one batch of the class's pending workspaces, then hand the rest to the next
    run of this task, so that progress shows batch by batch and several workers share
    a big class."""
    remaining = enrollment.provision_pending(classroom_id, batch_size=batch_size)
    if remaining:
        provision_enrollments_task.delay(classroom_id, batch_size)
    return {"remaining": remaining}


@shared_task(acks_late=True)
def refresh_classes_task(batch_size: int = 500) -> dict[str, Any]:
    done = refresh.refresh_open_classes(batch_size=batch_size)
    return {"attempts_checked": done.attempts_checked, "outcomes_changed": done.outcomes_changed}


@shared_task(acks_late=True)
def delete_expired_workspaces_task(batch_size: int = 10) -> dict[str, Any]:
    return {"workspaces_deleted": lifecycle.delete_expired_workspaces(batch_size=batch_size)}
