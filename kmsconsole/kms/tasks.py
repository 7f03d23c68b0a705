"""Celery tasks: thin interfaces over the sweeps in ``scheduled``. They take ids, hold no
logic, and are idempotent, which is what makes ``acks_late`` safe."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import scheduled


@shared_task(acks_late=True)
def rotate_due_keys_task(workspace_id: int | None = None, batch_size: int = 1000) -> dict[str, Any]:
    result = scheduled.rotate_due_keys(batch_size=batch_size, workspace_id=workspace_id)
    return {"rotated": result.processed, "key_arns": result.key_arns}


@shared_task(acks_late=True)
def expire_pending_deletions_task(workspace_id: int | None = None, batch_size: int = 1000) -> dict[str, Any]:
    result = scheduled.expire_pending_deletions(batch_size=batch_size, workspace_id=workspace_id)
    return {"deleted": result.processed, "key_arns": result.key_arns}
