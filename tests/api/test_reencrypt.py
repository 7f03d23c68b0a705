"""ReEncrypt through boto3 against a live server."""

import pytest

SOURCE_CONTEXT = {"tenant": "acme"}
DESTINATION_CONTEXT = {"tenant": "acme", "level": "3A"}
DRY_RUN_TEXT = "The request would have succeeded, but the DryRun option is set."


def create_key(kms, spec="SYMMETRIC_DEFAULT", usage="ENCRYPT_DECRYPT"):
    return kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]


def error_of(raised):
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def encrypted(kms, key, plaintext=b"card 4111", context=SOURCE_CONTEXT):
    return kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext, EncryptionContext=context)["CiphertextBlob"]


def test_it_moves_a_ciphertext_to_another_key_and_context(kms):
    source, destination = create_key(kms), create_key(kms)
    result = kms.re_encrypt(
        CiphertextBlob=encrypted(kms, source),
        SourceEncryptionContext=SOURCE_CONTEXT,
        DestinationKeyId=destination["KeyId"],
        DestinationEncryptionContext=DESTINATION_CONTEXT,
    )
    assert result["SourceKeyId"] == source["Arn"]
    assert result["KeyId"] == destination["Arn"]
    assert result["SourceEncryptionAlgorithm"] == result["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert result["SourceKeyMaterialId"] == source["CurrentKeyMaterialId"]
    assert result["DestinationKeyMaterialId"] == destination["CurrentKeyMaterialId"]
    decrypted = kms.decrypt(CiphertextBlob=result["CiphertextBlob"], EncryptionContext=DESTINATION_CONTEXT)
    assert decrypted["Plaintext"] == b"card 4111"
    assert decrypted["KeyId"] == destination["Arn"]
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=result["CiphertextBlob"], EncryptionContext=SOURCE_CONTEXT)


def test_it_changes_only_the_context_when_source_and_destination_are_one_key(kms):
    key = create_key(kms)
    result = kms.re_encrypt(
        CiphertextBlob=encrypted(kms, key),
        SourceKeyId=key["Arn"],
        SourceEncryptionContext=SOURCE_CONTEXT,
        DestinationKeyId=key["KeyId"],
    )
    assert result["SourceKeyId"] == result["KeyId"] == key["Arn"]
    assert kms.decrypt(CiphertextBlob=result["CiphertextBlob"])["Plaintext"] == b"card 4111"


def test_it_refuses_the_wrong_source_context_with_an_empty_message(kms):
    source, destination = create_key(kms), create_key(kms)
    with pytest.raises(kms.exceptions.InvalidCiphertextException) as raised:
        kms.re_encrypt(
            CiphertextBlob=encrypted(kms, source),
            SourceEncryptionContext={"tenant": "other"},
            DestinationKeyId=destination["KeyId"],
        )
    assert error_of(raised) == ("InvalidCiphertextException", "")


def test_it_names_a_wrong_source_key_with_incorrect_key_exception(kms):
    source, other, destination = create_key(kms), create_key(kms), create_key(kms)
    with pytest.raises(kms.exceptions.IncorrectKeyException) as raised:
        kms.re_encrypt(
            CiphertextBlob=encrypted(kms, source),
            SourceKeyId=other["KeyId"],
            SourceEncryptionContext=SOURCE_CONTEXT,
            DestinationKeyId=destination["KeyId"],
        )
    assert error_of(raised)[1] == "The key ID in the request does not identify a CMK that can perform this operation."


