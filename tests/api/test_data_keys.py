"""GenerateDataKey*, GenerateDataKeyPair* and GenerateRandom through boto3 and the aws CLI
against a live server. Private data keys are checked with pyca/cryptography."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from support import cli_json

KEY_PAIR_SPECS = [
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "ECC_NIST_EDWARDS25519",
]
CONTEXT = {"bucket": "invoices"}
SPEC_OR_BYTES = "Please specify either number of bytes or key spec."


def create_key(kms):
    return kms.create_key()["KeyMetadata"]


def public_der(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def error_of(raised):
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.mark.parametrize(
    ("size", "length"),
    [
        ({"KeySpec": "AES_256"}, 32),
        ({"KeySpec": "AES_128"}, 16),
        ({"NumberOfBytes": 64}, 64),
        ({"NumberOfBytes": 1}, 1),
    ],
)
def test_generate_data_key_returns_a_key_that_decrypt_recovers(kms, size, length):
    key = create_key(kms)
    result = kms.generate_data_key(KeyId=key["KeyId"], EncryptionContext=CONTEXT, **size)
    assert len(result["Plaintext"]) == length
    assert result["KeyId"] == key["Arn"]
    assert result["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    decrypted = kms.decrypt(CiphertextBlob=result["CiphertextBlob"], EncryptionContext=CONTEXT)
    assert decrypted["Plaintext"] == result["Plaintext"]


def test_the_data_key_is_bound_to_its_encryption_context(kms):
    key = create_key(kms)
    blob = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext=CONTEXT)["CiphertextBlob"]
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=blob)


def test_generate_data_key_without_plaintext_returns_only_the_sealed_key(kms):
    key = create_key(kms)
    result = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_128", EncryptionContext=CONTEXT)
    assert "Plaintext" not in result
    assert result["KeyId"] == key["Arn"]
    assert result["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    assert len(kms.decrypt(CiphertextBlob=result["CiphertextBlob"], EncryptionContext=CONTEXT)["Plaintext"]) == 16


@pytest.mark.parametrize("size", [{}, {"KeySpec": "AES_256", "NumberOfBytes": 32}])
def test_it_needs_exactly_one_of_key_spec_and_number_of_bytes_before_looking_at_the_key(kms, size):
    key = create_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    for generate in [kms.generate_data_key, kms.generate_data_key_without_plaintext]:
        with pytest.raises(kms.exceptions.ClientError) as raised:
            generate(KeyId=key["KeyId"], **size)
        assert error_of(raised) == ("ValidationException", SPEC_OR_BYTES)


def test_it_refuses_more_than_1024_bytes(kms):
    key = create_key(kms)
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=1025)
    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
        "Member must have value less than or equal to 1024",
    )


def test_it_refuses_keys_that_are_not_symmetric_encryption_keys(kms):
    hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.generate_data_key(KeyId=hmac_key["KeyId"], KeySpec="AES_256")
    assert error_of(raised)[1] == (
        f"{hmac_key['Arn']} key usage is GENERATE_VERIFY_MAC which is not valid for GenerateDataKey."
    )
    rsa_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    with pytest.raises(kms.exceptions.InvalidKeyUsageException):
        kms.generate_data_key_pair(KeyId=rsa_key["KeyId"], KeyPairSpec="ECC_NIST_P256")


def test_it_refuses_a_disabled_key(kms):
    key = create_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    for generate in [
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
        lambda: kms.generate_data_key_pair_without_plaintext(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256"),
    ]:
        with pytest.raises(kms.exceptions.DisabledException) as raised:
            generate()
        assert error_of(raised)[1] == f"{key['Arn']} is disabled."


def test_a_dry_run_checks_the_request_and_returns_no_key(kms):
    key = create_key(kms)
    for generate in [
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", DryRun=True),
        lambda: kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=8, DryRun=True),
        lambda: kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256", DryRun=True),
        lambda: kms.generate_data_key_pair_without_plaintext(KeyId=key["KeyId"], KeyPairSpec="RSA_2048", DryRun=True),
    ]:
        with pytest.raises(kms.exceptions.DryRunOperationException) as raised:
            generate()
        assert error_of(raised)[1] == "The request would have succeeded, but the DryRun option is set."


def test_it_refuses_an_attested_recipient_it_cannot_verify(kms):
    key = create_key(kms)
    recipient = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": b"attestation"}
    for generate in [
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", Recipient=recipient),
        lambda: kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256", Recipient=recipient),
        lambda: kms.generate_random(NumberOfBytes=16, Recipient=recipient),
        lambda: kms.decrypt(
            CiphertextBlob=kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"], Recipient=recipient
        ),
    ]:
        with pytest.raises(kms.exceptions.UnsupportedOperationException) as raised:
            generate()
        assert "Recipient" in error_of(raised)[1]


@pytest.mark.parametrize("pair_spec", KEY_PAIR_SPECS)
def test_generate_data_key_pair_seals_a_private_key_matching_the_public_key(kms, pair_spec):
    key = create_key(kms)
    result = kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec=pair_spec, EncryptionContext=CONTEXT)
    assert result["KeyId"] == key["Arn"]
    assert result["KeyPairSpec"] == pair_spec
    assert result["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    unsealed = kms.decrypt(CiphertextBlob=result["PrivateKeyCiphertextBlob"], EncryptionContext=CONTEXT)["Plaintext"]
    assert unsealed == result["PrivateKeyPlaintext"]
    private_key = serialization.load_der_private_key(unsealed, password=None)
    assert public_der(private_key) == result["PublicKey"]


def test_generate_data_key_pair_without_plaintext_returns_no_private_key(kms):
    key = create_key(kms)
    result = kms.generate_data_key_pair_without_plaintext(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256")
    assert "PrivateKeyPlaintext" not in result
    assert result["KeyPairSpec"] == "ECC_NIST_P256"
    assert result["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    unsealed = kms.decrypt(CiphertextBlob=result["PrivateKeyCiphertextBlob"])["Plaintext"]
    assert public_der(serialization.load_der_private_key(unsealed, password=None)) == result["PublicKey"]


def test_it_refuses_sm2_data_key_pairs_outside_china(kms):
    key = create_key(kms)
    with pytest.raises(kms.exceptions.UnsupportedOperationException):
        kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec="SM2")


def test_generate_random_returns_the_requested_number_of_bytes(kms):
    first = kms.generate_random(NumberOfBytes=1024)["Plaintext"]
    assert len(first) == 1024
    assert first != kms.generate_random(NumberOfBytes=1024)["Plaintext"]
    assert len(kms.generate_random(NumberOfBytes=1)["Plaintext"]) == 1


def test_generate_random_requires_number_of_bytes(kms):
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.generate_random()
    assert error_of(raised) == ("ValidationException", "NumberOfBytes is required.")
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.generate_random(NumberOfBytes=1025)
    assert error_of(raised)[1].endswith("Member must have value less than or equal to 1024")


def test_generate_random_refuses_a_custom_key_store(kms):
    with pytest.raises(kms.exceptions.UnsupportedOperationException):
        kms.generate_random(NumberOfBytes=16, CustomKeyStoreId="cks-1234567890abcdef0")


def test_the_guides_cli_steps_recover_the_data_key(kms, aws_cli, tmp_path):
    key_id = create_key(kms)["KeyId"]
    generated = cli_json(
        aws_cli(f"aws kms generate-data-key --key-id {key_id} --key-spec AES_256 --output json", shell=True)
    )
    (tmp_path / "encrypted_datakey.bin").write_bytes(base64.b64decode(generated["CiphertextBlob"]))
    decrypted = aws_cli(
        "aws kms decrypt --ciphertext-blob fileb://encrypted_datakey.bin --query Plaintext --output text "
        "| base64 --decode > decrypted_datakey.bin",
        shell=True,
    )
    assert decrypted.returncode == 0, decrypted.stderr
    plaintext = base64.b64decode(generated["Plaintext"])
    assert len(plaintext) == 32
    assert (tmp_path / "decrypted_datakey.bin").read_bytes() == plaintext
