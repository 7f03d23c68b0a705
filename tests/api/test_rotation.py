"""Key rotation through boto3 and the aws CLI: EnableKeyRotation, DisableKeyRotation,
GetKeyRotationStatus, RotateKeyOnDemand and ListKeyRotations against a live server."""

from datetime import timedelta

import boto3
import pytest
from botocore.config import Config
from django.utils import timezone
from support import cli_json

from kmsconsole.audit.models import Event

ONE_MINUTE = timedelta(minutes=1)


def error_of(raised):
    return raised.value.response["Error"]


@pytest.fixture
def key_arn(kms):
    return kms.create_key()["KeyMetadata"]["Arn"]


@pytest.fixture
def signing_key_arn(kms):
    return kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]


def current_material_id(kms, key_arn):
    return kms.describe_key(KeyId=key_arn)["KeyMetadata"]["CurrentKeyMaterialId"]


# ---------------------------------------------------------------- automatic rotation settings


def test_a_new_key_does_not_rotate(kms, key_arn):
    status = kms.get_key_rotation_status(KeyId=key_arn)
    assert status["KeyRotationEnabled"] is False
    assert status["KeyId"] == key_arn
    assert "RotationPeriodInDays" not in status
    assert "NextRotationDate" not in status


def test_the_guides_command_enables_yearly_rotation(aws_cli, kms, key_arn):
    key_id = key_arn.rsplit("/", 1)[1]
    result = aws_cli("kms", "enable-key-rotation", "--key-id", key_id)
    assert result.returncode == 0, result.stderr
    status = cli_json(aws_cli("kms", "get-key-rotation-status", "--key-id", key_id))
    assert status["KeyRotationEnabled"] is True
    assert status["KeyId"] == key_arn
    assert status["RotationPeriodInDays"] == 365
    next_rotation = kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"]
    assert abs(next_rotation - (timezone.now() + timedelta(days=365))) < ONE_MINUTE


def test_the_guides_alias_command_is_refused_as_aws_refuses_it(aws_cli, kms, key_arn):
    kms.create_alias(AliasName="alias/prod-encryption-key", TargetKeyId=key_arn)
    result = aws_cli("kms", "enable-key-rotation", "--key-id", "alias/prod-encryption-key")
    assert result.returncode != 0
    assert "(NotFoundException)" in result.stderr
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is False


@pytest.mark.parametrize("days", [90, 2560])
def test_it_accepts_a_period_from_90_to_2560_days(kms, key_arn, days):
    kms.enable_key_rotation(KeyId=key_arn, RotationPeriodInDays=days)
    status = kms.get_key_rotation_status(KeyId=key_arn)
    assert status["RotationPeriodInDays"] == days
    assert abs(status["NextRotationDate"] - (timezone.now() + timedelta(days=days))) < ONE_MINUTE


