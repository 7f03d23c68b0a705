"""The key page: a header with the key's state and actions, and tabs.

Every tab is a full page at ``?tab=<name>`` and, for htmx, a fragment. Actions post to
their own URLs and answer with the refreshed page (or, for htmx, the refreshed key
fragment), so a form that fails is shown again with the operation's error.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from kmsconsole.audit.lookup import list_events
from kmsconsole.engine.enums import KeySpec, Origin
from kmsconsole.engine.errors import AccessDeniedException, AWSError, NotFoundException
from kmsconsole.kms.operations.aliases import list_aliases
from kmsconsole.kms.operations.lifecycle import describe_key
from kmsconsole.kms.operations.registry import Operation, Request

from ..decorators import console_page
from .keys_display import KeySummary
from .keys_tabs import TAB_LOADERS

TAB_LABELS = {
    "general": "General configuration",
    "policy": "Key policy",
    "cryptography": "Cryptographic configuration",
    "tags": "Tags",
    "rotation": "Key rotation",
    "aliases": "Aliases",
    "grants": "Grants",
    "public-key": "Public key",
    "events": "Events",
}
DEFAULT_TAB = "general"
# Aliases a key may have (AWS's quota), so one ListAliases page holds them all.
MAX_ALIASES_PER_KEY = 50


def error_lines(failure: AWSError) -> list[str]:
    """An AWS error as the console shows it: the code and AWS's message, then the policy
    engine's explanation when the message does not already say it (malformed policies)."""
    lines = [f"{failure.code}: {failure.message}" if failure.message else failure.code]
    explanation = getattr(failure, "explanation", "")
    if explanation and explanation != failure.message:
        lines.append(f"Why: {explanation}")
    return lines


def add_aws_error(form: Form, failure: AWSError, field: str | None = None) -> None:
    for line in error_lines(failure):
        form.add_error(field, line)


def call_into_form(
    form: Form, operation: Operation, request: HttpRequest, parameters: Request, *, field: str | None = None
) -> bool:
    """Call ``operation`` as the console's principal; on an AWS error, put it on ``form``
    (under ``field``, or for the whole form) and answer False."""
    try:
        operation(request.caller, parameters)  # type: ignore[attr-defined]
    except AWSError as failure:
        add_aws_error(form, failure, field)
        return False
    return True


def tab_of(request: HttpRequest) -> str:
    tab = request.POST.get("tab") or request.GET.get("tab") or DEFAULT_TAB
    return tab if tab in TAB_LABELS else DEFAULT_TAB


def key_url(key_id: str, tab: str = DEFAULT_TAB) -> str:
    url = reverse("console:key-detail", args=[key_id])
    return url if tab == DEFAULT_TAB else f"{url}?tab={tab}"


def available_tabs(key: KeySummary, origin: str) -> list[str]:
    """AWS shows the rotation tab only for symmetric encryption keys with KMS-made
    material, and the public key tab only for asymmetric keys."""
    tabs = list(TAB_LABELS)
    if key.key_spec != KeySpec.SYMMETRIC_DEFAULT or origin != Origin.AWS_KMS:
        tabs.remove("rotation")
    if key.key_type != "Asymmetric":
        tabs.remove("public-key")
    return tabs


@console_page
def key_detail(request: HttpRequest, key_id: str) -> HttpResponse:
    return render_key_page(request, key_id, tab=tab_of(request))


def render_key_page(
    request: HttpRequest,
    key_id: str,
    *,
    tab: str,
    bound_forms: dict[str, Form] | None = None,
    notice: str = "",
    failure: AWSError | None = None,
) -> HttpResponse:
    """The key page on ``tab``: the whole page, or for htmx the fragment its target names.

    ``bound_forms`` are forms to show again (with their errors) instead of empty ones;
    ``failure`` is an action's error that belongs to no form."""
    caller = request.caller  # type: ignore[attr-defined]
    try:
        metadata = describe_key(caller, {"KeyId": key_id})["KeyMetadata"]
    except AWSError as error:
        unavailable = {"key_id": key_id, "error_lines": error_lines(error)}
        return render(request, "console/keys/unavailable.html", unavailable, status=status_of(error))
    key = KeySummary.of_metadata(metadata, _alias_names(request, metadata["Arn"]))
    tabs = available_tabs(key, metadata["Origin"])
    tab = tab if tab in tabs else DEFAULT_TAB
    context: dict[str, Any] = {
        "key": key,
        "metadata": metadata,
        "tab": tab,
        "tabs": [(name, TAB_LABELS[name], key_url(key.key_id, name)) for name in tabs],
        "notice": notice,
        "failure_lines": error_lines(failure) if failure else [],
        "denial_url": _denial_explanation_url(request, failure),
        **_tab_context(request, metadata, key, tab, bound_forms or {}),
    }
    template = "console/keys/detail.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#key-tabs" if request.htmx.target == "key-tabs" else "#key-page"  # type: ignore[attr-defined]
    return render(request, template, context)


def status_of(error: AWSError) -> int:
    if isinstance(error, NotFoundException):
        return 404
    return 403 if isinstance(error, AccessDeniedException) else 400


def _alias_names(request: HttpRequest, key_arn: str) -> list[str]:
    """The key's aliases for its title; a principal who may not list aliases sees the key ID."""
    try:
        response = list_aliases(request.caller, {"KeyId": key_arn, "Limit": MAX_ALIASES_PER_KEY})  # type: ignore[attr-defined]
    except AWSError:
        return []
    return [alias["AliasName"] for alias in response["Aliases"]]


def _denial_explanation_url(request: HttpRequest, failure: AWSError | None) -> str | None:
    """For an AccessDenied, the event history's page of the denial just recorded, which
    explains it statement by statement (when the console has that page)."""
    if not isinstance(failure, AccessDeniedException):
        return None
    caller = request.caller  # type: ignore[attr-defined]
    denials = list_events(caller.workspace, principal_arn=caller.arn, error_code=failure.code, limit=1)
    try:
        return reverse("console:event", args=[denials[0].event_id]) if denials else None
    except NoReverseMatch:
        return None


def _tab_context(
    request: HttpRequest, metadata: dict[str, Any], key: KeySummary, tab: str, bound_forms: dict[str, Form]
) -> dict[str, Any]:
    """What the tab shows; if its operations fail (say, AccessDenied on GetKeyPolicy),
    the tab shows the error in place of its content."""
    try:
        return TAB_LOADERS[tab](request, metadata, key, bound_forms)
    except AWSError as error:
        return {"tab_error_lines": error_lines(error)}


def changed(request: HttpRequest, key_id: str, *, tab: str, notice: str) -> HttpResponse:
    """After a successful action: htmx gets the refreshed fragment with the notice; a
    plain form post is redirected to the page (post/redirect/get), notice as a message."""
    if request.htmx:  # type: ignore[attr-defined]
        return render_key_page(request, key_id, tab=tab, notice=notice)
    messages.success(request, notice)
    return redirect(key_url(key_id, tab))
