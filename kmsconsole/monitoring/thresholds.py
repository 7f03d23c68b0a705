"""How a CloudWatch metric alarm turns datapoints into a state and a reason.

No database access: ``alarms`` fetches the datapoints and calls ``judge``.

The rules follow the CloudWatch User Guide, "Configuring how CloudWatch alarms treat
missing data": the alarm looks at an *evaluation range* a little longer than its
evaluation periods (N + 2 periods here; the guide's example retrieves 5 datapoints for
N = 3). When at least N datapoints exist in the range, the most recent N are judged and
the missing-data setting is ignored. When fewer exist, the missing ones are filled as
the alarm's ``TreatMissingData`` says (``breaching`` / ``notBreaching``); with
``missing`` or ``ignore`` the existing datapoints decide if they can (enough breaching
ones for ALARM, or any non-breaching one for OK) and otherwise the alarm goes to
INSUFFICIENT_DATA (``missing``) or keeps its state (``ignore``). This reproduces every
row of the guide's two example tables but one: for "X - - - -" with ``missing`` the guide
shows ALARM, where we answer INSUFFICIENT_DATA.

Reason texts copy the wording CloudWatch writes in ``StateReason``, e.g.
``Threshold Crossed: 1 datapoint [25.0 (29/11/26 10:31:00)] was greater than or equal
to the threshold (10.0).``
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import AlarmState, ComparisonOperator, TreatMissingData

EXTRA_RANGE_PERIODS = 2

_OPERATOR_WORDS = {
    ComparisonOperator.GREATER_THAN_OR_EQUAL: "greater than or equal to",
    ComparisonOperator.GREATER_THAN: "greater than",
    ComparisonOperator.LESS_THAN: "less than",
    ComparisonOperator.LESS_THAN_OR_EQUAL: "less than or equal to",
}


@dataclass(frozen=True)
class AlarmRule:
    threshold: float
    comparison_operator: str
    period_seconds: int
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str

    @property
    def range_periods(self) -> int:
        return self.evaluation_periods + EXTRA_RANGE_PERIODS

    def breaches(self, value: float) -> bool:
        operator = self.comparison_operator
        if operator == ComparisonOperator.GREATER_THAN_OR_EQUAL:
            return value >= self.threshold
        if operator == ComparisonOperator.GREATER_THAN:
            return value > self.threshold
        if operator == ComparisonOperator.LESS_THAN:
            return value < self.threshold
        return value <= self.threshold


@dataclass(frozen=True)
class Datapoint:
    """The Sum of one period (``None``: no data), stamped with the period's start."""

    timestamp: datetime
    value: float | None


# A period that has data: its start and its Sum.
Known = tuple[datetime, float]


@dataclass(frozen=True)
class Verdict:
    """The state the datapoints call for; ``state`` is None when the alarm keeps its own
    (``ignore`` with too little data)."""

    state: AlarmState | None
    reason: str
    reason_data: dict[str, Any]


def judge(rule: AlarmRule, datapoints: Sequence[Datapoint], *, query_date: datetime) -> Verdict:
    """Judge the evaluation range ``datapoints`` (oldest first, ``rule.range_periods`` long)."""
    existing: list[Known] = [(point.timestamp, point.value) for point in datapoints if point.value is not None]
    evaluated = existing[-rule.evaluation_periods :]
    filled = rule.evaluation_periods - len(evaluated)
    breaching = [known for known in evaluated if rule.breaches(known[1])]
    healthy = [known for known in evaluated if not rule.breaches(known[1])]
    treatment = rule.treat_missing_data
    data = _reason_data(rule, evaluated, query_date)

    breaching_count = len(breaching) + (filled if treatment == TreatMissingData.BREACHING else 0)
    if breaching_count >= rule.datapoints_to_alarm:
        return Verdict(AlarmState.ALARM, _crossed(rule, breaching, filled, treatment, to_alarm=True), data)
    if filled and not healthy and treatment in (TreatMissingData.MISSING, TreatMissingData.IGNORE):
        unknown = f"{_datapoints(filled)} {'was' if filled == 1 else 'were'} unknown."
        state = AlarmState.INSUFFICIENT_DATA if treatment == TreatMissingData.MISSING else None
        return Verdict(state, f"Insufficient Data: {unknown}", data)
    return Verdict(AlarmState.OK, _crossed(rule, healthy, filled, treatment, to_alarm=False), data)


def _crossed(rule: AlarmRule, listed: list[Known], filled: int, treatment: str, *, to_alarm: bool) -> str:
    """``Threshold Crossed: ...`` naming the datapoints that decided the transition, and
    the filled-in missing datapoints when they counted towards it."""
    counted_fill = TreatMissingData.BREACHING if to_alarm else TreatMissingData.NOT_BREACHING
    missing_clause = ""
    if filled and treatment == counted_fill:
        label = "Breaching" if to_alarm else "NonBreaching"
        verb = "was" if filled == 1 else "were"
        missing_clause = f"{filled} missing {_noun(filled)} {verb} treated as [{label}]"
    words = _OPERATOR_WORDS[ComparisonOperator(rule.comparison_operator)]
    comparison = f"{'' if to_alarm else 'not '}{words} the threshold ({_number(rule.threshold)})"
    n = rule.evaluation_periods
    minimum = rule.datapoints_to_alarm if to_alarm else n - rule.datapoints_to_alarm + 1
    transition = "OK -> ALARM" if to_alarm else "ALARM -> OK"
    minimum_clause = "" if n == 1 else f" (minimum {_datapoints(minimum)} for {transition} transition)"
    if not listed:
        periods = "1 period" if filled == 1 else f"{filled} periods"
        return f"Threshold Crossed: no datapoints were received for {periods} and {missing_clause}{minimum_clause}."
    values = ", ".join(f"{_number(value)} ({timestamp:%d/%m/%y %H:%M:%S})" for timestamp, value in reversed(listed))
    verb = "was" if len(listed) == 1 else "were"
    counted = _datapoints(len(listed)) if n == 1 else f"{len(listed)} out of the last {n} datapoints"
    tail = f" and {missing_clause}" if missing_clause else ""
    return f"Threshold Crossed: {counted} [{values}] {verb} {comparison}{tail}{minimum_clause}."


def _reason_data(rule: AlarmRule, evaluated: list[Known], query_date: datetime) -> dict[str, Any]:
    """CloudWatch's ``StateReasonData``: what the verdict was based on."""
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": _iso(query_date),
        "statistic": "Sum",
        "period": rule.period_seconds,
        "recentDatapoints": [value for _, value in evaluated],
        "threshold": float(rule.threshold),
        "evaluatedDatapoints": [
            {"timestamp": _iso(timestamp), "sampleCount": value, "value": value}
            for timestamp, value in reversed(evaluated)
        ],
    }
    if evaluated:
        data["startDate"] = _iso(evaluated[0][0])
    return data


def _noun(count: int) -> str:
    return "datapoint" if count == 1 else "datapoints"


def _datapoints(count: int) -> str:
    return f"{count} {_noun(count)}"


def _number(value: float) -> str:
    """A number as CloudWatch (Java) prints a double: ``25.0``, ``0.5``."""
    return repr(float(value))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
