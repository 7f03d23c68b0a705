"""Asymmetric and HMAC operations, checked the way a boto3 user would check them.

Signatures are verified with pyca directly from the public key DER, RSA ciphertext is made
client-side from the public key, and ECDH secrets are derived on both ends: our output has
to interoperate with standard libraries, not just with ourselves.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from kmsconsole.engine import asymmetric, keyspecs
from kmsconsole.engine.enums import (
    DataKeyPairSpec,
    EncryptionAlgorithm,
    KeySpec,
    KeyUsage,
    MacAlgorithm,
    MessageType,
    SigningAlgorithm,
)
from kmsconsole.engine.errors import (
    InvalidCiphertextException,
    InvalidKeyUsageException,
    KMSInvalidMacException,
    KMSInvalidSignatureException,
    UnsupportedOperationException,
    ValidationException,
)
from kmsconsole.engine.material import generate_material, public_key_der

MESSAGE = b"The quick brown fox jumps over the lazy dog"
RSA_SPECS = [KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096]
HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}


class Materials(dict):
    """Generates each spec's material on first use, so each RSA size is made once per module."""

    def __missing__(self, spec: KeySpec) -> bytes:
        self[spec] = generate_material(spec)
        return self[spec]


@pytest.fixture(scope="module")
def keys() -> Materials:
    return Materials()


def signing_cases():
    """Every (spec, algorithm) pair the spec table offers for SIGN_VERIFY keys."""
    for spec, usages in keyspecs.ALLOWED_USAGES.items():
        if KeyUsage.SIGN_VERIFY in usages:
            for algorithm in keyspecs.algorithm_lists(spec, KeyUsage.SIGN_VERIFY)["SigningAlgorithms"]:
                if algorithm != SigningAlgorithm.ED25519_PH_SHA_512:
                    yield pytest.param(spec, SigningAlgorithm(algorithm), id=f"{spec}-{algorithm}")


HASHED_SIGNING_CASES = [case for case in signing_cases() if case.values[1].startswith(("RSASSA", "ECDSA"))]


def hash_for(algorithm: SigningAlgorithm) -> hashes.HashAlgorithm:
    return HASHES[algorithm[-7:]]()


def client_verify(public_der: bytes, algorithm: SigningAlgorithm, message: bytes, signature: bytes) -> None:
    """Verify as a client would, from GetPublicKey's DER and the documented algorithm alone."""
    public = serialization.load_der_public_key(public_der)
    if isinstance(public, rsa.RSAPublicKey):
        chosen = hash_for(algorithm)
        if "PSS" in algorithm:
            pad = padding.PSS(mgf=padding.MGF1(chosen), salt_length=chosen.digest_size)
        else:
            pad = padding.PKCS1v15()
        public.verify(signature, message, pad, chosen)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, message, ec.ECDSA(hash_for(algorithm)))
    else:
        public.verify(signature, message)


@functools.cache
def client_private_key(private_der: bytes):
    """Parse as a client would; cached because checking an RSA-4096 key takes a fifth of a second."""
    return serialization.load_der_private_key(private_der, password=None)


def client_sign(private_der: bytes, algorithm: SigningAlgorithm, message: bytes) -> bytes:
    private = client_private_key(private_der)
    if isinstance(private, rsa.RSAPrivateKey):
        chosen = hash_for(algorithm)
        if "PSS" in algorithm:
            pad = padding.PSS(mgf=padding.MGF1(chosen), salt_length=chosen.digest_size)
        else:
            pad = padding.PKCS1v15()
        return private.sign(message, pad, chosen)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return private.sign(message, ec.ECDSA(hash_for(algorithm)))
    return private.sign(message)


# Signing.


@pytest.mark.parametrize(("spec", "algorithm"), list(signing_cases()))
def test_a_raw_signature_verifies_with_kms_and_with_the_public_key(spec, algorithm, keys):
    signature = asymmetric.sign(spec, keys[spec], algorithm, MESSAGE, MessageType.RAW)
    asymmetric.verify(spec, keys[spec], algorithm, MESSAGE, MessageType.RAW, signature)
    client_verify(public_key_der(spec, keys[spec]), algorithm, MESSAGE, signature)


@pytest.mark.parametrize(("spec", "algorithm"), list(signing_cases()))
def test_a_signature_made_client_side_verifies_with_kms(spec, algorithm, keys):
    signature = client_sign(keys[spec], algorithm, MESSAGE)
    asymmetric.verify(spec, keys[spec], algorithm, MESSAGE, MessageType.RAW, signature)


