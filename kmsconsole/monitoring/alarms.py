"""Metric alarms on the audit trail, evaluated on each workspace's clock.

An alarm is evaluated at every period boundary of its workspace clock. The clock can
jump (a lab advances it 8 days), so an evaluation replays every boundary passed since
the last one, as if the alarm had been watching all along: a ScheduleKeyDeletion a
week ago raised the alarm then and cleared it a few periods later, and the history
says so with the right times. Only boundaries near datapoints can change anything (in
between, every window is empty and judged alike), so a long jump costs what the data
in it costs, not what its length does.

Evaluating is idempotent: ``evaluated_until`` records the last boundary judged, so a
second evaluation at the same workspace instant finds nothing to do. The sweep claims
due alarms with ``select_for_update(skip_locked=True)`` (PostgreSQL; SQLite runs one
writer at a time), so two workers or two beats never judge one boundary twice.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Now

from kmsconsole.engine.errors import ValidationError
from kmsconsole.iam.models import Workspace

from . import metrics
from .models import Alarm, AlarmHistory, AlarmState, ComparisonOperator, NotificationKind, TreatMissingData
from .notifications import notify
from .thresholds import AlarmRule, Datapoint, judge

CHUNK_SIZE = int(os.environ.get("KMSCONSOLE_SWEEP_CHUNK_SIZE", "100"))
ONE_DAY = 86_400
SEVEN_DAYS = 604_800


@dataclass(frozen=True)
class AlarmDefinition:
    """What PutMetricAlarm would take, for a metric counting audit events (Sum)."""

    name: str
    threshold: float
    comparison_operator: str = ComparisonOperator.GREATER_THAN_OR_EQUAL
    period_seconds: int = 300
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = TreatMissingData.MISSING
    event_name: str = ""
    key_arn: str = ""
    principal_arn: str = ""
    errors_only: bool = False
    denials_only: bool = False
    description: str = ""
    template: str = ""


# Ready-made alarms from the guide's monitoring section: "alert on spikes", "Always set up
# DisableKey and ScheduleKeyDeletion alerts", "High error rates" / AccessDenied bursts.
# Each counts matching calls, allowed or not, as a CloudTrail metric filter on the event
# name does, and treats quiet periods as fine (notBreaching).
TEMPLATES: dict[str, AlarmDefinition] = {
    "decrypt-spike": AlarmDefinition(
        name="KMS-DecryptSpike",
        description="Unusual Decrypt volume: 50 or more Decrypt calls in 5 minutes.",
        event_name="Decrypt",
        threshold=50,
        treat_missing_data=TreatMissingData.NOT_BREACHING,
    ),
    "disable-key": AlarmDefinition(
        name="KMS-DisableKey",
        description="Someone called DisableKey.",
        event_name="DisableKey",
        threshold=1,
        treat_missing_data=TreatMissingData.NOT_BREACHING,
    ),
    "schedule-key-deletion": AlarmDefinition(
        name="KMS-ScheduleKeyDeletion",
        description="Someone called ScheduleKeyDeletion: a key will be deleted when its waiting period ends.",
        event_name="ScheduleKeyDeletion",
        threshold=1,
        treat_missing_data=TreatMissingData.NOT_BREACHING,
    ),
    "access-denied-burst": AlarmDefinition(
        name="KMS-AccessDeniedBurst",
        description="A burst of denied calls: 10 or more AccessDenied errors in 5 minutes.",
        denials_only=True,
        threshold=10,
        treat_missing_data=TreatMissingData.NOT_BREACHING,
    ),
}


def put_alarm(workspace: Workspace, definition: AlarmDefinition) -> Alarm:
    """Create the alarm, or replace the configuration of the one with the same name (as
    PutMetricAlarm does); an existing alarm keeps its state and history."""
    _validate(definition)
    now = workspace.now()
    boundary = metrics.period_start(now, definition.period_seconds)
    config = {
        "description": definition.description,
        "template": definition.template,
        "event_name": definition.event_name,
        "key_arn": definition.key_arn,
        "principal_arn": definition.principal_arn,
        "errors_only": definition.errors_only,
        "denials_only": definition.denials_only,
        "threshold": float(definition.threshold),
        "comparison_operator": definition.comparison_operator,
        "period_seconds": definition.period_seconds,
        "evaluation_periods": definition.evaluation_periods,
        "datapoints_to_alarm": definition.datapoints_to_alarm or definition.evaluation_periods,
        "treat_missing_data": definition.treat_missing_data,
        "evaluated_until": boundary,
        "next_evaluation_at": boundary + timedelta(seconds=definition.period_seconds),
    }
    with transaction.atomic():
        alarm, created = Alarm.objects.select_for_update().get_or_create(
            workspace=workspace,
            name=definition.name,
            defaults={**config, "created_at": now, "state_updated_at": now},
        )
        if not created:
            for name, value in config.items():
                setattr(alarm, name, value)
            alarm.save(update_fields=list(config))
    return alarm


def create_alarm_from_template(workspace: Workspace, template_name: str, **overrides: Any) -> Alarm:
    """One of the guide's alarms (``TEMPLATES``), with any field overridden, e.g.
    ``create_alarm_from_template(ws, "decrypt-spike", threshold=500, key_arn=arn)``."""
    template = TEMPLATES.get(template_name)
    if template is None:
        raise ValidationError(f"Unknown alarm template {template_name!r}; choose one of {', '.join(TEMPLATES)}.")
    return put_alarm(workspace, replace(template, template=template_name, **overrides))


def delete_alarm(workspace: Workspace, name: str) -> bool:
    deleted, _ = Alarm.objects.filter(workspace=workspace, name=name).delete()
    return bool(deleted)


def list_alarms(workspace: Workspace, *, state: AlarmState | None = None) -> list[Alarm]:
    alarms = Alarm.objects.filter(workspace=workspace)
    if state is not None:
        alarms = alarms.filter(state=state)
    return list(alarms.order_by("name"))


def alarm_history(alarm: Alarm, *, limit: int = 100) -> list[AlarmHistory]:
    """State changes, newest first."""
    return list(alarm.history.order_by("-timestamp", "-id")[:limit])


def _validate(definition: AlarmDefinition) -> None:
    """PutMetricAlarm's limits, for the metrics the audit trail yields (one-minute resolution)."""
    name, period, periods = definition.name, definition.period_seconds, definition.evaluation_periods
    if not 1 <= len(name) <= 255 or not name.isascii():
        raise ValidationError(f"AlarmName must be 1 to 255 ASCII characters, not {name!r}.")
    if period < 60 or period % 60:
        raise ValidationError(
            f"Period must be a multiple of 60 seconds (metrics have one-minute resolution), not {period}."
        )
    if periods < 1:
        raise ValidationError(f"EvaluationPeriods must be at least 1, not {periods}.")
    limit = ONE_DAY if period < 3600 else SEVEN_DAYS
    if period * periods > limit:
        raise ValidationError(
            f"Period multiplied by EvaluationPeriods must not exceed {limit} seconds "
            f"for a period of {period} seconds, not {period * periods}."
        )
    datapoints = definition.datapoints_to_alarm
    if datapoints is not None and not 1 <= datapoints <= periods:
        raise ValidationError(
            f"DatapointsToAlarm must be between 1 and EvaluationPeriods ({periods}), not {datapoints}."
        )
    if definition.comparison_operator not in ComparisonOperator.values:
        allowed = ", ".join(ComparisonOperator.values)
        raise ValidationError(f"ComparisonOperator must be one of {allowed}, not {definition.comparison_operator!r}.")
    if definition.treat_missing_data not in TreatMissingData.values:
        allowed = ", ".join(TreatMissingData.values)
        raise ValidationError(f"TreatMissingData must be one of {allowed}, not {definition.treat_missing_data!r}.")
    if not math.isfinite(definition.threshold):
        raise ValidationError(f"Threshold must be a finite number, not {definition.threshold!r}.")


