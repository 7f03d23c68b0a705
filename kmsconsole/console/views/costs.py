"""The cost estimator: what the workspace's real KMS use would cost on AWS per month, a
what-if, and the guide's prices and worked examples, drawn as a server-side SVG chart.

Nothing here changes state, so the what-if is a GET form: a result can be bookmarked,
and htmx swaps only the estimate when the form changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kmsconsole.costs.estimate import (
    Estimate,
    LineItem,
    Usage,
    WhatIf,
    count_text,
    estimate,
    example_estimate,
    usd,
)
from kmsconsole.costs.pricing import (
    CUSTOMER_KEY_PER_MONTH,
    HOURS_PER_MONTH,
    OBJECTS_PER_BUCKET_KEY,
    RATES,
    WORKED_EXAMPLES,
    RequestFamily,
    key_storage_cost,
)
from kmsconsole.costs.usage import workspace_usage

from ..context import ConsoleContext
from ..decorators import console_page
from ..forms_insight import WhatIfForm

NO_USAGE = Usage()


@console_page
def cost_estimator(request: HttpRequest) -> HttpResponse:
    """The page, or for htmx (the what-if form) only the estimate."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    form = WhatIfForm(request.GET or None)
    what_if = form.what_if()
    usage = workspace_usage(context.workspace, window_days=form.window())
    current = estimate(usage)
    changed = estimate(usage, what_if) if what_if.changes_anything else None
    page: dict[str, Any] = {
        "form": form,
        "usage": usage,
        "billable_calls": f"{sum(call.count for call in usage.requests if call.family != RequestFamily.FREE):,}",
        "current_total": usd(current.total),
        "what_if_total": usd(changed.total) if changed else None,
        "rows": _rows(current, changed),
        "chart": cost_chart(current, changed),
        "bucket_key": _bucket_key_comparison(what_if),
    }
    template = "console/costs/costs.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#estimate"
    else:
        page.update(_facts())
    return render(request, template, page)


@dataclass(frozen=True)
class Row:
    """One line of the bill table: today's line item and the what-if's, by name."""

    name: str
    detail: str
    what_if_detail: str
    quantity: str
    unit_price: str
    cost: str
    what_if_cost: str | None


def _rows(current: Estimate, changed: Estimate | None) -> list[Row]:
    rows = []
    for name in _names(current, changed):
        item = _item(current, name)
        other = _item(changed, name) if changed else None
        shown = item or other
        assert shown is not None
        rows.append(
            Row(
                name=name,
                detail=item.detail if item else "",
                what_if_detail=other.detail if other and (not item or other.detail != item.detail) else "",
                quantity=_quantity(item.quantity if item else Decimal(0), shown.unit),
                unit_price=_unit_price(shown),
                cost=usd(item.cost if item else Decimal(0)),
                what_if_cost=usd(other.cost if other else Decimal(0)) if changed else None,
            )
        )
    return rows


def _names(current: Estimate, changed: Estimate | None) -> list[str]:
    names = [item.name for item in current.line_items]
    for item in changed.line_items if changed else ():
        if item.name not in names:
            names.append(item.name)
    return names


def _item(bill: Estimate | None, name: str) -> LineItem | None:
    return next((item for item in bill.line_items if item.name == name), None) if bill else None


def _quantity(quantity: Decimal, unit: str) -> str:
    """A quantity with its unit: 1 request, 3 requests, 1 key-month, 2 key-months."""
    singular = unit.removesuffix("s")
    return f"{count_text(quantity)} {singular if quantity == 1 else singular + 's'}"


def _unit_price(item: LineItem) -> str:
    if item.per == 1:
        return f"{usd(item.unit_price)} per {item.unit.removesuffix('s')}"
    return f"{usd(item.unit_price)} per {item.per:,} {item.unit}"


