"""Alarms on the audit trail, judged on the workspace clock.

Calls go through boto3 against the live server; the clock is moved with ``move_clock``
and the alarms are evaluated by calling the function the Celery task wraps.
"""

from datetime import timedelta

import pytest

from kmsconsole.engine.errors import ValidationError
from kmsconsole.iam.clock import move_clock
from kmsconsole.monitoring import alarms, notifications
from kmsconsole.monitoring.alarms import create_alarm_from_template, evaluate_due_alarms
from kmsconsole.monitoring.metrics import period_start
from kmsconsole.monitoring.models import Alarm, AlarmState, NotificationKind


@pytest.fixture
def ws(workspace):
    """The workspace, its clock moved to one second past a 5-minute boundary, so that
    what a test does in its first seconds falls in one period."""
    ws = workspace.workspace
    now = ws.now()
    move_clock(ws, period_start(now, 300) + timedelta(seconds=301) - now)
    return ws


def evaluate(ws):
    return evaluate_due_alarms(workspace_id=ws.pk)


def states(alarm: Alarm) -> list[tuple[str, str]]:
    return [(h.old_state, h.new_state) for h in reversed(alarms.alarm_history(alarm))]


def test_a_decrypt_spike_raises_the_alarm_and_it_recovers_when_calls_stop(kms, ws):
    alarm = create_alarm_from_template(ws, "decrypt-spike", threshold=5)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    for _ in range(6):
        kms.decrypt(CiphertextBlob=blob)

    move_clock(ws, timedelta(minutes=5))
    assert evaluate(ws).changed == [alarm.name]
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.ALARM
    assert alarm.state_reason.startswith("Threshold Crossed: 1 datapoint [6.0 (")
    assert alarm.state_reason.endswith(")] was greater than or equal to the threshold (5.0).")

    move_clock(ws, timedelta(minutes=30))
    evaluate(ws)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OK
    assert states(alarm) == [("INSUFFICIENT_DATA", "ALARM"), ("ALARM", "OK")]
    assert alarm.state_reason == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as "
        "[NonBreaching]."
    )


def test_a_count_under_the_threshold_leaves_the_alarm_ok(kms, ws):
    alarm = create_alarm_from_template(ws, "decrypt-spike", threshold=5)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    for _ in range(4):
        kms.decrypt(CiphertextBlob=blob)
    move_clock(ws, timedelta(minutes=5))
    evaluate(ws)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OK
    assert alarm.state_reason.startswith("Threshold Crossed: 1 datapoint [4.0 (")
    assert "was not greater than or equal to the threshold (5.0)" in alarm.state_reason


def test_evaluating_twice_at_the_same_instant_changes_nothing(kms, ws):
    alarm = create_alarm_from_template(ws, "disable-key")
    kms.disable_key(KeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    move_clock(ws, timedelta(minutes=5))
    first = evaluate(ws)
    inbox_after_first = notifications.unread_count(ws)
    second = evaluate(ws)
    alarm.refresh_from_db()
    assert (first.evaluated, first.changed) == (1, [alarm.name])
    assert (second.evaluated, second.changed) == (0, [])
    assert alarms.evaluate_alarm(alarm, ws.now()) == []
    assert states(alarm) == [("INSUFFICIENT_DATA", "ALARM")]
    assert notifications.unread_count(ws) == inbox_after_first


def test_a_long_jump_replays_each_period_as_if_the_alarm_had_watched(kms, ws):
    alarm = create_alarm_from_template(ws, "schedule-key-deletion")
    kms.schedule_key_deletion(KeyId=kms.create_key()["KeyMetadata"]["KeyId"], PendingWindowInDays=7)
    scheduled_at = ws.now()

    move_clock(ws, timedelta(days=8))
    assert evaluate(ws).changed == [alarm.name]

    history = list(reversed(alarms.alarm_history(alarm)))
    assert [(h.old_state, h.new_state) for h in history] == [("INSUFFICIENT_DATA", "ALARM"), ("ALARM", "OK")]
    raised, cleared = history
    assert timedelta(0) < raised.timestamp - scheduled_at <= timedelta(minutes=5)
    # The datapoint stays in the evaluation range (N + 2 periods), then the alarm clears.
    assert cleared.timestamp - raised.timestamp == timedelta(minutes=15)
    alarm_notices = [n for n in notifications.inbox(ws) if n.kind == NotificationKind.ALARM_STATE_CHANGE]
    assert [n.detail["NewStateValue"] for n in alarm_notices] == ["OK", "ALARM"]


TRIGGERS = {
    "decrypt-spike": lambda kms, kms_b, key_id: [
        kms.decrypt(CiphertextBlob=blob) for blob in [kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]] * 50
    ],
    "disable-key": lambda kms, kms_b, key_id: kms.disable_key(KeyId=key_id),
    "schedule-key-deletion": lambda kms, kms_b, key_id: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7),
    "access-denied-burst": lambda kms, kms_b, key_id: [_denied(kms_b, kms, key_id) for _ in range(10)],
}


