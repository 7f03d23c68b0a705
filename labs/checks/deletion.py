"""Checks for the deletion-safety lab (and the deletion runbook of the incident lab):
scheduling, the guide's ScheduleKeyDeletion alarm, restoring a key, and what a real
deletion takes away.

The alarm is the monitoring app's (``kmsconsole.monitoring``): a metric alarm counting
ScheduleKeyDeletion calls, whose state changes are kept as history. "The alarm fired"
is read from that history, because by the time a learner checks, a quiet period may
already have brought the alarm back to OK.
"""

from __future__ import annotations

from kmsconsole.audit.models import Event
from kmsconsole.engine.enums import KeyState
from kmsconsole.monitoring.metrics import period_start
from kmsconsole.monitoring.models import Alarm, AlarmHistory, AlarmState

from .base import CheckContext, CheckResult, check, describe_event, not_yet, passed, request_parameters

DEFAULT_PENDING_WINDOW_DAYS = 30
WATCHED_EVENT = "ScheduleKeyDeletion"


@check("deletion_alarm_armed")
def deletion_alarm_armed(ctx: CheckContext) -> CheckResult:
    alarm = _deletion_alarm(ctx)
    if alarm is not None:
        return passed(f"The alarm {alarm.name} watches {WATCHED_EVENT} calls (state {alarm.state}).")
    others = list(Alarm.objects.filter(workspace=ctx.workspace).values_list("name", flat=True))
    if others:
        return not_yet(
            f"Your alarms ({', '.join(others)}) do not count {WATCHED_EVENT} calls. In Monitoring, click Create "
            "alarm and choose the template KMS-ScheduleKeyDeletion."
        )
    return not_yet(
        "No alarm yet. In the console, open Monitoring, click Create alarm and choose the template "
        "KMS-ScheduleKeyDeletion."
    )


@check("deletion_scheduled")
def deletion_scheduled(ctx: CheckContext, key: str, days: int) -> CheckResult:
    """ScheduleKeyDeletion succeeded on ``key`` with a ``days``-day waiting period."""
    scheduled = ctx.events(event_name=WATCHED_EVENT, key_arn=ctx.key_arn(key), succeeded=True)
    windows = [_pending_window(event) for event in scheduled]
    for event, window in zip(scheduled, windows, strict=True):
        if window == days:
            deletion_date = (event.record.get("responseElements") or {}).get("deletionDate", "")
            return passed(f"{describe_event(event)} with a {days}-day window (deletion date {deletion_date}).")
    if windows:
        return not_yet(
            f"{ctx.alias(key)} was scheduled with a {windows[0]}-day window; this step asks for {days}. Cancel the "
            f"deletion and schedule it again with --pending-window-in-days {days}."
        )
    return not_yet(f"{ctx.alias(key)} is not scheduled for deletion yet. Run schedule-key-deletion.")


@check("decrypt_refused_while_pending")
def decrypt_refused_while_pending(ctx: CheckContext, key: str) -> CheckResult:
    refused = ctx.events(event_name="Decrypt", key_arn=ctx.key_arn(key), error_code="KMSInvalidStateException").first()
    if refused is not None:
        return passed(f"{describe_event(refused)}: the application is down while the key is pending deletion.")
    return not_yet("Decrypt the invoice batch while the key is pending deletion, and read the error.")


@check("deletion_alarm_fired")
def deletion_alarm_fired(ctx: CheckContext) -> CheckResult:
    """The ScheduleKeyDeletion alarm went to ALARM since the lab started."""
    alarm = _deletion_alarm(ctx)
    if alarm is None:
        return not_yet("There is no ScheduleKeyDeletion alarm to fire: arm it first (step 1).")
    fired = (
        AlarmHistory.objects.filter(alarm=alarm, new_state=AlarmState.ALARM, timestamp__gte=ctx.started_at)
        .order_by("timestamp")
        .first()
    )
    if fired is not None:
        return passed(f"{alarm.name} went to ALARM at {fired.timestamp:%H:%M} (workspace clock): {fired.reason}")
    scheduled = ctx.events(event_name=WATCHED_EVENT, succeeded=True).order_by("id").first()
    if scheduled is None:
        return not_yet(f"{alarm.name} is {alarm.state}: nothing has been scheduled for deletion yet.")
    if scheduled.event_time < period_start(alarm.created_at, alarm.period_seconds):
        return not_yet(
            f"The deletion was scheduled at {scheduled.event_time:%H:%M}, before the alarm existed, so it never saw "
            "it. Arm the alarm first, then schedule again (cancel first if the key is still pending)."
        )
    return not_yet(
        f"{alarm.name} is {alarm.state}. It is evaluated when the 5-minute period containing your call "
        f"({scheduled.event_time:%H:%M}) ends: wait for that and click Evaluate now, or fast-forward the clock a day."
    )