def test_it_moves_ciphertext_between_rsa_and_symmetric_keys(kms):
    rsa_key = create_key(kms, "RSA_2048")
    symmetric_key = create_key(kms)
    rsa_blob = kms.encrypt(KeyId=rsa_key["KeyId"], Plaintext=b"pin", EncryptionAlgorithm="RSAES_OAEP_SHA_256")[
        "CiphertextBlob"
    ]
    to_symmetric = kms.re_encrypt(
        CiphertextBlob=rsa_blob,
        SourceKeyId=rsa_key["KeyId"],
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
        DestinationKeyId=symmetric_key["KeyId"],
    )
    assert to_symmetric["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert "SourceKeyMaterialId" not in to_symmetric
    assert to_symmetric["DestinationKeyMaterialId"] == symmetric_key["CurrentKeyMaterialId"]
    back_to_rsa = kms.re_encrypt(
        CiphertextBlob=to_symmetric["CiphertextBlob"],
        DestinationKeyId=rsa_key["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_1",
    )
    assert back_to_rsa["DestinationEncryptionAlgorithm"] == "RSAES_OAEP_SHA_1"
    assert "DestinationKeyMaterialId" not in back_to_rsa
    decrypted = kms.decrypt(
        CiphertextBlob=back_to_rsa["CiphertextBlob"], KeyId=rsa_key["KeyId"], EncryptionAlgorithm="RSAES_OAEP_SHA_1"
    )
    assert decrypted["Plaintext"] == b"pin"


def test_it_needs_the_key_and_algorithm_of_an_asymmetric_side(kms):
    rsa_key = create_key(kms, "RSA_2048")
    symmetric_key = create_key(kms)
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.re_encrypt(
            CiphertextBlob=b"x" * 256, SourceEncryptionAlgorithm="RSAES_OAEP_SHA_1", DestinationKeyId=rsa_key["KeyId"]
        )
    assert error_of(raised) == (
        "ValidationException",
        "SourceKeyId is required to decrypt with an asymmetric KMS key.",
    )
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.re_encrypt(
            CiphertextBlob=encrypted(kms, symmetric_key),
            SourceEncryptionContext=SOURCE_CONTEXT,
            DestinationKeyId=rsa_key["KeyId"],
        )
    assert error_of(raised) == (
        "ValidationException",
        "DestinationEncryptionAlgorithm is required for asymmetric KMS keys.",
    )


def test_it_refuses_a_disabled_destination_key(kms):
    source, destination = create_key(kms), create_key(kms)
    kms.disable_key(KeyId=destination["KeyId"])
    with pytest.raises(kms.exceptions.DisabledException) as raised:
        kms.re_encrypt(
            CiphertextBlob=encrypted(kms, source),
            SourceEncryptionContext=SOURCE_CONTEXT,
            DestinationKeyId=destination["KeyId"],
        )
    assert error_of(raised)[1] == f"{destination['Arn']} is disabled."


def test_it_refuses_a_disabled_source_key(kms):
    source, destination = create_key(kms), create_key(kms)
    blob = encrypted(kms, source)
    kms.disable_key(KeyId=source["KeyId"])
    with pytest.raises(kms.exceptions.DisabledException) as raised:
        kms.re_encrypt(
            CiphertextBlob=blob, SourceEncryptionContext=SOURCE_CONTEXT, DestinationKeyId=destination["KeyId"]
        )
    assert error_of(raised)[1] == f"{source['Arn']} is disabled."


def test_it_refuses_a_destination_key_that_cannot_encrypt(kms):
    source = create_key(kms)
    signing_key = create_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.re_encrypt(
            CiphertextBlob=encrypted(kms, source),
            SourceEncryptionContext=SOURCE_CONTEXT,
            DestinationKeyId=signing_key["KeyId"],
        )
    assert error_of(raised)[1] == f"{signing_key['Arn']} key usage is SIGN_VERIFY which is not valid for ReEncrypt."


def test_a_dry_run_checks_the_ciphertext_and_both_keys_and_returns_nothing(kms):
    source, destination = create_key(kms), create_key(kms)
    with pytest.raises(kms.exceptions.DryRunOperationException) as raised:
        kms.re_encrypt(
            CiphertextBlob=encrypted(kms, source),
            SourceEncryptionContext=SOURCE_CONTEXT,
            DestinationKeyId=destination["KeyId"],
            DryRun=True,
        )
    assert error_of(raised)[1] == DRY_RUN_TEXT
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.re_encrypt(CiphertextBlob=b"not a ciphertext" * 4, DestinationKeyId=destination["KeyId"], DryRun=True)


def test_a_dry_run_ignoring_the_ciphertext_checks_the_named_keys_only(kms):
    source, destination = create_key(kms), create_key(kms)
    garbage = b"not a ciphertext" * 4
    with pytest.raises(kms.exceptions.DryRunOperationException) as raised:
        kms.re_encrypt(
            CiphertextBlob=garbage,
            SourceKeyId=source["KeyId"],
            DestinationKeyId=destination["KeyId"],
            DryRun=True,
            DryRunModifiers=["IGNORE_CIPHERTEXT"],
        )
    assert error_of(raised)[1] == DRY_RUN_TEXT
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.re_encrypt(
            CiphertextBlob=garbage,
            DestinationKeyId=destination["KeyId"],
            DryRun=True,
            DryRunModifiers=["IGNORE_CIPHERTEXT"],
        )
    assert error_of(raised) == (
        "ValidationException",
        "SourceKeyId is required when DryRunModifiers includes IGNORE_CIPHERTEXT.",
    )
    kms.disable_key(KeyId=destination["KeyId"])
    with pytest.raises(kms.exceptions.DisabledException):
        kms.re_encrypt(
            CiphertextBlob=garbage,
            SourceKeyId=source["KeyId"],
            DestinationKeyId=destination["KeyId"],
            DryRun=True,
            DryRunModifiers=["IGNORE_CIPHERTEXT"],
        )


def test_decrypt_dry_run_can_ignore_the_ciphertext_too(kms):
    key = create_key(kms)
    for blob in [{"CiphertextBlob": b"not a ciphertext" * 4}, {}]:
        with pytest.raises(kms.exceptions.DryRunOperationException):
            kms.decrypt(KeyId=key["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"], **blob)


def test_the_ciphertext_is_required_unless_a_dry_run_ignores_it(kms):
    key = create_key(kms)
    missing = (
        "ValidationException",
        "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: "
        "Member must not be null",
    )
    for call in [
        lambda: kms.decrypt(KeyId=key["KeyId"]),
        lambda: kms.decrypt(KeyId=key["KeyId"], DryRun=True),
        lambda: kms.re_encrypt(DestinationKeyId="alias/does-not-exist"),
    ]:
        with pytest.raises(kms.exceptions.ClientError) as raised:
            call()
        assert error_of(raised) == missing
