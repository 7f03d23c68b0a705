"""Which workspace, account, region and principal the console acts as, per browser session.

The console is a client of the same operations the API uses: every page builds a
``Caller`` for the principal the user chose (the account root by default, an IAM user, or
a session of a role), so each click is authorized and audited like an API call.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from kmsconsole.engine.sigv4 import AWS_REGIONS
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import AccessKey, Account, Principal, PrincipalType, Workspace

SESSION_KEY = "console_context"
CONSOLE_USER_AGENT = "kmsconsole-console"
# The regions offered in the header; any AWS region works through the API.
CONSOLE_REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")


@dataclass
class ConsoleContext:
    workspace: Workspace
    account: Account
    region: str
    principal: Principal

    @property
    def acting_as_role(self) -> bool:
        return self.principal.kind == PrincipalType.ROLE


def workspaces_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Workspace]:
    """The workspaces a console user owns or was granted; nothing else is ever shown."""
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(Q(owner=user) | Q(members=user)).distinct().order_by("name")


def current_context(request: HttpRequest) -> ConsoleContext | None:
    """The context stored in the session, re-checked against what the user may see; a
    stale or tampered session falls back to the user's first workspace."""
    stored = request.session.get(SESSION_KEY, {})
    allowed = workspaces_for(request.user)
    workspace = allowed.filter(pk=stored.get("workspace")).first() or allowed.first()
    if workspace is None:
        return None
    accounts = workspace.accounts.order_by("label")
    account = accounts.filter(pk=stored.get("account")).first() or accounts.first()
    if account is None:
        return None
    principal = _principal(account, int(stored.get("principal") or 0))
    region = stored.get("region") if stored.get("region") in AWS_REGIONS else workspace.region
    return ConsoleContext(workspace, account, region, principal)


def _principal(account: Account, principal_pk: int) -> Principal:
    chosen = account.principals.filter(pk=principal_pk).first() if principal_pk else None
    return chosen or account.principals.get(kind=PrincipalType.ROOT)


def remember(request: HttpRequest, context: ConsoleContext) -> None:
    request.session[SESSION_KEY] = {
        "workspace": context.workspace.pk,
        "account": context.account.pk,
        "region": context.region,
        "principal": context.principal.pk,
    }


def caller_for(request: HttpRequest, context: ConsoleContext) -> Caller:
    """The ``Caller`` the console's operations run as. Acting as a role uses an unsaved
    session named after the console user, as AWS's console names switched-role sessions."""
    session = None
    if context.acting_as_role:
        session = AccessKey(
            principal=context.principal,
            session_name=request.user.get_username()[:64] or "console",
            session_token_hash="console",
            created_at=context.workspace.now(),
        )
    return Caller(
        principal=context.principal,
        region=context.region,
        source_ip=request.META.get("REMOTE_ADDR", "127.0.0.1"),
        user_agent=CONSOLE_USER_AGENT,
        session=session,
    )
