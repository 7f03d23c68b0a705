"""Who may see what: instructors see only their own classes, students only their own
enrollment. Every view looks rows up through these functions, so a guessed id from
someone else's class is the same 404 as an id that does not exist."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from .models import Classroom, Enrollment

INSTRUCTORS_GROUP = "instructors"


def is_instructor(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Members of the "instructors" group, and staff, may create and run classes."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_staff", False):
        return True
    return user.groups.filter(name=INSTRUCTORS_GROUP).exists()  # type: ignore[attr-defined]


def classes_taught(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Classroom]:
    if not user.is_authenticated:
        return Classroom.objects.none()
    return Classroom.objects.filter(instructor_id=user.pk).order_by("-created_at")


def taught_class(user: AbstractBaseUser | AnonymousUser, classroom_id: int) -> Classroom:
    """The class ``classroom_id`` if ``user`` teaches it, else 404."""
    found = classes_taught(user).filter(pk=classroom_id).first()
    if found is None:
        raise Http404("No such class.")
    return found


def own_enrollments(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Enrollment]:
    if not user.is_authenticated:
        return Enrollment.objects.none()
    return Enrollment.objects.filter(user_id=user.pk).select_related("classroom").order_by("-joined_at")


def own_enrollment(user: AbstractBaseUser | AnonymousUser, classroom_id: int) -> Enrollment | None:
    return own_enrollments(user).filter(classroom_id=classroom_id).first()


def student_of(classroom: Classroom, enrollment_id: int) -> Enrollment:
    """A student of a class the caller already proved they teach, else 404."""
    found = classroom.enrollments.select_related("user", "workspace").filter(pk=enrollment_id).first()
    if found is None:
        raise Http404("No such student in this class.")
    return found
