"""Monitoring: the workspace's alarms, compliance rules and notification inbox, built on
``kmsconsole.monitoring``; and the fast-forward of the workspace clock in the header.

Monitoring belongs to the workspace, not to an account or a principal, as CloudWatch
alarms and Config rules watch a whole trail: every page is scoped to the console's
workspace, and objects named in URLs are looked up inside it only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kmsconsole.engine.errors import ValidationError
from kmsconsole.iam.clock import advance_clock
from kmsconsole.iam.models import Workspace
from kmsconsole.monitoring import alarms, compliance, metrics, notifications
from kmsconsole.monitoring.alarms import TEMPLATES
from kmsconsole.monitoring.models import (
    Alarm,
    AlarmHistory,
    AlarmState,
    ComparisonOperator,
    ComplianceType,
    Notification,
    NotificationKind,
)
from kmsconsole.monitoring.thresholds import AlarmRule

from ..context import ConsoleContext
from ..decorators import console_page
from ..forms_insight import AlarmForm, AlarmTemplateForm, ClockAdvanceForm
from .events import COMMON_EVENT_NAMES, key_page_url

TABS = ("alarms", "compliance", "inbox")
STATE_BADGES = {AlarmState.OK: "ok", AlarmState.ALARM: "danger", AlarmState.INSUFFICIENT_DATA: "muted"}
COMPLIANCE_BADGES = {"COMPLIANT": "ok", "NON_COMPLIANT": "danger", "NOT_APPLICABLE": "muted"}
OPERATOR_SYMBOLS = {
    ComparisonOperator.GREATER_THAN_OR_EQUAL: "≥",
    ComparisonOperator.GREATER_THAN: ">",
    ComparisonOperator.LESS_THAN: "<",
    ComparisonOperator.LESS_THAN_OR_EQUAL: "≤",
}
INBOX_SIZE = 50


# The overview: one tab each for alarms, compliance and the inbox.


@console_page
def monitoring(request: HttpRequest) -> HttpResponse:
    """The page, or for htmx (a tab link) only the chosen tab."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    tab = request.GET.get("tab", "")
    return _render_tab(request, context.workspace, tab if tab in TABS else "alarms")


def _render_tab(request: HttpRequest, workspace: Workspace, tab: str) -> HttpResponse:
    page: dict[str, Any] = {"tab": tab, "tabs": _tab_labels(workspace)}
    if tab == "alarms":
        page["alarms"] = [_alarm_row(alarm) for alarm in alarms.list_alarms(workspace)]
    elif tab == "compliance":
        page["rules"] = [_rule_row(rule) for rule in compliance.list_rules(workspace)]
        page["timeline"] = compliance.compliance_timeline(workspace, limit=20)
    else:
        page["notifications"] = _inbox_rows(workspace)
    template = "console/monitoring/monitoring.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#monitoring-tab"
    return render(request, template, page)


def _tab_labels(workspace: Workspace) -> list[dict[str, str]]:
    in_alarm = len(alarms.list_alarms(workspace, state=AlarmState.ALARM))
    failing = sum(1 for rule in compliance.list_rules(workspace) if rule.compliance_type == "NON_COMPLIANT")
    unread = notifications.unread_count(workspace)
    return [
        {"name": "alarms", "label": "Alarms", "count": f"{in_alarm} in alarm" if in_alarm else ""},
        {"name": "compliance", "label": "Compliance", "count": f"{failing} failing" if failing else ""},
        {"name": "inbox", "label": "Inbox", "count": f"{unread} unread" if unread else ""},
    ]


@dataclass(frozen=True)
class AlarmRow:
    alarm: Alarm
    badge: str
    metric: str
    condition: str


def _alarm_row(alarm: Alarm) -> AlarmRow:
    return AlarmRow(
        alarm, STATE_BADGES.get(AlarmState(alarm.state), "muted"), describe_metric(alarm), describe_condition(alarm)
    )


