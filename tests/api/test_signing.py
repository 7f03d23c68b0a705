"""Sign, Verify and GetPublicKey through boto3 and the aws CLI against a live server.

Signatures are also checked offline with pyca/cryptography and the public key from
GetPublicKey, as a client verifying a KMS signature outside KMS would.
"""

import hashlib
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from support import cli_json

MESSAGE = b"transfer 100 credits to account 42"

HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}
RSA_ALGORITHMS = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]
ECDSA_KEYS = [
    ("ECC_NIST_P256", "ECDSA_SHA_256"),
    ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
]


def create_key(kms, spec, usage="SIGN_VERIFY"):
    return kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]


def error_of(raised):
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def public_key_of(kms, key_id):
    return serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])


def hash_of(algorithm):
    return HASHES[algorithm[-7:]]()


def verify_rsa_offline(public_key, algorithm, signature, message, *, prehashed=False):
    chosen = hash_of(algorithm)
    if algorithm.startswith("RSASSA_PSS"):
        scheme = padding.PSS(mgf=padding.MGF1(hash_of(algorithm)), salt_length=chosen.digest_size)
    else:
        scheme = padding.PKCS1v15()
    public_key.verify(signature, message, scheme, Prehashed(chosen) if prehashed else chosen)


def test_it_signs_with_every_rsa_algorithm_and_the_signatures_verify_offline(kms):
    key = create_key(kms, "RSA_2048")
    public_key = public_key_of(kms, key["KeyId"])
    assert isinstance(public_key, rsa.RSAPublicKey)
    for algorithm in RSA_ALGORITHMS:
        signed = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm=algorithm)
        assert signed["KeyId"] == key["Arn"]
        assert signed["SigningAlgorithm"] == algorithm
        verify_rsa_offline(public_key, algorithm, signed["Signature"], MESSAGE)
        verified = kms.verify(
            KeyId=key["KeyId"], Message=MESSAGE, Signature=signed["Signature"], SigningAlgorithm=algorithm
        )
        assert verified["SignatureValid"] is True
        assert verified["KeyId"] == key["Arn"]
        assert verified["SigningAlgorithm"] == algorithm


def test_it_signs_rsa_digests_with_a_salt_as_long_as_the_digest(kms):
    key = create_key(kms, "RSA_3072")
    public_key = public_key_of(kms, key["KeyId"])
    for algorithm in RSA_ALGORITHMS:
        digest_hash = hashes.Hash(hash_of(algorithm))
        digest_hash.update(MESSAGE)
        digest = digest_hash.finalize()
        signature = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm)[
            "Signature"
        ]
        verify_rsa_offline(public_key, algorithm, signature, digest, prehashed=True)
        verify_rsa_offline(public_key, algorithm, signature, MESSAGE)
        assert kms.verify(
            KeyId=key["KeyId"], Message=MESSAGE, Signature=signature, SigningAlgorithm=algorithm, MessageType="RAW"
        )["SignatureValid"]


@pytest.mark.parametrize(("spec", "algorithm"), ECDSA_KEYS)
def test_it_signs_with_ecdsa_raw_and_digest_and_the_signatures_verify_offline(kms, spec, algorithm):
    key = create_key(kms, spec)
    public_key = public_key_of(kms, key["KeyId"])
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    raw = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm=algorithm)["Signature"]
    public_key.verify(raw, MESSAGE, ec.ECDSA(hash_of(algorithm)))
    digest = hashlib.new(hash_of(algorithm).name, MESSAGE).digest()
    from_digest = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm)
    public_key.verify(from_digest["Signature"], MESSAGE, ec.ECDSA(hash_of(algorithm)))
    assert kms.verify(
        KeyId=key["KeyId"],
        Message=digest,
        MessageType="DIGEST",
        Signature=from_digest["Signature"],
        SigningAlgorithm=algorithm,
    )["SignatureValid"]


def test_it_signs_with_ed25519_and_the_signature_verifies_offline(kms):
    key = create_key(kms, "ECC_NIST_EDWARDS25519")
    public_key = public_key_of(kms, key["KeyId"])
    assert isinstance(public_key, ed25519.Ed25519PublicKey)
    signature = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="ED25519_SHA_512")["Signature"]
    public_key.verify(signature, MESSAGE)
    assert kms.verify(KeyId=key["KeyId"], Message=MESSAGE, Signature=signature, SigningAlgorithm="ED25519_SHA_512")[
        "SignatureValid"
    ]


