"""Key material: generating it per key spec, and parsing it back into pyca key objects.

Material is plain bytes so the storage layer can wrap it without knowing the key type:
random bytes for symmetric and HMAC keys, an unencrypted DER PKCS#8 private key for every
asymmetric spec. ML-DSA keys are PKCS#8 too: pyca writes (and reloads) only their 32-byte
seed form, from which the expanded key is derived. Pure Python: no Django imports.
"""

from __future__ import annotations

import functools
import os
from typing import TypeGuard

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, rsa

from kmsconsole.engine.enums import KeySpec

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | mldsa.MLDSA44PrivateKey
    | mldsa.MLDSA65PrivateKey
    | mldsa.MLDSA87PrivateKey
)

SECRET_KEY_BYTES: dict[KeySpec, int] = {
    KeySpec.SYMMETRIC_DEFAULT: 32,
    KeySpec.HMAC_224: 28,
    KeySpec.HMAC_256: 32,
    KeySpec.HMAC_384: 48,
    KeySpec.HMAC_512: 64,
}
"""Specs whose material is random bytes, and how many: the HMAC key is as long as its hash."""

RSA_KEY_BITS: dict[KeySpec, int] = {KeySpec.RSA_2048: 2048, KeySpec.RSA_3072: 3072, KeySpec.RSA_4096: 4096}

_CURVES: dict[KeySpec, type[ec.EllipticCurve]] = {
    KeySpec.ECC_NIST_P256: ec.SECP256R1,
    KeySpec.ECC_NIST_P384: ec.SECP384R1,
    KeySpec.ECC_NIST_P521: ec.SECP521R1,
    KeySpec.ECC_SECG_P256K1: ec.SECP256K1,
}

_ML_DSA: dict[KeySpec, type[mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey]] = {
    KeySpec.ML_DSA_44: mldsa.MLDSA44PrivateKey,
    KeySpec.ML_DSA_65: mldsa.MLDSA65PrivateKey,
    KeySpec.ML_DSA_87: mldsa.MLDSA87PrivateKey,
}


def generate_material(spec: KeySpec) -> bytes:
    """Create fresh key material for ``spec`` (SM2 is not supported and raises ValueError)."""
    if spec in SECRET_KEY_BYTES:
        return os.urandom(SECRET_KEY_BYTES[spec])
    return _pkcs8(_generate_private_key(spec))


def generate_key_pair(spec: KeySpec) -> tuple[bytes, bytes]:
    """Return a new (PKCS#8 private key DER, SubjectPublicKeyInfo DER) pair for a data key pair.

    It skips ``load_private_key``'s cache: a data key pair is used once, and would only evict
    the KMS keys' material that the cache is for.
    """
    key = _generate_private_key(spec)
    return _pkcs8(key), _spki(key)


def _generate_private_key(spec: KeySpec) -> PrivateKey:
    if spec in RSA_KEY_BITS:
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS[spec])
    if spec in _CURVES:
        return ec.generate_private_key(_CURVES[spec]())
    if spec == KeySpec.ECC_NIST_EDWARDS25519:
        return ed25519.Ed25519PrivateKey.generate()
    if spec in _ML_DSA:
        return _ML_DSA[spec].generate()
    raise ValueError(f"Cannot generate key material for key spec {spec}")


def _pkcs8(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@functools.lru_cache(maxsize=256)
def load_private_key(spec: KeySpec, material: bytes) -> PrivateKey:
    """Parse asymmetric material into a pyca private key.

    Cached because parsing an RSA key checks it and costs milliseconds per Sign or Decrypt;
    caching by the bytes is safe since a material version never changes. The loaded key's type
    must match ``spec``, so material stored under the wrong spec fails loudly, not silently.
    """
    key = serialization.load_der_private_key(material, password=None)
    if not _is_key_for(key, spec):
        raise ValueError(f"Key material does not hold a {spec} private key")
    return key


def _is_key_for(key: object, spec: KeySpec) -> TypeGuard[PrivateKey]:
    if spec in RSA_KEY_BITS:
        return isinstance(key, rsa.RSAPrivateKey) and key.key_size == RSA_KEY_BITS[spec]
    if spec in _CURVES:
        return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, _CURVES[spec])
    if spec == KeySpec.ECC_NIST_EDWARDS25519:
        return isinstance(key, ed25519.Ed25519PrivateKey)
    if spec in _ML_DSA:
        return isinstance(key, _ML_DSA[spec])
    return False


def public_key_der(spec: KeySpec, material: bytes) -> bytes:
    """Return the DER SubjectPublicKeyInfo that GetPublicKey and GenerateDataKeyPair send."""
    return _spki(load_private_key(spec, material))


def _spki(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
