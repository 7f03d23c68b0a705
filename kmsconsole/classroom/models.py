"""Classes, the students enrolled in them, broadcast messages and incident drills.

A class names its labs by slug, in order; each student's work lives in the labs app
(``LabAttempt`` and its step progress) and in the student's own workspace, which the
enrollment points at. Nothing here copies a student's progress while the class runs: the
board reads it live. Closing a class snapshots each student's results into the
enrollment, because the workspaces (and the attempts' step rows) go after retention.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from kmsconsole.iam.models import Workspace

# No 0/O, 1/I/L: a join code is read aloud and typed from a projector.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
MAX_CAPACITY = 500


def new_join_code() -> str:
    """Six characters of an unambiguous alphabet: 31**6, about 887 million codes."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalize_join_code(text: str) -> str:
    """What a student typed, as stored: upper case, no spaces or dashes."""
    return "".join(text.split()).replace("-", "").upper()


class ClassStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Classroom(models.Model):
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="classrooms")
    name = models.CharField(max_length=200)
    lab_slugs = models.JSONField(default=list, help_text="The class's labs, in order.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    leaderboard_visible = models.BooleanField(default=False)
    join_code = models.CharField(max_length=JOIN_CODE_LENGTH, unique=True, default=new_join_code)
    status = models.CharField(max_length=8, choices=ClassStatus.choices, default=ClassStatus.OPEN)
    retention_days = models.PositiveIntegerField(default=14, validators=[MaxValueValidator(365)])
    stuck_minutes = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="A student with no progress for this long shows as stuck.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    workspaces_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["instructor", "-created_at"], name="classroom_instructor_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.join_code})"

    @property
    def is_open(self) -> bool:
        return self.status == ClassStatus.OPEN

    @property
    def first_lab(self) -> str:
        return self.lab_slugs[0] if self.lab_slugs else ""

    def deletion_due_at(self) -> datetime | None:
        """When a closed class's workspaces are deleted."""
        if self.closed_at is None:
            return None
        return self.closed_at + timedelta(days=self.retention_days)

    def has_ended(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.ends_at


class Provisioning(models.TextChoices):
    PENDING = "pending", "Waiting"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Enrollment(models.Model):
    """A student in a class. ``workspace`` is the workspace built from the class's first
    lab (the student's attempt at that lab); a guest is a Django user with an unusable
    password, named by ``display_name``."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    display_name = models.CharField(max_length=150)
    is_guest = models.BooleanField(default=False)
    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrollments"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    provisioning = models.CharField(max_length=8, choices=Provisioning.choices, default=Provisioning.PENDING)
    provisioning_error = models.TextField(blank=True, default="")
    provisioned_at = models.DateTimeField(null=True, blank=True)
    frozen = models.BooleanField(default=False)
    # Taken when the class closes: the results row, which outlives the workspace.
    results_snapshot = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "user"], name="enrollment_per_user")]
        indexes = [models.Index(fields=["classroom", "provisioning"], name="enrollment_provisioning_idx")]

    def __str__(self) -> str:
        return f"{self.display_name} in {self.classroom_id}"


class Broadcast(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="broadcasts")
    text = models.CharField(max_length=500)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["classroom", "-sent_at"], name="broadcast_recent_idx")]

    def __str__(self) -> str:
        return self.text[:40]


class IncidentKind(models.TextChoices):
    KEY_DISABLED = "key-disabled", "A key in production is disabled"
    DECRYPT_SPIKE = "decrypt-spike", "A decrypt spike from an unknown principal"
    PENDING_DELETION = "pending-deletion", "A key in use is scheduled for deletion"
    UNKNOWN_GRANT = "unknown-grant", "A grant given to an unknown principal"
    POLICY_DENIES_APP = "policy-denies-app", "The key policy now denies the application role"


class IncidentInjection(models.Model):
    """One drill the instructor started, in the workspaces of some or all students."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="injections")
    kind = models.CharField(max_length=32, choices=IncidentKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} in {self.classroom_id}"


class IncidentOutcome(models.Model):
    """One student's side of a drill. Times are real time (not the workspace clock), so a
    class clock advanced during a drill does not count as time the student took.

    ``event_floor`` is the newest audit event once the incident's actions were done: only
    later events can show the student detecting or resolving it. ``details`` names what
    the drill touched (the key, the actors, the unknown principal)."""

    injection = models.ForeignKey(IncidentInjection, on_delete=models.CASCADE, related_name="outcomes")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="incident_outcomes")
    details = models.JSONField(default=dict)
    injected_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    event_floor = models.BigIntegerField(default=0)
    checked_through_event = models.BigIntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["injection", "enrollment"], name="incident_outcome_per_student")]
        indexes = [models.Index(fields=["resolved_at"], name="incident_open_idx")]

    def __str__(self) -> str:
        return f"{self.injection_id}:{self.enrollment_id}"

    @property
    def time_to_detect(self) -> timedelta | None:
        if self.injected_at is None or self.detected_at is None:
            return None
        return max(self.detected_at - self.injected_at, timedelta(0))

    @property
    def time_to_resolve(self) -> timedelta | None:
        if self.injected_at is None or self.resolved_at is None:
            return None
        return max(self.resolved_at - self.injected_at, timedelta(0))
