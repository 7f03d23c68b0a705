"""The workspace inbox, and the same notifications POSTed to an optional webhook.

A notification is a row first. When the workspace has a webhook, a delivery row is
added in the same transaction and a Celery task is asked, after commit, to send it; a
broker that cannot be reached only delays the delivery (the periodic sweep sends what
is due), so nothing here ever blocks or fails the request that caused the notification.

Deliveries are claimed with a conditional UPDATE that pushes ``next_attempt_at`` past
the HTTP timeout (a lease), so two workers never send the same attempt and the HTTP
request runs outside any transaction. A worker that dies mid-request leaves the lease
to expire and the sweep tries again: delivery is at least once, and receivers can tell
repeats apart by the ``X-Kmsconsole-Delivery`` header.

Each request is signed: ``X-Kmsconsole-Signature: sha256=<hex>`` is the HMAC-SHA256 of
the raw body under the workspace's webhook secret, which is shown once when the webhook
is configured and stored sealed under the root key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError

from kmsconsole import rootkey
from kmsconsole.engine.errors import ValidationError
from kmsconsole.iam.models import Workspace

from .models import DeliveryStatus, Notification, NotificationKind, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Kmsconsole-Signature"
MAX_ATTEMPTS = 8
REQUEST_TIMEOUT_SECONDS = 10
# Longer than a request can take, so a claimed attempt is never claimed twice.
LEASE = timedelta(seconds=REQUEST_TIMEOUT_SECONDS * 3)
FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class Notice:
    """A notification to add: what it is about, and when on the workspace clock."""

    kind: NotificationKind
    subject: str
    detail: dict[str, Any]
    at: datetime


def notify(
    workspace_id: int, kind: NotificationKind, subject: str, detail: dict[str, Any], *, at: datetime
) -> Notification:
    """Put a notification in the workspace's inbox and, if it has a webhook, queue its delivery."""
    return notify_many(workspace_id, [Notice(kind, subject, detail, at)])[0]


def notify_many(workspace_id: int, notices: list[Notice]) -> list[Notification]:
    """``notify`` for several notices, in a few queries whatever their number."""
    created = Notification.objects.bulk_create(
        Notification(workspace_id=workspace_id, kind=n.kind, subject=n.subject, detail=n.detail, created_at=n.at)
        for n in notices
    )
    for endpoint_id in WebhookEndpoint.objects.filter(workspace_id=workspace_id).values_list("id", flat=True):
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint_id=endpoint_id, notification=n, next_attempt_at=timezone.now()) for n in created
        )
        for delivery in deliveries:
            transaction.on_commit(functools.partial(_enqueue_delivery, delivery.pk))
    return created


def _enqueue_delivery(delivery_id: int) -> None:
    from .tasks import deliver_webhook_task

    try:
        deliver_webhook_task.apply_async((delivery_id,), retry=False)
    except (OperationalError, OSError) as error:
        logger.warning("Webhook delivery %s left to the sweep: the broker is unreachable (%s)", delivery_id, error)


# The inbox.


def inbox(workspace: Workspace, *, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    """The newest notifications first."""
    items: QuerySet[Notification] = Notification.objects.filter(workspace=workspace)
    if unread_only:
        items = items.filter(read_at__isnull=True)
    return list(items.order_by("-id")[:limit])


def unread_count(workspace: Workspace) -> int:
    return Notification.objects.filter(workspace=workspace, read_at__isnull=True).count()


def mark_read(workspace: Workspace, notification_ids: list[int] | None = None) -> int:
    """Mark the given notifications (default: all) read; return how many changed."""
    items = Notification.objects.filter(workspace=workspace, read_at__isnull=True)
    if notification_ids is not None:
        items = items.filter(pk__in=notification_ids)
    return items.update(read_at=workspace.now())


def mark_unread(workspace: Workspace, notification_ids: list[int]) -> int:
    return Notification.objects.filter(workspace=workspace, pk__in=notification_ids).update(read_at=None)


# Webhook configuration.


def configure_webhook(workspace: Workspace, url: str) -> str:
    """Send ``workspace``'s notifications to ``url`` from now on. Returns the new signing
    secret, which is shown this once; configuring again replaces URL and secret."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"The webhook URL must be an absolute http:// or https:// URL, not {url!r}.")
    secret = secrets.token_hex(32)
    sealed = rootkey.seal(secret.encode(), purpose=_secret_purpose(workspace.pk))
    WebhookEndpoint.objects.update_or_create(
        workspace=workspace, defaults={"url": url, "secret_wrapped": sealed, "created_at": workspace.now()}
    )
    return secret


def remove_webhook(workspace: Workspace) -> None:
    """Stop sending; deliveries not yet sent are dropped with the endpoint."""
    WebhookEndpoint.objects.filter(workspace=workspace).delete()


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _secret_purpose(workspace_id: int) -> str:
    return f"webhook/{workspace_id}"


# Delivery.


def deliver(delivery_id: int, *, now: datetime | None = None) -> DeliveryStatus | None:
    """Make the next attempt of one delivery if it is due (``now`` is real time). Returns
    its status afterwards, or None when it was not due or another worker holds it."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "notification__workspace").get(pk=delivery_id)
    body = payload(delivery.notification)
    secret = rootkey.unseal(
        bytes(delivery.endpoint.secret_wrapped), purpose=_secret_purpose(delivery.endpoint.workspace_id)
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "kmsconsole-webhook/1",
        SIGNATURE_HEADER: sign(secret, body),
        "X-Kmsconsole-Delivery": str(delivery.pk),
        "X-Kmsconsole-Event": delivery.notification.kind,
    }
    status, error = _post(delivery.endpoint.url, body, headers)
    return _record_attempt(delivery, status, error, now=now)


def deliver_due_webhooks(*, now: datetime | None = None, batch_size: int = 100) -> int:
    """Attempt every delivery that is due; return how many were delivered."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    delivered = 0
    for delivery_id in due.order_by("next_attempt_at").values_list("id", flat=True)[:batch_size]:
        delivered += deliver(delivery_id, now=now) == DeliveryStatus.DELIVERED
    return delivered


def payload(notification: Notification) -> bytes:
    """The JSON body a webhook receives for ``notification``."""
    document = {
        "id": notification.pk,
        "workspace": notification.workspace.name,
        "kind": notification.kind,
        "subject": notification.subject,
        "time": notification.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "detail": notification.detail,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive as a bodiless GET: count it as a failure instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return None, str(getattr(error, "reason", error))[:500]


def _record_attempt(delivery: WebhookDelivery, status: int | None, error: str, *, now: datetime) -> DeliveryStatus:
    delivery.response_status = status
    if status is not None and 200 <= status < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.last_error = ""
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = error
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery.last_error = error
    delivery.save(update_fields=["status", "response_status", "delivered_at", "last_error", "next_attempt_at"])
    return DeliveryStatus(delivery.status)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after ``attempts`` failed attempts: 30 s, 1 min, 2 min... 1 h."""
    return min(FIRST_RETRY_DELAY * 2 ** (attempts - 1), MAX_RETRY_DELAY)