def describe_metric(alarm: Alarm) -> str:
    """What the alarm counts, in words: "denied Decrypt calls on key …"."""
    kind = "denied " if alarm.denials_only else "failed " if alarm.errors_only else ""
    what = f"{kind}{alarm.event_name} calls" if alarm.event_name else f"{kind or 'all '}calls"
    if alarm.key_arn:
        what += f" on {alarm.key_arn}"
    if alarm.principal_arn:
        what += f" by {alarm.principal_arn}"
    return what[0].upper() + what[1:]


def describe_condition(alarm: Alarm) -> str:
    symbol = OPERATOR_SYMBOLS.get(ComparisonOperator(alarm.comparison_operator), alarm.comparison_operator)
    period = _duration(alarm.period_seconds)
    of = (
        f"{alarm.datapoints_to_alarm} of {alarm.evaluation_periods} periods"
        if alarm.evaluation_periods > 1
        else "1 period"
    )
    return f"Sum {symbol} {alarm.threshold:g} in {of} of {period}; missing data: {alarm.treat_missing_data}"


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min"


@dataclass(frozen=True)
class RuleRow:
    name: str
    description: str
    verdict: str
    badge: str
    compliant_count: int
    non_compliant_count: int


def _rule_row(rule: compliance.RuleSummary) -> RuleRow:
    badge = COMPLIANCE_BADGES.get(rule.compliance_type, "muted")
    return RuleRow(
        rule.name, rule.description, rule.compliance_type, badge, rule.compliant_count, rule.non_compliant_count
    )


@dataclass(frozen=True)
class InboxRow:
    notification: Notification
    link: str | None
    detail_json: str


def _inbox_rows(workspace: Workspace) -> list[InboxRow]:
    """The newest notifications, each linked to the alarm or rule it is about (one query
    resolves every alarm name on the page)."""
    items = notifications.inbox(workspace, limit=INBOX_SIZE)
    names = {item.detail.get("AlarmName") for item in items if item.kind == NotificationKind.ALARM_STATE_CHANGE}
    alarm_ids = dict(Alarm.objects.filter(workspace=workspace, name__in=names).values_list("name", "pk"))
    rows = []
    for item in items:
        link = None
        if item.kind == NotificationKind.ALARM_STATE_CHANGE and item.detail.get("AlarmName") in alarm_ids:
            link = reverse("console:alarm", args=[alarm_ids[item.detail["AlarmName"]]])
        elif item.kind == NotificationKind.COMPLIANCE_CHANGE and item.detail.get("configRuleName") in compliance.RULES:
            link = reverse("console:compliance-rule", args=[item.detail["configRuleName"]])
        rows.append(InboxRow(item, link, json.dumps(item.detail, indent=2, sort_keys=True)))
    return rows


# Alarms.


@console_page
def alarm_detail(request: HttpRequest, alarm_id: int) -> HttpResponse:
    """An alarm: state, reason, configuration, the metric against the threshold, and the
    history of its state changes. For htmx (a chart range link) only the chart."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    alarm = get_object_or_404(Alarm, pk=alarm_id, workspace=context.workspace)
    chart_range = request.GET.get("range", "")
    chart_range = chart_range if chart_range in CHART_RANGES else "recent"
    history = alarms.alarm_history(alarm, limit=50)
    page = {
        "alarm": alarm,
        "row": _alarm_row(alarm),
        "history": [(entry, STATE_BADGES.get(AlarmState(entry.new_state), "muted")) for entry in history],
        "chart": metric_chart(alarm, context.workspace.now(), chart_range, history),
        "chart_range": chart_range,
        "chart_ranges": CHART_RANGES,
        "key_url": key_page_url(context, alarm.key_arn) if alarm.key_arn else None,
        "reason_data": json.dumps(alarm.state_reason_data, indent=2) if alarm.state_reason_data else "",
    }
    template = "console/monitoring/alarm.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#alarm-chart"
    return render(request, template, page)


@console_page
def alarm_new(request: HttpRequest) -> HttpResponse:
    """Create an alarm from a template (``source=template``) or from scratch. ``?from=``
    a template name fills the scratch form with that template, to adjust it."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    source = request.POST.get("source") if request.method == "POST" else None
    template_form = AlarmTemplateForm(request.POST if source == "template" else None)
    scratch_form = AlarmForm(request.POST if source == "scratch" else None, initial=_scratch_initial(request))
    bound = template_form if source == "template" else scratch_form if source == "scratch" else None
    if bound is not None and bound.is_valid():
        try:
            alarm = _create(context.workspace, bound)
        except ValidationError as error:
            bound.add_error(None, error.message)
        else:
            messages.success(request, f"Alarm “{alarm.name}” saved. Its state is {alarm.state} until it is evaluated.")
            return redirect("console:alarm", alarm.pk)
    page = {
        "template_form": template_form,
        "scratch_form": scratch_form,
        "templates": TEMPLATES,
        "event_names": COMMON_EVENT_NAMES,
    }
    return render(request, "console/monitoring/alarm_new.html", page)


