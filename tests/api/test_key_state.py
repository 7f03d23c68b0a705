"""EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion and UpdateKeyDescription
through boto3 and the aws CLI, and what happens when a deletion waiting period ends."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.loaders import Loader
from support import cli_json

from kmsconsole.kms.deletion import delete_key_now
from kmsconsole.kms.models import Alias, Grant, Key, KeyMaterial, Tag

STATE_OPERATIONS = ("EnableKey", "DisableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "UpdateKeyDescription")
UNKNOWN_CIPHERTEXT_KEY = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
    "or you are not allowed to access."
)


def error_of(raised):
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def state_of(kms, key_id):
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


# EnableKey and DisableKey


def test_a_disabled_key_refuses_cryptography_until_enabled_again(kms):
    metadata = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=metadata["KeyId"])
    described = kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"]) == ("Disabled", False)
    with pytest.raises(kms.exceptions.DisabledException) as raised:
        kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"pin")
    assert error_of(raised)[1] == f"{metadata['Arn']} is disabled."
    kms.enable_key(KeyId=metadata["Arn"])
    assert kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]["Enabled"] is True
    kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"pin")


def test_enabling_or_disabling_twice_is_harmless(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key(KeyId=key_id)
    kms.disable_key(KeyId=key_id)
    kms.disable_key(KeyId=key_id)
    assert state_of(kms, key_id) == "Disabled"


# ScheduleKeyDeletion


def test_it_schedules_deletion_30_days_out_by_default(kms):
    metadata = kms.create_key()["KeyMetadata"]
    before = datetime.now(UTC)
    scheduled = kms.schedule_key_deletion(KeyId=metadata["KeyId"])
    assert scheduled["KeyId"] == metadata["Arn"]
    assert scheduled["KeyState"] == "PendingDeletion"
    assert scheduled["PendingWindowInDays"] == 30
    expected = before + timedelta(days=30)
    assert expected - timedelta(seconds=5) <= scheduled["DeletionDate"] <= expected + timedelta(minutes=1)
    described = kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"]) == ("PendingDeletion", False)
    assert described["DeletionDate"] == scheduled["DeletionDate"]


@pytest.mark.parametrize("days", [7, 30])
def test_it_accepts_the_edges_of_the_window(kms, days):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)["PendingWindowInDays"] == days


@pytest.mark.parametrize("days", [1, 6, 31, 365])
def test_it_refuses_a_window_outside_7_to_30_days_and_leaves_the_key_alone(kms, days):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
    assert error_of(raised) == ("ValidationException", "PendingWindowInDays must be between 7 and 30")
    assert state_of(kms, key_id) == "Enabled"


def test_it_refuses_a_window_beyond_the_models_range_with_the_model_message(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=366)
    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value '366' at 'pendingWindowInDays' failed to satisfy constraint: "
        "Member must have value less than or equal to 365",
    )


def test_a_key_pending_deletion_refuses_state_changes(kms):
    metadata = kms.create_key()["KeyMetadata"]
    scheduled = kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=7)
    for call in (
        lambda: kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=30),
        lambda: kms.enable_key(KeyId=metadata["KeyId"]),
        lambda: kms.disable_key(KeyId=metadata["KeyId"]),
        lambda: kms.update_key_description(KeyId=metadata["KeyId"], Description="changed"),
        lambda: kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"pin"),
    ):
        with pytest.raises(kms.exceptions.KMSInvalidStateException) as raised:
            call()
        assert error_of(raised)[1] == f"{metadata['Arn']} is pending deletion."
    described = kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
    assert described["DeletionDate"] == scheduled["DeletionDate"]
    assert described["Description"] == ""


def test_a_disabled_key_can_be_scheduled_for_deletion(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert state_of(kms, key_id) == "PendingDeletion"


# CancelKeyDeletion


def test_cancelling_deletion_leaves_the_key_disabled(kms):
    metadata = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=7)
    assert kms.cancel_key_deletion(KeyId=metadata["KeyId"])["KeyId"] == metadata["Arn"]
    described = kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"]) == ("Disabled", False)
    assert "DeletionDate" not in described


@pytest.mark.parametrize("disable_first", [False, True])
def test_it_cannot_cancel_a_deletion_that_was_never_scheduled(kms, disable_first):
    metadata = kms.create_key()["KeyMetadata"]
    if disable_first:
        kms.disable_key(KeyId=metadata["KeyId"])
    with pytest.raises(kms.exceptions.KMSInvalidStateException) as raised:
        kms.cancel_key_deletion(KeyId=metadata["KeyId"])
    assert error_of(raised)[1] == f"{metadata['Arn']} is not pending deletion."


def test_the_guide_restores_a_key_with_the_cli(aws_cli, kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    cancelled = cli_json(aws_cli("kms", "cancel-key-deletion", "--key-id", key_id))
    assert cancelled["KeyId"].endswith(key_id)
    enabled = aws_cli("kms", "enable-key", "--key-id", key_id)
    assert enabled.returncode == 0, enabled.stderr
    state = aws_cli(f"aws kms describe-key --key-id {key_id} --query KeyMetadata.KeyState", shell=True)
    assert json.loads(state.stdout) == "Enabled"


# UpdateKeyDescription


def test_it_updates_the_description_of_enabled_and_disabled_keys(kms):
    key_id = kms.create_key(Description="before")["KeyMetadata"]["KeyId"]
    kms.update_key_description(KeyId=key_id, Description="after")
    kms.disable_key(KeyId=key_id)
    kms.update_key_description(KeyId=key_id, Description="")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == ""


# AWS managed keys, other accounts, strangers


def test_no_one_may_change_the_state_or_description_of_an_aws_managed_key(kms, alice):
    managed = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    key_id = managed["KeyId"]
    for operation, call in (
        ("DisableKey", lambda: kms.disable_key(KeyId=key_id)),
        ("EnableKey", lambda: kms.enable_key(KeyId=key_id)),
        ("ScheduleKeyDeletion", lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)),
        ("CancelKeyDeletion", lambda: kms.cancel_key_deletion(KeyId=key_id)),
        ("UpdateKeyDescription", lambda: kms.update_key_description(KeyId=key_id, Description="mine")),
    ):
        with pytest.raises(kms.exceptions.ClientError) as raised:
            call()
        assert error_of(raised) == (
            "AccessDeniedException",
            f"User: {alice.arn} is not authorized to perform: kms:{operation} on resource: {managed['Arn']} "
            f"because no resource-based policy allows the kms:{operation} action",
        )
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"] == managed


def test_another_account_cannot_change_the_key(kms, kms_b):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(kms_b.exceptions.ClientError) as raised:
        kms_b.disable_key(KeyId=arn)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert state_of(kms, arn) == "Enabled"


def test_a_stranger_cannot_find_the_key(kms, endpoint, charlie):
    metadata = kms.create_key()["KeyMetadata"]
    stranger = charlie.client("kms", endpoint)
    with pytest.raises(stranger.exceptions.NotFoundException) as raised:
        stranger.schedule_key_deletion(KeyId=metadata["Arn"], PendingWindowInDays=7)
    assert error_of(raised)[1] == f"Key '{metadata['Arn']}' does not exist"
    with pytest.raises(stranger.exceptions.NotFoundException) as raised:
        stranger.disable_key(KeyId=metadata["KeyId"])
    own_arn = f"arn:aws:kms:us-east-1:{charlie.account_id}:key/{metadata['KeyId']}"
    assert error_of(raised)[1] == f"Key '{own_arn}' does not exist"
    assert state_of(kms, metadata["KeyId"]) == "Enabled"


def test_none_of_these_operations_takes_dry_run_so_it_is_ignored(kms):
    model = Loader().load_service_model("kms", "service-2")
    for name in STATE_OPERATIONS:
        assert "DryRun" not in model["shapes"][model["operations"][name]["input"]["shape"]]["members"]
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]

    sent = []

    def add_dry_run(request, **_):
        request.data = json.dumps({**json.loads(request.data), "DryRun": True}).encode()
        sent.append(request.data)

    kms.meta.events.register("before-sign.kms.DisableKey", add_dry_run)
    kms.disable_key(KeyId=key_id)
    assert json.loads(sent[0]) == {"KeyId": key_id, "DryRun": True}
    assert state_of(kms, key_id) == "Disabled"


# The end of the waiting period


def test_a_deleted_key_is_gone_with_its_aliases_tags_and_material(kms, orm):
    metadata = kms.create_key(Tags=[{"TagKey": "Team", "TagValue": "red"}])["KeyMetadata"]
    kms.create_alias(AliasName="alias/soon-gone", TargetKeyId=metadata["KeyId"])
    blob = kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=7)

    delete_key_now(Key.objects.get(key_id=metadata["KeyId"]))

    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.describe_key(KeyId=metadata["KeyId"])
    assert error_of(raised)[1] == f"Key '{metadata['Arn']}' does not exist"
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(raised) == ("AccessDeniedException", UNKNOWN_CIPHERTEXT_KEY)
    assert "alias/soon-gone" not in {entry["AliasName"] for entry in kms.list_aliases(Limit=100)["Aliases"]}
    assert metadata["KeyId"] not in {key["KeyId"] for key in kms.list_keys(Limit=1000)["Keys"]}
    for model in (Alias, Tag, KeyMaterial, Grant):
        assert not model.objects.filter(key__key_id=metadata["KeyId"]).exists()
