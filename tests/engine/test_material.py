"""Key material: what each spec generates, and that standard tools can read it."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, rsa

from kmsconsole.engine import material
from kmsconsole.engine.enums import KeySpec

ASYMMETRIC_SPECS = [
    KeySpec.RSA_2048,
    KeySpec.RSA_3072,
    KeySpec.RSA_4096,
    KeySpec.ECC_NIST_P256,
    KeySpec.ECC_NIST_P384,
    KeySpec.ECC_NIST_P521,
    KeySpec.ECC_SECG_P256K1,
    KeySpec.ECC_NIST_EDWARDS25519,
    KeySpec.ML_DSA_44,
    KeySpec.ML_DSA_65,
    KeySpec.ML_DSA_87,
]

EXPECTED_TYPES = {
    KeySpec.RSA_2048: (rsa.RSAPrivateKey, 2048),
    KeySpec.RSA_3072: (rsa.RSAPrivateKey, 3072),
    KeySpec.RSA_4096: (rsa.RSAPrivateKey, 4096),
    KeySpec.ECC_NIST_P256: (ec.EllipticCurvePrivateKey, "secp256r1"),
    KeySpec.ECC_NIST_P384: (ec.EllipticCurvePrivateKey, "secp384r1"),
    KeySpec.ECC_NIST_P521: (ec.EllipticCurvePrivateKey, "secp521r1"),
    KeySpec.ECC_SECG_P256K1: (ec.EllipticCurvePrivateKey, "secp256k1"),
    KeySpec.ECC_NIST_EDWARDS25519: (ed25519.Ed25519PrivateKey, None),
    KeySpec.ML_DSA_44: (mldsa.MLDSA44PrivateKey, None),
    KeySpec.ML_DSA_65: (mldsa.MLDSA65PrivateKey, None),
    KeySpec.ML_DSA_87: (mldsa.MLDSA87PrivateKey, None),
}


@pytest.fixture(scope="module")
def materials():
    """One generated material per asymmetric spec, so RSA-4096 is generated once per module."""
    return {spec: material.generate_material(spec) for spec in ASYMMETRIC_SPECS}


@pytest.mark.parametrize(
    ("spec", "length"),
    [("SYMMETRIC_DEFAULT", 32), ("HMAC_224", 28), ("HMAC_256", 32), ("HMAC_384", 48), ("HMAC_512", 64)],
)
def test_secret_keys_are_random_bytes_of_the_right_length(spec, length):
    first = material.generate_material(KeySpec(spec))
    second = material.generate_material(KeySpec(spec))
    assert len(first) == len(second) == length
    assert first != second


@pytest.mark.parametrize("spec", ASYMMETRIC_SPECS)
def test_asymmetric_material_is_unencrypted_pkcs8_der(spec, materials):
    key = serialization.load_der_private_key(materials[spec], password=None)
    key_type, detail = EXPECTED_TYPES[spec]
    assert isinstance(key, key_type)
    if isinstance(key, rsa.RSAPrivateKey):
        assert key.key_size == detail
        assert key.private_numbers().public_numbers.e == 65537
    if isinstance(key, ec.EllipticCurvePrivateKey):
        assert key.curve.name == detail


@pytest.mark.parametrize("spec", ASYMMETRIC_SPECS)
def test_the_public_key_is_the_spki_of_the_private_key(spec, materials):
    der = material.public_key_der(spec, materials[spec])
    public = serialization.load_der_public_key(der)
    private = serialization.load_der_private_key(materials[spec], password=None)
    expected = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert der == expected
    assert public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == der


def test_each_generation_makes_a_new_key():
    first = material.generate_material(KeySpec.ECC_NIST_P256)
    second = material.generate_material(KeySpec.ECC_NIST_P256)
    assert first != second


def test_loading_the_same_material_twice_reuses_the_parsed_key(materials):
    first = material.load_private_key(KeySpec.RSA_2048, materials[KeySpec.RSA_2048])
    second = material.load_private_key(KeySpec.RSA_2048, bytes(materials[KeySpec.RSA_2048]))
    assert first is second


@pytest.mark.parametrize(
    ("spec", "stored_as"),
    [
        (KeySpec.RSA_3072, KeySpec.RSA_2048),
        (KeySpec.ECC_NIST_P256, KeySpec.ECC_SECG_P256K1),
        (KeySpec.ML_DSA_65, KeySpec.ML_DSA_44),
        (KeySpec.ECC_NIST_EDWARDS25519, KeySpec.ECC_NIST_P256),
    ],
)
def test_it_refuses_material_of_another_spec(spec, stored_as, materials):
    with pytest.raises(ValueError, match="does not hold"):
        material.load_private_key(spec, materials[stored_as])


def test_symmetric_material_has_no_private_key():
    with pytest.raises(ValueError):
        material.load_private_key(KeySpec.SYMMETRIC_DEFAULT, material.generate_material(KeySpec.SYMMETRIC_DEFAULT))


def test_sm2_material_cannot_be_generated():
    with pytest.raises(ValueError, match="SM2"):
        material.generate_material(KeySpec.SM2)


@pytest.mark.parametrize("spec", [KeySpec.ECC_NIST_P384, KeySpec.ECC_NIST_EDWARDS25519, KeySpec.ML_DSA_44])
def test_a_generated_key_pair_matches_itself(spec):
    private_der, public_der = material.generate_key_pair(spec)
    private = serialization.load_der_private_key(private_der, password=None)
    assert (
        private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        == public_der
    )