@pytest.mark.parametrize(("spec", "algorithm"), HASHED_SIGNING_CASES)
def test_signing_a_digest_equals_signing_its_message(spec, algorithm, keys):
    digest = hashlib.new(hash_for(algorithm).name, MESSAGE).digest()
    signature = asymmetric.sign(spec, keys[spec], algorithm, digest, MessageType.DIGEST)
    asymmetric.verify(spec, keys[spec], algorithm, MESSAGE, MessageType.RAW, signature)
    asymmetric.verify(spec, keys[spec], algorithm, digest, MessageType.DIGEST, signature)
    public = serialization.load_der_public_key(public_key_der(spec, keys[spec]))
    if isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, digest, ec.ECDSA(Prehashed(hash_for(algorithm))))
    else:
        client_verify(public_key_der(spec, keys[spec]), algorithm, MESSAGE, signature)


@pytest.mark.parametrize(("spec", "algorithm"), HASHED_SIGNING_CASES)
def test_a_digest_of_the_wrong_length_is_refused(spec, algorithm, keys):
    with pytest.raises(ValidationException) as caught:
        asymmetric.sign(spec, keys[spec], algorithm, b"\x00" * 20, MessageType.DIGEST)
    assert caught.value.message == f"Digest is invalid length for algorithm {algorithm}."


def test_the_ecdsa_digest_error_matches_aws_text(keys):
    spec = KeySpec.ECC_NIST_P256
    with pytest.raises(ValidationException) as caught:
        asymmetric.verify(spec, keys[spec], SigningAlgorithm.ECDSA_SHA_256, b"short", MessageType.DIGEST, b"x")
    assert caught.value.message == "Digest is invalid length for algorithm ECDSA_SHA_256."


@pytest.mark.parametrize(("spec", "algorithm"), list(signing_cases()))
def test_a_signature_over_another_message_is_invalid(spec, algorithm, keys):
    signature = asymmetric.sign(spec, keys[spec], algorithm, MESSAGE, MessageType.RAW)
    with pytest.raises(KMSInvalidSignatureException) as caught:
        asymmetric.verify(spec, keys[spec], algorithm, MESSAGE + b".", MessageType.RAW, signature)
    assert caught.value.message == ""


@pytest.mark.parametrize(("spec", "algorithm"), list(signing_cases()))
@pytest.mark.parametrize("mangle", [lambda s: b"", lambda s: s[:-1], lambda s: s + b"\x00", lambda s: b"\x30\x02"])
def test_a_malformed_signature_is_invalid_not_an_error(spec, algorithm, mangle, keys):
    signature = asymmetric.sign(spec, keys[spec], algorithm, MESSAGE, MessageType.RAW)
    with pytest.raises(KMSInvalidSignatureException):
        asymmetric.verify(spec, keys[spec], algorithm, MESSAGE, MessageType.RAW, mangle(signature))


def test_a_signature_by_another_key_is_invalid(keys):
    spec, algorithm = KeySpec.ECC_NIST_P256, SigningAlgorithm.ECDSA_SHA_256
    other = generate_material(spec)
    signature = asymmetric.sign(spec, other, algorithm, MESSAGE, MessageType.RAW)
    with pytest.raises(KMSInvalidSignatureException):
        asymmetric.verify(spec, keys[spec], algorithm, MESSAGE, MessageType.RAW, signature)


def test_rsa_pss_uses_a_salt_as_long_as_the_digest(keys):
    spec, algorithm = KeySpec.RSA_2048, SigningAlgorithm.RSASSA_PSS_SHA_384
    signature = asymmetric.sign(spec, keys[spec], algorithm, MESSAGE, MessageType.RAW)
    public = serialization.load_der_public_key(public_key_der(spec, keys[spec]))
    assert isinstance(public, rsa.RSAPublicKey)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    public.verify(signature, MESSAGE, pss, hashes.SHA384())


def test_pss_signatures_are_randomised_but_pkcs1_ones_are_not(keys):
    spec = KeySpec.RSA_2048
    pss = SigningAlgorithm.RSASSA_PSS_SHA_256
    pkcs1 = SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_256
    assert asymmetric.sign(spec, keys[spec], pss, MESSAGE, MessageType.RAW) != asymmetric.sign(
        spec, keys[spec], pss, MESSAGE, MessageType.RAW
    )
    assert asymmetric.sign(spec, keys[spec], pkcs1, MESSAGE, MessageType.RAW) == asymmetric.sign(
        spec, keys[spec], pkcs1, MESSAGE, MessageType.RAW
    )