@pytest.mark.parametrize(("days", "rule"), [(89, "greater than or equal to 90"), (2561, "less than or equal to 2560")])
def test_it_refuses_a_period_outside_90_to_2560_days(endpoint, alice, key_arn, days, rule):
    # boto3 itself refuses 89 before sending it; the server must refuse it too.
    kms = boto3.client(
        "kms",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=alice.access_key_id,
        aws_secret_access_key=alice.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.enable_key_rotation(KeyId=key_arn, RotationPeriodInDays=days)
    assert error_of(raised)["Code"] == "ValidationException"
    assert error_of(raised)["Message"] == (
        f"1 validation error detected: Value '{days}' at 'rotationPeriodInDays' failed to satisfy constraint: "
        f"Member must have value {rule}"
    )


def test_enabling_again_changes_the_period(kms, key_arn):
    kms.enable_key_rotation(KeyId=key_arn)
    kms.enable_key_rotation(KeyId=key_arn, RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=key_arn)
    assert status["RotationPeriodInDays"] == 180
    assert abs(status["NextRotationDate"] - (timezone.now() + timedelta(days=180))) < ONE_MINUTE


def test_disabling_turns_rotation_off(kms, key_arn):
    kms.enable_key_rotation(KeyId=key_arn)
    kms.disable_key_rotation(KeyId=key_arn)
    status = kms.get_key_rotation_status(KeyId=key_arn)
    assert status["KeyRotationEnabled"] is False
    assert "NextRotationDate" not in status


def test_it_refuses_rotation_settings_on_a_disabled_key_but_keeps_reporting(kms, key_arn):
    kms.enable_key_rotation(KeyId=key_arn)
    kms.disable_key(KeyId=key_arn)
    for change in (kms.enable_key_rotation, kms.disable_key_rotation):
        with pytest.raises(kms.exceptions.DisabledException) as raised:
            change(KeyId=key_arn)
        assert error_of(raised)["Message"] == f"{key_arn} is disabled."
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True


def test_a_key_pending_deletion_reports_false_until_the_deletion_is_cancelled(kms, key_arn):
    kms.enable_key_rotation(KeyId=key_arn, RotationPeriodInDays=200)
    kms.schedule_key_deletion(KeyId=key_arn, PendingWindowInDays=7)
    pending = kms.get_key_rotation_status(KeyId=key_arn)
    assert pending["KeyRotationEnabled"] is False
    assert "RotationPeriodInDays" not in pending
    with pytest.raises(kms.exceptions.KMSInvalidStateException) as raised:
        kms.enable_key_rotation(KeyId=key_arn)
    assert error_of(raised)["Message"] == f"{key_arn} is pending deletion."
    kms.cancel_key_deletion(KeyId=key_arn)
    restored = kms.get_key_rotation_status(KeyId=key_arn)
    assert restored["KeyRotationEnabled"] is True
    assert restored["RotationPeriodInDays"] == 200


def test_it_refuses_automatic_rotation_of_an_asymmetric_key(kms, signing_key_arn):
    for change in (kms.enable_key_rotation, kms.disable_key_rotation):
        with pytest.raises(kms.exceptions.UnsupportedOperationException) as raised:
            change(KeyId=signing_key_arn)
        assert error_of(raised)["Message"] == (
            f"{signing_key_arn} has KeySpec ECC_NIST_P256. Key rotation is supported only on symmetric "
            "encryption KMS keys (KeySpec SYMMETRIC_DEFAULT)."
        )


def test_an_asymmetric_or_hmac_key_reports_rotation_off(kms, signing_key_arn):
    hmac_key_arn = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["Arn"]
    for arn in (signing_key_arn, hmac_key_arn):
        status = kms.get_key_rotation_status(KeyId=arn)
        assert (status["KeyRotationEnabled"], status["KeyId"]) == (False, arn)


def test_a_key_for_imported_material_has_no_rotation(kms):
    key_arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    for call in (kms.get_key_rotation_status, kms.enable_key_rotation, kms.list_key_rotations):
        with pytest.raises(kms.exceptions.UnsupportedOperationException) as raised:
            call(KeyId=key_arn)
        assert error_of(raised)["Message"] == f"{key_arn} origin is EXTERNAL which is not valid for this operation."


def test_an_aws_managed_key_always_rotates_yearly(kms, alice):
    key_arn = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    status = kms.get_key_rotation_status(KeyId=key_arn)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365
    for change in (kms.enable_key_rotation, kms.disable_key_rotation, kms.rotate_key_on_demand):
        operation = change.__name__.title().replace("_", "")
        with pytest.raises(kms.exceptions.ClientError) as raised:
            change(KeyId=key_arn)
        assert error_of(raised)["Code"] == "AccessDeniedException"
        assert error_of(raised)["Message"] == (
            f"User: {alice.arn} is not authorized to perform: kms:{operation} on resource: {key_arn} "
            f"because no resource-based policy allows the kms:{operation} action"
        )


def test_a_stranger_cannot_see_or_change_rotation(kms, endpoint, key_arn, charlie):
    stranger = charlie.client("kms", endpoint)
    for call in (stranger.get_key_rotation_status, stranger.enable_key_rotation, stranger.rotate_key_on_demand):
        with pytest.raises(stranger.exceptions.NotFoundException):
            call(KeyId=key_arn)


# ---------------------------------------------------------------- RotateKeyOnDemand


def test_on_demand_rotation_makes_new_material_current_and_old_ciphertext_still_decrypts(kms, key_arn):
    original_material = current_material_id(kms, key_arn)
    old_blob = kms.encrypt(KeyId=key_arn, Plaintext=b"before")["CiphertextBlob"]

    response = kms.rotate_key_on_demand(KeyId=key_arn.rsplit("/", 1)[1])

    assert response["KeyId"] == key_arn
    new_material = current_material_id(kms, key_arn)
    assert new_material != original_material
    old = kms.decrypt(CiphertextBlob=old_blob)
    assert (old["Plaintext"], old["KeyMaterialId"]) == (b"before", original_material)
    new_blob = kms.encrypt(KeyId=key_arn, Plaintext=b"after")["CiphertextBlob"]
    new = kms.decrypt(CiphertextBlob=new_blob)
    assert (new["Plaintext"], new["KeyMaterialId"]) == (b"after", new_material)


def test_on_demand_rotation_leaves_the_automatic_schedule_alone(kms, key_arn):
    kms.enable_key_rotation(KeyId=key_arn, RotationPeriodInDays=730)
    before = kms.get_key_rotation_status(KeyId=key_arn)
    kms.rotate_key_on_demand(KeyId=key_arn)
    after = kms.get_key_rotation_status(KeyId=key_arn)
    assert after["NextRotationDate"] == before["NextRotationDate"]
    assert after["RotationPeriodInDays"] == 730
    assert "OnDemandRotationStartDate" not in after


def test_on_demand_rotation_works_without_automatic_rotation(kms, key_arn):
    kms.rotate_key_on_demand(KeyId=key_arn)
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is False


def test_it_refuses_the_eleventh_on_demand_rotation(kms, key_arn):
    for _ in range(10):
        kms.rotate_key_on_demand(KeyId=key_arn)
    material = current_material_id(kms, key_arn)
    with pytest.raises(kms.exceptions.LimitExceededException) as raised:
        kms.rotate_key_on_demand(KeyId=key_arn)
    assert error_of(raised)["Message"] == (
        "The on-demand rotations limit has been reached for the given keyId. "
        f"No more on-demand rotations can be performed for this key: {key_arn}"
    )
    assert current_material_id(kms, key_arn) == material


def test_it_refuses_on_demand_rotation_of_a_disabled_key(kms, key_arn):
    kms.disable_key(KeyId=key_arn)
    with pytest.raises(kms.exceptions.DisabledException) as raised:
        kms.rotate_key_on_demand(KeyId=key_arn)
    assert error_of(raised)["Message"] == f"{key_arn} is disabled."


def test_it_refuses_on_demand_rotation_of_an_asymmetric_key(kms, signing_key_arn):
    with pytest.raises(kms.exceptions.UnsupportedOperationException) as raised:
        kms.rotate_key_on_demand(KeyId=signing_key_arn)
    assert error_of(raised)["Message"].startswith(f"{signing_key_arn} has KeySpec ECC_NIST_P256.")


def test_a_disabled_asymmetric_key_is_refused_for_its_state_first(kms, signing_key_arn):
    kms.disable_key(KeyId=signing_key_arn)
    with pytest.raises(kms.exceptions.DisabledException):
        kms.rotate_key_on_demand(KeyId=signing_key_arn)


def test_on_demand_rotation_writes_a_rotate_key_service_event(kms, key_arn, orm):
    previous = current_material_id(kms, key_arn)
    kms.rotate_key_on_demand(KeyId=key_arn)
    [event] = Event.objects.filter(key_arn=key_arn, event_name="RotateKey")
    assert event.record["eventType"] == "AwsServiceEvent"
    assert event.record["serviceEventDetails"] == {
        "rotationType": "ON_DEMAND",
        "keyOrigin": "AWS_KMS",
        "previousKeyMaterialId": previous,
        "currentKeyMaterialId": current_material_id(kms, key_arn),
    }


# ---------------------------------------------------------------- ListKeyRotations


def test_a_key_never_rotated_lists_no_rotations(kms, key_arn):
    listed = kms.list_key_rotations(KeyId=key_arn)
    assert listed["Rotations"] == []
    assert listed["Truncated"] is False


def test_it_lists_rotations_oldest_first(kms, key_arn):
    original = current_material_id(kms, key_arn)
    kms.rotate_key_on_demand(KeyId=key_arn)
    second = current_material_id(kms, key_arn)
    kms.rotate_key_on_demand(KeyId=key_arn)
    third = current_material_id(kms, key_arn)

    rotations = kms.list_key_rotations(KeyId=key_arn)["Rotations"]

    assert [r["KeyMaterialId"] for r in rotations] == [second, third]
    assert [r["KeyMaterialState"] for r in rotations] == ["NON_CURRENT", "CURRENT"]
    assert {r["KeyId"] for r in rotations} == {key_arn}
    assert {r["RotationType"] for r in rotations} == {"ON_DEMAND"}
    assert all(abs(r["RotationDate"] - timezone.now()) < ONE_MINUTE for r in rotations)
    everything = kms.list_key_rotations(KeyId=key_arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [r["KeyMaterialId"] for r in everything] == [original, second, third]
    assert everything[0] == {"KeyId": key_arn, "KeyMaterialId": original, "KeyMaterialState": "NON_CURRENT"}


def test_it_pages_rotations(kms, key_arn):
    for _ in range(3):
        kms.rotate_key_on_demand(KeyId=key_arn)
    seen, marker = [], None
    while True:
        page = kms.list_key_rotations(KeyId=key_arn, Limit=2, **({"Marker": marker} if marker else {}))
        seen += [r["KeyMaterialId"] for r in page["Rotations"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    everything = kms.list_key_rotations(KeyId=key_arn)["Rotations"]
    assert seen == [r["KeyMaterialId"] for r in everything]
    assert len(seen) == 3


def test_it_lists_rotations_of_disabled_and_pending_deletion_keys(kms, key_arn):
    kms.rotate_key_on_demand(KeyId=key_arn)
    kms.disable_key(KeyId=key_arn)
    assert len(kms.list_key_rotations(KeyId=key_arn)["Rotations"]) == 1
    kms.schedule_key_deletion(KeyId=key_arn, PendingWindowInDays=7)
    assert len(kms.list_key_rotations(KeyId=key_arn)["Rotations"]) == 1


def test_it_refuses_to_list_rotations_of_an_asymmetric_key(kms, signing_key_arn):
    with pytest.raises(kms.exceptions.UnsupportedOperationException):
        kms.list_key_rotations(KeyId=signing_key_arn)


def test_it_lists_rotations_with_the_aws_cli(aws_cli, kms, key_arn):
    assert cli_json(aws_cli("kms", "rotate-key-on-demand", "--key-id", key_arn)) == {"KeyId": key_arn}
    listed = cli_json(aws_cli("kms", "list-key-rotations", "--key-id", key_arn))
    assert [r["RotationType"] for r in listed["Rotations"]] == ["ON_DEMAND"]
