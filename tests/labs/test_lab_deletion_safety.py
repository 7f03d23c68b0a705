"""The deletion-safety lab: its checks on a fresh start, on realistic mistakes, and after
the solution."""

from __future__ import annotations

import pytest
from lab_support import assert_nothing_passes

from kmsconsole.monitoring.alarms import create_alarm_from_template

pytestmark = pytest.mark.live

SLUG = "deletion-safety"


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_the_default_window_and_a_cancel_without_enable_are_caught(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    billing = run.session.key_id("billing-key")
    # The guide's runbook stopped halfway, after a deletion scheduled with the default 30 days.
    kms.schedule_key_deletion(KeyId=billing)
    kms.cancel_key_deletion(KeyId=billing)

    results = run.check_all()

    scheduled, _, _ = results["schedule-deletion"]
    assert not scheduled.passed
    assert "30-day window" in scheduled.reason and "--pending-window-in-days 7" in scheduled.reason
    restored, _ = results["cancel-and-reenable"]
    assert not restored.passed
    assert "Disabled" in restored.reason and "cancelling never re-enables a key" in restored.reason


def test_a_deletion_scheduled_before_the_alarm_existed_is_explained(lab_run):
    run = lab_run(SLUG)
    run.session.client("kms").schedule_key_deletion(KeyId=run.session.key_id("billing-key"), PendingWindowInDays=7)
    run.session.advance_clock(days=1)
    create_alarm_from_template(run.session.workspace, "schedule-key-deletion")

    _, _, fired = run.check_all()["schedule-deletion"]

    assert not fired.passed
    assert "before the alarm existed" in fired.reason


def test_fast_forwarding_with_the_billing_key_still_pending_loses_it(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    kms.schedule_key_deletion(KeyId=run.session.key_id("billing-key"), PendingWindowInDays=7)
    kms.schedule_key_deletion(KeyId=run.session.key_id("scratch-key"), PendingWindowInDays=7)
    run.session.advance_clock(days=8)

    results = run.check_all()

    restored, _ = results["cancel-and-reenable"]
    assert not restored.passed
    assert "has been deleted" in restored.reason and "Reset the lab" in restored.reason
    [deleted] = results["delete-scratch"]
    assert deleted.passed, deleted.reason
