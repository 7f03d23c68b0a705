"""Solution of the deletion-safety lab: the alarm armed, the billing key scheduled (and
the application failing), the alarm firing, the key restored; then the scratch key
really deleted after a fast-forward, and its ciphertext lost."""

from __future__ import annotations

import base64

from kmsconsole.monitoring.alarms import create_alarm_from_template

from . import LabSession


def write_blob(session: LabSession, ref: str, name: str) -> None:
    blob = base64.b64encode(session.ciphertext(ref)).decode()
    session.run_cli(f"echo '{blob}' | base64 --decode > {name}")


def solve(session: LabSession) -> None:
    # Step 1 is a console form (Monitoring, Create alarm, template KMS-ScheduleKeyDeletion);
    # the form calls this function of the monitoring API.
    create_alarm_from_template(session.workspace, "schedule-key-deletion")

    billing = session.key_id("billing-key")
    too_short = session.run_cli(
        f"aws kms schedule-key-deletion --key-id {billing} --pending-window-in-days 5", check=False
    )
    assert "PendingWindowInDays must be between 7 and 30" in too_short.stderr, too_short.stderr
    session.run_cli(f"aws kms schedule-key-deletion --key-id {billing} --pending-window-in-days 7")
    write_blob(session, "invoice-batch", "invoice-batch.bin")
    decrypt_invoices = (
        "aws kms decrypt --ciphertext-blob fileb://invoice-batch.bin --encryption-context service=billing"
        " --query Plaintext --output text"
    )
    refused = session.run_cli(decrypt_invoices, check=False)
    assert "KMSInvalidStateException" in refused.stderr, refused.stderr
    session.advance_clock(days=1)

    session.run_cli(f"aws kms cancel-key-deletion --key-id {billing}")
    state = session.run_cli(f"aws kms describe-key --key-id {billing} --query KeyMetadata.KeyState --output text")
    assert state.stdout.strip() == "Disabled", state.stdout
    session.run_cli(f"aws kms enable-key --key-id {billing}")
    restored = session.run_cli(f"{decrypt_invoices} | base64 --decode")
    assert restored.stdout.startswith("Invoice batch 2025-06"), restored.stdout

    scratch = session.key_id("scratch-key")
    session.run_cli(f"aws kms schedule-key-deletion --key-id {scratch} --pending-window-in-days 7")
    session.advance_clock(days=8)
    gone = session.run_cli(f"aws kms describe-key --key-id {scratch}", check=False)
    assert "NotFoundException" in gone.stderr, gone.stderr

    write_blob(session, "scratch-note", "scratch-note.bin")
    lost = session.run_cli(
        "aws kms decrypt --ciphertext-blob fileb://scratch-note.bin --encryption-context purpose=scratch", check=False
    )
    assert "AccessDeniedException" in lost.stderr, lost.stderr
