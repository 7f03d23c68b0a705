"""The live board: one row per student, one column per lab step.

A step is done once its checks passed, in progress while it is the student's next step,
and stuck when the student has made no progress for the class's ``stuck_minutes`` or
its checks failed ``STUCK_FAILED_CHECKS`` times in a row. The board is built from
``classdata.load_class`` (a fixed number of queries) and never runs checks itself, so
a refresh costs the same at 5 students and at 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.utils import timezone

from labs.format import Lab

from .classdata import AttemptData, ClassData, StudentData, load_class
from .models import Classroom, IncidentInjection, IncidentOutcome

# The lab checks re-run after each call the student makes; this many failed runs of the
# same step reads as "trying things that do not work".
STUCK_FAILED_CHECKS = 6


class CellState(StrEnum):
    DONE = "done"
    IN_PROGRESS = "in-progress"
    STUCK = "stuck"
    NOT_STARTED = "not-started"


@dataclass(frozen=True)
class Column:
    lab: Lab
    step_id: str
    step_title: str
    number: int  # within its lab, from 1


@dataclass(frozen=True)
class Cell:
    state: CellState
    note: str = ""


@dataclass
class StudentRow:
    student: StudentData
    cells: list[Cell]
    outcomes: list[IncidentOutcome | None]

    @property
    def enrollment_id(self) -> int:
        return self.student.enrollment.pk

    @property
    def steps_done(self) -> int:
        return sum(cell.state == CellState.DONE for cell in self.cells)

    @property
    def stuck(self) -> bool:
        return any(cell.state == CellState.STUCK for cell in self.cells)


@dataclass
class Board:
    classroom: Classroom
    columns: list[Column]
    rows: list[StudentRow]
    injections: list[IncidentInjection]
    generated_at: datetime

    @property
    def stuck_count(self) -> int:
        return sum(row.stuck for row in self.rows)


def columns_of(labs: list[Lab]) -> list[Column]:
    return [Column(lab, step.id, step.title, number) for lab in labs for number, step in enumerate(lab.steps, start=1)]


def build_board(classroom: Classroom, *, now: datetime | None = None) -> Board:
    data = load_class(classroom)
    return board_from(data, now=now or timezone.now())


def board_from(data: ClassData, *, now: datetime) -> Board:
    stuck_after = timedelta(minutes=data.classroom.stuck_minutes)
    rows = [
        StudentRow(
            student,
            [cell for lab in data.labs for cell in lab_cells(lab, student.attempts.get(lab.slug), now, stuck_after)],
            [student.outcomes.get(injection.pk) for injection in data.injections],
        )
        for student in data.students
    ]
    return Board(data.classroom, columns_of(data.labs), rows, data.injections, now)


def lab_cells(lab: Lab, attempt: AttemptData | None, now: datetime, stuck_after: timedelta) -> list[Cell]:
    """One cell per step of ``lab``: done steps, then the current step (in progress or
    stuck), then the rest, not started."""
    if attempt is None:
        return [Cell(CellState.NOT_STARTED, "lab not started") for _ in lab.steps]
    cells: list[Cell] = []
    current_seen = False
    for step in lab.steps:
        row = attempt.steps.get(step.id)
        if row is not None and row.passed:
            passed_at = f"passed {row.first_passed_at:%H:%M}" if row.first_passed_at else "passed"
            cells.append(Cell(CellState.DONE, passed_at))
        elif not current_seen:
            current_seen = True
            cells.append(_current_step(attempt, row.check_runs if row else 0, now, stuck_after))
        else:
            cells.append(Cell(CellState.NOT_STARTED))
    return cells


def _current_step(attempt: AttemptData, failed_runs: int, now: datetime, stuck_after: timedelta) -> Cell:
    if failed_runs >= STUCK_FAILED_CHECKS:
        return Cell(CellState.STUCK, f"checks failed {failed_runs} times")
    progress_times = [attempt.attempt.started_real_at] + [
        row.first_passed_at for row in attempt.steps.values() if row.first_passed_at
    ]
    idle = now - max(progress_times)
    if idle >= stuck_after:
        return Cell(CellState.STUCK, f"no progress for {int(idle.total_seconds() // 60)} min")
    return Cell(CellState.IN_PROGRESS, f"checks failed {failed_runs} times" if failed_runs else "working")
