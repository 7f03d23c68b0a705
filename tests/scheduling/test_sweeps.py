"""The rotation and deletion sweeps, called directly on the workspace clock.

Keys are created and inspected through boto3 against the live server; the sweeps run in
this process, exactly as the Celery tasks call them.
"""

from datetime import timedelta

import pytest

from kmsconsole.audit.models import Event
from kmsconsole.iam.clock import move_clock
from kmsconsole.kms import scheduled


@pytest.fixture
def ws(workspace):
    return workspace.workspace


def test_it_rotates_a_key_once_its_period_has_passed(kms, ws):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    original = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]

    move_clock(ws, timedelta(days=89))
    assert scheduled.rotate_due_keys(workspace_id=ws.pk).processed == 0

    move_clock(ws, timedelta(days=2))
    assert scheduled.rotate_due_keys(workspace_id=ws.pk).processed == 1

    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] != original
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"before"
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["NextRotationDate"] > rotations[0]["RotationDate"]


def test_running_the_rotation_sweep_twice_rotates_once(kms, ws):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    move_clock(ws, timedelta(days=91))
    first = scheduled.rotate_due_keys(workspace_id=ws.pk)
    second = scheduled.rotate_due_keys(workspace_id=ws.pk)
    assert (first.processed, second.processed) == (1, 0)
    assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 1


def test_a_disabled_key_is_not_rotated_until_it_is_enabled_again(kms, ws):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    kms.disable_key(KeyId=key_id)
    move_clock(ws, timedelta(days=100))
    assert scheduled.rotate_due_keys(workspace_id=ws.pk).processed == 0
    kms.enable_key(KeyId=key_id)
    assert scheduled.rotate_due_keys(workspace_id=ws.pk).processed == 1


def test_aws_managed_keys_rotate_yearly(kms, ws):
    move_clock(ws, timedelta(days=366))
    rotated = scheduled.rotate_due_keys(workspace_id=ws.pk)
    assert rotated.processed == 2 * 14  # every managed key of accounts A and B
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    assert [r["RotationType"] for r in kms.list_key_rotations(KeyId=managed)["Rotations"]] == ["AUTOMATIC"]


def test_it_deletes_a_key_when_its_waiting_period_ends(kms, ws):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"gone")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    move_clock(ws, timedelta(days=6, hours=23))
    assert scheduled.expire_pending_deletions(workspace_id=ws.pk).processed == 0
    move_clock(ws, timedelta(hours=2))
    assert scheduled.expire_pending_deletions(workspace_id=ws.pk).processed == 1

    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId=key_id)
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.decrypt(CiphertextBlob=blob)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    aliases = [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert "alias/doomed" not in aliases


def test_a_cancelled_deletion_is_never_carried_out(kms, ws):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=key_id)
    move_clock(ws, timedelta(days=30))
    assert scheduled.expire_pending_deletions(workspace_id=ws.pk).processed == 0
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_service_events_are_recorded_as_aws_records_them(kms, ws, orm):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=other, PendingWindowInDays=7)
    move_clock(ws, timedelta(days=91))
    scheduled.rotate_due_keys(workspace_id=ws.pk)
    scheduled.expire_pending_deletions(workspace_id=ws.pk)

    for name, key in (("RotateKey", key_id), ("DeleteKey", other)):
        event = Event.objects.get(workspace=ws, event_name=name, key_arn__endswith=key)
        record = event.record
        assert record["eventType"] == "AwsServiceEvent"
        assert record["userIdentity"]["invokedBy"] == "AWS Internal"
        assert record["sourceIPAddress"] == "AWS Internal"
        assert "requestID" not in record
        assert record["resources"][0]["ARN"].endswith(key)
        # Dated on the workspace clock: a rotation when it fell due (day 90), a deletion now.
        assert ws.now() - timedelta(days=2) <= event.event_time <= ws.now()
    rotate = Event.objects.get(workspace=ws, event_name="RotateKey", key_arn__endswith=key_id)
    assert rotate.record["serviceEventDetails"]["rotationType"] == "AUTOMATIC"


def test_one_workspaces_clock_does_not_move_another(kms, ws, endpoint, charlie, orm):
    stranger = charlie.client("kms", endpoint)
    theirs = stranger.create_key()["KeyMetadata"]["KeyId"]
    stranger.schedule_key_deletion(KeyId=theirs, PendingWindowInDays=7)
    move_clock(ws, timedelta(days=30))
    scheduled.expire_pending_deletions()
    assert stranger.describe_key(KeyId=theirs)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_a_year_fast_forwarded_shows_one_rotation_per_period(kms, ws):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    move_clock(ws, timedelta(days=366))
    scheduled.rotate_due_keys(workspace_id=ws.pk)
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"] * 4
    gaps = {
        (later["RotationDate"] - earlier["RotationDate"]).days
        for earlier, later in zip(rotations, rotations[1:], strict=False)
    }
    assert gaps == {90}


def test_a_key_enabled_after_missing_rotations_rotates_once(kms, ws):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    kms.disable_key(KeyId=key_id)
    move_clock(ws, timedelta(days=400))
    kms.enable_key(KeyId=key_id)
    scheduled.rotate_due_keys(workspace_id=ws.pk)
    assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 1
