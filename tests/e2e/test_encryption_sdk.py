"""The AWS Encryption SDK, unchanged, with its KMS master keys served by the live server.

``StrictAwsKmsMasterKeyProvider`` builds its own KMS clients from the botocore session it
is given (``boto3.session.Session(botocore_session=...).client("kms", region_name=...)``,
the region taken from the key ARN), so the session is pointed at the live server through
``AWS_ENDPOINT_URL``, exactly as a user would do it.
"""

from __future__ import annotations

import aws_encryption_sdk
import botocore.session
import pytest
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError, DecryptKeyError, MasterKeyProviderError
from aws_encryption_sdk.identifiers import CommitmentPolicy
from cryptography.exceptions import InvalidSignature, InvalidTag
from support import REGION

from kmsconsole.audit.models import Event

MESSAGE = b"Patient 4711: blood type AB-, allergic to penicillin." * 20
CONTEXT = {"purpose": "health-record", "tenant": "clinic-7"}


@pytest.fixture
def botocore_session(monkeypatch, endpoint, alice, tmp_path) -> botocore.session.Session:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", alice.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", alice.secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return botocore.session.Session()


@pytest.fixture
def sdk() -> aws_encryption_sdk.EncryptionSDKClient:
    return aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)


def provider_for(key_arn: str, session: botocore.session.Session) -> aws_encryption_sdk.StrictAwsKmsMasterKeyProvider:
    return aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[key_arn], botocore_session=session)


@pytest.fixture
def key_arn(kms) -> str:
    return kms.create_key(Description="Encryption SDK")["KeyMetadata"]["Arn"]


@pytest.fixture
def sealed(sdk, key_arn, botocore_session) -> bytes:
    ciphertext, _ = sdk.encrypt(
        source=MESSAGE, key_provider=provider_for(key_arn, botocore_session), encryption_context=CONTEXT
    )
    return ciphertext


def test_it_encrypts_and_decrypts_a_message_with_its_encryption_context(sdk, key_arn, botocore_session, sealed):
    plaintext, header = sdk.decrypt(source=sealed, key_provider=provider_for(key_arn, botocore_session))

    assert plaintext == MESSAGE
    assert MESSAGE[:32] not in sealed
    assert {name: header.encryption_context[name] for name in CONTEXT} == CONTEXT
    assert [key.key_provider.key_info.decode() for key in header.encrypted_data_keys] == [key_arn]


def test_the_sdk_called_kms_with_the_message_context(sdk, key_arn, botocore_session, sealed, orm):
    sdk.decrypt(source=sealed, key_provider=provider_for(key_arn, botocore_session))

    calls = {event.event_name: event.record for event in Event.objects.filter(key_arn=key_arn)}
    assert {"GenerateDataKey", "Decrypt"} <= set(calls)
    for name in ("GenerateDataKey", "Decrypt"):
        assert calls[name].get("errorCode") is None
        logged_context = calls[name]["requestParameters"]["encryptionContext"]
        assert {key: logged_context[key] for key in CONTEXT} == CONTEXT
        assert calls[name]["userAgent"].startswith("Boto3/")


def flip_byte(message: bytes, position: int) -> bytes:
    return message[:position] + bytes([message[position] ^ 0x01]) + message[position + 1 :]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("header", MasterKeyProviderError),  # the message id feeds the key commitment
        ("body", InvalidTag),
        ("signature", InvalidSignature),
    ],
)
def test_a_tampered_message_does_not_decrypt(sdk, key_arn, botocore_session, sealed, where, expected):
    position = {"header": 5, "body": len(sealed) // 2, "signature": len(sealed) - 1}[where]

    with pytest.raises(expected):
        sdk.decrypt(source=flip_byte(sealed, position), key_provider=provider_for(key_arn, botocore_session))


def test_a_tampered_data_key_is_refused_by_kms(sdk, key_arn, botocore_session, sealed, orm):
    # Past the provider info (the key ARN) and the 2-byte length lies KMS's ciphertext
    # blob; 60 bytes into it is its AES-GCM body.
    position = sealed.index(key_arn.encode()) + len(key_arn) + 2 + 60

    with pytest.raises(DecryptKeyError):
        sdk.decrypt(source=flip_byte(sealed, position), key_provider=provider_for(key_arn, botocore_session))
    refused = Event.objects.filter(key_arn=key_arn, event_name="Decrypt").order_by("-event_time", "-id").first()
    assert refused is not None
    assert refused.error_code == "InvalidCiphertextException"


def test_a_strict_provider_of_another_key_cannot_decrypt(sdk, kms, botocore_session, sealed):
    other_arn = kms.create_key()["KeyMetadata"]["Arn"]

    with pytest.raises(AWSEncryptionSDKClientError):
        sdk.decrypt(source=sealed, key_provider=provider_for(other_arn, botocore_session))


def test_a_disabled_key_stops_decryption(sdk, kms, key_arn, botocore_session, sealed):
    kms.disable_key(KeyId=key_arn)

    with pytest.raises(AWSEncryptionSDKClientError):
        sdk.decrypt(source=sealed, key_provider=provider_for(key_arn, botocore_session))
