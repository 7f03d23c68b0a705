"""DeriveSharedSecret through boto3 against a live server, checked against ECDH computed
client-side with pyca/cryptography, as the peer in a key agreement would."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

CURVES = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1, "ECC_NIST_P521": ec.SECP521R1}


def create_agreement_key(kms, spec="ECC_NIST_P256"):
    return kms.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]


def spki(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def error_of(raised):
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.mark.parametrize("spec", sorted(CURVES))
def test_it_derives_the_secret_the_peer_derives_on_its_side(kms, spec):
    key = create_agreement_key(kms, spec)
    peer = ec.generate_private_key(CURVES[spec]())
    result = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=spki(peer))
    kms_public_key = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert result["SharedSecret"] == peer.exchange(ec.ECDH(), kms_public_key)
    assert result["KeyId"] == key["Arn"]
    assert result["KeyAgreementAlgorithm"] == "ECDH"
    assert result["KeyOrigin"] == "AWS_KMS"


def test_two_kms_keys_agree_on_the_same_secret(kms):
    alice_key = create_agreement_key(kms)
    bob_key = create_agreement_key(kms)
    alice_public = kms.get_public_key(KeyId=alice_key["KeyId"])["PublicKey"]
    bob_public = kms.get_public_key(KeyId=bob_key["KeyId"])["PublicKey"]
    alice_secret = kms.derive_shared_secret(
        KeyId=alice_key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=bob_public
    )
    bob_secret = kms.derive_shared_secret(KeyId=bob_key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=alice_public)
    assert alice_secret["SharedSecret"] == bob_secret["SharedSecret"]


def test_it_refuses_a_peer_key_that_is_not_spki_on_the_same_curve_without_a_message(kms):
    key = create_agreement_key(kms, "ECC_NIST_P256")
    other_curve = spki(ec.generate_private_key(ec.SECP384R1()))
    for public_key in [b"not a public key", other_curve]:
        with pytest.raises(kms.exceptions.ClientError) as raised:
            kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=public_key)
        assert error_of(raised) == ("ValidationException", "")


def test_it_refuses_a_key_whose_usage_is_not_key_agreement(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    peer = spki(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    assert error_of(raised)[1] == f"{key['Arn']} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret."


def test_it_refuses_a_disabled_key(kms):
    key = create_agreement_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    peer = spki(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(kms.exceptions.DisabledException) as raised:
        kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    assert error_of(raised)[1] == f"{key['Arn']} is disabled."


def test_a_dry_run_checks_the_request_and_returns_no_secret(kms):
    key = create_agreement_key(kms)
    peer = spki(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(kms.exceptions.DryRunOperationException) as raised:
        kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer, DryRun=True)
    assert error_of(raised)[1] == "The request would have succeeded, but the DryRun option is set."


def test_it_refuses_an_attested_recipient_it_cannot_verify(kms):
    key = create_agreement_key(kms)
    peer = spki(ec.generate_private_key(ec.SECP256R1()))
    recipient = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": b"attestation"}
    with pytest.raises(kms.exceptions.UnsupportedOperationException) as raised:
        kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer, Recipient=recipient)
    assert "Recipient" in error_of(raised)[1]
