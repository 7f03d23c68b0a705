"""Key actions: enable, disable, schedule and cancel deletion, edit the description and
the key policy. Each is one operation call as the console's principal; its error is
shown where the learner acted."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kmsconsole.engine.errors import AWSError
from kmsconsole.kms.operations.key_policies import put_key_policy
from kmsconsole.kms.operations.key_state import (
    cancel_key_deletion,
    disable_key,
    enable_key,
    schedule_key_deletion,
    update_key_description,
)
from kmsconsole.kms.operations.lifecycle import describe_key
from kmsconsole.kms.operations.registry import Operation, Request, Response

from ..decorators import console_page
from ..forms_keys import DescriptionForm, KeyPolicyForm, ScheduleDeletionForm
from .keys_detail import (
    add_aws_error,
    call_into_form,
    changed,
    error_lines,
    key_url,
    render_key_page,
    status_of,
    tab_of,
)


@console_page
@require_POST
def enable(request: HttpRequest, key_id: str) -> HttpResponse:
    return _change_state(request, key_id, enable_key, "The key is enabled.")


@console_page
@require_POST
def disable(request: HttpRequest, key_id: str) -> HttpResponse:
    return _change_state(request, key_id, disable_key, "The key is disabled: no cryptographic operation can use it.")


@console_page
@require_POST
def cancel_deletion(request: HttpRequest, key_id: str) -> HttpResponse:
    return _change_state(
        request, key_id, cancel_key_deletion, "Deletion cancelled. The key is Disabled until you enable it again."
    )


def _change_state(request: HttpRequest, key_id: str, operation: Operation, done: str) -> HttpResponse:
    tab = tab_of(request)
    try:
        operation(request.caller, {"KeyId": key_id})  # type: ignore[attr-defined]
    except AWSError as failure:
        return render_key_page(request, key_id, tab=tab, failure=failure)
    return changed(request, key_id, tab=tab, notice=done)


@console_page
def schedule_deletion(request: HttpRequest, key_id: str) -> HttpResponse:
    """AWS's schedule-deletion dialog as a page: a waiting period, a typed confirmation,
    and afterwards the deletion date ScheduleKeyDeletion answered."""
    caller = request.caller  # type: ignore[attr-defined]
    form = ScheduleDeletionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            response = schedule_key_deletion(
                caller, {"KeyId": key_id, "PendingWindowInDays": form.cleaned_data["pending_window_days"]}
            )
        except AWSError as failure:
            add_aws_error(form, failure, _field_of(failure))
        else:
            messages.success(request, _scheduled_notice(response))
            return redirect(key_url(key_id))
    try:
        metadata = describe_key(caller, {"KeyId": key_id})["KeyMetadata"]
    except AWSError as failure:
        context = {"key_id": key_id, "error_lines": error_lines(failure)}
        return render(request, "console/keys/unavailable.html", context, status=status_of(failure))
    return render(request, "console/keys/schedule_deletion.html", {"metadata": metadata, "form": form})


def _field_of(failure: AWSError) -> str | None:
    """A ValidationException here is about the waiting period; anything else (a key
    state, a denial) concerns the request as a whole."""
    return "pending_window_days" if failure.code == "ValidationException" else None


def _scheduled_notice(response: Response) -> str:
    deletion_date = response["DeletionDate"]
    return (
        f"The key is pending deletion. KMS deletes it on {deletion_date:%Y-%m-%d %H:%M} UTC, "
        f"{response['PendingWindowInDays']} days from now (workspace clock), unless you cancel the deletion."
    )


@console_page
@require_POST
def update_description(request: HttpRequest, key_id: str) -> HttpResponse:
    form = DescriptionForm(request.POST)
    if form.is_valid():
        parameters: Request = {"KeyId": key_id, "Description": form.cleaned_data["description"]}
        if call_into_form(form, update_key_description, request, parameters):
            return changed(request, key_id, tab="general", notice="Description saved.")
    return render_key_page(request, key_id, tab="general", bound_forms={"description": form})


@console_page
@require_POST
def update_policy(request: HttpRequest, key_id: str) -> HttpResponse:
    """PutKeyPolicy with the edited JSON; a malformed policy, or one that would lock the
    principal out, is refused by the operation and its error shown under the editor."""
    form = KeyPolicyForm(request.POST)
    if form.is_valid():
        parameters: Request = {"KeyId": key_id, "Policy": form.cleaned_data["policy"]}
        if call_into_form(form, put_key_policy, request, parameters, field="policy"):
            return changed(request, key_id, tab="policy", notice="Key policy saved.")
    return render_key_page(request, key_id, tab="policy", bound_forms={"policy": form})
