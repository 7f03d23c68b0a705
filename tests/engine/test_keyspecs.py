"""The key spec table: usages, algorithm lists and the errors AWS gives for misuse."""

from __future__ import annotations

import pytest

from kmsconsole.engine import keyspecs
from kmsconsole.engine.enums import EncryptionAlgorithm, KeySpec, KeyUsage
from kmsconsole.engine.errors import (
    InvalidKeyUsageException,
    UnsupportedOperationException,
    ValidationException,
)

SUPPORTED_SPECS = [spec for spec in KeySpec if spec != KeySpec.SM2]
ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

RSA_SIGNING = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]

EXPECTED_LISTS = [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]}),
    ("RSA_2048", "ENCRYPT_DECRYPT", {"EncryptionAlgorithms": ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]}),
    ("RSA_3072", "ENCRYPT_DECRYPT", {"EncryptionAlgorithms": ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]}),
    ("RSA_4096", "ENCRYPT_DECRYPT", {"EncryptionAlgorithms": ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]}),
    ("RSA_2048", "SIGN_VERIFY", {"SigningAlgorithms": RSA_SIGNING}),
    ("RSA_3072", "SIGN_VERIFY", {"SigningAlgorithms": RSA_SIGNING}),
    ("RSA_4096", "SIGN_VERIFY", {"SigningAlgorithms": RSA_SIGNING}),
    ("ECC_NIST_P256", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_256"]}),
    ("ECC_NIST_P384", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_384"]}),
    ("ECC_NIST_P521", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_512"]}),
    ("ECC_NIST_P256", "KEY_AGREEMENT", {"KeyAgreementAlgorithms": ["ECDH"]}),
    ("ECC_NIST_P384", "KEY_AGREEMENT", {"KeyAgreementAlgorithms": ["ECDH"]}),
    ("ECC_NIST_P521", "KEY_AGREEMENT", {"KeyAgreementAlgorithms": ["ECDH"]}),
    ("ECC_SECG_P256K1", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_256"]}),
    ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY", {"SigningAlgorithms": ["ED25519_SHA_512", "ED25519_PH_SHA_512"]}),
    ("ML_DSA_44", "SIGN_VERIFY", {"SigningAlgorithms": ["ML_DSA_SHAKE_256"]}),
    ("ML_DSA_65", "SIGN_VERIFY", {"SigningAlgorithms": ["ML_DSA_SHAKE_256"]}),
    ("ML_DSA_87", "SIGN_VERIFY", {"SigningAlgorithms": ["ML_DSA_SHAKE_256"]}),
    ("HMAC_224", "GENERATE_VERIFY_MAC", {"MacAlgorithms": ["HMAC_SHA_224"]}),
    ("HMAC_256", "GENERATE_VERIFY_MAC", {"MacAlgorithms": ["HMAC_SHA_256"]}),
    ("HMAC_384", "GENERATE_VERIFY_MAC", {"MacAlgorithms": ["HMAC_SHA_384"]}),
    ("HMAC_512", "GENERATE_VERIFY_MAC", {"MacAlgorithms": ["HMAC_SHA_512"]}),
]


def test_symmetric_keys_default_to_encrypt_decrypt():
    assert keyspecs.check_spec_and_usage(KeySpec.SYMMETRIC_DEFAULT, None) == KeyUsage.ENCRYPT_DECRYPT


@pytest.mark.parametrize("spec", [s for s in SUPPORTED_SPECS if s != KeySpec.SYMMETRIC_DEFAULT])
def test_every_other_spec_needs_an_explicit_usage(spec):
    with pytest.raises(ValidationException) as caught:
        keyspecs.check_spec_and_usage(spec, None)
    assert caught.value.message == (
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
    )


@pytest.mark.parametrize(("spec", "usage"), [(s, u) for s in SUPPORTED_SPECS for u in KeyUsage])
def test_it_accepts_exactly_the_allowed_usages(spec, usage):
    if usage in keyspecs.ALLOWED_USAGES[spec]:
        assert keyspecs.check_spec_and_usage(spec, usage) == usage
    else:
        with pytest.raises(ValidationException) as caught:
            keyspecs.check_spec_and_usage(spec, usage)
        assert caught.value.message == f"KeyUsage {usage} is not compatible with KeySpec {spec}"


def test_it_words_a_bad_combination_as_aws_does():
    with pytest.raises(ValidationException) as caught:
        keyspecs.check_spec_and_usage(KeySpec.RSA_2048, KeyUsage.KEY_AGREEMENT)
    assert caught.value.message == "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048"


@pytest.mark.parametrize("usage", [None, KeyUsage.SIGN_VERIFY])
def test_sm2_is_not_supported_in_this_region(usage):
    with pytest.raises(UnsupportedOperationException) as caught:
        keyspecs.check_spec_and_usage(KeySpec.SM2, usage)
    assert caught.value.message == "KeySpec SM2 is not supported in this Region."


def test_the_usage_table_covers_every_supported_spec():
    assert set(keyspecs.ALLOWED_USAGES) == set(SUPPORTED_SPECS)


@pytest.mark.parametrize(("spec", "usage", "expected"), EXPECTED_LISTS)
def test_it_lists_the_algorithms_aws_lists(spec, usage, expected):
    assert keyspecs.algorithm_lists(KeySpec(spec), KeyUsage(usage)) == expected


def test_the_expected_lists_cover_every_allowed_combination():
    allowed = {(str(s), str(u)) for s, usages in keyspecs.ALLOWED_USAGES.items() for u in usages}
    assert {(spec, usage) for spec, usage, _ in EXPECTED_LISTS} == allowed


def test_algorithm_lists_refuse_a_bad_combination():
    with pytest.raises(ValidationException):
        keyspecs.algorithm_lists(KeySpec.HMAC_256, KeyUsage.SIGN_VERIFY)


@pytest.mark.parametrize("spec", SUPPORTED_SPECS + [KeySpec.SM2])
def test_customer_master_key_spec_exists_only_for_legacy_specs(spec):
    newer = {KeySpec.ML_DSA_44, KeySpec.ML_DSA_65, KeySpec.ML_DSA_87, KeySpec.ECC_NIST_EDWARDS25519}
    expected = None if spec in newer else str(spec)
    assert keyspecs.customer_master_key_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "usage", "operation"),
    [
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Encrypt"),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "GenerateDataKey"),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "GenerateDataKeyPairWithoutPlaintext"),
        ("RSA_2048", "ENCRYPT_DECRYPT", "Decrypt"),
        ("RSA_2048", "ENCRYPT_DECRYPT", "ReEncrypt"),
        ("RSA_2048", "SIGN_VERIFY", "Sign"),
        ("ML_DSA_44", "SIGN_VERIFY", "Verify"),
        ("HMAC_256", "GENERATE_VERIFY_MAC", "GenerateMac"),
        ("HMAC_512", "GENERATE_VERIFY_MAC", "VerifyMac"),
        ("ECC_NIST_P256", "KEY_AGREEMENT", "DeriveSharedSecret"),
    ],
)
def test_it_allows_an_operation_the_key_was_made_for(spec, usage, operation):
    keyspecs.require_usage(KeySpec(spec), KeyUsage(usage), ARN, operation)


@pytest.mark.parametrize(
    ("spec", "usage", "operation"),
    [
        ("RSA_2048", "SIGN_VERIFY", "Encrypt"),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Sign"),
        ("HMAC_256", "GENERATE_VERIFY_MAC", "Decrypt"),
        ("ECC_NIST_P256", "SIGN_VERIFY", "DeriveSharedSecret"),
        ("ECC_NIST_P256", "KEY_AGREEMENT", "Verify"),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "GenerateMac"),
    ],
)
def test_it_names_the_key_arn_and_usage_when_refusing_an_operation(spec, usage, operation):
    with pytest.raises(InvalidKeyUsageException) as caught:
        keyspecs.require_usage(KeySpec(spec), KeyUsage(usage), ARN, operation)
    assert caught.value.message == f"{ARN} key usage is {usage} which is not valid for {operation}."