def test_it_refuses_an_algorithm_the_key_does_not_offer(keys):
    spec = KeySpec.ECC_NIST_P384
    with pytest.raises(InvalidKeyUsageException) as caught:
        asymmetric.sign(spec, keys[spec], SigningAlgorithm.ECDSA_SHA_256, MESSAGE, MessageType.RAW)
    assert caught.value.message == "Algorithm ECDSA_SHA_256 is incompatible with key spec ECC_NIST_P384."


def test_ecdsa_refuses_an_external_mu(keys):
    spec = KeySpec.ECC_NIST_P256
    with pytest.raises(ValidationException) as caught:
        asymmetric.sign(spec, keys[spec], SigningAlgorithm.ECDSA_SHA_256, b"\x00" * 64, MessageType.EXTERNAL_MU)
    assert caught.value.message == "Message type EXTERNAL_MU is incompatible with key spec ECC_NIST_P256."


def test_ed25519_signs_raw_messages_only(keys):
    spec = KeySpec.ECC_NIST_EDWARDS25519
    with pytest.raises(ValidationException) as caught:
        asymmetric.sign(spec, keys[spec], SigningAlgorithm.ED25519_SHA_512, b"\x00" * 64, MessageType.DIGEST)
    assert caught.value.message == "Message type DIGEST is incompatible with algorithm ED25519_SHA_512."


def test_ed25519_signatures_are_pure_ed25519(keys):
    spec = KeySpec.ECC_NIST_EDWARDS25519
    signature = asymmetric.sign(spec, keys[spec], SigningAlgorithm.ED25519_SHA_512, MESSAGE, MessageType.RAW)
    public = serialization.load_der_public_key(public_key_der(spec, keys[spec]))
    assert isinstance(public, ed25519.Ed25519PublicKey)
    assert len(signature) == 64
    public.verify(signature, MESSAGE)


def test_ed25519ph_needs_a_digest(keys):
    spec = KeySpec.ECC_NIST_EDWARDS25519
    with pytest.raises(ValidationException) as caught:
        asymmetric.sign(spec, keys[spec], SigningAlgorithm.ED25519_PH_SHA_512, MESSAGE, MessageType.RAW)
    assert caught.value.message == "Message type RAW is incompatible with algorithm ED25519_PH_SHA_512."


def test_ed25519ph_checks_the_digest_length(keys):
    spec = KeySpec.ECC_NIST_EDWARDS25519
    with pytest.raises(ValidationException) as caught:
        asymmetric.sign(spec, keys[spec], SigningAlgorithm.ED25519_PH_SHA_512, b"\x00" * 32, MessageType.DIGEST)
    assert caught.value.message == "Digest is invalid length for algorithm ED25519_PH_SHA_512."


@pytest.mark.parametrize("operation", ["sign", "verify"])
def test_ed25519ph_is_not_supported_by_this_emulator(operation, keys):
    spec = KeySpec.ECC_NIST_EDWARDS25519
    digest = hashlib.sha512(MESSAGE).digest()
    args = (spec, keys[spec], SigningAlgorithm.ED25519_PH_SHA_512, digest, MessageType.DIGEST)
    with pytest.raises(UnsupportedOperationException, match="ED25519_PH_SHA_512"):
        if operation == "sign":
            asymmetric.sign(*args)
        else:
            asymmetric.verify(*args, b"\x00" * 64)


@pytest.mark.parametrize("spec", [KeySpec.ML_DSA_44, KeySpec.ML_DSA_65, KeySpec.ML_DSA_87])
def test_ml_dsa_refuses_digests(spec, keys):
    with pytest.raises(ValidationException) as caught:
        asymmetric.sign(spec, keys[spec], SigningAlgorithm.ML_DSA_SHAKE_256, b"\x00" * 64, MessageType.DIGEST)
    assert caught.value.message == f"Message type DIGEST is incompatible with key spec {spec}."


def test_ml_dsa_says_external_mu_is_not_supported(keys):
    spec = KeySpec.ML_DSA_65
    with pytest.raises(ValidationException, match="EXTERNAL_MU"):
        asymmetric.verify(
            spec, keys[spec], SigningAlgorithm.ML_DSA_SHAKE_256, b"\x00" * 64, MessageType.EXTERNAL_MU, b"sig"
        )


# RSA encryption.

RSA_ENCRYPTION_CASES = [
    pytest.param(spec, algorithm, id=f"{spec}-{algorithm}")
    for spec in RSA_SPECS
    for algorithm in (EncryptionAlgorithm.RSAES_OAEP_SHA_1, EncryptionAlgorithm.RSAES_OAEP_SHA_256)
]


def client_oaep(algorithm: EncryptionAlgorithm) -> padding.OAEP:
    chosen = hashes.SHA1() if algorithm == EncryptionAlgorithm.RSAES_OAEP_SHA_1 else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(chosen), algorithm=chosen, label=None)


