"""How datapoints become an alarm state and reason: the CloudWatch User Guide's tables
("How alarm state is evaluated when data is missing") and StateReason wording."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from kmsconsole.monitoring.alarms import boundaries_worth_judging
from kmsconsole.monitoring.models import AlarmState
from kmsconsole.monitoring.thresholds import AlarmRule, Datapoint, judge

START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
KEEP = None  # "Retain current state"


def rule(m: int, n: int, treat: str, *, threshold: float = 1.0, operator: str = "GreaterThanOrEqualToThreshold"):
    return AlarmRule(threshold, operator, 60, n, m, treat)


def points(pattern: str) -> list[Datapoint]:
    """``"0 - X - X"``: oldest first; 0 within the threshold, X breaching, - missing."""
    values = {"0": 0.0, "X": 5.0, "-": None}
    return [Datapoint(START + timedelta(minutes=i), values[c]) for i, c in enumerate(pattern.split())]


def state_of(pattern: str, m: int, n: int, treat: str):
    return judge(rule(m, n, treat), points(pattern), query_date=START).state


ALARM, OK, NO_DATA = AlarmState.ALARM, AlarmState.OK, AlarmState.INSUFFICIENT_DATA
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("0 - X - X", (OK, OK, OK, OK)),
        ("0 - - - -", (OK, OK, OK, OK)),
        ("- - - - -", (NO_DATA, KEEP, ALARM, OK)),
        ("0 X X - X", (ALARM, ALARM, ALARM, ALARM)),
        ("- - - - X", (NO_DATA, KEEP, ALARM, OK)),
    ],
)
def test_it_follows_the_guides_3_out_of_3_table(pattern, expected):
    assert tuple(state_of(pattern, 3, 3, treat) for treat in TREATMENTS) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("0 - X - X", (ALARM, ALARM, ALARM, ALARM)),
        ("0 0 X 0 X", (ALARM, ALARM, ALARM, ALARM)),
        ("0 - X - -", (OK, OK, ALARM, OK)),
        ("- - - - 0", (OK, OK, ALARM, OK)),
        ("- - - - X", (NO_DATA, KEEP, ALARM, OK)),
    ],
)
def test_it_follows_the_guides_2_out_of_3_table(pattern, expected):
    assert tuple(state_of(pattern, 2, 3, treat) for treat in TREATMENTS) == expected


def test_a_single_breaching_datapoint_reads_as_cloudwatch_writes_it():
    verdict = judge(rule(1, 1, "notBreaching", threshold=10), [Datapoint(START, 25.0)], query_date=START)
    assert verdict.state == AlarmState.ALARM
    assert verdict.reason == (
        "Threshold Crossed: 1 datapoint [25.0 (29/11/26 10:00:00)] was greater than or equal to the threshold (10.0)."
    )


def test_an_m_out_of_n_alarm_names_the_breaching_datapoints_newest_first():
    verdict = judge(rule(2, 2, "missing", operator="GreaterThanThreshold"), points("- - 0 X X"), query_date=START)
    assert verdict.reason == (
        "Threshold Crossed: 2 out of the last 2 datapoints [5.0 (29/11/26 10:04:00), 5.0 (29/11/26 10:03:00)] "
        "were greater than the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition)."
    )


def test_recovery_names_the_datapoints_within_the_threshold():
    verdict = judge(rule(3, 5, "missing"), points("- - X 0 0 0 0"), query_date=START)
    assert verdict.state == AlarmState.OK
    assert verdict.reason.endswith("were not greater than or equal to the threshold (1.0) "
                                   "(minimum 3 datapoints for ALARM -> OK transition).")  # fmt: skip
    assert verdict.reason.startswith("Threshold Crossed: 4 out of the last 5 datapoints [0.0 (29/11/26 10:06:00)")


def test_no_data_treated_as_not_breaching_says_so():
    verdict = judge(rule(1, 1, "notBreaching"), points("- - -"), query_date=START)
    assert verdict.state == AlarmState.OK
    assert verdict.reason == (
        "Threshold Crossed: no datapoints were received for 1 period and "
        "1 missing datapoint was treated as [NonBreaching]."
    )


def test_no_data_treated_as_missing_is_insufficient_data():
    verdict = judge(rule(1, 1, "missing"), points("- - -"), query_date=START)
    assert (verdict.state, verdict.reason) == (
        AlarmState.INSUFFICIENT_DATA,
        "Insufficient Data: 1 datapoint was unknown.",
    )


def test_less_than_alarms_fire_when_the_volume_drops():
    verdict = judge(
        rule(1, 1, "breaching", threshold=5, operator="LessThanThreshold"), points("- X 0"), query_date=START
    )
    assert verdict.state == AlarmState.ALARM
    assert "was less than the threshold (5.0)" in verdict.reason


def test_reason_data_lists_the_evaluated_datapoints():
    verdict = judge(rule(1, 1, "notBreaching"), points("- - X"), query_date=START + timedelta(minutes=3))
    assert verdict.reason_data["recentDatapoints"] == [5.0]
    assert verdict.reason_data["statistic"] == "Sum"
    assert verdict.reason_data["queryDate"] == "2026-11-29T10:03:00.000+0000"


@pytest.mark.parametrize("seed", range(20))
def test_judging_only_the_boundaries_near_data_ends_in_the_same_states(seed):
    """The catch-up after a clock jump skips empty stretches; it must reach the states
    that judging every boundary would."""
    chance = random.Random(seed)
    period = timedelta(minutes=1)
    treat = chance.choice(TREATMENTS)
    n = chance.randint(1, 4)
    alarm_rule = rule(chance.randint(1, n), n, treat, threshold=2)
    sums = {START + period * chance.randint(0, 300): float(chance.randint(1, 4)) for _ in range(chance.randint(0, 12))}
    first, last = START + period, START + period * 320

    def replay(boundaries):
        state, changes = AlarmState.INSUFFICIENT_DATA, []
        for boundary in boundaries:
            window = [boundary - period * (alarm_rule.range_periods - i) for i in range(alarm_rule.range_periods)]
            verdict = judge(alarm_rule, [Datapoint(t, sums.get(t)) for t in window], query_date=boundary)
            if verdict.state is not None and verdict.state != state:
                state = verdict.state
                changes.append((boundary, state))
        return changes

    every = [first + period * i for i in range(320)]
    assert replay(boundaries_worth_judging(first, last, period, alarm_rule.range_periods, sums)) == replay(every)
