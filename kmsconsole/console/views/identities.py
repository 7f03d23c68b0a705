"""IAM and credentials: the current account's users and roles, their identity policies
and trust policies, and users' access keys with ready-to-paste snippets for this server.

Every read and change is the IAM operation itself (``ListUsers``, ``PutUserPolicy``,
``CreateAccessKey``...) called as the console's principal, so it is authorized and
audited like the same call from the aws CLI, and names resolve only inside the
principal's own account.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kmsconsole.engine.errors import AWSError
from kmsconsole.iam import operations as _registers_iam_operations  # noqa: F401
from kmsconsole.iam.models import PrincipalType
from kmsconsole.kms.operations import find

from ..context import ConsoleContext
from ..decorators import console_page
from ..forms_tools import AttachPolicyForm, CreateRoleForm, CreateUserForm, InlinePolicyForm, TrustPolicyForm

PAGE_SIZE = 50
KINDS = {"users": "User", "roles": "Role"}


def _iam(request: HttpRequest, name: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    operation = find("iam", name)
    assert operation is not None, name
    return operation(request.caller, params or {})  # type: ignore[attr-defined]


def _attempt(request: HttpRequest, form: forms.Form, name: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """Call an IAM operation; on an AWS error, show its code and message on the form."""
    try:
        return _iam(request, name, params)
    except AWSError as error:
        form.add_error(None, f"{error.code}: {error.message}")
        return None


def _noun(kind: str) -> str:
    if kind not in KINDS:
        raise Http404("No such kind of identity.")
    return KINDS[kind]


def _pretty(document: str) -> str:
    """A policy document indented for reading; stored text as it is if it is not JSON."""
    try:
        return json.dumps(json.loads(document), indent=2)
    except ValueError:
        return document


# ---------------------------------------------------------------- users and roles


@console_page
def iam_home(request: HttpRequest) -> HttpResponse:
    """Users or roles of the current account, a page at a time (IAM's Marker)."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    tab = "roles" if request.GET.get("tab") == "roles" else "users"
    return _iam_page(request, context, tab, CreateUserForm(), CreateRoleForm(account_id=context.account.account_id))


def _iam_page(
    request: HttpRequest, context: ConsoleContext, tab: str, user_form: forms.Form, role_form: forms.Form
) -> HttpResponse:
    params: dict[str, Any] = {"MaxItems": PAGE_SIZE}
    if request.GET.get("marker"):
        params["Marker"] = request.GET["marker"]
    listing: dict[str, Any] = {}
    error = ""
    try:
        listing = _iam(request, "ListRoles" if tab == "roles" else "ListUsers", params)
    except AWSError as problem:
        error = f"{problem.code}: {problem.message}"
    page = {
        "tab": tab,
        "identities": listing.get("Roles" if tab == "roles" else "Users", []),
        "next_marker": listing.get("Marker") if listing.get("IsTruncated") else None,
        "error": error,
        "user_form": user_form,
        "role_form": role_form,
    }
    template = "console/iam/iam.html"
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        template += "#identity-table"
    return render(request, template, page)


@console_page
@require_POST
def user_new(request: HttpRequest) -> HttpResponse:
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    form = CreateUserForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["user_name"]
        if _attempt(request, form, "CreateUser", {"UserName": name}) is not None:
            return _go(request, reverse("console:iam-user", args=[name]))
    return _iam_page(request, context, "users", form, CreateRoleForm(account_id=context.account.account_id))


@console_page
@require_POST
def role_new(request: HttpRequest) -> HttpResponse:
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    form = CreateRoleForm(request.POST, account_id=context.account.account_id)
    if form.is_valid():
        name = form.cleaned_data["role_name"]
        params = {"RoleName": name, "AssumeRolePolicyDocument": form.cleaned_data["trust_policy"]}
        if form.cleaned_data["description"]:
            params["Description"] = form.cleaned_data["description"]
        if _attempt(request, form, "CreateRole", params) is not None:
            return _go(request, reverse("console:iam-role", args=[name]))
    return _iam_page(request, context, "roles", CreateUserForm(), form)


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """After a change: a redirect (Post/Redirect/Get), or for htmx a client redirect."""
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(url)
    return redirect(url)


@console_page
def user_detail(request: HttpRequest, name: str) -> HttpResponse:
    return _identity_page(request, "users", name)


@console_page
def role_detail(request: HttpRequest, name: str) -> HttpResponse:
    return _identity_page(request, "roles", name)


def _identity_page(request: HttpRequest, kind: str, name: str, **forms_given: forms.Form) -> HttpResponse:
    """A user's or role's page: its ARN, trust policy (roles), inline policies with their
    documents, attached managed policies, and the forms that change them."""
    noun = _noun(kind)
    try:
        identity = _describe(request, kind, name)
    except AWSError as error:
        if error.code == "NoSuchEntity":
            raise Http404(error.message) from None
        problem = {"kind": kind, "noun": noun, "name": name, "error": f"{error.code}: {error.message}"}
        return render(request, "console/iam/identity.html", problem)
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    page: dict[str, Any] = {
        "kind": kind,
        "noun": noun,
        "name": identity["name"],
        "identity": identity,
        "policy_form": forms_given.get("policy_form") or InlinePolicyForm(),
        "attach_form": forms_given.get("attach_form")
        or AttachPolicyForm(policies=_attachable_policies(request, identity["attached"])),
        "trust_form": forms_given.get("trust_form") or TrustPolicyForm(initial={"document": identity["trust"]}),
        "delete_form": forms_given.get("delete_form") or forms.Form(),
        "acting_as_this": context.principal.arn == identity["arn"],
    }
    return render(request, "console/iam/identity.html", page)


def _describe(request: HttpRequest, kind: str, name: str) -> dict[str, Any]:
    """Everything the identity page shows, read through the IAM operations."""
    noun = _noun(kind)
    if kind == "roles":
        role = _iam(request, "GetRole", {"RoleName": name})["Role"]
        described = {
            "arn": role["Arn"],
            "name": role["RoleName"],
            "created": role["CreateDate"],
            "description": role.get("Description", ""),
            "trust": _pretty(role["AssumeRolePolicyDocument"]),
        }
    else:
        user = _iam(request, "GetUser", {"UserName": name})["User"]
        described = {"arn": user["Arn"], "name": user["UserName"], "created": user["CreateDate"], "trust": ""}
    named = {f"{noun}Name": described["name"]}
    inline = []
    for policy in _iam(request, f"List{noun}Policies", named)["PolicyNames"]:
        document = _iam(request, f"Get{noun}Policy", {**named, "PolicyName": policy})["PolicyDocument"]
        inline.append({"name": policy, "document": _pretty(document)})
    attached = _iam(request, f"ListAttached{noun}Policies", named)["AttachedPolicies"]
    return {**described, "inline": inline, "attached": attached}


def _attachable_policies(request: HttpRequest, attached: list[dict[str, str]]) -> list[tuple[str, str]]:
    """Customer managed policies of the account not yet attached (none if the principal
    may not list them)."""
    try:
        policies = _iam(request, "ListPolicies", {"Scope": "Local", "MaxItems": 1000})["Policies"]
    except AWSError:
        return []
    taken = {policy["PolicyArn"] for policy in attached}
    return [(policy["Arn"], policy["PolicyName"]) for policy in policies if policy["Arn"] not in taken]


def _detail_url(kind: str, name: str) -> str:
    return reverse("console:iam-role" if kind == "roles" else "console:iam-user", args=[name])


@console_page
@require_POST
def policy_put(request: HttpRequest, kind: str, name: str) -> HttpResponse:
    """Create or replace an inline policy (PutUserPolicy / PutRolePolicy)."""
    noun = _noun(kind)
    form = InlinePolicyForm(request.POST)
    if form.is_valid():
        params = {
            f"{noun}Name": name,
            "PolicyName": form.cleaned_data["policy_name"],
            "PolicyDocument": form.cleaned_data["document"],
        }
        if _attempt(request, form, f"Put{noun}Policy", params) is not None:
            return _go(request, _detail_url(kind, name))
    return _identity_page(request, kind, name, policy_form=form)


@console_page
@require_POST
def policy_delete(request: HttpRequest, kind: str, name: str, policy: str) -> HttpResponse:
    noun = _noun(kind)
    form = forms.Form(request.POST)
    params = {f"{noun}Name": name, "PolicyName": policy}
    if _attempt(request, form, f"Delete{noun}Policy", params) is not None:
        return _go(request, _detail_url(kind, name))
    return _identity_page(request, kind, name, policy_form=_with_errors(InlinePolicyForm(), form))


@console_page
@require_POST
def policy_attach(request: HttpRequest, kind: str, name: str) -> HttpResponse:
    noun = _noun(kind)
    form = AttachPolicyForm(request.POST, policies=[(arn, arn) for arn in request.POST.getlist("policy_arn")])
    if form.is_valid():
        params = {f"{noun}Name": name, "PolicyArn": form.cleaned_data["policy_arn"]}
        if _attempt(request, form, f"Attach{noun}Policy", params) is not None:
            return _go(request, _detail_url(kind, name))
    return _identity_page(request, kind, name, attach_form=form)


@console_page
@require_POST
def policy_detach(request: HttpRequest, kind: str, name: str) -> HttpResponse:
    noun = _noun(kind)
    form = forms.Form(request.POST)
    params = {f"{noun}Name": name, "PolicyArn": request.POST.get("policy_arn", "")}
    if _attempt(request, form, f"Detach{noun}Policy", params) is not None:
        return _go(request, _detail_url(kind, name))
    return _identity_page(request, kind, name, attach_form=_with_errors(AttachPolicyForm(policies=[]), form))


@console_page
@require_POST
def trust_update(request: HttpRequest, name: str) -> HttpResponse:
    """Replace a role's trust policy (UpdateAssumeRolePolicy)."""
    form = TrustPolicyForm(request.POST)
    if form.is_valid():
        params = {"RoleName": name, "PolicyDocument": form.cleaned_data["document"]}
        if _attempt(request, form, "UpdateAssumeRolePolicy", params) is not None:
            return _go(request, _detail_url("roles", name))
    return _identity_page(request, "roles", name, trust_form=form)


@console_page
@require_POST
def identity_delete(request: HttpRequest, kind: str, name: str) -> HttpResponse:
    """DeleteUser / DeleteRole; IAM refuses while policies or access keys remain, and the
    page shows IAM's DeleteConflict message."""
    noun = _noun(kind)
    form = forms.Form(request.POST)
    if _attempt(request, form, f"Delete{noun}", {f"{noun}Name": name}) is not None:
        return _go(request, reverse("console:iam") + ("?tab=roles" if kind == "roles" else ""))
    return _identity_page(request, kind, name, delete_form=form)


def _with_errors(target: forms.Form, source: forms.Form) -> forms.Form:
    """Show ``source``'s errors (an operation's refusal) on the form the page displays."""
    for error in source.non_field_errors():
        target.add_error(None, error)
    return target


# ---------------------------------------------------------------- credentials


@console_page
def credentials(request: HttpRequest) -> HttpResponse:
    """Access keys of one user of the account (the principal itself when it is a user)
    and snippets that point the aws CLI and boto3 at this server."""
    return _credentials_page(request, request.GET.get("user", ""))


def _credentials_page(
    request: HttpRequest, user_name: str, *, new_key: dict[str, Any] | None = None, error: str = ""
) -> HttpResponse:
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    users: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    try:
        users = _iam(request, "ListUsers", {"MaxItems": 1000})["Users"]
        user_name = _chosen_user(context, users, user_name)
        if user_name:
            keys = _iam(request, "ListAccessKeys", {"UserName": user_name})["AccessKeyMetadata"]
    except AWSError as problem:
        error = error or f"{problem.code}: {problem.message}"
    active = next((key["AccessKeyId"] for key in keys if key["Status"] == "Active"), "")
    page = {
        "users": users,
        "user_name": user_name,
        "keys": keys,
        "new_key": new_key,
        "error": error,
        "endpoint": request.build_absolute_uri("/").rstrip("/"),
        "region": context.region,
        "snippet_key_id": new_key["AccessKeyId"] if new_key else active or "<access key id>",
        "snippet_secret": new_key["SecretAccessKey"] if new_key else "<secret access key, shown once at creation>",
    }
    template = "console/iam/credentials.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#credentials"
    response = render(request, template, page)
    if new_key:
        patch_cache_control(response, no_store=True, private=True)
    return response


def _chosen_user(context: ConsoleContext, users: list[dict[str, Any]], requested: str) -> str:
    names = [user["UserName"] for user in users]
    if requested in names:
        return requested
    if context.principal.kind == PrincipalType.USER and context.principal.name in names:
        return context.principal.name
    return names[0] if names else ""


@console_page
@require_POST
def access_key_new(request: HttpRequest, user: str) -> HttpResponse:
    """CreateAccessKey: the secret is in this response only (IAM never returns it again)."""
    try:
        created = _iam(request, "CreateAccessKey", {"UserName": user})["AccessKey"]
    except AWSError as problem:
        return _credentials_page(request, user, error=f"{problem.code}: {problem.message}")
    return _credentials_page(request, user, new_key=created)


@console_page
@require_POST
def access_key_status(request: HttpRequest, user: str, access_key_id: str) -> HttpResponse:
    status = "Active" if request.POST.get("status") == "Active" else "Inactive"
    params = {"UserName": user, "AccessKeyId": access_key_id, "Status": status}
    return _change_access_key(request, user, "UpdateAccessKey", params)


@console_page
@require_POST
def access_key_delete(request: HttpRequest, user: str, access_key_id: str) -> HttpResponse:
    return _change_access_key(request, user, "DeleteAccessKey", {"UserName": user, "AccessKeyId": access_key_id})


def _change_access_key(request: HttpRequest, user: str, name: str, params: dict[str, Any]) -> HttpResponse:
    try:
        _iam(request, name, params)
    except AWSError as problem:
        return _credentials_page(request, user, error=f"{problem.code}: {problem.message}")
    if request.htmx:  # type: ignore[attr-defined]
        return _credentials_page(request, user)
    return redirect(f"{reverse('console:credentials')}?{urlencode({'user': user})}")
