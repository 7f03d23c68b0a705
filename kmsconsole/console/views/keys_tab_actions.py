"""Actions of the key page's tabs: tags, rotation, aliases, grants, and the public key
downloads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from kmsconsole.engine.enums import KeySpec, KeyUsage
from kmsconsole.engine.errors import AWSError
from kmsconsole.kms.operations.aliases import create_alias, delete_alias
from kmsconsole.kms.operations.grants import create_grant, grantable_operations, retire_grant, revoke_grant
from kmsconsole.kms.operations.lifecycle import describe_key
from kmsconsole.kms.operations.registry import Operation
from kmsconsole.kms.operations.rotation import disable_key_rotation, enable_key_rotation, rotate_key_on_demand
from kmsconsole.kms.operations.signing import get_public_key
from kmsconsole.kms.operations.tags import tag_resource, untag_resource

from ..decorators import console_page
from ..forms_keys import AliasForm, GrantChoiceForm, GrantForm, NewTagForm, RotationForm
from .keys_detail import call_into_form, changed, render_key_page
from .keys_tabs import pem_public_key


@console_page
@require_POST
def add_tag(request: HttpRequest, key_id: str) -> HttpResponse:
    form = NewTagForm(request.POST)
    if form.is_valid():
        tag = {"TagKey": form.cleaned_data["tag_key"], "TagValue": form.cleaned_data["tag_value"]}
        if call_into_form(form, tag_resource, request, {"KeyId": key_id, "Tags": [tag]}):
            return changed(request, key_id, tab="tags", notice=f"Tag {tag['TagKey']} saved.")
    return render_key_page(request, key_id, tab="tags", bound_forms={"tag": form})


@console_page
@require_POST
def remove_tag(request: HttpRequest, key_id: str) -> HttpResponse:
    tag_key = request.POST.get("tag_key", "")
    return _simple_action(
        request, key_id, "tags", untag_resource, {"KeyId": key_id, "TagKeys": [tag_key]}, f"Tag {tag_key} removed."
    )


@console_page
@require_POST
def enable_rotation(request: HttpRequest, key_id: str) -> HttpResponse:
    form = RotationForm(request.POST)
    if form.is_valid():
        days = form.cleaned_data["rotation_period_days"]
        if call_into_form(
            form,
            enable_key_rotation,
            request,
            {"KeyId": key_id, "RotationPeriodInDays": days},
            field="rotation_period_days",
        ):
            return changed(request, key_id, tab="rotation", notice=f"Automatic rotation every {days} days is on.")
    return render_key_page(request, key_id, tab="rotation", bound_forms={"rotation": form})


@console_page
@require_POST
def disable_rotation(request: HttpRequest, key_id: str) -> HttpResponse:
    return _simple_action(
        request, key_id, "rotation", disable_key_rotation, {"KeyId": key_id}, "Automatic rotation is off."
    )


@console_page
@require_POST
def rotate_now(request: HttpRequest, key_id: str) -> HttpResponse:
    return _simple_action(
        request,
        key_id,
        "rotation",
        rotate_key_on_demand,
        {"KeyId": key_id},
        "The key has new key material. Ciphertext made before still decrypts with the old material.",
    )


@console_page
@require_POST
def add_alias(request: HttpRequest, key_id: str) -> HttpResponse:
    form = AliasForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["alias_name"]
        if call_into_form(form, create_alias, request, {"AliasName": name, "TargetKeyId": key_id}, field="alias_name"):
            return changed(request, key_id, tab="aliases", notice=f"Alias {name} created.")
    return render_key_page(request, key_id, tab="aliases", bound_forms={"alias": form})


@console_page
@require_POST
def remove_alias(request: HttpRequest, key_id: str) -> HttpResponse:
    name = request.POST.get("alias_name", "")
    return _simple_action(request, key_id, "aliases", delete_alias, {"AliasName": name}, f"Alias {name} deleted.")


@console_page
@require_POST
def add_grant(request: HttpRequest, key_id: str) -> HttpResponse:
    try:
        key = describe_key(request.caller, {"KeyId": key_id})["KeyMetadata"]  # type: ignore[attr-defined]
    except AWSError as failure:
        return render_key_page(request, key_id, tab="grants", failure=failure)
    form = GrantForm(
        request.POST, operations=list(grantable_operations(KeySpec(key["KeySpec"]), KeyUsage(key["KeyUsage"])))
    )
    if form.is_valid() and call_into_form(form, create_grant, request, form.request(key["Arn"])):
        return changed(request, key_id, tab="grants", notice="Grant created.")
    return render_key_page(request, key_id, tab="grants", bound_forms={"grant": form})


@console_page
@require_POST
def retire(request: HttpRequest, key_id: str) -> HttpResponse:
    return _grant_action(request, key_id, retire_grant, "Grant retired.")


@console_page
@require_POST
def revoke(request: HttpRequest, key_id: str) -> HttpResponse:
    return _grant_action(request, key_id, revoke_grant, "Grant revoked.")


def _grant_action(request: HttpRequest, key_id: str, operation: Operation, done: str) -> HttpResponse:
    form = GrantChoiceForm(request.POST)
    grant_id = form.cleaned_data["grant_id"] if form.is_valid() else ""
    return _simple_action(request, key_id, "grants", operation, {"KeyId": key_id, "GrantId": grant_id}, done)


def _simple_action(
    request: HttpRequest, key_id: str, tab: str, operation: Operation, parameters: dict[str, object], done: str
) -> HttpResponse:
    """A button with no form of its own: its error is shown above the tab."""
    try:
        operation(request.caller, parameters)  # type: ignore[attr-defined]
    except AWSError as failure:
        return render_key_page(request, key_id, tab=tab, failure=failure)
    return changed(request, key_id, tab=tab, notice=done)


@console_page
def public_key_pem(request: HttpRequest, key_id: str) -> HttpResponse:
    return _public_key_download(request, key_id, "pem")


@console_page
def public_key_der(request: HttpRequest, key_id: str) -> HttpResponse:
    return _public_key_download(request, key_id, "der")


def _public_key_download(request: HttpRequest, key_id: str, encoding: str) -> HttpResponse:
    """GetPublicKey's DER SubjectPublicKeyInfo, as is or as PEM, as a file download."""
    try:
        response = get_public_key(request.caller, {"KeyId": key_id})  # type: ignore[attr-defined]
    except AWSError as failure:
        return render_key_page(request, key_id, tab="public-key", failure=failure)
    der = response["PublicKey"]
    if encoding == "pem":
        download = HttpResponse(pem_public_key(der), content_type="application/x-pem-file")
    else:
        download = HttpResponse(der, content_type="application/pkix-spki")
    bare_key_id = response["KeyId"].rsplit("/", 1)[-1]  # the operation answers with the key ARN
    download["Content-Disposition"] = f'attachment; filename="{bare_key_id}-public-key.{encoding}"'
    return download
