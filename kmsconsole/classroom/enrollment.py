"""Creating classes, joining them, and building each student's workspace.

A student's workspace is the starting state of the class's first lab, built by the labs
app's own provisioning (``labs.provisioning.start_lab``), so the lab page, its checks
and its credentials work in the class exactly as outside it. Later labs of the class
are started from their lab pages, each in a workspace of its own, as labs always are.

Provisioning runs in batches (``provision_pending``), one transaction per student: a
worker that dies mid-way leaves the student pending, and the next run builds them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from labs.format import get_lab
from labs.models import LabAttempt
from labs.provisioning import LabSetupError, UnknownLab, reset_lab, start_lab

from .models import Classroom, ClassStatus, Enrollment, Provisioning, new_join_code, normalize_join_code

PROVISION_BATCH_SIZE = 25
GUEST_PREFIX = "guest-"


class JoinRefused(Exception):
    """Why a student cannot join: the message is shown to them as it is."""


# ---------------------------------------------------------------- classes


def create_class(
    instructor: User,
    *,
    name: str,
    lab_slugs: list[str],
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    leaderboard_visible: bool = False,
    retention_days: int = 14,
    stuck_minutes: int = 10,
) -> Classroom:
    """Create a class with a fresh join code (drawn again on the rare collision)."""
    unknown = [slug for slug in lab_slugs if get_lab(slug) is None]
    if unknown or not lab_slugs:
        raise ValueError(f"Unknown labs: {', '.join(unknown)}" if unknown else "A class needs at least one lab.")
    for _ in range(10):
        try:
            with transaction.atomic():
                return Classroom.objects.create(
                    instructor=instructor,
                    name=name,
                    lab_slugs=list(lab_slugs),
                    starts_at=starts_at,
                    ends_at=ends_at,
                    capacity=capacity,
                    leaderboard_visible=leaderboard_visible,
                    retention_days=retention_days,
                    stuck_minutes=stuck_minutes,
                    join_code=new_join_code(),
                )
        except IntegrityError:
            continue
    raise RuntimeError("Could not draw an unused join code.")


# ---------------------------------------------------------------- joining


def class_to_join(code: str, *, now: datetime | None = None) -> Classroom:
    """The open class with join code ``code``, or ``JoinRefused`` saying why not."""
    classroom = Classroom.objects.filter(join_code=normalize_join_code(code)).first()
    if classroom is None:
        raise JoinRefused("No class has that code. Check it with your instructor.")
    if not classroom.is_open:
        raise JoinRefused(f"{classroom.name} is closed.")
    if classroom.has_ended(now):
        raise JoinRefused(f"{classroom.name} ended on {classroom.ends_at:%Y-%m-%d %H:%M} UTC.")
    return classroom


def enroll(classroom: Classroom, user: User, *, display_name: str = "", is_guest: bool = False) -> Enrollment:
    """Enroll ``user`` (joining twice returns the first enrollment). The class row is
    locked while seats are counted, so two students cannot take the last seat."""
    with transaction.atomic():
        locked = Classroom.objects.select_for_update().get(pk=classroom.pk)
        existing = locked.enrollments.filter(user=user).first()
        if existing is not None:
            return existing
        if not locked.is_open:
            raise JoinRefused(f"{locked.name} is closed.")
        if locked.enrollments.count() >= locked.capacity:
            raise JoinRefused(f"{locked.name} is full ({locked.capacity} students).")
        name = (display_name or user.get_full_name() or user.get_username()).strip()[:150]
        enrollment = Enrollment.objects.create(classroom=locked, user=user, display_name=name, is_guest=is_guest)
    transaction.on_commit(lambda: _enqueue_provisioning(classroom.pk))
    return enrollment


def create_guest(display_name: str) -> User:
    """A Django user for a guest: a random username, the display name as first name, and
    an unusable password (the guest's browser session is their only way in)."""
    user = User(username=f"{GUEST_PREFIX}{secrets.token_hex(6)}", first_name=display_name.strip()[:150])
    user.set_unusable_password()
    user.save()
    return user


def _enqueue_provisioning(classroom_id: int) -> None:
    from .tasks import provision_enrollments_task

    provision_enrollments_task.delay(classroom_id)


# ---------------------------------------------------------------- provisioning


@dataclass(frozen=True)
class ProvisioningProgress:
    pending: int
    ready: int
    failed: int

    @property
    def total(self) -> int:
        return self.pending + self.ready + self.failed

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else round(100 * (self.ready + self.failed) / self.total)

    @property
    def finished(self) -> bool:
        return self.pending == 0


def provisioning_progress(classroom: Classroom) -> ProvisioningProgress:
    counts = classroom.enrollments.aggregate(
        pending=Count("pk", filter=Q(provisioning=Provisioning.PENDING)),
        ready=Count("pk", filter=Q(provisioning=Provisioning.READY)),
        failed=Count("pk", filter=Q(provisioning=Provisioning.FAILED)),
    )
    return ProvisioningProgress(counts["pending"], counts["ready"], counts["failed"])


def provision_pending(classroom_id: int, *, batch_size: int = PROVISION_BATCH_SIZE) -> int:
    """Build the workspaces of up to ``batch_size`` pending students of a class; return
    how many are still pending. Safe to run in several workers at once."""
    pending = Enrollment.objects.filter(
        classroom_id=classroom_id, provisioning=Provisioning.PENDING, classroom__status=ClassStatus.OPEN
    )
    for enrollment_id in list(pending.order_by("joined_at", "pk").values_list("pk", flat=True)[:batch_size]):
        provision_enrollment(enrollment_id)
    return pending.count()


def provision_enrollment(enrollment_id: int) -> bool:
    """Build one student's workspace; False if another worker has it or it is done."""
    try:
        with transaction.atomic():
            enrollment = (
                Enrollment.objects.select_for_update(skip_locked=True)
                .select_related("classroom", "user")
                .filter(pk=enrollment_id, provisioning=Provisioning.PENDING)
                .first()
            )
            if enrollment is None:
                return False
            attempt = _fresh_attempt(enrollment.user, enrollment.classroom.first_lab)
            enrollment.workspace = attempt.workspace
            enrollment.provisioning = Provisioning.READY
            enrollment.provisioned_at = timezone.now()
            enrollment.save(update_fields=["workspace", "provisioning", "provisioned_at"])
            return True
    except (LabSetupError, UnknownLab) as problem:
        Enrollment.objects.filter(pk=enrollment_id, provisioning=Provisioning.PENDING).update(
            provisioning=Provisioning.FAILED, provisioning_error=str(problem)[:2000]
        )
        return False


def _fresh_attempt(user: User, slug: str) -> LabAttempt:
    """The student's attempt at ``slug`` at its starting state: a new one, or, for a
    student who had already started the lab on their own, that attempt reset (the class
    starts everyone from the same state)."""
    existing = LabAttempt.objects.filter(user=user, lab_slug=slug, workspace__isnull=False).first()
    if existing is None:
        return start_lab(user, slug)
    return reset_lab(existing)


def retry_failed(classroom: Classroom) -> int:
    """Put failed students back in the queue (after the lab was fixed)."""
    count = classroom.enrollments.filter(provisioning=Provisioning.FAILED).update(
        provisioning=Provisioning.PENDING, provisioning_error=""
    )
    if count:
        transaction.on_commit(lambda: _enqueue_provisioning(classroom.pk))
    return count
