"""A workspace's real KMS use: its keys now, and the calls its audit trail holds for a
window ending at the workspace clock's now.

Two aggregate queries whatever the workspace's size: one counts keys by manager, spec,
regionality and deletion state; one counts the window's calls by operation and by the
spec of the key they named (over the ``event_time_idx`` index, the key's spec read by
its unique ARN).

Counted calls are the ones AWS would bill to the workspace's accounts: successful KMS
API calls made by a principal. Failed and denied calls are left out (a guess: the guide
does not say whether they are billed), and so are the events KMS records for its own
work (automatic rotation, deletion at the end of the waiting period) and the IAM and STS
calls the trail also holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Q, Subquery

from kmsconsole.audit.models import Event
from kmsconsole.engine.enums import KeyManager, KeyState
from kmsconsole.iam.models import Workspace
from kmsconsole.kms.models import Key

from .estimate import RequestCount, Usage
from .pricing import MONTH_DAYS, RequestFamily, request_family

KMS_EVENT_SOURCE = "kms.amazonaws.com"
NOT_BILLED_STATES = (KeyState.PENDING_DELETION, KeyState.PENDING_REPLICA_DELETION)


def workspace_usage(workspace: Workspace, *, window_days: int = MONTH_DAYS, now: datetime | None = None) -> Usage:
    """The keys of every account and region of ``workspace``, and the calls of the
    ``window_days`` days before ``now`` (default: the workspace clock's now)."""
    if window_days < 1:
        raise ValueError(f"The window must be at least 1 day, not {window_days}.")
    end = now or workspace.now()
    keys = _key_counts(workspace)
    return Usage(
        customer_keys_by_spec=keys.customer_by_spec,
        aws_managed_keys=keys.aws_managed,
        keys_pending_deletion=keys.pending_deletion,
        multi_region_keys=keys.multi_region,
        requests=request_counts(workspace, end - timedelta(days=window_days), end),
        window_days=window_days,
    )


@dataclass
class _KeyCounts:
    customer_by_spec: dict[str, int] = field(default_factory=dict)
    aws_managed: int = 0
    pending_deletion: int = 0
    multi_region: int = 0


def _key_counts(workspace: Workspace) -> _KeyCounts:
    rows = (
        Key.objects.filter(account__workspace=workspace)
        .values("key_manager", "key_spec", "multi_region")
        .annotate(
            billed=Count("id", filter=~Q(key_state__in=NOT_BILLED_STATES)),
            pending=Count("id", filter=Q(key_state__in=NOT_BILLED_STATES)),
        )
        .order_by()
    )
    counts = _KeyCounts()
    for row in rows:
        if row["key_manager"] == KeyManager.AWS:
            counts.aws_managed += row["billed"] + row["pending"]
            continue
        if row["billed"]:
            spec = row["key_spec"]
            counts.customer_by_spec[spec] = counts.customer_by_spec.get(spec, 0) + row["billed"]
        counts.pending_deletion += row["pending"]
        counts.multi_region += row["billed"] if row["multi_region"] else 0
    return counts


def request_counts(workspace: Workspace, start: datetime, end: datetime) -> tuple[RequestCount, ...]:
    """The billable calls with ``start <= event_time < end``, by operation and price
    family, largest first."""
    key_spec = Subquery(Key.objects.filter(arn=OuterRef("key_arn")).values("key_spec")[:1])
    rows = (
        Event.objects.filter(
            workspace=workspace,
            event_time__gte=start,
            event_time__lt=end,
            event_source=KMS_EVENT_SOURCE,
            error_code="",
        )
        .exclude(principal_arn="")
        .annotate(key_spec=key_spec)
        .values("event_name", "key_spec")
        .annotate(count=Count("id"))
        .order_by()
    )
    totals: dict[tuple[str, RequestFamily], int] = defaultdict(int)
    for row in rows:
        totals[(row["event_name"], request_family(row["event_name"], row["key_spec"]))] += row["count"]
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return tuple(RequestCount(operation, family, count) for (operation, family), count in ordered)
