"""Incident drills: choose an incident and the students, inject, and follow each
student's time to detect and to resolve."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ..drills import RUNBOOK_HINTS
from ..forms import IncidentForm
from ..incidents import evaluate, inject_incident, open_outcomes
from ..models import Classroom, IncidentKind, Provisioning
from .common import class_for_instructor


def _form(classroom: Classroom, data: object = None) -> IncidentForm:
    students = classroom.enrollments.filter(provisioning=Provisioning.READY, frozen=False).order_by("display_name")
    return IncidentForm(data, students=list(students.values_list("pk", "display_name")))


@login_required
def incidents(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = class_for_instructor(request, classroom_id)
    form = _form(classroom, request.POST or None)
    if request.method == "POST" and form.is_valid() and classroom.is_open:
        chosen = form.cleaned_data["students"] or None
        injection = inject_incident(classroom, form.cleaned_data["kind"], enrollment_ids=chosen)
        outcomes = list(injection.outcomes.all())
        failed = [outcome for outcome in outcomes if outcome.error]
        messages.success(
            request,
            f"{injection.get_kind_display()}: injected into {len(outcomes) - len(failed)} workspace(s)"
            + (f"; {len(failed)} could not take it (see the drill table)." if failed else "."),
        )
        return redirect("classroom:incidents", classroom_id=classroom.pk)
    if request.method == "GET":
        evaluate(open_outcomes(classroom))
    injections = classroom.injections.prefetch_related("outcomes__enrollment").order_by("-created_at")
    page = {
        "classroom": classroom,
        "form": form,
        "injections": injections,
        "runbooks": [(kind.label, RUNBOOK_HINTS[kind]) for kind in IncidentKind],
    }
    return render(request, "classroom/incidents.html", page)
