"""The aliases page: every alias of the console's account and region (ListAliases, page
by page), with create, update (point an alias at another key) and delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from kmsconsole.engine.errors import AWSError
from kmsconsole.kms.operations.aliases import create_alias, delete_alias, list_aliases, update_alias
from kmsconsole.kms.operations.registry import Operation

from ..decorators import console_page
from ..forms_keys import AliasForm, TargetedAliasForm
from .keys_detail import call_into_form, error_lines

ALIASES_PER_PAGE = 50
TEMPLATE = "console/keys/aliases.html"


@console_page
def aliases(request: HttpRequest) -> HttpResponse:
    return _aliases_page(request)


@console_page
@require_POST
def alias_create(request: HttpRequest) -> HttpResponse:
    return _targeted_change(request, create_alias, "create_form", "Alias {name} created.")


@console_page
@require_POST
def alias_update(request: HttpRequest) -> HttpResponse:
    return _targeted_change(request, update_alias, "update_form", "Alias {name} now points at {target}.")


def _targeted_change(request: HttpRequest, operation: Operation, form_name: str, done: str) -> HttpResponse:
    form = TargetedAliasForm(request.POST, prefix=form_name)
    if form.is_valid():
        name, target = form.cleaned_data["alias_name"], form.cleaned_data["target_key_id"].strip()
        if call_into_form(form, operation, request, {"AliasName": name, "TargetKeyId": target}):
            return _done(request, done.format(name=name, target=target))
    return _aliases_page(request, bound_forms={form_name: form})


@console_page
@require_POST
def alias_delete(request: HttpRequest) -> HttpResponse:
    form = AliasForm(request.POST)
    name = form.cleaned_data["alias_name"] if form.is_valid() else request.POST.get("alias_name", "")
    try:
        delete_alias(request.caller, {"AliasName": name})  # type: ignore[attr-defined]
    except AWSError as failure:
        return _aliases_page(request, failure_lines=error_lines(failure))
    return _done(request, f"Alias {name} deleted.")


def _done(request: HttpRequest, notice: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _aliases_page(request, notice=notice)
    messages.success(request, notice)
    return redirect(reverse("console:aliases"))


def _aliases_page(
    request: HttpRequest,
    *,
    bound_forms: dict[str, Form] | None = None,
    notice: str = "",
    failure_lines: list[str] | None = None,
) -> HttpResponse:
    forms = bound_forms or {}
    marker = request.GET.get("marker")
    context: dict[str, Any] = {
        "create_form": forms.get("create_form") or TargetedAliasForm(prefix="create_form"),
        "update_form": forms.get("update_form") or TargetedAliasForm(prefix="update_form"),
        "notice": notice,
        "failure_lines": failure_lines or [],
        "alias_rows": [],
        "next_marker": None,
    }
    try:
        listing = {"Limit": ALIASES_PER_PAGE, **({"Marker": marker} if marker else {})}
        response = list_aliases(request.caller, listing)  # type: ignore[attr-defined]
    except AWSError as failure:
        context["failure_lines"] = [*context["failure_lines"], *error_lines(failure)]
    else:
        context["alias_rows"] = response["Aliases"]
        context["next_marker"] = response.get("NextMarker")
    template = f"{TEMPLATE}#aliases-panel" if request.htmx else TEMPLATE  # type: ignore[attr-defined]
    return render(request, template, context)