def test_it_refuses_ed25519ph_which_kmsconsole_cannot_compute(kms):
    key = create_key(kms, "ECC_NIST_EDWARDS25519")
    digest = hashlib.sha512(MESSAGE).digest()
    with pytest.raises(kms.exceptions.UnsupportedOperationException):
        kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512")


@pytest.mark.parametrize("spec", ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"])
def test_it_signs_with_ml_dsa_and_the_signature_verifies_offline(kms, spec):
    key = create_key(kms, spec)
    public_key = public_key_of(kms, key["KeyId"])
    assert isinstance(public_key, mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey)
    signature = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    public_key.verify(signature, MESSAGE)
    assert kms.verify(KeyId=key["KeyId"], Message=MESSAGE, Signature=signature, SigningAlgorithm="ML_DSA_SHAKE_256")[
        "SignatureValid"
    ]


def test_it_raises_for_a_bad_signature_instead_of_answering_false(kms):
    key = create_key(kms, "ECC_NIST_P256")
    signature = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    for message, bad_signature in [(b"another message", signature), (MESSAGE, signature[:-1] + b"\x00")]:
        with pytest.raises(kms.exceptions.KMSInvalidSignatureException) as raised:
            kms.verify(KeyId=key["KeyId"], Message=message, Signature=bad_signature, SigningAlgorithm="ECDSA_SHA_256")
        assert error_of(raised) == ("KMSInvalidSignatureException", "")


def test_it_refuses_a_digest_of_the_wrong_length(kms):
    key = create_key(kms, "ECC_NIST_P256")
    for operation, extra in [(kms.sign, {}), (kms.verify, {"Signature": b"not-a-signature"})]:
        with pytest.raises(kms.exceptions.ClientError) as raised:
            operation(
                KeyId=key["KeyId"],
                Message=hashlib.sha384(MESSAGE).digest(),
                MessageType="DIGEST",
                SigningAlgorithm="ECDSA_SHA_256",
                **extra,
            )
        assert error_of(raised) == ("ValidationException", "Digest is invalid length for algorithm ECDSA_SHA_256.")


def test_it_refuses_an_algorithm_the_key_spec_does_not_offer(kms):
    key = create_key(kms, "ECC_NIST_P256")
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_384")
    assert error_of(raised)[1] == "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256."


def test_it_refuses_keys_whose_usage_is_not_sign_verify(kms):
    encryption_key = kms.create_key()["KeyMetadata"]
    signing_key = create_key(kms, "RSA_2048")
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.sign(KeyId=encryption_key["KeyId"], Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(raised)[1] == f"{encryption_key['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for Sign."
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.verify(KeyId=encryption_key["KeyId"], Message=MESSAGE, Signature=b"x", SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(raised)[1] == f"{encryption_key['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for Verify."
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.encrypt(KeyId=signing_key["KeyId"], Plaintext=MESSAGE, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert error_of(raised)[1] == f"{signing_key['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt."


def test_it_refuses_a_disabled_key(kms):
    key = create_key(kms, "ECC_NIST_P256")
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(kms.exceptions.DisabledException) as raised:
        kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(raised)[1] == f"{key['Arn']} is disabled."


def test_a_dry_run_checks_the_request_and_returns_no_signature(kms):
    key = create_key(kms, "ECC_NIST_P256")
    signature = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    for call in [
        lambda: kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256", DryRun=True),
        lambda: kms.verify(
            KeyId=key["KeyId"], Message=MESSAGE, Signature=signature, SigningAlgorithm="ECDSA_SHA_256", DryRun=True
        ),
    ]:
        with pytest.raises(kms.exceptions.DryRunOperationException) as raised:
            call()
        assert error_of(raised)[1] == "The request would have succeeded, but the DryRun option is set."


def test_it_refuses_a_message_over_4096_bytes(kms):
    key = create_key(kms, "ECC_NIST_P256")
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.sign(KeyId=key["KeyId"], Message=b"m" * 4097, SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value at 'message' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096",
    )


def test_get_public_key_describes_a_signing_key(kms):
    key = create_key(kms, "RSA_2048")
    result = kms.get_public_key(KeyId=key["KeyId"])
    assert result["KeyId"] == key["Arn"]
    assert result["KeySpec"] == result["CustomerMasterKeySpec"] == "RSA_2048"
    assert result["KeyUsage"] == "SIGN_VERIFY"
    assert result["SigningAlgorithms"] == key["SigningAlgorithms"]
    assert "EncryptionAlgorithms" not in result
    assert serialization.load_der_public_key(result["PublicKey"]).key_size == 2048


def test_get_public_key_lists_the_algorithms_for_the_key_usage(kms):
    agreement = kms.get_public_key(KeyId=create_key(kms, "ECC_NIST_P384", "KEY_AGREEMENT")["KeyId"])
    assert agreement["KeyAgreementAlgorithms"] == ["ECDH"]
    assert "SigningAlgorithms" not in agreement
    edwards = kms.get_public_key(KeyId=create_key(kms, "ECC_NIST_EDWARDS25519")["KeyId"])
    assert "CustomerMasterKeySpec" not in edwards
    assert set(edwards["SigningAlgorithms"]) == {"ED25519_SHA_512", "ED25519_PH_SHA_512"}


def test_it_decrypts_what_a_client_encrypted_offline_with_the_public_key(kms):
    key = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    result = kms.get_public_key(KeyId=key["KeyId"])
    assert result["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    public_key = serialization.load_der_public_key(result["PublicKey"])
    for algorithm, chosen in [("RSAES_OAEP_SHA_1", hashes.SHA1), ("RSAES_OAEP_SHA_256", hashes.SHA256)]:
        oaep = padding.OAEP(mgf=padding.MGF1(chosen()), algorithm=chosen(), label=None)
        secret = os.urandom(32)
        blob = public_key.encrypt(secret, oaep)
        decrypted = kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=blob, EncryptionAlgorithm=algorithm)
        assert decrypted["Plaintext"] == secret
        assert decrypted["EncryptionAlgorithm"] == algorithm


@pytest.mark.parametrize(
    ("spec", "usage"), [("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), ("HMAC_256", "GENERATE_VERIFY_MAC")]
)
def test_get_public_key_refuses_keys_without_a_public_half(kms, spec, usage):
    key = create_key(kms, spec, usage)
    with pytest.raises(kms.exceptions.UnsupportedOperationException) as raised:
        kms.get_public_key(KeyId=key["KeyId"])
    assert error_of(raised)[1] == f"{key['Arn']} key spec is {spec} which has no public key."


def test_the_guides_cli_steps_download_a_public_key_pyca_can_load(kms, aws_cli, tmp_path):
    created = aws_cli("aws kms create-key --key-spec RSA_2048 --key-usage SIGN_VERIFY", shell=True)
    key_id = cli_json(created)["KeyMetadata"]["KeyId"]
    downloaded = aws_cli(
        f"aws kms get-public-key --key-id {key_id} --query PublicKey --output text | base64 --decode > public_key.der",
        shell=True,
    )
    assert downloaded.returncode == 0, downloaded.stderr
    der = (tmp_path / "public_key.der").read_bytes()
    public_key = serialization.load_der_public_key(der)
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert der == kms.get_public_key(KeyId=key_id)["PublicKey"]
    signature = kms.sign(KeyId=key_id, Message=MESSAGE, SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    verify_rsa_offline(public_key, "RSASSA_PSS_SHA_256", signature, MESSAGE)


def test_it_accepts_a_grant_token_from_create_grant(kms, alice):
    key = create_key(kms, "ECC_NIST_P256")
    token = kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=alice.arn, Operations=["Sign", "Verify", "GetPublicKey"]
    )["GrantToken"]
    signed = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256", GrantTokens=[token])
    assert kms.verify(
        KeyId=key["KeyId"],
        Message=MESSAGE,
        Signature=signed["Signature"],
        SigningAlgorithm="ECDSA_SHA_256",
        GrantTokens=[token],
    )["SignatureValid"]
    assert kms.get_public_key(KeyId=key["KeyId"], GrantTokens=[token])["KeyId"] == key["Arn"]