def _create(workspace: Workspace, form: forms.Form) -> Alarm:
    if isinstance(form, AlarmTemplateForm):
        template = form.cleaned_data["template"]
        return alarms.create_alarm_from_template(workspace, template, **form.definition_overrides(workspace))
    assert isinstance(form, AlarmForm)
    return alarms.put_alarm(workspace, form.definition(workspace))


def _scratch_initial(request: HttpRequest) -> dict[str, Any]:
    template = TEMPLATES.get(request.GET.get("from", ""))
    if template is None:
        return {}
    calls = "denials" if template.denials_only else "errors" if template.errors_only else "all"
    return {
        "name": template.name, "description": template.description, "event_name": template.event_name,
        "calls": calls, "comparison_operator": template.comparison_operator, "threshold": template.threshold,
        "period_seconds": template.period_seconds, "evaluation_periods": template.evaluation_periods,
        "datapoints_to_alarm": template.datapoints_to_alarm, "treat_missing_data": template.treat_missing_data,
    }  # fmt: skip


@console_page
@require_POST
def alarm_delete(request: HttpRequest, alarm_id: int) -> HttpResponse:
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    alarm = get_object_or_404(Alarm, pk=alarm_id, workspace=context.workspace)
    alarms.delete_alarm(context.workspace, alarm.name)
    messages.success(request, f"Alarm “{alarm.name}” deleted.")
    return redirect("console:monitoring")


@console_page
@require_POST
def alarms_evaluate(request: HttpRequest) -> HttpResponse:
    """Judge now the alarms whose period ended, as the beat does every minute."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    result = alarms.evaluate_due_alarms(workspace_id=context.workspace.pk)
    changed = f": {', '.join(result.changed)} changed state" if result.changed else "; none changed state"
    messages.success(request, f"{result.evaluated} alarm{'s' if result.evaluated != 1 else ''} evaluated{changed}.")
    return redirect(f"{reverse('console:monitoring')}?tab=alarms")


# Compliance.


@console_page
def compliance_rule(request: HttpRequest, rule_name: str) -> HttpResponse:
    """One rule: its verdict, the keys that fail it now, and the timeline of results."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    if rule_name not in compliance.RULES:
        raise Http404("No such rule")
    summary = next(rule for rule in compliance.list_rules(context.workspace) if rule.name == rule_name)
    failing = compliance.rule_resources(context.workspace, rule_name, compliance_type=ComplianceType.NON_COMPLIANT)
    timeline = compliance.compliance_timeline(context.workspace, rule_name=rule_name, limit=100)
    page = {
        "rule": _rule_row(summary),
        "failing": [(row, key_page_url(context, row.resource_arn)) for row in failing],
        "timeline": [
            (
                change,
                COMPLIANCE_BADGES.get(change.new_compliance_type, "muted"),
                key_page_url(context, change.resource_arn),
            )
            for change in timeline
        ],
    }
    return render(request, "console/monitoring/rule.html", page)