def _bucket_key_comparison(what_if: WhatIf) -> dict[str, str] | None:
    """The guide's comparison for the PUTs entered: with and without an S3 Bucket Key."""
    if not what_if.s3_puts_per_month:
        return None
    without = estimate(NO_USAGE, WhatIf(s3_puts_per_month=what_if.s3_puts_per_month))
    with_key = estimate(NO_USAGE, WhatIf(s3_puts_per_month=what_if.s3_puts_per_month, s3_bucket_key=True))
    saving = (1 - with_key.total / without.total) * 100
    return {
        "puts": f"{what_if.s3_puts_per_month:,}",
        "calls_without": f"{what_if.s3_puts_per_month:,}",
        "calls_with": count_text(Decimal(what_if.s3_puts_per_month) / OBJECTS_PER_BUCKET_KEY),
        "without": usd(without.total),
        "with": usd(with_key.total),
        "saving": f"{saving:.2f}%",
    }


def _facts() -> dict[str, Any]:
    """The prices the estimate uses and the guide's examples, as the page lists them."""
    return {
        "rates": [
            {"label": rate.label, "operations": rate.operations, "price": usd(rate.per_10k), "basis": rate.basis}
            for rate in RATES.values()
        ],
        "key_month": usd(CUSTOMER_KEY_PER_MONTH),
        "key_hour": f"${CUSTOMER_KEY_PER_MONTH / HOURS_PER_MONTH:.5f}",
        "hours_per_month": HOURS_PER_MONTH,
        "ten_day_key": usd(key_storage_cost(24 * 10)),
        "objects_per_bucket_key": f"{OBJECTS_PER_BUCKET_KEY:,}",
        "examples": [
            {"title": example.title, "guide": usd(example.monthly_cost), "ours": usd(example_estimate(example).total)}
            for example in WORKED_EXAMPLES
        ],
    }


# The chart: horizontal bars, one row per line item, today's cost and the what-if's.

CHART_WIDTH = 760
LABEL_WIDTH = 230
VALUE_WIDTH = 90
BAR_HEIGHT = 16
ROW_GAP = 14
TOP = 8


@dataclass(frozen=True)
class ChartBar:
    series: str  # "current" or "what-if"
    y: int
    width: float
    value: str
    value_x: float


@dataclass(frozen=True)
class ChartRow:
    label: str
    label_y: int
    bars: tuple[ChartBar, ...]


@dataclass(frozen=True)
class CostChart:
    width: int
    height: int
    bar_x: int
    bar_height: int
    rows: tuple[ChartRow, ...]
    comparing: bool
    description: str


def cost_chart(current: Estimate, changed: Estimate | None) -> CostChart:
    """Bars scaled to the largest line item; a cost too small to see still gets a
    sliver, and every bar is labelled with its amount."""
    names = _names(current, changed)
    series = [("current", current)] + ([("what-if", changed)] if changed else [])
    largest = max((bill.cost_of(name) for _, bill in series for name in names), default=Decimal(0))
    area = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    row_height = BAR_HEIGHT * len(series) + ROW_GAP
    rows = []
    for index, name in enumerate(names):
        top = TOP + index * row_height
        bars = []
        for offset, (label, bill) in enumerate(series):
            cost = bill.cost_of(name)
            width = float(cost / largest * area) if largest else 0.0
            width = max(width, 2.0) if cost else 0.0
            bars.append(
                ChartBar(
                    label, top + offset * BAR_HEIGHT, round(width, 1), usd(cost), round(LABEL_WIDTH + width + 6, 1)
                )
            )
        rows.append(ChartRow(name, top + len(series) * BAR_HEIGHT // 2 + 4, tuple(bars)))
    described = "; ".join(
        f"{name}: {usd(current.cost_of(name))}" + (f", what-if {usd(changed.cost_of(name))}" if changed else "")
        for name in names
    )
    return CostChart(
        width=CHART_WIDTH,
        height=TOP * 2 + len(names) * row_height,
        bar_x=LABEL_WIDTH,
        bar_height=BAR_HEIGHT - 2,
        rows=tuple(rows),
        comparing=changed is not None,
        description=f"Monthly cost by line item. {described}.",
    )
