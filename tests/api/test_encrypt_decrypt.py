"""Encrypt and Decrypt through boto3 against a live server."""

import pytest


def test_it_round_trips_with_an_encryption_context(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"pin", EncryptionContext={"app": "a"})["CiphertextBlob"]
    result = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "a"})
    assert result["Plaintext"] == b"pin"
    assert result["KeyId"].endswith(key_id)
    assert result["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert len(result["KeyMaterialId"]) == 64


def test_it_refuses_a_changed_encryption_context(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"pin", EncryptionContext={"app": "a"})["CiphertextBlob"]
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "b"})


def test_it_names_the_wrong_key_with_incorrect_key_exception(kms):
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=first, Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(kms.exceptions.IncorrectKeyException) as raised:
        kms.decrypt(CiphertextBlob=blob, KeyId=second)
    assert "does not identify a CMK" in str(raised.value)


def test_it_refuses_plaintext_over_4096_bytes(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.encrypt(KeyId=key_id, Plaintext=b"x" * 4097)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096"
    )


def test_it_cannot_see_keys_of_another_workspace(kms, endpoint, charlie):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
    stranger = charlie.client("kms", endpoint)
    with pytest.raises(stranger.exceptions.NotFoundException):
        stranger.describe_key(KeyId=key_id)
    with pytest.raises(stranger.exceptions.ClientError) as raised:
        stranger.decrypt(CiphertextBlob=blob)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
