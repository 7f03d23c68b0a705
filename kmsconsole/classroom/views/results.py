"""Results: the page with the class summary, and the CSV and JSON exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from labs.format import Lab, get_lab

from ..models import Classroom
from ..results import class_records, csv_text, json_document, summarize
from .common import class_for_instructor


def _labs(classroom: Classroom) -> list[Lab]:
    return [lab for slug in classroom.lab_slugs if (lab := get_lab(slug)) is not None]


def _filename(classroom: Classroom, extension: str) -> str:
    return f"{slugify(classroom.name) or 'class'}-{classroom.join_code}-results.{extension}"


@login_required
@require_GET
def results(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = class_for_instructor(request, classroom_id)
    records = class_records(classroom)
    page = {"classroom": classroom, "records": records, "summary": summarize(records, _labs(classroom))}
    return render(request, "classroom/results.html", page)


@login_required
@require_GET
def results_csv(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = class_for_instructor(request, classroom_id)
    text = csv_text(class_records(classroom), _labs(classroom))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(classroom, "csv")}"'
    return response


@login_required
@require_GET
def results_json(request: HttpRequest, classroom_id: int) -> JsonResponse:
    classroom = class_for_instructor(request, classroom_id)
    records = class_records(classroom)
    document = json_document(classroom, records, summarize(records, _labs(classroom)))
    response = JsonResponse(document, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{_filename(classroom, "json")}"'
    return response
