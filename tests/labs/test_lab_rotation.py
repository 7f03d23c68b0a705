"""The rotation lab: its checks on a fresh start, on realistic mistakes, and after the solution."""

from __future__ import annotations

import pytest
from lab_support import assert_everything_passes, assert_nothing_passes

pytestmark = pytest.mark.live

SLUG = "rotation"


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_the_default_period_and_a_decrypt_without_context_are_caught_then_the_solution_passes(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    key_id = run.session.key_id("ledger-key")
    # Rotation enabled, but without --rotation-period-in-days: every 365 days.
    kms.enable_key_rotation(KeyId=key_id)
    kms.rotate_key_on_demand(KeyId=key_id)
    run.session.advance_clock(days=366)
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=run.session.ciphertext("old-invoice"))

    results = run.check_all()

    alias_refused, period = results["enable-rotation"]
    assert not alias_refused.passed
    assert "NotFoundException" in alias_refused.reason
    assert not period.passed
    assert "every 365 days" in period.reason and "--rotation-period-in-days 90" in period.reason
    automatic, _ = results["fast-forward"]
    assert automatic.passed, automatic.reason
    [old_invoice] = results["old-ciphertext"]
    assert not old_invoice.passed
    assert "--encryption-context invoice=2024-0042" in old_invoice.reason

    run.solve()
    assert_everything_passes(run)


def test_waiting_for_an_automatic_rotation_that_is_not_due_is_explained(lab_run):
    run = lab_run(SLUG)
    run.session.client("kms").enable_key_rotation(KeyId=run.session.key_id("ledger-key"), RotationPeriodInDays=90)
    run.session.advance_clock(days=30)

    automatic, _ = run.check_all()["fast-forward"]

    assert not automatic.passed
    assert "the next one is due" in automatic.reason and "Fast-forward past that date" in automatic.reason