@pytest.mark.parametrize(("spec", "algorithm"), RSA_ENCRYPTION_CASES)
def test_rsa_encryption_round_trips_at_the_size_limit(spec, algorithm, keys):
    plaintext = b"\xa5" * keyspecs.rsa_max_plaintext(spec, algorithm)
    ciphertext = asymmetric.rsa_encrypt(spec, keys[spec], algorithm, plaintext)
    assert asymmetric.rsa_decrypt(spec, keys[spec], algorithm, ciphertext) == plaintext


@pytest.mark.parametrize(("spec", "algorithm"), RSA_ENCRYPTION_CASES)
def test_it_decrypts_what_a_client_encrypted_with_the_public_key(spec, algorithm, keys):
    public = serialization.load_der_public_key(public_key_der(spec, keys[spec]))
    assert isinstance(public, rsa.RSAPublicKey)
    ciphertext = public.encrypt(MESSAGE, client_oaep(algorithm))
    assert asymmetric.rsa_decrypt(spec, keys[spec], algorithm, ciphertext) == MESSAGE


@pytest.mark.parametrize(("spec", "algorithm"), RSA_ENCRYPTION_CASES)
def test_a_client_with_the_private_key_decrypts_our_ciphertext(spec, algorithm, keys):
    ciphertext = asymmetric.rsa_encrypt(spec, keys[spec], algorithm, MESSAGE)
    private = client_private_key(keys[spec])
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.decrypt(ciphertext, client_oaep(algorithm)) == MESSAGE


@pytest.mark.parametrize(
    ("spec", "algorithm", "limit"),
    [
        (KeySpec.RSA_2048, EncryptionAlgorithm.RSAES_OAEP_SHA_1, 214),
        (KeySpec.RSA_3072, EncryptionAlgorithm.RSAES_OAEP_SHA_256, 318),
        (KeySpec.RSA_4096, EncryptionAlgorithm.RSAES_OAEP_SHA_256, 446),
    ],
)
def test_plaintext_over_the_limit_is_refused_with_aws_wording(spec, algorithm, limit, keys):
    with pytest.raises(ValidationException) as caught:
        asymmetric.rsa_encrypt(spec, keys[spec], algorithm, b"x" * (limit + 1))
    assert caught.value.message == (
        f"Algorithm {algorithm} and key spec {spec} cannot encrypt data larger than {limit} bytes."
    )


@pytest.mark.parametrize(
    "mangle",
    [lambda c: c[:-1], lambda c: b"", lambda c: c[:10] + bytes([c[10] ^ 1]) + c[11:], lambda c: c + b"\x00"],
)
def test_a_damaged_rsa_ciphertext_is_one_opaque_error(mangle, keys):
    spec, algorithm = KeySpec.RSA_2048, EncryptionAlgorithm.RSAES_OAEP_SHA_256
    ciphertext = asymmetric.rsa_encrypt(spec, keys[spec], algorithm, MESSAGE)
    with pytest.raises(InvalidCiphertextException) as caught:
        asymmetric.rsa_decrypt(spec, keys[spec], algorithm, mangle(ciphertext))
    assert caught.value.message == ""


def test_decrypting_with_the_other_oaep_hash_fails(keys):
    spec = KeySpec.RSA_2048
    ciphertext = asymmetric.rsa_encrypt(spec, keys[spec], EncryptionAlgorithm.RSAES_OAEP_SHA_1, MESSAGE)
    with pytest.raises(InvalidCiphertextException):
        asymmetric.rsa_decrypt(spec, keys[spec], EncryptionAlgorithm.RSAES_OAEP_SHA_256, ciphertext)


def test_rsa_keys_refuse_symmetric_default(keys):
    spec = KeySpec.RSA_2048
    with pytest.raises(InvalidKeyUsageException) as caught:
        asymmetric.rsa_encrypt(spec, keys[spec], EncryptionAlgorithm.SYMMETRIC_DEFAULT, MESSAGE)
    assert caught.value.message == "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."


# MACs.

MAC_CASES = [
    (KeySpec.HMAC_224, MacAlgorithm.HMAC_SHA_224, "sha224"),
    (KeySpec.HMAC_256, MacAlgorithm.HMAC_SHA_256, "sha256"),
    (KeySpec.HMAC_384, MacAlgorithm.HMAC_SHA_384, "sha384"),
    (KeySpec.HMAC_512, MacAlgorithm.HMAC_SHA_512, "sha512"),
]


