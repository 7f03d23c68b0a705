"""The audit trail: every KMS call, allowed, denied or failed, leaves exactly one
CloudTrail-shaped event, findable by the request id the client saw, and no event ever
holds plaintext, data keys or ciphertext."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support import REGION

from kmsconsole.audit.lookup import event_record, list_events
from kmsconsole.audit.models import Event

UNKNOWN_KEY_ID = "0b7f0b46-4f0c-4d39-9a34-2f0bdf5b1e11"


def request_id_of(outcome: dict[str, Any] | ClientError) -> str:
    response = outcome.response if isinstance(outcome, ClientError) else outcome
    return response["ResponseMetadata"]["RequestId"]


def the_event_of(outcome: dict[str, Any] | ClientError) -> Event:
    """The one event recorded for the call that produced ``outcome``."""
    events = list(Event.objects.filter(record__requestID=request_id_of(outcome)))
    assert len(events) == 1, [e.record for e in events]
    return events[0]


def failure_of(call: Any, **members: Any) -> ClientError:
    with pytest.raises(ClientError) as raised:
        call(**members)
    return raised.value


def assert_cloudtrail_envelope(record: dict[str, Any], *, event_name: str, identity: Any, read_only: bool) -> None:
    """The members every KMS management event has, as CloudTrail writes them."""
    assert record["eventVersion"] == "1.08"
    event_time = datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - event_time) < timedelta(minutes=1)
    assert record["eventSource"] == "kms.amazonaws.com"
    assert record["eventName"] == event_name
    assert record["awsRegion"] == REGION
    assert record["userIdentity"]["type"] == "IAMUser"
    assert record["userIdentity"]["arn"] == identity.arn
    assert record["userIdentity"]["accountId"] == identity.account_id
    assert record["userIdentity"]["accessKeyId"] == identity.access_key_id
    assert record["userIdentity"]["userName"] == "admin"
    assert record["userIdentity"]["principalId"].startswith("AIDA")
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["userAgent"].startswith("Boto3/")
    uuid.UUID(record["eventID"])
    assert record["readOnly"] is read_only
    assert record["eventType"] == "AwsApiCall"
    assert record["recipientAccountId"] == identity.account_id
    assert record["managementEvent"] is True
    assert record["eventCategory"] == "Management"


# ---------------------------------------------------------------- allowed calls


def test_create_key_leaves_one_event_with_its_metadata(kms, alice, orm):
    response = kms.create_key(Description="payroll", Tags=[{"TagKey": "team", "TagValue": "hr"}])
    metadata = response["KeyMetadata"]
    event = the_event_of(response)
    record = event.record
    assert_cloudtrail_envelope(record, event_name="CreateKey", identity=alice, read_only=False)
    assert record["requestParameters"]["description"] == "payroll"
    assert record["requestParameters"]["tags"] == [{"tagKey": "team", "tagValue": "hr"}]
    logged = record["responseElements"]["keyMetadata"]
    assert logged["AWSAccountId"] == alice.account_id
    assert logged["keyId"] == metadata["KeyId"]
    assert logged["arn"] == metadata["Arn"]
    assert logged["keyState"] == "Enabled"
    assert datetime.strptime(logged["creationDate"], "%b %d, %Y, %I:%M:%S %p")
    assert record["resources"] == [{"accountId": alice.account_id, "type": "AWS::KMS::Key", "ARN": metadata["Arn"]}]
    assert "errorCode" not in record and "errorMessage" not in record
    assert (event.event_name, event.key_arn, event.error_code) == ("CreateKey", metadata["Arn"], "")


@pytest.mark.parametrize("operation", ["Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"])
def test_cryptographic_calls_log_their_parameters_but_no_response_or_secret(kms, alice, orm, operation):
    key = kms.create_key()["KeyMetadata"]
    context = {"department": "payroll"}
    plaintext = os.urandom(40)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext, EncryptionContext=context)["CiphertextBlob"]
    calls = {
        "Encrypt": lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext, EncryptionContext=context),
        "Decrypt": lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext=context),
        "GenerateDataKey": lambda: kms.generate_data_key(
            KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext=context
        ),
        "GenerateDataKeyWithoutPlaintext": lambda: kms.generate_data_key_without_plaintext(
            KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext=context
        ),
    }
    record = the_event_of(calls[operation]()).record
    assert_cloudtrail_envelope(record, event_name=operation, identity=alice, read_only=True)
    parameters = record["requestParameters"]
    assert parameters["encryptionContext"] == context
    assert not {"plaintext", "ciphertextBlob"} & set(parameters)
    if operation == "Decrypt":
        # The caller named no key; CloudTrail names the one that decrypted, and the algorithm.
        assert parameters["keyId"] == key["Arn"]
        assert parameters["encryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    else:
        assert parameters["keyId"] == key["KeyId"]
    assert record["responseElements"] is None
    assert record["resources"] == [{"accountId": alice.account_id, "type": "AWS::KMS::Key", "ARN": key["Arn"]}]


def test_read_calls_are_marked_read_only(kms, alice, orm):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    described = kms.describe_key(KeyId=key_id)
    listed = kms.list_keys()
    assert_cloudtrail_envelope(the_event_of(described).record, event_name="DescribeKey", identity=alice, read_only=True)
    assert_cloudtrail_envelope(the_event_of(listed).record, event_name="ListKeys", identity=alice, read_only=True)


def test_the_request_id_in_the_event_is_the_one_the_client_saw(kms, orm):
    response = kms.list_keys()
    header = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert the_event_of(response).record["requestID"] == header == request_id_of(response)


# ---------------------------------------------------------------- denied and failed calls


def test_a_cross_account_denial_leaves_one_event_naming_the_caller_and_the_key(kms, kms_b, bob, orm):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    error = failure_of(kms_b.encrypt, KeyId=key_arn, Plaintext=b"not for bob")
    assert error.response["Error"]["Code"] == "AccessDeniedException"
    event = the_event_of(error)
    record = event.record
    assert_cloudtrail_envelope(record, event_name="Encrypt", identity=bob, read_only=True)
    assert record["errorCode"] == "AccessDeniedException"
    assert record["errorMessage"] == error.response["Error"]["Message"]
    assert record["errorMessage"].startswith(f"User: {bob.arn} is not authorized to perform: kms:Encrypt")
    assert record["requestParameters"] == {"keyId": key_arn}
    assert record["responseElements"] is None
    assert {"accountId": key_arn.split(":")[4], "type": "AWS::KMS::Key", "ARN": key_arn} in record["resources"]
    assert (event.error_code, event.principal_arn) == ("AccessDeniedException", bob.arn)


def test_a_missing_key_leaves_one_event_with_not_found(kms, alice, orm):
    error = failure_of(kms.describe_key, KeyId=UNKNOWN_KEY_ID)
    record = the_event_of(error).record
    assert_cloudtrail_envelope(record, event_name="DescribeKey", identity=alice, read_only=True)
    assert record["errorCode"] == "NotFoundException"
    key_arn = f"arn:aws:kms:{REGION}:{alice.account_id}:key/{UNKNOWN_KEY_ID}"
    assert record["errorMessage"] == f"Key '{key_arn}' does not exist"
    assert record["errorMessage"] == error.response["Error"]["Message"]
    assert record["requestParameters"] == {"keyId": UNKNOWN_KEY_ID}
    assert record["responseElements"] is None
    assert record["resources"] == []


def test_a_validation_failure_leaves_one_event_without_the_plaintext(kms, alice, orm):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = os.urandom(4097)
    error = failure_of(kms.encrypt, KeyId=key_id, Plaintext=plaintext)
    record = the_event_of(error).record
    assert_cloudtrail_envelope(record, event_name="Encrypt", identity=alice, read_only=True)
    assert record["errorCode"] == "ValidationException"
    assert record["errorMessage"] == error.response["Error"]["Message"]
    assert record["requestParameters"] == {"keyId": key_id}
    assert base64.b64encode(plaintext).decode()[:64] not in json.dumps(record)


def test_a_call_leaves_exactly_one_event_in_the_workspace(kms, workspace, orm):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    calls = [
        lambda: kms.describe_key(KeyId=key_id),
        lambda: kms.describe_key(KeyId=UNKNOWN_KEY_ID),
        lambda: kms.encrypt(KeyId=key_id, Plaintext=b""),
        lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=3),
    ]
    for call in calls:
        before = Event.objects.filter(workspace=workspace.workspace).count()
        with contextlib.suppress(ClientError):
            call()
        assert Event.objects.filter(workspace=workspace.workspace).count() == before + 1


# ---------------------------------------------------------------- secrets


def test_no_event_anywhere_holds_plaintext_data_keys_or_ciphertext(kms, orm):
    marker = f"hunter2-{uuid.uuid4()}".encode()
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    secrets: list[bytes] = [marker]

    plaintext = marker + os.urandom(32)
    blob = kms.encrypt(KeyId=symmetric, Plaintext=plaintext, EncryptionContext={"a": "b"})["CiphertextBlob"]
    secrets += [plaintext, blob, kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"]]
    data_key = kms.generate_data_key(KeyId=symmetric, KeySpec="AES_256")
    secrets += [data_key["Plaintext"], data_key["CiphertextBlob"]]
    secrets.append(kms.generate_data_key_without_plaintext(KeyId=symmetric, NumberOfBytes=48)["CiphertextBlob"])
    re_encrypted = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "b"}, DestinationKeyId=other)
    secrets.append(re_encrypted["CiphertextBlob"])
    secrets.append(kms.generate_random(NumberOfBytes=64)["Plaintext"])
    pair = kms.generate_data_key_pair(KeyId=symmetric, KeyPairSpec="ECC_NIST_P256")
    secrets += [pair["PrivateKeyPlaintext"], pair["PrivateKeyCiphertextBlob"]]
    message = marker + b"-message"
    secrets.append(kms.generate_mac(KeyId=hmac_key, MacAlgorithm="HMAC_SHA_256", Message=message)["Mac"])
    secrets.append(kms.sign(KeyId=signing, SigningAlgorithm="ECDSA_SHA_256", Message=message)["Signature"])
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    secrets.append(tampered)
    failure_of(kms.decrypt, CiphertextBlob=tampered, EncryptionContext={"a": "b"})
    failure_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext={"a": "c"})
    too_long = marker + os.urandom(4096)
    secrets.append(too_long)
    failure_of(kms.encrypt, KeyId=symmetric, Plaintext=too_long)

    dump = json.dumps([[event.record, event.trace] for event in Event.objects.all()])
    for secret in secrets:
        for form in (base64.b64encode(secret).decode(), secret.hex(), secret.hex().upper()):
            assert form[:40] not in dump
    assert marker.decode() not in dump


# ---------------------------------------------------------------- lookup


@pytest.fixture
def trail(kms, kms_b, workspace, orm) -> dict[str, Any]:
    """A small audit trail: alice's calls (one failing) and one denied call of bob's."""
    key = kms.create_key()["KeyMetadata"]
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    failure_of(kms.describe_key, KeyId=UNKNOWN_KEY_ID)
    kms.describe_key(KeyId=key["KeyId"])
    failure_of(kms_b.describe_key, KeyId=key["Arn"])
    kms.list_keys()
    return {"workspace": workspace.workspace, "key": key}


def names(events: list[Event]) -> list[str]:
    return [event.event_name for event in events]


def test_lookup_lists_a_workspace_newest_first(trail):
    events = list_events(trail["workspace"])
    assert names(events) == ["ListKeys", "DescribeKey", "DescribeKey", "DescribeKey", "Encrypt", "CreateKey"]
    assert [(e.event_time, e.id) for e in events] == sorted(((e.event_time, e.id) for e in events), reverse=True)


def test_lookup_filters_by_name_key_error_and_kind(trail, alice, bob):
    workspace, key_arn = trail["workspace"], trail["key"]["Arn"]
    assert names(list_events(workspace, event_name="Encrypt")) == ["Encrypt"]
    assert names(list_events(workspace, key_arn=key_arn)) == ["DescribeKey", "DescribeKey", "Encrypt", "CreateKey"]
    assert [e.error_code for e in list_events(workspace, only_errors=True)] == [
        "AccessDeniedException",
        "NotFoundException",
    ]
    assert len(list_events(workspace, error_code="NotFoundException")) == 1
    assert names(list_events(workspace, read_only=False)) == ["CreateKey"]
    assert len(list_events(workspace, read_only=True)) == 5
    assert [e.principal_arn for e in list_events(workspace, principal_arn=bob.arn)] == [bob.arn]
    assert len(list_events(workspace, principal_arn=alice.arn)) == 5
    assert len(list_events(workspace, username="admin")) == 6
    assert list_events(workspace, username="nobody") == []


def test_lookup_pages_by_keyset_without_gaps_or_repeats(trail):
    workspace = trail["workspace"]
    everything = list_events(workspace)
    pages: list[Event] = []
    before_id = None
    while True:
        page = list_events(workspace, limit=4, before_id=before_id)
        if not page:
            break
        assert len(page) <= 4
        pages += page
        before_id = page[-1].id
    assert [e.id for e in pages] == [e.id for e in everything]
    assert list_events(workspace, before_id=everything[-1].id) == []


def test_lookup_time_bounds_are_inclusive(trail):
    workspace = trail["workspace"]
    everything = list_events(workspace)
    middle = everything[2].event_time
    assert all(e.event_time >= middle for e in list_events(workspace, start=middle))
    assert everything[2] in list_events(workspace, start=middle)
    assert everything[2] in list_events(workspace, end=middle)
    assert all(e.event_time <= middle for e in list_events(workspace, end=middle))
    assert list_events(workspace, start=middle + timedelta(days=1)) == []


def test_lookup_sees_one_workspace_only(trail, endpoint, charlie):
    stranger = charlie.client("kms", endpoint)
    stranger.list_keys()
    stranger_event = Event.objects.get(principal_arn=charlie.arn)
    assert stranger_event not in list_events(trail["workspace"], limit=1000)
    assert list_events(trail["workspace"], before_id=stranger_event.id) == []


def test_event_record_is_the_cloudtrail_json_as_a_copy(trail):
    event = list_events(trail["workspace"], event_name="Encrypt")[0]
    record = event_record(event)
    assert record == event.record
    assert json.loads(json.dumps(record)) == record
    record["userIdentity"]["arn"] = "changed"
    assert event.record["userIdentity"]["arn"] != "changed"


def test_lookup_refuses_a_limit_below_one(trail):
    with pytest.raises(ValueError):
        list_events(trail["workspace"], limit=0)


def test_encryption_context_keys_are_logged_as_sent(kms, workspace, orm):
    from kmsconsole.audit.models import Event

    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"Department": "Finance", "costCenter": "7"})
    event = Event.objects.filter(workspace=workspace.workspace, event_name="Encrypt").latest("id")
    assert event.record["requestParameters"]["encryptionContext"] == {"Department": "Finance", "costCenter": "7"}
