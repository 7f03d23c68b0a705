"""Celery tasks: thin interfaces over the monitoring functions. Each is idempotent and
works in bounded batches, which is what makes ``acks_late`` safe."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import alarms, compliance, housekeeping, notifications


@shared_task(acks_late=True)
def evaluate_alarms_task(workspace_id: int | None = None, batch_size: int = 1000) -> dict[str, Any]:
    result = alarms.evaluate_due_alarms(batch_size=batch_size, workspace_id=workspace_id)
    return {"alarms_evaluated": result.evaluated, "alarms_changed": len(result.changed), "alarm_names": result.changed}


@shared_task(acks_late=True)
def evaluate_rules_task(workspace_id: int | None = None) -> dict[str, Any]:
    return {"compliance_changes": compliance.evaluate_rules(workspace_id=workspace_id)}


@shared_task(acks_late=True)
def expire_sessions_task(workspace_id: int | None = None, batch_size: int = 10_000) -> dict[str, Any]:
    return {"sessions_expired": housekeeping.expire_sessions(batch_size=batch_size, workspace_id=workspace_id)}


@shared_task(acks_late=True)
def deliver_webhook_task(delivery_id: int) -> str | None:
    return notifications.deliver(delivery_id)


@shared_task(acks_late=True)
def deliver_due_webhooks_task(batch_size: int = 100) -> dict[str, Any]:
    return {"webhooks_delivered": notifications.deliver_due_webhooks(batch_size=batch_size)}