@pytest.mark.parametrize(("spec", "algorithm", "digest"), MAC_CASES)
def test_a_mac_is_standard_hmac_and_verifies(spec, algorithm, digest, keys):
    mac = asymmetric.generate_mac(spec, keys[spec], algorithm, MESSAGE)
    assert mac == hmac.new(keys[spec], MESSAGE, digest).digest()
    asymmetric.verify_mac(spec, keys[spec], algorithm, MESSAGE, mac)


@pytest.mark.parametrize(("spec", "algorithm", "digest"), MAC_CASES)
@pytest.mark.parametrize("mangle", [lambda m: m[:-1], lambda m: b"", lambda m: bytes([m[0] ^ 1]) + m[1:]])
def test_a_wrong_mac_is_invalid(spec, algorithm, digest, mangle, keys):
    mac = asymmetric.generate_mac(spec, keys[spec], algorithm, MESSAGE)
    with pytest.raises(KMSInvalidMacException) as caught:
        asymmetric.verify_mac(spec, keys[spec], algorithm, MESSAGE, mangle(mac))
    assert caught.value.message == ""


def test_a_mac_over_another_message_is_invalid(keys):
    spec, algorithm = KeySpec.HMAC_256, MacAlgorithm.HMAC_SHA_256
    mac = asymmetric.generate_mac(spec, keys[spec], algorithm, MESSAGE)
    with pytest.raises(KMSInvalidMacException):
        asymmetric.verify_mac(spec, keys[spec], algorithm, MESSAGE + b"!", mac)


def test_a_mac_algorithm_of_another_size_is_refused_with_aws_wording(keys):
    spec = KeySpec.HMAC_224
    with pytest.raises(InvalidKeyUsageException) as caught:
        asymmetric.generate_mac(spec, keys[spec], MacAlgorithm.HMAC_SHA_256, MESSAGE)
    assert caught.value.message == "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."


# Key agreement.

ECDH_SPECS = [KeySpec.ECC_NIST_P256, KeySpec.ECC_NIST_P384, KeySpec.ECC_NIST_P521]
CURVES = {KeySpec.ECC_NIST_P256: ec.SECP256R1, KeySpec.ECC_NIST_P384: ec.SECP384R1, KeySpec.ECC_NIST_P521: ec.SECP521R1}


def spki(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize("spec", ECDH_SPECS)
def test_both_ends_of_ecdh_derive_the_same_secret(spec, keys):
    peer = ec.generate_private_key(CURVES[spec]())
    ours = asymmetric.derive_shared_secret(spec, keys[spec], spki(peer))
    kms_public = serialization.load_der_public_key(public_key_der(spec, keys[spec]))
    assert isinstance(kms_public, ec.EllipticCurvePublicKey)
    assert ours == peer.exchange(ec.ECDH(), kms_public)
    assert len(ours) == (CURVES[spec].key_size + 7) // 8


def test_two_kms_keys_agree_with_each_other(keys):
    spec = KeySpec.ECC_NIST_P384
    other = generate_material(spec)
    assert asymmetric.derive_shared_secret(spec, keys[spec], public_key_der(spec, other)) == (
        asymmetric.derive_shared_secret(spec, other, public_key_der(spec, keys[spec]))
    )


@pytest.mark.parametrize(
    "peer_der",
    [
        pytest.param(lambda: spki(ec.generate_private_key(ec.SECP384R1())), id="other-curve"),
        pytest.param(lambda: spki(rsa.generate_private_key(65537, 2048)), id="rsa"),
        pytest.param(lambda: b"not a key", id="garbage"),
        pytest.param(lambda: b"", id="empty"),
        pytest.param(
            lambda: (
                ed25519.Ed25519PrivateKey.generate()
                .public_key()
                .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            ),
            id="ed25519",
        ),
    ],
)
def test_an_unusable_peer_public_key_is_a_validation_error(peer_der, keys):
    spec = KeySpec.ECC_NIST_P256
    with pytest.raises(ValidationException):
        asymmetric.derive_shared_secret(spec, keys[spec], peer_der())


# Data key pairs.


@pytest.mark.parametrize("pair_spec", [spec for spec in DataKeyPairSpec if spec != DataKeyPairSpec.SM2])
def test_a_data_key_pair_is_pkcs8_and_spki_of_one_key(pair_spec):
    private_der, public_der = asymmetric.generate_data_key_pair(pair_spec)
    private = serialization.load_der_private_key(private_der, password=None)
    assert spki(private) == public_der  # type: ignore[arg-type]
    assert serialization.load_der_public_key(public_der) is not None


def test_sm2_data_key_pairs_are_not_supported():
    with pytest.raises(UnsupportedOperationException):
        asymmetric.generate_data_key_pair(DataKeyPairSpec.SM2)
