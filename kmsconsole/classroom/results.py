"""Results: one record per student, a class summary, and CSV and JSON exports.

A record is plain JSON, built from the live data while the class runs and stored in
the enrollment when it closes (``snapshot``), so the results of a closed class read the
same after its workspaces were deleted.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean
from typing import Any

from django.utils import timezone

from labs.format import Lab

from .board import CellState, columns_of, lab_cells
from .classdata import ClassData, StudentData, load_class
from .models import Classroom, IncidentInjection

Record = dict[str, Any]
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def step_key(lab_slug: str, step_id: str) -> str:
    return f"{lab_slug}/{step_id}"


def _seconds(delta: timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def student_record(student: StudentData, labs: list[Lab], injections: list[IncidentInjection], now: datetime) -> Record:
    enrollment = student.enrollment
    steps: dict[str, bool] = {}
    failed_checks: list[dict[str, str]] = []
    lab_rows = []
    for lab in labs:
        data = student.attempts.get(lab.slug)
        cells = lab_cells(lab, data, now, timedelta(days=365))
        for step, cell in zip(lab.steps, cells, strict=True):
            steps[step_key(lab.slug, step.id)] = cell.state == CellState.DONE
            row = data.steps.get(step.id) if data else None
            if row is not None and not row.passed:
                failed_checks += [
                    {"step": step_key(lab.slug, step.id), "check": str(r["check"]), "reason": str(r["reason"])}
                    for r in row.results
                    if not r.get("passed")
                ]
        attempt = data.attempt if data else None
        lab_rows.append(
            {
                "lab": lab.slug,
                "steps_done": sum(cell.state == CellState.DONE for cell in cells),
                "steps_total": len(lab.steps),
                "quiz_score": attempt.quiz_score if attempt else None,
                "quiz_total": attempt.quiz_total if attempt else None,
                "hints": data.hints if data else 0,
                "completed": bool(attempt and attempt.completed_at),
            }
        )
    outcomes = [(injection, student.outcomes.get(injection.pk)) for injection in injections]
    incidents = [
        {
            "kind": injection.kind,
            "injected_at": _iso(outcome.injected_at),
            "time_to_detect_seconds": _seconds(outcome.time_to_detect),
            "time_to_resolve_seconds": _seconds(outcome.time_to_resolve),
            "error": outcome.error,
        }
        for injection, outcome in outcomes
        if outcome is not None
    ]
    return {
        "student": enrollment.display_name,
        "username": enrollment.user.get_username(),
        "guest": enrollment.is_guest,
        "joined_at": _iso(enrollment.joined_at),
        "steps_done": sum(steps.values()),
        "steps_total": len(steps),
        "steps": steps,
        "labs": lab_rows,
        "hints": student.hints,
        "time_spent_seconds": _seconds(student.time_spent),
        "last_activity": _iso(student.last_activity),
        "incidents": incidents,
        "incidents_injected": sum(1 for item in incidents if not item["error"]),
        "incidents_resolved": sum(1 for item in incidents if item["time_to_resolve_seconds"] is not None),
        "failed_checks": failed_checks,
    }


def live_records(data: ClassData, now: datetime | None = None) -> list[Record]:
    now = now or timezone.now()
    return [student_record(student, data.labs, data.injections, now) for student in data.students]


def class_records(classroom: Classroom) -> list[Record]:
    """Snapshots for a closed class, live records otherwise."""
    if not classroom.is_open:
        enrollments = classroom.enrollments.order_by("display_name", "pk")
        return [enrollment.results_snapshot for enrollment in enrollments if enrollment.results_snapshot]
    return live_records(load_class(classroom))


def snapshot(classroom: Classroom) -> None:
    data = load_class(classroom)
    for student, record in zip(data.students, live_records(data), strict=True):
        student.enrollment.results_snapshot = record
        student.enrollment.save(update_fields=["results_snapshot"])


# ---------------------------------------------------------------- summary


@dataclass(frozen=True)
class StepCompletion:
    key: str
    title: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return 0 if self.total == 0 else round(100 * self.done / self.total)


@dataclass(frozen=True)
class FailedCheck:
    step: str
    check: str
    students: int
    example_reason: str


@dataclass(frozen=True)
class ClassSummary:
    students: int
    completion: list[StepCompletion]
    common_failures: list[FailedCheck]
    incidents_resolved: int
    incidents_injected: int
    mean_time_to_detect_seconds: int | None
    mean_time_to_resolve_seconds: int | None


def summarize(records: list[Record], labs: list[Lab], *, top: int = 5) -> ClassSummary:
    """Completion per step, and the checks that fail for the most students: what to
    re-teach."""
    completion = [
        StepCompletion(
            step_key(column.lab.slug, column.step_id),
            f"{column.lab.title}: {column.step_title}",
            sum(1 for record in records if record["steps"].get(step_key(column.lab.slug, column.step_id))),
            len(records),
        )
        for column in columns_of(labs)
    ]
    failing: Counter[tuple[str, str]] = Counter()
    reasons: dict[tuple[str, str], str] = {}
    for record in records:
        for item in {(f["step"], f["check"]): f for f in record["failed_checks"]}.values():
            failing[(item["step"], item["check"])] += 1
            reasons.setdefault((item["step"], item["check"]), item["reason"])
    incidents = [item for record in records for item in record["incidents"] if not item["error"]]
    detect = [i["time_to_detect_seconds"] for i in incidents if i["time_to_detect_seconds"] is not None]
    resolve = [i["time_to_resolve_seconds"] for i in incidents if i["time_to_resolve_seconds"] is not None]
    return ClassSummary(
        students=len(records),
        completion=completion,
        common_failures=[
            FailedCheck(step, check, count, reasons[(step, check)]) for (step, check), count in failing.most_common(top)
        ],
        incidents_resolved=len(resolve),
        incidents_injected=len(incidents),
        mean_time_to_detect_seconds=round(mean(detect)) if detect else None,
        mean_time_to_resolve_seconds=round(mean(resolve)) if resolve else None,
    )


# ---------------------------------------------------------------- exports

CSV_COLUMNS = [
    "student", "username", "guest", "joined_at", "steps_done", "steps_total", "quiz_score", "quiz_total", "hints",
    "time_spent_minutes", "incidents_injected", "incidents_resolved", "mean_time_to_detect_seconds",
    "mean_time_to_resolve_seconds",
]  # fmt: skip


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text a student chose (their display name)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _mean_of(incidents: list[dict[str, Any]], field: str) -> int | str:
    values = [item[field] for item in incidents if item[field] is not None]
    return round(mean(values)) if values else ""


def csv_text(records: list[Record], labs: list[Lab]) -> str:
    step_columns = [step_key(column.lab.slug, column.step_id) for column in columns_of(labs)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS + step_columns)
    for record in records:
        quizzes = [lab for lab in record["labs"] if lab["quiz_total"] is not None]
        row = [
            record["student"], record["username"], "yes" if record["guest"] else "no", record["joined_at"],
            record["steps_done"], record["steps_total"],
            sum(lab["quiz_score"] or 0 for lab in quizzes) if quizzes else "",
            sum(lab["quiz_total"] for lab in quizzes) if quizzes else "",
            record["hints"], round((record["time_spent_seconds"] or 0) / 60, 1),
            record["incidents_injected"], record["incidents_resolved"],
            _mean_of(record["incidents"], "time_to_detect_seconds"),
            _mean_of(record["incidents"], "time_to_resolve_seconds"),
        ]  # fmt: skip
        row += [1 if record["steps"].get(key) else 0 for key in step_columns]
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def json_document(classroom: Classroom, records: list[Record], summary: ClassSummary) -> dict[str, Any]:
    return {
        "class": {
            "name": classroom.name,
            "join_code": classroom.join_code,
            "labs": classroom.lab_slugs,
            "starts_at": _iso(classroom.starts_at),
            "ends_at": _iso(classroom.ends_at),
            "status": classroom.status,
            "closed_at": _iso(classroom.closed_at),
        },
        "summary": {
            "students": summary.students,
            "completion": [{"step": c.key, "done": c.done, "total": c.total} for c in summary.completion],
            "common_failed_checks": [
                {"step": f.step, "check": f.check, "students": f.students, "example_reason": f.example_reason}
                for f in summary.common_failures
            ],
            "incidents_injected": summary.incidents_injected,
            "incidents_resolved": summary.incidents_resolved,
            "mean_time_to_detect_seconds": summary.mean_time_to_detect_seconds,
            "mean_time_to_resolve_seconds": summary.mean_time_to_resolve_seconds,
        },
        "students": records,
    }
