"""Helpers for the classroom tests: instructors, classes, students whose workspaces are
built synchronously, and boto3 identities of a student's workspace."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone
from support import Identity

from kmsconsole.classroom.access import INSTRUCTORS_GROUP
from kmsconsole.classroom.enrollment import create_class, create_guest, enroll, provision_enrollment
from kmsconsole.classroom.models import Classroom, Enrollment
from labs.models import LabAttempt
from labs.provisioning import secret_of

PASSWORD = "correct-horse-battery-staple"
FIRST_LAB = "envelope-encryption"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_instructor(name: str | None = None) -> User:
    user = User.objects.create_user(name or unique("teacher"), password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=INSTRUCTORS_GROUP)[0])
    return user


def make_class(instructor: User, labs: tuple[str, ...] = (FIRST_LAB,), **fields: Any) -> Classroom:
    now = timezone.now()
    values: dict[str, Any] = {
        "name": "KMS 101",
        "lab_slugs": list(labs),
        "starts_at": now - timedelta(minutes=5),
        "ends_at": now + timedelta(hours=3),
        "capacity": 30,
    }
    values.update(fields)
    return create_class(instructor, **values)


def join_as_guest(classroom: Classroom, display_name: str) -> Enrollment:
    return enroll(classroom, create_guest(display_name), display_name=display_name, is_guest=True)


def ready_student(classroom: Classroom, display_name: str) -> Enrollment:
    """A guest who joined and whose workspace was built (the synchronous path)."""
    enrollment = join_as_guest(classroom, display_name)
    assert provision_enrollment(enrollment.pk)
    enrollment.refresh_from_db()
    return enrollment


def attempt_of(enrollment: Enrollment, slug: str = FIRST_LAB) -> LabAttempt:
    return LabAttempt.objects.get(user=enrollment.user, lab_slug=slug)


def student_identity(enrollment: Enrollment, account: str = "A") -> Any:
    """Account ``account``'s admin of the student's workspace, as the lab hands it out."""
    refs = attempt_of(enrollment).refs
    entry = refs["accounts"][account]
    key_id = entry["admin_access_key_id"]
    return Identity(entry["account_id"], entry["admin_arn"], key_id, secret_of(key_id))
