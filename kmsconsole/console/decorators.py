"""The one decorator every console page uses."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .context import caller_for, current_context

ConsoleView = Callable[..., HttpResponse]


def console_page(view: ConsoleView) -> ConsoleView:
    """Require sign-in and a workspace, and hand the view its context and caller as
    ``request.console`` and ``request.caller``."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        context = current_context(request)
        if context is None:
            return redirect("console:workspace-new")
        request.console = context  # type: ignore[attr-defined]
        request.caller = caller_for(request, context)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped
