"""Keeping the board current for students who never open their lab page.

The lab page re-runs a learner's checks as they work; a student who works only through
the API (the aws CLI, boto3) has nothing polling for them. ``refresh_class`` re-runs the
checks of every attempt whose workspace recorded events since its last check (the labs
app's own ``recheck_if_new_events``) and re-evaluates open incident drills. A periodic
task runs it for every open class; work is proportional to the students who did
something, not to the class size.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Max

from labs.format import get_lab
from labs.models import LabAttempt
from labs.progress import record_checks

from . import incidents
from .models import Classroom, ClassStatus


@dataclass(frozen=True)
class Refreshed:
    attempts_checked: int
    outcomes_changed: int


def refresh_class(classroom: Classroom, *, batch_size: int = 500) -> Refreshed:
    return Refreshed(
        attempts_checked=recheck_progress(classroom, batch_size=batch_size),
        outcomes_changed=incidents.evaluate(incidents.open_outcomes(classroom)),
    )


def refresh_open_classes(*, batch_size: int = 500) -> Refreshed:
    checked = changed = 0
    for classroom in Classroom.objects.filter(status=ClassStatus.OPEN):
        done = refresh_class(classroom, batch_size=batch_size)
        checked += done.attempts_checked
        changed += done.outcomes_changed
    return Refreshed(checked, changed)


def stale_attempts(classroom: Classroom) -> list[LabAttempt]:
    """The class's attempts whose workspace has events their checks have not seen."""
    return list(
        LabAttempt.objects.filter(
            lab_slug__in=classroom.lab_slugs,
            user__enrollments__classroom=classroom,
            user__enrollments__frozen=False,
            workspace__isnull=False,
        )
        .annotate(newest_event=Max("workspace__events__pk"))
        .filter(newest_event__gt=F("checked_through_event"))
        .select_related("workspace")
    )


def recheck_progress(classroom: Classroom, *, batch_size: int = 500) -> int:
    checked = 0
    for attempt in stale_attempts(classroom)[:batch_size]:
        lab = get_lab(attempt.lab_slug)
        if lab is not None:
            record_checks(attempt, lab)
            checked += 1
    return checked