# Evaluation.


def evaluate_alarm(alarm: Alarm, now: datetime) -> list[AlarmHistory]:
    """Judge every period boundary of ``alarm`` up to ``now`` (its workspace time) not
    judged yet; record and notify each state change. The caller holds the row's lock."""
    period = timedelta(seconds=alarm.period_seconds)
    last = metrics.period_start(now, alarm.period_seconds)
    if last <= alarm.evaluated_until:
        return []
    rule = _rule(alarm)
    window = period * rule.range_periods
    first = alarm.evaluated_until + period
    sums = metrics.period_sums(alarm.workspace_id, _metric(alarm), first - window, last, alarm.period_seconds)
    changes = []
    for boundary in boundaries_worth_judging(first, last, period, rule.range_periods, sums):
        datapoints = [
            Datapoint(start, sums.get(start))
            for start in (boundary - window + period * i for i in range(rule.range_periods))
        ]
        verdict = judge(rule, datapoints, query_date=boundary)
        if verdict.state is not None and verdict.state != alarm.state:
            changes.append(_change_state(alarm, verdict.state, verdict.reason, verdict.reason_data, at=boundary))
    alarm.evaluated_until = last
    alarm.next_evaluation_at = last + period
    alarm.save(
        update_fields=[
            "state", "state_reason", "state_reason_data", "state_updated_at", "evaluated_until", "next_evaluation_at",
        ]
    )  # fmt: skip
    return changes


