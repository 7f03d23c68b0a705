"""Running a drill for a class and following each student's outcome.

``inject_incident`` runs the drill's script (``drills.inject``) in every chosen
student's workspace, one transaction per student, and records when. ``evaluate``
re-checks the open outcomes whose workspace recorded new events since the last look:
first detection, then resolution. The periodic refresh task calls it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kmsconsole.audit.models import Event
from kmsconsole.iam.models import Workspace

from . import drills
from .models import Classroom, ClassStatus, Enrollment, IncidentInjection, IncidentKind, IncidentOutcome, Provisioning


def inject_incident(
    classroom: Classroom, kind: str, *, enrollment_ids: Iterable[int] | None = None
) -> IncidentInjection:
    """Inject ``kind`` into the workspaces of the chosen students (all ready students by
    default). A student whose workspace cannot take the drill gets an outcome with the
    error; the others are not held back by it."""
    IncidentKind(kind)  # refuse unknown kinds before anything happens
    students = classroom.enrollments.filter(provisioning=Provisioning.READY, frozen=False, workspace__isnull=False)
    if enrollment_ids is not None:
        students = students.filter(pk__in=list(enrollment_ids))
    injection = IncidentInjection.objects.create(classroom=classroom, kind=kind)
    for enrollment in students.select_related("workspace"):
        _inject_one(injection, enrollment)
    return injection


def _inject_one(injection: IncidentInjection, enrollment: Enrollment) -> IncidentOutcome:
    workspace = enrollment.workspace
    assert workspace is not None
    outcome = IncidentOutcome(injection=injection, enrollment=enrollment)
    try:
        with transaction.atomic():
            outcome.details = drills.inject(injection.kind, workspace)
    except drills.DrillFailed as failure:
        outcome.error = str(failure)
    else:
        outcome.injected_at = timezone.now()
        outcome.event_floor = _newest_event(workspace)
        outcome.checked_through_event = outcome.event_floor
    outcome.save()
    return outcome


def _newest_event(workspace: Workspace) -> int:
    return Event.objects.filter(workspace=workspace).aggregate(newest=Max("pk"))["newest"] or 0


def open_outcomes(classroom: Classroom | None = None) -> Iterable[IncidentOutcome]:
    """Outcomes not yet resolved (and injected without error), in open classes."""
    rows = IncidentOutcome.objects.filter(
        resolved_at__isnull=True, error="", injection__classroom__status=ClassStatus.OPEN
    ).select_related("injection", "enrollment__workspace")
    if classroom is not None:
        rows = rows.filter(injection__classroom=classroom)
    return rows


def evaluate(outcomes: Iterable[IncidentOutcome]) -> int:
    """Re-check the outcomes whose workspace has new events; return how many changed."""
    outcomes = list(outcomes)
    workspace_ids = {o.details.get("workspace_id") for o in outcomes}
    newest = dict(
        Event.objects.filter(workspace_id__in=workspace_ids)
        .values("workspace_id")
        .annotate(newest=Max("pk"))
        .values_list("workspace_id", "newest")
    )
    workspaces = Workspace.objects.in_bulk([ws for ws in workspace_ids if ws in newest])
    changed = 0
    for outcome in outcomes:
        latest = newest.get(outcome.details.get("workspace_id"), 0)
        workspace = workspaces.get(outcome.details.get("workspace_id"))
        if workspace is None or latest <= outcome.checked_through_event:
            continue
        changed += _evaluate_one(outcome, workspace, latest)
    return changed


def _evaluate_one(outcome: IncidentOutcome, workspace: Workspace, latest_event: int) -> bool:
    kind, details, floor = outcome.injection.kind, outcome.details, outcome.event_floor
    before = (outcome.detected_at, outcome.resolved_at)
    if outcome.detected_at is None:
        looked = drills.first_detection(kind, workspace, details, floor)
        if looked is not None:
            outcome.detected_at = looked.event_time - workspace.clock_offset
    if drills.is_resolved(kind, workspace, details):
        outcome.resolved_at = drills.resolution_time(workspace, details, floor)
        outcome.detected_at = outcome.detected_at or outcome.resolved_at
    outcome.checked_through_event = latest_event
    updated = IncidentOutcome.objects.filter(pk=outcome.pk, resolved_at__isnull=True).update(
        detected_at=outcome.detected_at,
        resolved_at=outcome.resolved_at,
        checked_through_event=latest_event,
    )
    return bool(updated) and before != (outcome.detected_at, outcome.resolved_at)
