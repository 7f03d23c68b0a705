"""Learner progress: attempts, step results, hints taken, quiz answers and certificates.

Everything a learner has done lives here, in the database, so progress survives signing
out and server restarts. Lab content itself is not stored: it is read from the YAML files
(``labs.format``), and rows name a lab by its slug.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from kmsconsole.iam.models import Workspace

# Unambiguous characters (no 0/O, 1/I/L) for codes people read aloud or type.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_certificate_code() -> str:
    """``KMS-7QX4-M2PA-9HZD``: 60 random bits, which no one guesses."""
    groups = ["".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "KMS-" + "-".join(groups)


class LabAttempt(models.Model):
    """One learner working through one lab, in a workspace provisioned for it.

    ``refs`` records what the setup created (key ids, aliases, user and role ARNs, access
    key ids, ciphertext blobs) so checks and instructions can name them. ``event_floor``
    is the id of the last audit event before the start: only later events count as the
    learner's work. ``checked_through_event`` is the newest event id the checks have
    seen, so automatic re-checks run only when something new happened.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_attempts")
    lab_slug = models.CharField(max_length=64)
    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.SET_NULL, related_name="lab_attempts"
    )
    refs = models.JSONField(default=dict)
    started_at = models.DateTimeField(help_text="On the workspace clock, when the lab was started or last reset.")
    started_real_at = models.DateTimeField(help_text="Real time of the start or last reset, for the timer.")
    event_floor = models.BigIntegerField(default=0)
    checked_through_event = models.BigIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    resets = models.PositiveIntegerField(default=0)
    quiz_score = models.PositiveSmallIntegerField(null=True, blank=True)
    quiz_total = models.PositiveSmallIntegerField(null=True, blank=True)
    quiz_submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lab_slug"], name="lab_attempt_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.lab_slug}"


class StepProgress(models.Model):
    """The latest check results of one step. ``passed`` stays true once every check of
    the step has passed, even if a later change breaks one: the learner did the step."""

    attempt = models.ForeignKey(LabAttempt, on_delete=models.CASCADE, related_name="step_progress")
    step_id = models.CharField(max_length=64)
    passed = models.BooleanField(default=False)
    first_passed_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_reason = models.TextField(blank=True, default="")
    # [{"check": name, "passed": bool, "reason": text}, ...] from the latest run.
    results = models.JSONField(default=list)
    check_runs = models.PositiveIntegerField(default=0)
    submission = models.TextField(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "step_id"], name="step_progress_unique")]

    def __str__(self) -> str:
        return f"{self.attempt_id}:{self.step_id}"


class HintReveal(models.Model):
    attempt = models.ForeignKey(LabAttempt, on_delete=models.CASCADE, related_name="hint_reveals")
    step_id = models.CharField(max_length=64)
    hint_index = models.PositiveSmallIntegerField()
    revealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "step_id", "hint_index"], name="hint_reveal_unique")]

    def __str__(self) -> str:
        return f"{self.attempt_id}:{self.step_id}#{self.hint_index}"


class QuizAnswer(models.Model):
    attempt = models.ForeignKey(LabAttempt, on_delete=models.CASCADE, related_name="quiz_answers")
    question_index = models.PositiveSmallIntegerField()
    chosen = models.JSONField(default=list)  # indexes of the chosen choices
    correct = models.BooleanField(default=False)
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "question_index"], name="quiz_answer_unique")]

    def __str__(self) -> str:
        return f"{self.attempt_id}:q{self.question_index}"


class Certificate(models.Model):
    """Proof of completion anyone can verify at ``/labs/certificates/<code>/``. It copies
    the name and lab title at issue time, so it keeps saying what it said."""

    code = models.CharField(max_length=32, unique=True, default=new_certificate_code)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="lab_certificates"
    )
    attempt = models.OneToOneField(
        LabAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="certificate"
    )
    display_name = models.CharField(max_length=150)
    lab_slug = models.CharField(max_length=64)
    lab_title = models.CharField(max_length=200)
    quiz_score = models.PositiveSmallIntegerField()
    quiz_total = models.PositiveSmallIntegerField()
    issued_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.code