def _denied(kms_b, kms, key_id):
    arn = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
    with pytest.raises(kms_b.exceptions.ClientError) as raised:
        kms_b.encrypt(KeyId=arn, Plaintext=b"not yours")
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


@pytest.mark.parametrize("template", sorted(alarms.TEMPLATES))
def test_each_guide_alarm_fires_on_what_it_watches(template, kms, kms_b, ws):
    alarm = create_alarm_from_template(ws, template)
    assert (alarm.name, alarm.template) == (alarms.TEMPLATES[template].name, template)
    move_clock(ws, timedelta(minutes=5))
    evaluate(ws)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OK  # quiet periods are not breaching

    TRIGGERS[template](kms, kms_b, kms.create_key()["KeyMetadata"]["KeyId"])
    move_clock(ws, timedelta(minutes=5))
    evaluate(ws)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.ALARM, alarm.state_reason
    latest = notifications.inbox(ws, unread_only=True)[0]
    assert (latest.kind, latest.subject) == (NotificationKind.ALARM_STATE_CHANGE, f'ALARM: "{alarm.name}"')


def test_an_alarm_on_one_key_ignores_the_others(kms, ws):
    watched = kms.create_key()["KeyMetadata"]["Arn"]
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    alarm = create_alarm_from_template(ws, "disable-key", name="watched-key-disabled", key_arn=watched)
    kms.disable_key(KeyId=other)
    move_clock(ws, timedelta(minutes=5))
    evaluate(ws)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OK
    kms.disable_key(KeyId=watched)
    move_clock(ws, timedelta(minutes=5))
    evaluate(ws)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.ALARM


def test_an_m_out_of_n_alarm_needs_m_breaching_periods(kms, ws):
    alarm = alarms.put_alarm(
        ws,
        alarms.AlarmDefinition(
            name="sustained-disables", event_name="DisableKey", threshold=1, period_seconds=60,
            evaluation_periods=3, datapoints_to_alarm=2, treat_missing_data="notBreaching",
        ),
    )  # fmt: skip
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    move_clock(ws, timedelta(minutes=1))
    evaluate(ws)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.OK
    kms.disable_key(KeyId=key_id)
    move_clock(ws, timedelta(minutes=1))
    evaluate(ws)
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.ALARM
    assert "2 out of the last 3 datapoints" in alarm.state_reason
    assert alarm.state_reason.endswith("(minimum 2 datapoints for OK -> ALARM transition).")


def test_putting_an_alarm_again_keeps_its_state_and_history(kms, ws):
    alarm = create_alarm_from_template(ws, "disable-key")
    kms.disable_key(KeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    move_clock(ws, timedelta(minutes=5))
    evaluate(ws)
    updated = create_alarm_from_template(ws, "disable-key", threshold=3)
    assert updated.pk == alarm.pk
    assert (updated.state, updated.threshold) == (AlarmState.ALARM, 3.0)
    assert len(alarms.alarm_history(updated)) == 1
    assert [a.name for a in alarms.list_alarms(ws, state=AlarmState.ALARM)] == ["KMS-DisableKey"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"period_seconds": 90}, "Period must be a multiple of 60 seconds"),
        ({"evaluation_periods": 2, "datapoints_to_alarm": 3}, "DatapointsToAlarm must be between 1 and"),
        ({"period_seconds": 60, "evaluation_periods": 1441}, "must not exceed 86400 seconds"),
        ({"comparison_operator": "GreaterThan"}, "ComparisonOperator must be one of"),
        ({"treat_missing_data": "zero"}, "TreatMissingData must be one of"),
        ({"name": ""}, "AlarmName must be 1 to 255 ASCII characters"),
    ],
)
def test_it_refuses_what_put_metric_alarm_refuses(ws, overrides, message):
    with pytest.raises(ValidationError, match=message):
        create_alarm_from_template(ws, "disable-key", **overrides)


def test_it_names_the_templates_when_asked_for_an_unknown_one(ws):
    with pytest.raises(ValidationError, match="choose one of decrypt-spike, disable-key"):
        create_alarm_from_template(ws, "key-spike")
