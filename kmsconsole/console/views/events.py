"""Event history: the workspace's audit trail, newest first, every denial explained.

Reads go through ``audit.lookup.list_events`` (keyset pages on ``(event_time, id)`` over
the ``event_time_idx`` index), so the first page and the hundredth cost the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from kmsconsole.audit.lookup import event_record, list_events
from kmsconsole.audit.models import Event
from kmsconsole.iam.models import Principal, Workspace
from kmsconsole.kms.models import Key

from ..context import ConsoleContext
from ..decorators import console_page
from ..explain import Explanation, explain
from ..forms_tools import EventFilterForm

PAGE_SIZE = 50
# Shown as suggestions in the filter form; any name or code can be typed.
COMMON_EVENT_NAMES = (
    "Encrypt", "Decrypt", "GenerateDataKey", "ReEncrypt", "Sign", "Verify", "GenerateMac", "CreateKey",
    "DescribeKey", "PutKeyPolicy", "CreateGrant", "ScheduleKeyDeletion", "DisableKey", "EnableKey",
    "RotateKey", "DeleteKey", "AssumeRole", "PutUserPolicy", "CreateAccessKey",
)  # fmt: skip
COMMON_ERROR_CODES = (
    "AccessDeniedException", "AccessDenied", "DisabledException", "KMSInvalidStateException",
    "InvalidCiphertextException", "IncorrectKeyException", "NotFoundException", "ValidationException",
)  # fmt: skip


@dataclass(frozen=True)
class EventRow:
    event: Event
    explanation: Explanation | None


@console_page
def event_list(request: HttpRequest) -> HttpResponse:
    """The filtered history, one keyset page at a time (``before`` is the id of the last
    event of the previous page)."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    form = EventFilterForm(request.GET)
    events: list[Event] = []
    if form.is_valid():
        events = _matching(context.workspace, form.cleaned_data)
    rows = [EventRow(event, _denial_explained(event)) for event in events[:PAGE_SIZE]]
    page = {
        "form": form,
        "rows": rows,
        "next_before": events[PAGE_SIZE - 1].pk if len(events) > PAGE_SIZE else None,
        "filter_query": form.filter_query(),
        "paged": bool(form.data.get("before")),
        "event_names": COMMON_EVENT_NAMES,
        "error_codes": COMMON_ERROR_CODES,
        "principal_arns": _principal_arns(context.workspace),
    }
    template = "console/events/list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#event-table"
    return render(request, template, page)


def _matching(workspace: Workspace, filters: dict[str, object]) -> list[Event]:
    """One page of events plus one more, which says whether a next page exists."""
    return list_events(
        workspace,
        event_name=str(filters["event_name"]) or None,
        principal_arn=str(filters["principal"]) or None,
        key_arn=_key_arn(workspace, str(filters["key"])),
        error_code=str(filters["error_code"]) or None,
        only_errors=bool(filters["only_errors"]),
        start=filters["start"],  # type: ignore[arg-type]
        end=filters["end"],  # type: ignore[arg-type]
        limit=PAGE_SIZE + 1,
        before_id=filters["before"],  # type: ignore[arg-type]
    )


def _principal_arns(workspace: Workspace) -> list[str]:
    """Suggestions for the principal filter: the workspace's users, roles and roots (a
    role session's ARN can be typed)."""
    principals = Principal.objects.filter(account__workspace=workspace).select_related("account")
    return [principal.arn for principal in principals.order_by("account__label", "kind", "name")]


def _key_arn(workspace: Workspace, key_ref: str) -> str | None:
    """Events name keys by ARN; a bare key id of this workspace is turned into its ARN."""
    if not key_ref:
        return None
    if key_ref.startswith("arn:"):
        return key_ref
    arn = Key.objects.filter(account__workspace=workspace, key_id=key_ref).values_list("arn", flat=True).first()
    return arn or key_ref


def _denial_explained(event: Event) -> Explanation | None:
    if not event.error_code.startswith("AccessDenied"):
        return None
    return explain(event.trace, principal=event.principal_arn, action=event.event_name, error_code=event.error_code)


@console_page
def event_detail(request: HttpRequest, event_id: str) -> HttpResponse:
    """One event: its summary, the authorization trace explained and its full CloudTrail
    JSON. For htmx, only the fragment that opens under the list."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    event = get_object_or_404(Event, workspace=context.workspace, event_id=event_id)
    explanation = explain(
        event.trace, principal=event.principal_arn, action=event.event_name, error_code=event.error_code
    )
    page = {
        "event": event,
        "record_json": json.dumps(event_record(event), indent=2),
        "explanation": explanation,
        "key_url": key_page_url(context, event.key_arn),
    }
    template = "console/events/detail.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#event-detail"
    return render(request, template, page)


def key_page_url(context: ConsoleContext, key_arn: str) -> str | None:
    """The console page of a key, when the current account and region can open it."""
    prefix = f"arn:aws:kms:{context.region}:{context.account.account_id}:key/"
    if not key_arn.startswith(prefix):
        return None
    return reverse("console:key-detail", args=[key_arn.removeprefix(prefix)])