def boundaries_worth_judging(
    first: datetime, last: datetime, period: timedelta, range_periods: int, sums: dict[datetime, float]
) -> list[datetime]:
    """The boundaries in ``[first, last]`` whose window holds a datapoint, plus the first
    boundary of each stretch of empty windows (the others would repeat its verdict)."""
    boundaries = (last - first) // period + 1
    if len(sums) * (range_periods + 1) >= boundaries:  # dense data: every boundary counts
        return [first + period * i for i in range(boundaries)]
    chosen = {first, last}
    for start in sums:
        for step in range(1, range_periods + 2):
            boundary = start + period * step
            if first <= boundary <= last:
                chosen.add(boundary)
    return sorted(chosen)


def _change_state(
    alarm: Alarm, state: AlarmState, reason: str, reason_data: dict[str, Any], *, at: datetime
) -> AlarmHistory:
    old_state = alarm.state
    alarm.state, alarm.state_reason, alarm.state_reason_data, alarm.state_updated_at = state, reason, reason_data, at
    entry = AlarmHistory.objects.create(
        alarm=alarm, timestamp=at, old_state=old_state, new_state=state, reason=reason, reason_data=reason_data
    )
    notify(
        alarm.workspace_id,
        NotificationKind.ALARM_STATE_CHANGE,
        f'{state}: "{alarm.name}"',
        {
            "AlarmName": alarm.name,
            "AlarmDescription": alarm.description,
            "OldStateValue": old_state,
            "NewStateValue": state,
            "NewStateReason": reason,
            "StateChangeTime": at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "Trigger": _trigger(alarm),
        },
        at=at,
    )
    return entry


def _trigger(alarm: Alarm) -> dict[str, Any]:
    return {
        "Statistic": "SUM",
        "Period": alarm.period_seconds,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": alarm.threshold,
        "TreatMissingData": alarm.treat_missing_data,
        "EventName": alarm.event_name,
        "KeyArn": alarm.key_arn,
        "PrincipalArn": alarm.principal_arn,
        "ErrorsOnly": alarm.errors_only,
        "DenialsOnly": alarm.denials_only,
    }


def _rule(alarm: Alarm) -> AlarmRule:
    return AlarmRule(
        threshold=alarm.threshold,
        comparison_operator=alarm.comparison_operator,
        period_seconds=alarm.period_seconds,
        evaluation_periods=alarm.evaluation_periods,
        datapoints_to_alarm=alarm.datapoints_to_alarm,
        treat_missing_data=alarm.treat_missing_data,
    )


def _metric(alarm: Alarm) -> metrics.MetricFilter:
    return metrics.MetricFilter(
        event_name=alarm.event_name,
        key_arn=alarm.key_arn,
        principal_arn=alarm.principal_arn,
        errors_only=alarm.errors_only,
        denials_only=alarm.denials_only,
    )


@dataclass
class AlarmSweepResult:
    evaluated: int = 0
    changed: list[str] = field(default_factory=list)


def alarms_due(workspace_id: int | None = None) -> QuerySet[Alarm]:
    """Alarms with a period boundary passed on their workspace's clock."""
    due = Alarm.objects.filter(next_evaluation_at__lte=Now() + F("workspace__clock_offset"))
    return due.filter(workspace_id=workspace_id) if workspace_id else due


def evaluate_due_alarms(*, batch_size: int = 1000, workspace_id: int | None = None) -> AlarmSweepResult:
    """Evaluate up to ``batch_size`` due alarms, a chunk per transaction."""
    result = AlarmSweepResult()
    while result.evaluated < batch_size:
        with transaction.atomic():
            claimed = _claim(alarms_due(workspace_id))
            for alarm in claimed:
                if evaluate_alarm(alarm, alarm.workspace.now()):
                    result.changed.append(alarm.name)
            result.evaluated += len(claimed)
        if len(claimed) < CHUNK_SIZE:
            break
    return result


def _claim(due: QuerySet[Alarm]) -> list[Alarm]:
    rows = due.select_related("workspace").order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows[:CHUNK_SIZE])
