"""GetKeyLastUsage through boto3: the last successful cryptographic use, from the audit trail."""

import uuid

import pytest

from kmsconsole.audit.models import Event


def last_usage(kms, key_id):
    return kms.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]


def test_an_unused_key_reports_no_usage_since_its_creation(kms):
    metadata = kms.create_key()["KeyMetadata"]
    answer = kms.get_key_last_usage(KeyId=metadata["Arn"])
    assert answer["KeyId"] == metadata["KeyId"]
    assert answer["KeyLastUsage"] == {}
    assert answer["KeyCreationDate"] == metadata["CreationDate"]
    assert answer["TrackingStartDate"] == metadata["CreationDate"]


def test_it_reports_the_latest_successful_cryptographic_operation(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    encrypted = kms.encrypt(KeyId=key_id, Plaintext=b"pin")
    usage = last_usage(kms, key_id)
    assert usage["Operation"] == "Encrypt"
    assert usage["KmsRequestId"] == encrypted["ResponseMetadata"]["RequestId"]
    assert uuid.UUID(usage["CloudTrailEventId"])
    decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])
    later = last_usage(kms, key_id)
    assert later["Operation"] == "Decrypt"
    assert later["KmsRequestId"] == decrypted["ResponseMetadata"]["RequestId"]
    assert later["Timestamp"] >= usage["Timestamp"]


def test_the_event_id_is_the_cloudtrail_event_of_that_call(kms, orm):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"pin")
    usage = last_usage(kms, key_id)
    event = Event.objects.get(event_id=usage["CloudTrailEventId"])
    assert (event.event_name, event.record["requestID"]) == ("Encrypt", usage["KmsRequestId"])


def test_failed_calls_and_management_calls_do_not_count(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"pin", EncryptionContext={"app": "a"})["CiphertextBlob"]
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "b"})
    kms.describe_key(KeyId=key_id)
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "Team", "TagValue": "red"}])
    kms.get_key_last_usage(KeyId=key_id)
    kms.disable_key(KeyId=key_id)
    with pytest.raises(kms.exceptions.DisabledException):
        kms.encrypt(KeyId=key_id, Plaintext=b"pin")
    assert last_usage(kms, key_id)["Operation"] == "Encrypt"


def test_use_of_one_key_is_not_use_of_another(kms):
    used = kms.create_key()["KeyMetadata"]["KeyId"]
    idle = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=used, Plaintext=b"pin")
    assert last_usage(kms, idle) == {}


def test_a_reencrypt_counts_for_both_of_its_keys(kms):
    source = kms.create_key()["KeyMetadata"]["KeyId"]
    destination = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=source, Plaintext=b"pin")["CiphertextBlob"]
    kms.encrypt(KeyId=destination, Plaintext=b"earlier use")
    reencrypted = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination)
    from_source, to_destination = last_usage(kms, source), last_usage(kms, destination)
    assert from_source == to_destination
    assert from_source["Operation"] == "ReEncrypt"
    assert from_source["KmsRequestId"] == reencrypted["ResponseMetadata"]["RequestId"]


def test_it_answers_for_keys_in_any_state_and_for_aws_managed_keys(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"pin")
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert last_usage(kms, key_id)["Operation"] == "Encrypt"
    managed_id = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    assert kms.get_key_last_usage(KeyId=managed_id)["KeyId"] == managed_id


def test_a_stranger_cannot_ask_about_the_key(kms, endpoint, charlie):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    stranger = charlie.client("kms", endpoint)
    with pytest.raises(stranger.exceptions.NotFoundException) as raised:
        stranger.get_key_last_usage(KeyId=arn)
    assert raised.value.response["Error"]["Message"] == f"Key '{arn}' does not exist"
