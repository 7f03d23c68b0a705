"""Class pages: the list, creating a class, the instructor's class page (join code,
provisioning progress, roster, closing) and the student's class page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from labs.format import get_lab

from .. import access, enrollment, lifecycle
from ..forms import ClassForm, CloseForm
from ..models import Classroom, Enrollment
from .common import class_for_instructor, leaderboard


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_GET
def classes_home(request: HttpRequest) -> HttpResponse:
    page = {
        "instructor": access.is_instructor(request.user),
        "taught": access.classes_taught(request.user),
        "enrollments": access.own_enrollments(request.user),
    }
    return render(request, "classroom/home.html", page)


@login_required
def class_new(request: HttpRequest) -> HttpResponse:
    if not access.is_instructor(request.user):
        raise PermissionDenied("Only instructors create classes.")
    form = ClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        classroom = enrollment.create_class(
            _user(request),
            name=data["name"],
            lab_slugs=data["lab_slugs"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data["capacity"],
            leaderboard_visible=data["leaderboard_visible"],
            retention_days=data["retention_days"],
            stuck_minutes=data["stuck_minutes"],
        )
        return redirect("classroom:class", classroom_id=classroom.pk)
    return render(request, "classroom/new.html", {"form": form})


@login_required
@require_GET
def class_page(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """The instructor's page for a class they teach, or a student's page for a class
    they joined; anyone else gets 404."""
    if access.classes_taught(request.user).filter(pk=classroom_id).exists():
        return _instructor_page(request, class_for_instructor(request, classroom_id))
    joined = access.own_enrollment(request.user, classroom_id)
    if joined is None:
        raise Http404("No such class.")
    return _student_page(request, joined)


def _instructor_page(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    join_url = request.build_absolute_uri(reverse("classroom:join-code", args=[classroom.join_code]))
    page = {
        "classroom": classroom,
        "labs": _labs_of(classroom),
        "join_url": join_url,
        "progress": enrollment.provisioning_progress(classroom),
        "roster": classroom.enrollments.select_related("user").order_by("joined_at", "pk"),
        "close_form": CloseForm(),
    }
    return render(request, "classroom/instructor.html", page)


def _labs_of(classroom: Classroom) -> list[Any]:
    return [lab for slug in classroom.lab_slugs if (lab := get_lab(slug)) is not None]


def _student_page(request: HttpRequest, joined: Enrollment) -> HttpResponse:
    classroom = joined.classroom
    page: dict[str, Any] = {"classroom": classroom, "enrollment": joined, "labs": _labs_of(classroom)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "classroom/student.html#workspace-status", page)
    page["leaderboard"] = leaderboard(classroom) if classroom.leaderboard_visible else None
    return render(request, "classroom/student.html", page)


@login_required
@require_GET
def provisioning(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """The provisioning progress bar, polled by the instructor's page until done."""
    classroom = class_for_instructor(request, classroom_id)
    page = {"classroom": classroom, "progress": enrollment.provisioning_progress(classroom)}
    return render(request, "classroom/instructor.html#provisioning", page)


@login_required
@require_POST
def provisioning_retry(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = class_for_instructor(request, classroom_id)
    count = enrollment.retry_failed(classroom)
    messages.info(request, f"{count} student workspace(s) queued again.")
    return redirect("classroom:class", classroom_id=classroom.pk)


@login_required
@require_POST
def close(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = class_for_instructor(request, classroom_id)
    if not CloseForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm: closing freezes every student workspace.")
        return redirect("classroom:class", classroom_id=classroom.pk)
    frozen = lifecycle.close_class(classroom)
    due = classroom.deletion_due_at()
    messages.success(
        request,
        f"Class closed: {frozen} workspace(s) frozen; they will be deleted on {due:%Y-%m-%d %H:%M} UTC."
        if due
        else "The class was already closed.",
    )
    return redirect("classroom:class", classroom_id=classroom.pk)
