"""The key lists: customer managed keys and AWS managed keys of the console's account and
region, with a text filter and keyset pagination."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from kmsconsole.engine.enums import KeyManager
from kmsconsole.engine.errors import AWSError
from kmsconsole.iam.callers import Caller
from kmsconsole.kms.models import Alias, Key
from kmsconsole.kms.operations.lifecycle import list_keys
from kmsconsole.kms.pagination import Page, paginate

from ..decorators import console_page
from ..forms_keys import KeyFilterForm
from .keys_display import KeySummary

PAGE_SIZE = 25


@console_page
def customer_keys(request: HttpRequest) -> HttpResponse:
    return _key_list(request, KeyManager.CUSTOMER)


@console_page
def aws_keys(request: HttpRequest) -> HttpResponse:
    return _key_list(request, KeyManager.AWS)


def _key_list(request: HttpRequest, manager: KeyManager) -> HttpResponse:
    """The full page, or for htmx (the filter box, the Next link) only the table."""
    form = KeyFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    query = filters.get("q", "").strip()
    marker = filters.get("marker") or None
    context: dict[str, Any] = {
        "manager": manager,
        "list_url": reverse("console:keys-aws" if manager == KeyManager.AWS else "console:keys"),
        "query": query,
        "marker": marker,
        "rows": [],
        "next_marker": None,
        "error": None,
    }
    try:
        page = key_page(request.caller, manager=manager, query=query, marker=marker)  # type: ignore[attr-defined]
    except AWSError as failure:
        context["error"] = failure
    else:
        context["rows"] = [KeySummary.of_row(key) for key in page.items]
        context["next_marker"] = page.next_marker
    template = "console/keys/list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#key-table"
    return render(request, template, context)


def key_page(caller: Caller, *, manager: KeyManager, query: str, marker: str | None) -> Page[Key]:
    """One page of the caller's keys of ``manager``, whose alias, key ID or description
    contains ``query`` (ignoring case, as AWS's filter does), in key ID order.

    The AWS console lists keys with ListKeys, so the console calls it too: the principal
    needs kms:ListKeys exactly as there, a marker that is not ListKeys' own gets the
    operation's InvalidMarkerException, and the listing is in the audit trail. ListKeys
    cannot filter by manager or text, so the rows themselves come from one keyset query
    over the same index and order (its markers are ListKeys markers), and one more query
    fetches the page's aliases: two queries whatever the page or the account's size.
    """
    page_request = {"Limit": PAGE_SIZE, **({"Marker": marker} if marker else {})}
    list_keys(caller, page_request)
    rows = Key.objects.filter(account=caller.account, region=caller.region, key_manager=manager).defer("policy")
    if query:
        alias_matches = Alias.objects.filter(key=OuterRef("pk"), name__icontains=query)
        rows = rows.filter(Q(key_id__icontains=query) | Q(description__icontains=query) | Exists(alias_matches))
    rows = rows.prefetch_related(Prefetch("aliases", queryset=Alias.objects.only("name", "key_id").order_by("name")))
    return paginate(rows, order_field="key_id", request=page_request, default_limit=PAGE_SIZE, max_limit=PAGE_SIZE)
