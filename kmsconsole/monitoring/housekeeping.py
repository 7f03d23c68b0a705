"""Removing STS session credentials once they have expired on their workspace's clock.

A request signed with an expired session is already refused when it is authenticated
(``ExpiredTokenException``); this sweep only removes the dead rows, in bounded batches,
so the access-key table does not grow with every AssumeRole. Deleting is idempotent:
two sweeps at once delete each row once, and a crash mid-batch leaves the rest for the
next sweep.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Now

from kmsconsole.iam.models import AccessKey

CHUNK_SIZE = 500


def expired_sessions(workspace_id: int | None = None) -> QuerySet[AccessKey]:
    """Session keys (``ASIA...`` rows with a session name) past their expiry."""
    workspace_now = Now() + F("principal__account__workspace__clock_offset")
    expired = AccessKey.objects.exclude(session_name="").filter(expires_at__lte=workspace_now)
    return expired.filter(principal__account__workspace_id=workspace_id) if workspace_id else expired


def expire_sessions(*, batch_size: int = 10_000, workspace_id: int | None = None) -> int:
    """Delete up to ``batch_size`` expired session keys; return how many."""
    deleted = 0
    while deleted < batch_size:
        with transaction.atomic():
            rows = expired_sessions(workspace_id).order_by("pk").values_list("pk", flat=True)
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True, of=("self",))
            chunk = list(rows[: min(CHUNK_SIZE, batch_size - deleted)])
            AccessKey.objects.filter(pk__in=chunk).delete()
        deleted += len(chunk)
        if len(chunk) < CHUNK_SIZE:
            break
    return deleted
