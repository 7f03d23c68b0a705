"""Everything the board and the results read about a class, in a fixed number of
queries whatever the number of students: enrollments, their attempts at the class's
labs, step progress, hints taken, last activity and incident outcomes.

Step progress comes from the labs app's rows, which the lab checks keep up to date (the
student's lab page re-checks as they work; ``refresh.refresh_class`` does it for
students who work only through the API).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max

from kmsconsole.audit.models import Event
from labs.format import Lab, get_lab
from labs.models import HintReveal, LabAttempt, StepProgress

from .drills import by_drill_actors
from .models import Classroom, Enrollment, IncidentInjection, IncidentOutcome


@dataclass
class StepRow:
    passed: bool
    first_passed_at: datetime | None
    check_runs: int
    results: list[dict[str, object]]


@dataclass
class AttemptData:
    attempt: LabAttempt
    steps: dict[str, StepRow] = field(default_factory=dict)
    hints: int = 0
    # Real time (the workspace clock less its offset) of the newest event since the start.
    last_activity: datetime | None = None


@dataclass
class StudentData:
    enrollment: Enrollment
    attempts: dict[str, AttemptData] = field(default_factory=dict)
    outcomes: dict[int, IncidentOutcome] = field(default_factory=dict)  # by injection id

    @property
    def hints(self) -> int:
        return sum(data.hints for data in self.attempts.values())

    @property
    def last_activity(self) -> datetime | None:
        times = [data.last_activity for data in self.attempts.values() if data.last_activity]
        return max(times, default=None)

    @property
    def started_at(self) -> datetime | None:
        return min((data.attempt.started_real_at for data in self.attempts.values()), default=None)

    @property
    def time_spent(self) -> timedelta:
        """From the first lab's start to the last thing the student did."""
        start, last = self.started_at, self.last_activity
        if start is None or last is None or last < start:
            return timedelta(0)
        return last - start


@dataclass
class ClassData:
    classroom: Classroom
    labs: list[Lab]
    students: list[StudentData]
    injections: list[IncidentInjection]


def load_class(classroom: Classroom) -> ClassData:
    labs = [lab for slug in classroom.lab_slugs if (lab := get_lab(slug)) is not None]
    enrollments = list(classroom.enrollments.select_related("user").order_by("display_name", "pk"))
    students = {enrollment.user_id: StudentData(enrollment) for enrollment in enrollments}
    attempts = _class_attempts(classroom, students)
    _add_steps(attempts)
    _add_hints(attempts)
    _add_last_activity(attempts)
    by_enrollment = {student.enrollment.pk: student for student in students.values()}
    outcomes = IncidentOutcome.objects.filter(injection__classroom=classroom)
    for outcome in outcomes:
        by_enrollment[outcome.enrollment_id].outcomes[outcome.injection_id] = outcome
    injections = list(classroom.injections.order_by("created_at", "pk"))
    return ClassData(classroom, labs, list(students.values()), injections)


def _class_attempts(classroom: Classroom, students: dict[int, StudentData]) -> dict[int, AttemptData]:
    """The students' attempts at the class's labs started since they joined (an attempt
    from before the class is the student's own business)."""
    rows = LabAttempt.objects.filter(
        lab_slug__in=classroom.lab_slugs, user__enrollments__classroom=classroom
    ).select_related("workspace")
    attempts: dict[int, AttemptData] = {}
    for attempt in rows:
        student = students[attempt.user_id]
        if attempt.started_real_at < student.enrollment.joined_at:
            continue
        data = AttemptData(attempt)
        student.attempts[attempt.lab_slug] = data
        attempts[attempt.pk] = data
    return attempts


def _add_steps(attempts: dict[int, AttemptData]) -> None:
    rows = StepProgress.objects.filter(attempt_id__in=list(attempts)).values_list(
        "attempt_id", "step_id", "passed", "first_passed_at", "check_runs", "results"
    )
    for attempt_id, step_id, passed, first_passed_at, check_runs, results in rows:
        attempts[attempt_id].steps[step_id] = StepRow(passed, first_passed_at, check_runs, results)


def _add_hints(attempts: dict[int, AttemptData]) -> None:
    counts = (
        HintReveal.objects.filter(attempt_id__in=list(attempts))
        .values("attempt_id")
        .annotate(taken=Count("pk"))
        .values_list("attempt_id", "taken")
    )
    for attempt_id, taken in counts:
        attempts[attempt_id].hints = taken


def _add_last_activity(attempts: dict[int, AttemptData]) -> None:
    """Two queries: the newest event id per workspace (leaving out the drills' actors),
    then those events' times. An attempt whose newest event is its own setup has no
    activity yet. Events of the lab checks that follow a student's call count: they come
    at most one refresh later."""
    by_workspace: dict[int, list[AttemptData]] = defaultdict(list)
    for data in attempts.values():
        if data.attempt.workspace_id is not None:
            by_workspace[data.attempt.workspace_id].append(data)
    newest = dict(
        Event.objects.filter(workspace_id__in=list(by_workspace))
        .exclude(by_drill_actors())
        .values("workspace_id")
        .annotate(newest=Max("pk"))
        .values_list("workspace_id", "newest")
    )
    times = dict(Event.objects.filter(pk__in=list(newest.values())).values_list("pk", "event_time"))
    for workspace_id, newest_id in newest.items():
        for data in by_workspace[workspace_id]:
            workspace = data.attempt.workspace
            if newest_id > data.attempt.event_floor and workspace is not None:
                data.last_activity = times[newest_id] - workspace.clock_offset
