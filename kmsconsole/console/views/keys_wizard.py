"""The create-key wizard, in AWS's steps: configure the key, add labels, choose key
administrators, choose key users and other accounts, then review the generated key
policy and create.

The choices live in the session until the end (nothing is stored in the database before
"Create key"), tied to the account and region they were made in. Creating is CreateKey
(with the policy, tags and description) and then CreateAlias; if the alias fails, the key
stays, as in AWS, and the learner is told why.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kmsconsole.engine.errors import AWSError
from kmsconsole.iam.models import Principal, PrincipalType
from kmsconsole.kms.operations.aliases import create_alias
from kmsconsole.kms.operations.lifecycle import create_key

from ..context import ConsoleContext
from ..decorators import console_page
from ..forms_keys import (
    KeyAdministratorsForm,
    KeyConfigurationForm,
    KeyLabelsForm,
    KeyPolicyForm,
    KeyUsersForm,
    TagFormSet,
    alias_name,
    tags_from,
)
from .keys_detail import add_aws_error, error_lines, key_url
from .keys_display import key_type
from .keys_policy import console_default_policy

SESSION_KEY = "console_key_wizard"
TEMPLATE = "console/keys/create.html"
STEPS = (
    ("configure", "Configure key", "console:key-create"),
    ("labels", "Add labels", "console:key-create-labels"),
    ("administrators", "Define key administrative permissions", "console:key-create-administrators"),
    ("users", "Define key usage permissions", "console:key-create-users"),
    ("review", "Review", "console:key-create-review"),
)
# The state member each step stores, which the later steps need.
_STEP_RESULT = {"configure": "key_spec", "labels": "alias", "administrators": "administrators", "users": "users"}


@console_page
def create_configure(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    if request.method == "POST":
        form = KeyConfigurationForm(request.POST)
        if form.is_valid():
            _save(request, state, **{name: form.cleaned_data[name] for name in ("key_type", "key_usage", "key_spec")})
            return redirect("console:key-create-labels")
    elif request.htmx:  # type: ignore[attr-defined]
        # The learner changed the key type or usage: offer the usages and specs that fit.
        form = KeyConfigurationForm(initial=request.GET.dict())
        return render(request, f"{TEMPLATE}#configure-fields", {"form": form})
    else:
        form = KeyConfigurationForm(initial=state)
    return _render_step(request, "configure", {"form": form})


@console_page
def create_labels(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    if missing := _missing_step(state, "labels"):
        return missing
    if request.method != "POST":
        form = KeyLabelsForm(initial={**state, "alias": state.get("alias", "").removeprefix("alias/")})
        tags = [{"tag_key": tag["TagKey"], "tag_value": tag["TagValue"]} for tag in state.get("tags", [])]
        formset = TagFormSet(prefix="tags", initial=tags)
        return _render_step(request, "labels", {"form": form, "formset": formset})
    form, formset = KeyLabelsForm(request.POST), TagFormSet(request.POST, prefix="tags")
    if "add_tag" in request.POST and formset.is_valid():
        # Another empty row: the entries so far come back unvalidated, as typed.
        rows = [row for row in formset.cleaned_data if row.get("tag_key") or row.get("tag_value")]
        form = KeyLabelsForm(initial=request.POST.dict())
        return _render_step(request, "labels", {"form": form, "formset": TagFormSet(prefix="tags", initial=rows)})
    if form.is_valid() and formset.is_valid():
        alias = alias_name(form.cleaned_data["alias"])
        _save(request, state, alias=alias, description=form.cleaned_data["description"], tags=tags_from(formset))
        return redirect("console:key-create-administrators")
    return _render_step(request, "labels", {"form": form, "formset": formset})


@console_page
def create_administrators(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    if missing := _missing_step(state, "administrators"):
        return missing
    choices = _principal_choices(request.console)  # type: ignore[attr-defined]
    initial = {
        "principals": state.get("administrators", []),
        "allow_admin_delete": state.get("allow_admin_delete", True),
    }
    form = KeyAdministratorsForm(
        request.POST if request.method == "POST" else None, principal_choices=choices, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        _save(
            request,
            state,
            administrators=form.cleaned_data["principals"],
            allow_admin_delete=form.cleaned_data["allow_admin_delete"],
        )
        return redirect("console:key-create-users")
    return _render_step(request, "administrators", {"form": form})


@console_page
def create_users(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    if missing := _missing_step(state, "users"):
        return missing
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    initial = {"principals": state.get("users", []), "other_accounts": " ".join(state.get("other_accounts", []))}
    form = KeyUsersForm(
        request.POST if request.method == "POST" else None,
        principal_choices=_principal_choices(context),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        _save(request, state, users=form.cleaned_data["principals"], other_accounts=form.cleaned_data["other_accounts"])
        return redirect("console:key-create-review")
    workspace_accounts = context.workspace.accounts.exclude(pk=context.account.pk).order_by("label")
    return _render_step(request, "users", {"form": form, "workspace_accounts": workspace_accounts})


@console_page
def create_review(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    if missing := _missing_step(state, "review"):
        return missing
    form = KeyPolicyForm(
        request.POST if request.method == "POST" else None, initial={"policy": _proposed_policy(request, state)}
    )
    if request.method == "POST" and form.is_valid():
        _save(request, state, policy=form.cleaned_data["policy"])
        try:
            metadata = create_key(request.caller, _create_key_request(state))["KeyMetadata"]  # type: ignore[attr-defined]
        except AWSError as failure:
            add_aws_error(form, failure, "policy" if failure.code == "MalformedPolicyDocumentException" else None)
        else:
            request.session.pop(SESSION_KEY, None)
            _alias_new_key(request, metadata["KeyId"], state["alias"])
            return redirect(key_url(metadata["KeyId"]))
    summary = {**state, "key_type_label": key_type(state["key_spec"], state["key_usage"])}
    return _render_step(request, "review", {"form": form, "summary": summary})


def _alias_new_key(request: HttpRequest, key_id: str, alias: str) -> None:
    try:
        create_alias(request.caller, {"AliasName": alias, "TargetKeyId": key_id})  # type: ignore[attr-defined]
    except AWSError as failure:
        messages.warning(
            request,
            f"The key {key_id} was created, but the alias {alias} was not: {' '.join(error_lines(failure))} "
            "The key is kept, as AWS keeps it; add an alias on its Aliases tab.",
        )
    else:
        messages.success(request, f"Created the key {alias} ({key_id}).")


def _create_key_request(state: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "KeySpec": state["key_spec"],
        "KeyUsage": state["key_usage"],
        "Policy": state["policy"],
        "Description": state["description"],
    }
    if state["tags"]:
        request["Tags"] = state["tags"]
    return request


def _proposed_policy(request: HttpRequest, state: dict[str, Any]) -> str:
    """The policy as last edited on the review step, else AWS's console default for the
    choices made (editing an earlier step discards an edited policy)."""
    if state.get("policy"):
        return str(state["policy"])
    return console_default_policy(
        account_id=request.console.account.account_id,  # type: ignore[attr-defined]
        key_spec=state["key_spec"],
        key_usage=state["key_usage"],
        administrators=state["administrators"],
        allow_admin_delete=state["allow_admin_delete"],
        users=state["users"],
        other_accounts=state["other_accounts"],
    )


def _principal_choices(context: ConsoleContext) -> list[tuple[str, str]]:
    """The account's IAM users and roles, by ARN (the account root is always in the
    policy through its own statement)."""
    principals = (
        Principal.objects.filter(account=context.account)
        .exclude(kind=PrincipalType.ROOT)
        .select_related("account")
        .order_by("kind", "name")
    )
    kind_names = {PrincipalType.USER: "IAM user", PrincipalType.ROLE: "IAM role"}
    return [
        (principal.arn, f"{principal.name} ({kind_names[PrincipalType(principal.kind)]})") for principal in principals
    ]


def _state(request: HttpRequest) -> dict[str, Any]:
    """The wizard's choices so far; choices made in another account or region are dropped."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    where = {"account": context.account.pk, "region": context.region}
    state = dict(request.session.get(SESSION_KEY) or {})
    if {name: state.get(name) for name in where} != where:
        state = where
    return state


def _save(request: HttpRequest, state: dict[str, Any], **changes: Any) -> None:
    if "policy" not in changes:
        state.pop("policy", None)
    state.update(changes)
    request.session[SESSION_KEY] = state


def _missing_step(state: dict[str, Any], step: str) -> HttpResponse | None:
    """A redirect to the first earlier step not done yet, if any."""
    for name, _title, url_name in STEPS:
        if name == step:
            return None
        if _STEP_RESULT[name] not in state:
            return redirect(url_name)
    return None


def _render_step(request: HttpRequest, step: str, context: dict[str, Any]) -> HttpResponse:
    position = [name for name, _title, _url in STEPS].index(step)
    steps = [
        {"number": index + 1, "title": title, "url": url_name, "current": name == step, "done": index < position}
        for index, (name, title, url_name) in enumerate(STEPS)
    ]
    previous = STEPS[position - 1][2] if position else None
    return render(request, TEMPLATE, {"step": step, "steps": steps, "previous_step": previous, **context})
