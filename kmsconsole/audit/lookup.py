"""Reading the audit trail: the filters the console, labs and CloudTrail lookups share.

Events come newest first, paged by keyset on ``(event_time, id)`` (the ``event_time_idx``
index), so a deep page costs the same as the first and events recorded while a learner
pages are neither skipped nor repeated.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet, Subquery

from kmsconsole.iam.models import Workspace

from .models import Event

MAX_LIMIT = 1000


def list_events(
    workspace: Workspace,
    *,
    event_name: str | None = None,
    principal_arn: str | None = None,
    username: str | None = None,
    key_arn: str | None = None,
    error_code: str | None = None,
    only_errors: bool = False,
    read_only: bool | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[Event]:
    """Up to ``limit`` (at most ``MAX_LIMIT``) events of ``workspace`` matching every
    filter given, newest first.

    ``start`` and ``end`` are inclusive, as CloudTrail's StartTime and EndTime are.
    ``before_id`` is the ``id`` of the last event of the previous page; the page then
    holds the events recorded before it. An id that is not an event of this workspace
    yields no events.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    events = Event.objects.filter(workspace=workspace)
    exact = {
        "event_name": event_name,
        "principal_arn": principal_arn,
        "username": username,
        "key_arn": key_arn,
        "error_code": error_code,
        "read_only": read_only,
    }
    events = events.filter(**{field: value for field, value in exact.items() if value is not None})
    if only_errors:
        events = events.exclude(error_code="")
    if start is not None:
        events = events.filter(event_time__gte=start)
    if end is not None:
        events = events.filter(event_time__lte=end)
    if before_id is not None:
        events = _before(events, workspace, before_id)
    return list(events.order_by("-event_time", "-id")[: min(limit, MAX_LIMIT)])


def _before(events: QuerySet[Event], workspace: Workspace, event_id: int) -> QuerySet[Event]:
    """Events strictly after ``event_id`` in newest-first order, in one query."""
    cursor_time = Subquery(Event.objects.filter(workspace=workspace, pk=event_id).values("event_time")[:1])
    return events.filter(Q(event_time__lt=cursor_time) | Q(event_time=cursor_time, id__lt=event_id))


def event_record(event: Event) -> dict[str, Any]:
    """The event as CloudTrail delivers it (the ``CloudTrailEvent`` JSON); a copy, so
    callers may annotate it freely."""
    return copy.deepcopy(event.record)
