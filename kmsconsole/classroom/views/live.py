"""The live board, a student's workspace read-only, broadcasts and the class clock.

The board refreshes by htmx polling rather than server-sent events: under gunicorn's
sync or gthread workers an SSE stream holds a worker thread per open board for as long
as it is open, and proxies buffer or cut long-lived responses; a poll is an ordinary
short request whose cost is bounded (the board is built in a fixed number of queries,
whatever the class size) and which any proxy passes.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kmsconsole.audit.models import Event
from kmsconsole.console.explain import explain
from kmsconsole.engine.enums import KeyManager
from kmsconsole.iam.models import AccessKey, Principal, Workspace
from kmsconsole.kms.models import Grant, Key

from .. import access, lifecycle
from ..board import build_board
from ..forms import BroadcastForm, ClockForm
from ..incidents import evaluate, open_outcomes
from ..models import Broadcast, ClassStatus, Enrollment
from .common import class_for_instructor

BOARD_POLL_SECONDS = 5
EVENTS_PER_PAGE = 50
BROADCASTS_SHOWN = 3


@login_required
@require_GET
def board(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = class_for_instructor(request, classroom_id)
    # Drill outcomes are re-evaluated here too (only where new events arrived: a fixed
    # number of queries when nothing changed); lab progress is the refresh task's job.
    evaluate(open_outcomes(classroom))
    page = {
        "classroom": classroom,
        "board": build_board(classroom),
        "poll_seconds": BOARD_POLL_SECONDS,
        "broadcast_form": BroadcastForm(),
        "clock_form": ClockForm(),
        "broadcasts": classroom.broadcasts.order_by("-sent_at")[:BROADCASTS_SHOWN],
    }
    template = "classroom/board.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#board"
    return render(request, template, page)


# ---------------------------------------------------------------- a workspace, read-only


@login_required
@require_GET
def student_workspace(request: HttpRequest, classroom_id: int, enrollment_id: int) -> HttpResponse:
    """What the instructor sees to help a student: keys, policies, grants, identities and
    the audit trail with denials explained. Nothing on the page changes anything."""
    classroom = class_for_instructor(request, classroom_id)
    student = access.student_of(classroom, enrollment_id)
    return _workspace_page(request, student, instructor=True)


@login_required
@require_GET
def my_workspace(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """A student's own class workspace, read-only (the only view left once frozen)."""
    joined = access.own_enrollment(request.user, classroom_id)
    if joined is None:
        return redirect("classroom:home")
    return _workspace_page(request, joined, instructor=False)


def _workspace_page(request: HttpRequest, student: Enrollment, *, instructor: bool) -> HttpResponse:
    workspace = student.workspace
    page: dict[str, object] = {"classroom": student.classroom, "student": student, "instructor": instructor}
    if workspace is not None:
        page.update(_workspace_view(workspace, request.GET.get("before", "")))
    template = "classroom/workspace.html"
    if request.htmx and request.GET.get("before"):  # type: ignore[attr-defined]
        template += "#events"
    return render(request, template, page)


def _workspace_view(workspace: Workspace, before: str) -> dict[str, object]:
    keys = (
        Key.objects.filter(account__workspace=workspace, key_manager=KeyManager.CUSTOMER)
        .select_related("account")
        .prefetch_related("aliases")
        .order_by("account__label", "creation_date")
    )
    grants = Grant.objects.filter(key__account__workspace=workspace).select_related("key").order_by("creation_date")
    identities = (
        Principal.objects.filter(account__workspace=workspace)
        .exclude(kind="Root")
        .select_related("account")
        .order_by("account__label", "kind", "name")
    )
    access_keys = AccessKey.objects.filter(principal__account__workspace=workspace, session_name="")
    events = Event.objects.filter(workspace=workspace).order_by("-pk")
    if before.isdigit():
        events = events.filter(pk__lt=int(before))
    page_of_events = list(events[: EVENTS_PER_PAGE + 1])
    shown = page_of_events[:EVENTS_PER_PAGE]
    return {
        "workspace": workspace,
        "keys": [(key, _pretty(key.policy)) for key in keys],
        "grants": grants,
        "identities": identities,
        "access_keys": access_keys.select_related("principal"),
        "events": [(event, _explained(event)) for event in shown],
        "next_before": shown[-1].pk if len(page_of_events) > EVENTS_PER_PAGE else None,
        "workspace_now": workspace.now(),
    }


def _pretty(policy: str) -> str:
    try:
        return json.dumps(json.loads(policy), indent=2)
    except ValueError:
        return policy


def _explained(event: Event) -> object:
    if not event.error_code.startswith("AccessDenied"):
        return None
    return explain(event.trace, principal=event.principal_arn, action=event.event_name, error_code=event.error_code)


# ---------------------------------------------------------------- broadcasts


@login_required
@require_POST
def broadcast(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = class_for_instructor(request, classroom_id)
    form = BroadcastForm(request.POST)
    if form.is_valid():
        Broadcast.objects.create(classroom=classroom, text=form.cleaned_data["text"].strip())
        messages.success(request, "Message sent to the class.")
    else:
        messages.error(request, "Write a message of at most 500 characters.")
    return redirect("classroom:board", classroom_id=classroom.pk)


@login_required
@require_GET
def broadcasts(request: HttpRequest) -> HttpResponse:
    """The signed-in student's latest messages from their open classes: the fragment the
    lab pages poll (``templates/classroom/_broadcasts.html``)."""
    assert isinstance(request.user, User)  # login_required
    in_open_class = Enrollment.objects.filter(user=request.user, classroom__status=ClassStatus.OPEN).exists()
    recent = (
        Broadcast.objects.filter(classroom__enrollments__user=request.user, classroom__status=ClassStatus.OPEN)
        .select_related("classroom")
        .order_by("-sent_at")[:BROADCASTS_SHOWN]
    )
    page = {"class_messages": list(recent) if in_open_class else [], "keep_polling": in_open_class}
    return render(request, "classroom/_broadcasts.html#messages", page)


# ---------------------------------------------------------------- the class clock


@login_required
@require_POST
def clock(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = class_for_instructor(request, classroom_id)
    form = ClockForm(request.POST)
    if not classroom.is_open:
        messages.error(request, "The class is closed: its clock no longer moves.")
        return redirect("classroom:board", classroom_id=classroom.pk)
    if not form.is_valid():
        messages.error(
            request,
            "; ".join(str(error) for error in form.non_field_errors()) or "Move the clock by whole days and hours.",
        )
        return redirect("classroom:board", classroom_id=classroom.pk)
    advanced = lifecycle.advance_class_clock(classroom, form.cleaned_data["delta"])
    messages.success(
        request,
        f"Moved {len(advanced)} workspace clock(s) forward by {form.cleaned_data['delta']}; "
        f"due rotations, deletions and alarms are being processed ({timezone.now():%H:%M:%S} UTC).",
    )
    return redirect("classroom:board", classroom_id=classroom.pk)