def test_data_keys_need_a_symmetric_key():
    with pytest.raises(InvalidKeyUsageException) as caught:
        keyspecs.require_usage(KeySpec.RSA_2048, KeyUsage.ENCRYPT_DECRYPT, ARN, "GenerateDataKey")
    assert caught.value.message == f"{ARN} key KeySpec is RSA_2048 which is not valid for GenerateDataKey."


def test_it_refuses_a_mac_algorithm_of_another_size_with_aws_wording():
    with pytest.raises(InvalidKeyUsageException) as caught:
        keyspecs.require_algorithm(KeySpec.HMAC_224, KeyUsage.GENERATE_VERIFY_MAC, "HMAC_SHA_256")
    assert caught.value.message == "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."


def test_it_refuses_a_signing_algorithm_of_another_family():
    with pytest.raises(InvalidKeyUsageException) as caught:
        keyspecs.require_algorithm(KeySpec.ECC_NIST_P256, KeyUsage.SIGN_VERIFY, "RSASSA_PSS_SHA_256")
    assert caught.value.message == "Algorithm RSASSA_PSS_SHA_256 is incompatible with key spec ECC_NIST_P256."


def test_it_refuses_symmetric_default_on_an_rsa_key():
    with pytest.raises(InvalidKeyUsageException) as caught:
        keyspecs.require_algorithm(KeySpec.RSA_3072, KeyUsage.ENCRYPT_DECRYPT, "SYMMETRIC_DEFAULT")
    assert caught.value.message == "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_3072."


@pytest.mark.parametrize(("spec", "usage", "expected"), EXPECTED_LISTS)
def test_every_listed_algorithm_passes_require_algorithm(spec, usage, expected):
    for algorithm in next(iter(expected.values())):
        keyspecs.require_algorithm(KeySpec(spec), KeyUsage(usage), algorithm)


@pytest.mark.parametrize(
    ("spec", "sha1_limit", "sha256_limit"),
    [("RSA_2048", 214, 190), ("RSA_3072", 342, 318), ("RSA_4096", 470, 446)],
)
def test_rsa_plaintext_limits_match_the_developer_guide(spec, sha1_limit, sha256_limit):
    assert keyspecs.rsa_max_plaintext(KeySpec(spec), EncryptionAlgorithm.RSAES_OAEP_SHA_1) == sha1_limit
    assert keyspecs.rsa_max_plaintext(KeySpec(spec), EncryptionAlgorithm.RSAES_OAEP_SHA_256) == sha256_limit
