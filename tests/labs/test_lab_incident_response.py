"""The incident-response lab: its checks on a fresh start, on realistic mistakes, and after
the solution."""

from __future__ import annotations

import pytest
from lab_support import assert_nothing_passes

from labs.solutions.incident_response import GUIDE_PIPELINE, replay_spike

pytestmark = pytest.mark.live

SLUG = "incident-response"


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_the_guides_pipeline_passes_every_key_id_as_one_argument(lab_run):
    run = lab_run(SLUG)

    result = run.session.run_cli(GUIDE_PIPELINE, check=False)

    assert result.stdout == ""
    assert "NotFoundException" in result.stderr and "Invalid keyId" in result.stderr
    assert run.session.key_id("payments-key") in result.stderr
    assert run.session.key_id("archive-key") in result.stderr


def test_deactivating_the_legitimate_batch_job_is_caught(lab_run):
    run = lab_run(SLUG)
    replay_spike(run.session)
    iam = run.session.client("iam")
    batch_key = run.session.credentials(user="batch")["AccessKeyId"]
    # The wrong user: the nightly batch job, which made only five of the calls.
    iam.update_access_key(UserName="nightly-batch", AccessKeyId=batch_key, Status="Inactive")

    replayed, contained = run.check_all()["decrypt-spike"]

    assert replayed.passed, replayed.reason
    assert not contained.passed
    assert "nightly-batch" in contained.reason and "legitimate" in contained.reason
    assert f"--access-key-id {batch_key} --status Active" in contained.reason


def test_cancelling_the_deletion_without_enabling_the_key_is_caught(lab_run):
    run = lab_run(SLUG)
    run.session.client("kms").cancel_key_deletion(KeyId=run.session.key_id("archive-key"))

    restored, works = run.check_all()["pending-deletion"]

    assert not restored.passed
    assert "cancelling never re-enables a key" in restored.reason
    assert not works.passed