@console_page
@require_POST
def compliance_evaluate(request: HttpRequest) -> HttpResponse:
    """Evaluate every rule for every key of the workspace now, as the periodic task does."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    changes = compliance.evaluate_rules(workspace_id=context.workspace.pk)
    messages.success(request, f"Rules evaluated: {changes} result{'s' if changes != 1 else ''} changed.")
    return redirect(f"{reverse('console:monitoring')}?tab=compliance")


# The inbox.


@console_page
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark the chosen notifications read (``notification`` ids), or all of them
    (``all``). Ids are not checked here: ``mark_read`` only touches this workspace's
    notifications. For htmx, the inbox again."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    chosen = [int(value) for value in request.POST.getlist("notification") if value.isdigit()]
    notifications.mark_read(context.workspace, None if request.POST.get("all") else chosen)
    if request.htmx:  # type: ignore[attr-defined]
        return _render_tab(request, context.workspace, "inbox")
    return redirect(f"{reverse('console:monitoring')}?tab=inbox")


# The workspace clock.


@console_page
@require_POST
def clock_advance(request: HttpRequest) -> HttpResponse:
    """Move the console's workspace clock forward (only a workspace the user owns or was
    granted can be the console's) and queue the rotation, deletion and alarm work that
    became due; then go back where the form was."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    form = ClockAdvanceForm(request.POST)
    if not form.is_valid():
        problems = " ".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, f"The clock did not move: {problems}")
    else:
        days = form.cleaned_data["days"]
        advanced = advance_clock(context.workspace, timedelta(days=days))
        messages.success(
            request,
            f"The workspace clock moved forward {days} day{'s' if days != 1 else ''}, to "
            f"{advanced.now:%Y-%m-%d %H:%M} UTC. Rotations, deletions and alarm evaluations that became due "
            "are queued for the worker.",
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("console:dashboard")
    return redirect(target)


# The alarm's chart: the metric's Sum per period against the threshold, with the state
# changes marked. At most CHART_SLICES bars: over a long range each bar is the highest
# period Sum of its slice, so that it still compares with the threshold.

CHART_RANGES = {"recent": "Last 48 periods", "day": "Last day", "week": "Last 7 days"}
CHART_SLICES = 48
CHART_WIDTH, CHART_HEIGHT = 720, 240
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 52, 708, 14, 206


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    breaching: bool


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    state: str
    label: str


@dataclass(frozen=True)
class MetricChart:
    bars: tuple[Bar, ...]
    threshold_y: float
    threshold_label: str
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...]
    slice_text: str
    description: str
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM


def metric_chart(alarm: Alarm, now: datetime, chart_range: str, history: list[AlarmHistory]) -> MetricChart:
    """The chart of ``chart_range`` ending with the period in progress at ``now``."""
    period = timedelta(seconds=alarm.period_seconds)
    span_periods = {"recent": CHART_SLICES, "day": 86_400, "week": 7 * 86_400}[chart_range]
    if chart_range != "recent":
        span_periods = math.ceil(span_periods / alarm.period_seconds)
    per_slice = math.ceil(span_periods / CHART_SLICES)
    slices = math.ceil(span_periods / per_slice)
    end = metrics.period_start(now, alarm.period_seconds) + period
    start = end - period * per_slice * slices
    values = _slice_maxima(alarm, start, end, period * per_slice, slices)
    top = _nice_ceiling(max([alarm.threshold, 1.0, *(value for value in values if value is not None)]) * 1.1)
    return MetricChart(
        bars=_bars(alarm, values, start, period * per_slice, top),
        threshold_y=_y(alarm.threshold, top),
        threshold_label=f"threshold {alarm.threshold:g}",
        y_ticks=tuple(Tick(_y(top * share, top), f"{top * share:g}") for share in (0, 0.5, 1)),
        x_ticks=_x_ticks(start, end, slices, period * per_slice),
        markers=_markers(history, start, end),
        slice_text=_slice_text(alarm.period_seconds, per_slice),
        description=_chart_description(alarm, values, start, period * per_slice),
    )


