"""The workspace inbox, and webhooks signed with HMAC-SHA256 delivered to a local receiver."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from receiver import start_receiver

from kmsconsole.engine.errors import ValidationError
from kmsconsole.monitoring import notifications
from kmsconsole.monitoring.models import DeliveryStatus, NotificationKind, WebhookDelivery, WebhookEndpoint
from kmsconsole.monitoring.notifications import MAX_ATTEMPTS, deliver, deliver_due_webhooks, notify


@pytest.fixture
def ws(workspace):
    return workspace.workspace


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def test_a_scheduled_deletion_and_a_rotation_land_in_the_inbox_unread(kms, ws):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=arn)
    kms.enable_key(KeyId=arn)
    kms.rotate_key_on_demand(KeyId=arn)

    kinds = [(n.kind, n.subject) for n in notifications.inbox(ws) if n.kind != NotificationKind.COMPLIANCE_CHANGE]
    assert kinds == [
        (NotificationKind.KEY_ROTATED, f"Key rotated: {arn}"),
        (NotificationKind.KEY_DELETION_SCHEDULED, f"Key scheduled for deletion: {arn}"),
    ]
    rotated, scheduled = (n for n in notifications.inbox(ws) if n.kind != NotificationKind.COMPLIANCE_CHANGE)
    assert rotated.detail["rotationType"] == "ON_DEMAND"
    assert scheduled.detail["pendingWindowInDays"] == 7
    assert scheduled.read_at is None


def test_marking_read_empties_the_unread_list(kms, ws):
    kms.schedule_key_deletion(KeyId=kms.create_key()["KeyMetadata"]["KeyId"], PendingWindowInDays=7)
    assert notifications.unread_count(ws) >= 1
    first = notifications.inbox(ws)[0]
    assert notifications.mark_read(ws, [first.pk]) == 1
    assert first.pk not in [n.pk for n in notifications.inbox(ws, unread_only=True)]
    notifications.mark_read(ws)
    assert notifications.unread_count(ws) == 0
    notifications.mark_unread(ws, [first.pk])
    assert [n.pk for n in notifications.inbox(ws, unread_only=True)] == [first.pk]


def test_the_inbox_of_one_workspace_is_not_anothers(kms, ws, charlie):
    kms.schedule_key_deletion(KeyId=kms.create_key()["KeyMetadata"]["KeyId"], PendingWindowInDays=7)
    from kmsconsole.iam.models import Account

    strangers = Account.objects.get(account_id=charlie.account_id).workspace
    assert notifications.inbox(strangers) == []


def test_a_webhook_receives_each_notification_signed_with_the_workspace_secret(ws, receiver):
    secret = notifications.configure_webhook(ws, receiver.url)
    note = notify(ws.pk, NotificationKind.KEY_ROTATED, "Key rotated: k", {"keyArn": "k"}, at=ws.now())
    delivery = WebhookDelivery.objects.get(notification=note)

    assert deliver(delivery.pk) == DeliveryStatus.DELIVERED

    (request,) = receiver.requests
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Kmsconsole-Signature"], expected)
    assert request.headers["X-Kmsconsole-Event"] == "KeyRotated"
    assert request.headers["X-Kmsconsole-Delivery"] == str(delivery.pk)
    assert json.loads(request.body) == {
        "id": note.pk, "workspace": ws.name, "kind": "KeyRotated", "subject": "Key rotated: k",
        "time": note.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "detail": {"keyArn": "k"},
    }  # fmt: skip
    assert deliver(delivery.pk) is None  # delivered once


def test_the_secret_is_stored_sealed(ws, receiver):
    secret = notifications.configure_webhook(ws, receiver.url)
    stored = bytes(WebhookEndpoint.objects.get(workspace=ws).secret_wrapped)
    assert secret.encode() not in stored


def test_a_failed_delivery_is_retried_with_backoff(ws, receiver):
    notifications.configure_webhook(ws, receiver.url)
    receiver.statuses = [500, 503]
    note = notify(ws.pk, NotificationKind.KEY_ROTATED, "Key rotated: k", {}, at=ws.now())
    delivery = WebhookDelivery.objects.get(notification=note)
    now = timezone.now()

    assert deliver(delivery.pk, now=now) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_error) == (1, "HTTP 500")
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    assert deliver_due_webhooks(now=now + timedelta(seconds=29)) == 0

    assert deliver_due_webhooks(now=now + timedelta(seconds=30)) == 0  # 503: next try a minute later
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == now + timedelta(seconds=90)
    assert deliver_due_webhooks(now=now + timedelta(seconds=90)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == (DeliveryStatus.DELIVERED, 3, 3)


def test_a_delivery_gives_up_after_the_last_attempt(ws):
    notifications.configure_webhook(ws, "http://127.0.0.1:9/nobody-listens")
    note = notify(ws.pk, NotificationKind.KEY_ROTATED, "Key rotated: k", {}, at=ws.now())
    delivery = WebhookDelivery.objects.get(notification=note)
    now = timezone.now()
    for attempt in range(MAX_ATTEMPTS):
        deliver(delivery.pk, now=now + timedelta(days=attempt))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert delivery.last_error


def test_it_refuses_a_webhook_url_that_is_not_http(ws):
    with pytest.raises(ValidationError, match="must be an absolute http:// or https:// URL, not 'file:///etc/passwd'"):
        notifications.configure_webhook(ws, "file:///etc/passwd")


def test_without_a_webhook_nothing_is_queued(ws):
    note = notify(ws.pk, NotificationKind.KEY_ROTATED, "Key rotated: k", {}, at=ws.now())
    assert not WebhookDelivery.objects.filter(notification=note).exists()
