"""Template context for the console's header: where the user is and who they act as."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .context import CONSOLE_REGIONS, current_context, workspaces_for
from .navigation import menu


def console(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    context = getattr(request, "console", None) or current_context(request)
    if context is None:
        return {"menu": menu(request.path)}
    regions = list(CONSOLE_REGIONS)
    if context.region not in regions:
        regions.append(context.region)
    return {
        "menu": menu(request.path),
        "ctx": context,
        "ctx_workspaces": workspaces_for(request.user),
        "ctx_accounts": context.workspace.accounts.order_by("label"),
        "ctx_principals": context.account.principals.order_by("kind", "name"),
        "ctx_regions": regions,
        "ctx_now": context.workspace.now(),
    }
