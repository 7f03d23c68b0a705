"""Metrics derived from the audit trail: counts of events per minute on the workspace
clock, as CloudWatch metric filters on a CloudTrail log group would publish them.

Every figure is one aggregate query (``GROUP BY`` the event time truncated to the
minute) over a time window, so it costs the same on SQLite and PostgreSQL whatever the
size of the trail outside the window. The events table's indexes serve the filters:
(workspace, -event_time, -id) for the whole trail, (workspace, event_name, -event_time)
for one operation, (key_arn, -event_time) for one key. A minute without matching events
has no datapoint: it is *missing*, as it is for a metric filter without a default value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMinute

from kmsconsole.audit.models import Event

# KMS answers AccessDeniedException; IAM and STS answer AccessDenied.
DENIAL_ERROR_CODES = ("AccessDeniedException", "AccessDenied")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Dimension(StrEnum):
    """What a per-minute count can be broken down by: the audit event's column."""

    OPERATION = "event_name"
    KEY = "key_arn"
    PRINCIPAL = "principal_arn"
    ERROR_CODE = "error_code"


@dataclass(frozen=True)
class MetricFilter:
    """Which audit events a metric counts. Blank fields match every event."""

    event_name: str = ""
    key_arn: str = ""
    principal_arn: str = ""
    errors_only: bool = False
    denials_only: bool = False

    def events(self, workspace_id: int, start: datetime, end: datetime) -> QuerySet[Event]:
        """The matching events with ``start <= event_time < end``."""
        events = Event.objects.filter(workspace_id=workspace_id, event_time__gte=start, event_time__lt=end)
        if self.event_name:
            events = events.filter(event_name=self.event_name)
        if self.key_arn:
            events = events.filter(key_arn=self.key_arn)
        if self.principal_arn:
            events = events.filter(principal_arn=self.principal_arn)
        if self.denials_only:
            events = events.filter(error_code__in=DENIAL_ERROR_CODES)
        elif self.errors_only:
            events = events.exclude(error_code="")
        return events


ALL_CALLS = MetricFilter()
ERRORS = MetricFilter(errors_only=True)
DENIALS = MetricFilter(denials_only=True)


@dataclass(frozen=True)
class MinuteCount:
    minute: datetime
    value: str
    count: int


def minute_counts(workspace_id: int, metric: MetricFilter, start: datetime, end: datetime) -> dict[datetime, int]:
    """``{minute: count}`` of ``metric`` in ``[start, end)``; minutes without events are absent."""
    rows = (
        metric.events(workspace_id, start, end)
        .annotate(minute=TruncMinute("event_time", tzinfo=UTC))
        .values("minute")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["minute"]: row["count"] for row in rows}


def counts_by(
    workspace_id: int,
    dimension: Dimension,
    start: datetime,
    end: datetime,
    metric: MetricFilter = ALL_CALLS,
) -> list[MinuteCount]:
    """Per-minute counts of ``metric`` broken down by ``dimension`` (calls per operation,
    per key, per principal...), oldest minute first."""
    column = dimension.value
    rows = (
        metric.events(workspace_id, start, end)
        .annotate(minute=TruncMinute("event_time", tzinfo=UTC))
        .values("minute", column)
        .annotate(count=Count("id"))
        .order_by("minute", column)
    )
    return [MinuteCount(row["minute"], row[column], row["count"]) for row in rows]


def totals_by(
    workspace_id: int,
    dimension: Dimension,
    start: datetime,
    end: datetime,
    metric: MetricFilter = ALL_CALLS,
) -> list[tuple[str, int]]:
    """``(value, count)`` over the whole window, largest first: the top operations, keys
    or principals of an incident."""
    rows = (
        metric.events(workspace_id, start, end)
        .values(dimension.value)
        .annotate(count=Count("id"))
        .order_by("-count", dimension.value)
    )
    return [(row[dimension.value], row["count"]) for row in rows]


def period_start(moment: datetime, period_seconds: int) -> datetime:
    """The start of the period containing ``moment``; periods are aligned on the epoch,
    so a 5-minute period starts at :00, :05, :10..."""
    elapsed = int((moment - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=elapsed - elapsed % period_seconds)


def period_sums(
    workspace_id: int, metric: MetricFilter, start: datetime, end: datetime, period_seconds: int
) -> dict[datetime, float]:
    """``{period start: Sum}`` of ``metric`` in ``[start, end)``, from the per-minute
    counts (a period is a whole number of minutes); periods without events are absent."""
    sums: dict[datetime, float] = defaultdict(float)
    for minute, count in minute_counts(workspace_id, metric, start, end).items():
        sums[period_start(minute, period_seconds)] += count
    return dict(sums)