def _slice_maxima(
    alarm: Alarm, start: datetime, end: datetime, slice_length: timedelta, slices: int
) -> list[float | None]:
    metric = metrics.MetricFilter(
        event_name=alarm.event_name, key_arn=alarm.key_arn, principal_arn=alarm.principal_arn,
        errors_only=alarm.errors_only, denials_only=alarm.denials_only,
    )  # fmt: skip
    values: list[float | None] = [None] * slices
    for moment, total in metrics.period_sums(alarm.workspace_id, metric, start, end, alarm.period_seconds).items():
        index = (moment - start) // slice_length
        if 0 <= index < slices:
            values[index] = max(values[index] or 0.0, total)
    return values


def _bars(
    alarm: Alarm, values: list[float | None], start: datetime, slice_length: timedelta, top: float
) -> tuple[Bar, ...]:
    rule = AlarmRule(
        threshold=alarm.threshold, comparison_operator=alarm.comparison_operator, period_seconds=alarm.period_seconds,
        evaluation_periods=alarm.evaluation_periods, datapoints_to_alarm=alarm.datapoints_to_alarm,
        treat_missing_data=alarm.treat_missing_data,
    )  # fmt: skip
    step = (PLOT_RIGHT - PLOT_LEFT) / len(values)
    bars = []
    for index, value in enumerate(values):
        if value is None:
            continue
        y = _y(value, top)
        moment = start + slice_length * index
        bars.append(
            Bar(
                round(PLOT_LEFT + index * step + step * 0.12, 1),
                y,
                round(step * 0.76, 1),
                round(PLOT_BOTTOM - y, 1),
                f"{moment:%Y-%m-%d %H:%M}: {value:g}",
                rule.breaches(value),
            )
        )
    return tuple(bars)


def _y(value: float, top: float) -> float:
    return round(PLOT_BOTTOM - value / top * (PLOT_BOTTOM - PLOT_TOP), 1)


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at least ``value``."""
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def _x_ticks(start: datetime, end: datetime, slices: int, slice_length: timedelta) -> tuple[Tick, ...]:
    spread = end - start > timedelta(days=1)
    every = max(1, slices // 4)
    step = (PLOT_RIGHT - PLOT_LEFT) / slices
    return tuple(
        Tick(
            round(PLOT_LEFT + index * step, 1), f"{start + slice_length * index:{'%m-%d %H:%M' if spread else '%H:%M'}}"
        )
        for index in range(0, slices, every)
    )


def _markers(history: list[AlarmHistory], start: datetime, end: datetime) -> tuple[Marker, ...]:
    width = (PLOT_RIGHT - PLOT_LEFT) / (end - start).total_seconds()
    return tuple(
        Marker(
            round(PLOT_LEFT + (entry.timestamp - start).total_seconds() * width, 1), entry.new_state.lower(),
            f"{entry.timestamp:%Y-%m-%d %H:%M}: {entry.old_state} → {entry.new_state}",
        )
        for entry in history
        if start <= entry.timestamp < end
    )  # fmt: skip


def _slice_text(period_seconds: int, per_slice: int) -> str:
    period = _duration(period_seconds)
    if per_slice == 1:
        return f"Each bar is the Sum of one {period} period; a period without calls has no bar (missing data)."
    return (
        f"Each bar is the highest Sum of one {period} period within {_duration(period_seconds * per_slice)}; "
        "a slice without calls has no bar (missing data)."
    )


def _chart_description(alarm: Alarm, values: list[float | None], start: datetime, slice_length: timedelta) -> str:
    points = [(start + slice_length * index, value) for index, value in enumerate(values) if value is not None]
    if not points:
        return f"No datapoints in this range; the threshold is {alarm.threshold:g}."
    listed = ", ".join(f"{moment:%m-%d %H:%M} {value:g}" for moment, value in points[-12:])
    return f"{len(points)} datapoints against a threshold of {alarm.threshold:g}; the latest: {listed}."
