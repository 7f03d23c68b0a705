"""Landing, sign-up, workspaces and the context switcher."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from kmsconsole.audit.models import Event
from kmsconsole.engine.sigv4 import AWS_REGIONS
from kmsconsole.iam.models import Workspace
from kmsconsole.iam.provisioning import WorkspaceExists, create_workspace
from kmsconsole.kms.models import Key

from ..context import ConsoleContext, current_context, remember, workspaces_for
from ..decorators import console_page


def home(request: HttpRequest) -> HttpResponse:
    """``GET /``: the dashboard for a signed-in user, otherwise a welcome page that also
    says how to reach the API with the aws CLI and boto3."""
    if request.user.is_authenticated:
        return dashboard(request)
    endpoint = request.build_absolute_uri("/").rstrip("/")
    return render(request, "console/welcome.html", {"endpoint": endpoint})


@console_page
def dashboard(request: HttpRequest) -> HttpResponse:
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    keys = Key.objects.filter(account=context.account, region=context.region)
    recent = Event.objects.filter(workspace=context.workspace).order_by("-event_time", "-id")[:10]
    summary = {
        "customer_keys": keys.filter(key_manager="CUSTOMER").count(),
        "aws_keys": keys.filter(key_manager="AWS").count(),
        "disabled": keys.filter(key_state="Disabled").count(),
        "pending_deletion": keys.filter(key_state="PendingDeletion").count(),
    }
    endpoint = request.build_absolute_uri("/").rstrip("/")
    return render(request, "console/dashboard.html", {"summary": summary, "recent": recent, "endpoint": endpoint})


class SignUpForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username",)


def signup(request: HttpRequest) -> HttpResponse:
    """Create a console user and their first workspace (accounts A and B)."""
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            provisioned = create_workspace(f"{user.get_username()}-{uuid.uuid4().hex[:6]}", owner=user)
        login(request, user)
        _switch_to(request, provisioned.workspace)
        return redirect("console:dashboard")
    return render(request, "registration/signup.html", {"form": form})


class WorkspaceForm(forms.Form):
    name = forms.SlugField(max_length=64, help_text="Letters, digits, hyphens and underscores.")
    region = forms.ChoiceField(choices=[(r, r) for r in sorted(AWS_REGIONS)], initial="us-east-1")


@login_required
def workspace_new(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            name, region = form.cleaned_data["name"], form.cleaned_data["region"]
            assert isinstance(request.user, User)  # login_required
            provisioned = create_workspace(name, region=region, owner=request.user)
        except WorkspaceExists as exists:
            form.add_error("name", str(exists))
        else:
            _switch_to(request, provisioned.workspace)
            return redirect("console:dashboard")
    return render(request, "console/workspace_new.html", {"form": form})


def _switch_to(request: HttpRequest, workspace: Workspace) -> None:
    account = workspace.accounts.order_by("label").first()
    assert account is not None
    root = account.principals.get(kind="Root")
    remember(request, ConsoleContext(workspace, account, workspace.region, root))


def _posted_id(request: HttpRequest, name: str) -> int:
    """A row id from the form, or 0 (which no row has) for anything that is not one:
    a tampered form is ignored, never a server error."""
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else 0


@login_required
@require_POST
def switch_context(request: HttpRequest) -> HttpResponse:
    """Change workspace, account, region or principal; anything the user may not see is
    ignored (the session falls back to what they may see)."""
    context = current_context(request)
    if context is None:
        return redirect("console:workspace-new")
    workspace = workspaces_for(request.user).filter(pk=_posted_id(request, "workspace")).first()
    if workspace is not None and workspace.pk != context.workspace.pk:
        _switch_to(request, workspace)
    else:
        account = context.workspace.accounts.filter(pk=_posted_id(request, "account")).first() or context.account
        principal = account.principals.filter(pk=_posted_id(request, "principal")).first()
        if principal is None or account.pk != context.account.pk:
            principal = account.principals.get(kind="Root")
        posted_region = request.POST.get("region", "")
        region = posted_region if posted_region in AWS_REGIONS else context.region
        remember(request, ConsoleContext(context.workspace, account, region, principal))
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRefresh()
    return redirect(request.POST.get("next") or "console:dashboard")
