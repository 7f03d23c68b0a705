"""Running a lab's checks and keeping a learner's progress: step results, hints, the
quiz and the certificate. Views call these; they hold no rules of their own."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kmsconsole.audit.models import Event
from kmsconsole.iam.models import Workspace

from .checks import CheckContext, CheckResult, get_check, not_yet
from .checks.base import LabRefError
from .format import CheckSpec, Lab, Step
from .models import Certificate, HintReveal, LabAttempt, QuizAnswer, StepProgress

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- running checks


def run_check(spec: CheckSpec, ctx: CheckContext, *, strict: bool = True) -> CheckResult:
    """Run one check. A ref the learner's actions removed (a deleted key) is a plain "not
    yet"; any other error is the lab's fault: raised when ``strict`` (tests, authors),
    otherwise logged and shown to the learner as such."""
    registered = get_check(spec.check)
    if registered is None:
        return not_yet(f"This lab refers to a check named {spec.check!r} that does not exist.")
    try:
        return registered(ctx, spec.params)
    except LabRefError as missing:
        return not_yet(str(missing))
    except Exception:
        if strict:
            raise
        logger.exception("Lab check %s failed", spec.check)
        return not_yet(f"The check {spec.check!r} could not run: this is a fault in the lab, not in your work.")


def run_step(step: Step, ctx: CheckContext, *, strict: bool = True) -> list[CheckResult]:
    return [run_check(spec, ctx, strict=strict) for spec in step.checks]


def check_all(lab: Lab, ctx: CheckContext, *, strict: bool = True) -> dict[str, list[CheckResult]]:
    return {step.id: run_step(step, ctx, strict=strict) for step in lab.steps}


def context_for(attempt: LabAttempt) -> CheckContext:
    assert attempt.workspace is not None
    submissions = dict(attempt.step_progress.exclude(submission="").values_list("step_id", "submission"))
    return CheckContext(
        attempt.workspace,
        attempt.refs,
        started_at=attempt.started_at,
        event_floor=attempt.event_floor,
        submissions=submissions,
    )


def latest_event_id(workspace: Workspace) -> int:
    return Event.objects.filter(workspace=workspace).aggregate(last=Max("id"))["last"] or 0


# ---------------------------------------------------------------- recording progress


@dataclass(frozen=True)
class StepView:
    """One step's state for a page: the step, its latest results and the hints shown."""

    step: Step
    progress: StepProgress | None
    hints_shown: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return bool(self.progress and self.progress.passed)

    @property
    def more_hints(self) -> bool:
        return len(self.hints_shown) < len(self.step.hints)


def record_checks(attempt: LabAttempt, lab: Lab) -> dict[str, StepProgress]:
    """Run every step's checks now and store the results."""
    ctx = context_for(attempt)
    outcomes = {step.id: run_step(step, ctx, strict=False) for step in lab.steps}
    now = timezone.now()
    with transaction.atomic():
        rows = {row.step_id: row for row in attempt.step_progress.select_for_update()}
        for step in lab.steps:
            rows[step.id] = _store(attempt, rows.get(step.id), step, outcomes[step.id], now)
        attempt.checked_through_event = latest_event_id(ctx.workspace)
        attempt.save(update_fields=["checked_through_event"])
        complete_if_done(attempt, lab, rows)
    return rows


def _store(
    attempt: LabAttempt, row: StepProgress | None, step: Step, results: list[CheckResult], now: datetime
) -> StepProgress:
    row = row or StepProgress(attempt=attempt, step_id=step.id)
    all_passed = all(result.passed for result in results)
    row.results = [
        {"check": spec.check, "passed": result.passed, "reason": result.reason}
        for spec, result in zip(step.checks, results, strict=True)
    ]
    row.last_reason = next((r.reason for r in results if not r.passed), results[-1].reason if results else "")
    row.last_checked_at = now
    row.check_runs += 1
    if all_passed and not row.passed:
        row.passed = True
        row.first_passed_at = now
    row.save()
    return row


def recheck_if_new_events(attempt: LabAttempt, lab: Lab) -> bool:
    """Re-run the checks only if the workspace has recorded events since the last run
    (the automatic re-check polls this every few seconds)."""
    if attempt.workspace is None or latest_event_id(attempt.workspace) <= attempt.checked_through_event:
        return False
    record_checks(attempt, lab)
    return True


def step_views(attempt: LabAttempt | None, lab: Lab) -> list[StepView]:
    progress = {row.step_id: row for row in attempt.step_progress.all()} if attempt else {}
    shown: dict[str, int] = {}
    if attempt is not None:
        for step_id, index in attempt.hint_reveals.values_list("step_id", "hint_index"):
            shown[step_id] = max(shown.get(step_id, 0), index + 1)
    return [StepView(step, progress.get(step.id), step.hints[: shown.get(step.id, 0)]) for step in lab.steps]


def save_submission(attempt: LabAttempt, step: Step, text: str) -> None:
    StepProgress.objects.update_or_create(attempt=attempt, step_id=step.id, defaults={"submission": text.strip()})


def reveal_next_hint(attempt: LabAttempt, step: Step) -> int | None:
    """Reveal the step's next hint (recording when); None when all are shown."""
    with transaction.atomic():
        LabAttempt.objects.select_for_update().filter(pk=attempt.pk).first()
        taken = attempt.hint_reveals.filter(step_id=step.id).count()
        if taken >= len(step.hints):
            return None
        HintReveal.objects.create(attempt=attempt, step_id=step.id, hint_index=taken)
    return taken


# ---------------------------------------------------------------- quiz and completion


def submit_quiz(attempt: LabAttempt, lab: Lab, answers: Mapping[int, list[int]]) -> int:
    """Store the learner's answers (question index → chosen choice indexes) and the score."""
    score = 0
    with transaction.atomic():
        for index, question in enumerate(lab.quiz):
            chosen = sorted(set(answers.get(index, [])))
            correct = frozenset(chosen) == question.correct_indexes
            score += correct
            QuizAnswer.objects.update_or_create(
                attempt=attempt, question_index=index, defaults={"chosen": chosen, "correct": correct}
            )
        attempt.quiz_score, attempt.quiz_total = score, len(lab.quiz)
        attempt.quiz_submitted_at = timezone.now()
        attempt.save(update_fields=["quiz_score", "quiz_total", "quiz_submitted_at"])
        complete_if_done(attempt, lab)
    return score


def complete_if_done(
    attempt: LabAttempt, lab: Lab, rows: Mapping[str, StepProgress] | None = None
) -> Certificate | None:
    """Once every step has passed and the quiz is answered, mark the attempt complete and
    issue its certificate (once)."""
    if attempt.quiz_submitted_at is None:
        return None
    if rows is None:
        rows = {row.step_id: row for row in attempt.step_progress.all()}
    if not all(rows.get(step.id) and rows[step.id].passed for step in lab.steps):
        return None
    existing = Certificate.objects.filter(attempt=attempt).first()
    if existing is not None:
        return existing
    attempt.completed_at = attempt.completed_at or timezone.now()
    attempt.save(update_fields=["completed_at"])
    user = attempt.user
    return Certificate.objects.create(
        user=user,
        attempt=attempt,
        display_name=(user.get_full_name() or user.get_username())[:150],
        lab_slug=lab.slug,
        lab_title=lab.title[:200],
        quiz_score=attempt.quiz_score or 0,
        quiz_total=attempt.quiz_total or 0,
        issued_at=attempt.completed_at,
    )
