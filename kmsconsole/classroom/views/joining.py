"""Joining a class with its code: as the signed-in user, by signing up on the spot, or
as a guest with a display name (a user with an unusable password, signed in at once)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kmsconsole.console.views.home import SignUpForm
from labs.format import get_lab

from ..enrollment import JoinRefused, class_to_join, create_guest, enroll
from ..forms import GuestForm, JoinCodeForm
from ..models import Classroom

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def join(request: HttpRequest) -> HttpResponse:
    """``/classes/join/``: type the code."""
    form = JoinCodeForm(request.POST or request.GET or None)
    if form.is_bound and form.is_valid():
        try:
            classroom = class_to_join(form.cleaned_data["code"])
        except JoinRefused as refused:
            form.add_error("code", str(refused))
        else:
            return redirect("classroom:join-code", code=classroom.join_code)
    return render(request, "classroom/join.html", {"form": form})


def join_code(request: HttpRequest, code: str) -> HttpResponse:
    """``/classes/join/<code>/``: the link an instructor shares. Shows the class and the
    ways to join; POST ``how`` = ``me``, ``guest`` or ``signup``."""
    try:
        classroom = class_to_join(code)
    except JoinRefused as refused:
        form = JoinCodeForm({"code": code})
        form.is_valid()
        form.add_error("code", str(refused))
        return render(request, "classroom/join.html", {"form": form})
    guest_form, signup_form = GuestForm(), SignUpForm()
    error = ""
    if request.method == "POST":
        how = request.POST.get("how", "")
        try:
            if how == "me" and request.user.is_authenticated:
                assert isinstance(request.user, User)
                return _joined(request, classroom, request.user)
            if how == "guest":
                guest_form = GuestForm(request.POST)
                if guest_form.is_valid():
                    return _join_as_guest(request, classroom, guest_form.cleaned_data["display_name"])
            elif how == "signup":
                signup_form = SignUpForm(request.POST)
                if signup_form.is_valid():
                    return _join_signed_up(request, classroom, signup_form)
        except JoinRefused as refused:
            error = str(refused)
    page: dict[str, Any] = {
        "classroom": classroom,
        "labs": [lab for slug in classroom.lab_slugs if (lab := get_lab(slug)) is not None],
        "guest_form": guest_form,
        "signup_form": signup_form,
        "error": error,
        "seats_left": max(classroom.capacity - classroom.enrollments.count(), 0),
    }
    return render(request, "classroom/join_class.html", page)


def _joined(request: HttpRequest, classroom: Classroom, user: User) -> HttpResponse:
    enroll(classroom, user)
    return redirect("classroom:class", classroom_id=classroom.pk)


def _join_as_guest(request: HttpRequest, classroom: Classroom, display_name: str) -> HttpResponse:
    with transaction.atomic():
        guest = create_guest(display_name)
        enroll(classroom, guest, display_name=display_name, is_guest=True)
    login(request, guest, backend=MODEL_BACKEND)
    return redirect("classroom:class", classroom_id=classroom.pk)


def _join_signed_up(request: HttpRequest, classroom: Classroom, form: SignUpForm) -> HttpResponse:
    with transaction.atomic():
        user = form.save()
        enroll(classroom, user)
    login(request, user, backend=MODEL_BACKEND)
    return redirect("classroom:class", classroom_id=classroom.pk)