@check("key_restored_after_cancel")
def key_restored_after_cancel(ctx: CheckContext, key: str) -> CheckResult:
    """The key's deletion was cancelled and the key enabled again."""
    row = ctx.key(key)
    if row is None:
        return not_yet(f"{ctx.alias(key)} has been deleted: its waiting period ended. Reset the lab to try again.")
    cancelled = ctx.events(event_name="CancelKeyDeletion", key_arn=row.arn, succeeded=True).first()
    if row.key_state == KeyState.PENDING_DELETION:
        return not_yet(
            f"{ctx.alias(key)} is still pending deletion, to be deleted on {row.deletion_date:%Y-%m-%d}. Run "
            f"cancel-key-deletion --key-id {row.key_id}."
        )
    if cancelled is None:
        return not_yet(f"{ctx.alias(key)} is {row.key_state}, but it was not cancelled with cancel-key-deletion.")
    if row.key_state == KeyState.DISABLED:
        return not_yet(
            f"{describe_event(cancelled)}, and the key is now Disabled: cancelling never re-enables a key. Run "
            f"enable-key --key-id {row.key_id}."
        )
    return passed(f"{describe_event(cancelled)}; {ctx.alias(key)} is {row.key_state} again.")


@check("decrypt_works_again")
def decrypt_works_again(ctx: CheckContext, key: str) -> CheckResult:
    """A Decrypt with the key succeeded after it was last enabled: the application works."""
    key_arn = ctx.key_arn(key)
    enabled = ctx.events(event_name="EnableKey", key_arn=key_arn, succeeded=True).first()
    if enabled is None:
        return not_yet(f"Enable {ctx.alias(key)} first; until then every Decrypt with it fails.")
    decrypted = ctx.events(event_name="Decrypt", key_arn=key_arn, succeeded=True, after=enabled).first()
    if decrypted is None:
        return not_yet(f"{ctx.alias(key)} is enabled; now decrypt with it to prove the application works again.")
    return passed(f"{describe_event(decrypted)}: the application works again.")


@check("key_deleted")
def key_deleted(ctx: CheckContext, key: str) -> CheckResult:
    row = ctx.key(key)
    deleted = _deletion_event(ctx, key)
    if row is None:
        when = f" at {deleted.event_time:%Y-%m-%d %H:%M} (workspace clock)" if deleted is not None else ""
        return passed(f"KMS deleted {ctx.key_arn(key)}{when}, with its key material and aliases.")
    if row.key_state == KeyState.PENDING_DELETION:
        return not_yet(
            f"{ctx.alias(key)} will be deleted on {row.deletion_date:%Y-%m-%d %H:%M}; your workspace clock says "
            f"{ctx.now:%Y-%m-%d %H:%M}. Fast-forward past the deletion date."
        )
    return not_yet(f"{ctx.alias(key)} is {row.key_state}. Schedule it for deletion with a 7-day window.")


@check("deleted_key_ciphertext_unrecoverable")
def deleted_key_ciphertext_unrecoverable(ctx: CheckContext, key: str, ciphertext: str) -> CheckResult:
    """After the key's deletion, decrypting its ciphertext failed with AccessDeniedException.
    The key is gone, so the event names no key: the ciphertext is recognised by its context."""
    deleted = _deletion_event(ctx, key)
    if deleted is None:
        return not_yet("The scratch key still exists: finish the previous step first.")
    context = ctx.ciphertext_context(ciphertext)
    attempts = ctx.events(event_name="Decrypt", after=deleted)
    matching = [event for event in attempts if (request_parameters(event).get("encryptionContext") or {}) == context]
    if not matching:
        return not_yet("Try to decrypt the scratch note now that its key is gone.")
    event = matching[0]
    if event.error_code == "AccessDeniedException":
        return passed(f"{describe_event(event)}: {event.record.get('errorMessage', '')}")
    return not_yet(f"{describe_event(event)}: expected AccessDeniedException for a ciphertext whose key is deleted.")


def _deletion_alarm(ctx: CheckContext) -> Alarm | None:
    return Alarm.objects.filter(workspace=ctx.workspace, event_name=WATCHED_EVENT).order_by("created_at").first()


def _pending_window(event: Event) -> int:
    return int(request_parameters(event).get("pendingWindowInDays", DEFAULT_PENDING_WINDOW_DAYS))


def _deletion_event(ctx: CheckContext, key: str) -> Event | None:
    return ctx.events(event_name="DeleteKey", key_arn=ctx.key_arn(key)).first()
