"""What each KMS key spec allows: key usages, algorithms and size limits.

One table answers every "may this key do that?" question, so CreateKey, DescribeKey,
GetPublicKey and the cryptographic operations cannot disagree. Pure Python: no Django
imports.
"""

from __future__ import annotations

from kmsconsole.engine.enums import (
    EncryptionAlgorithm,
    KeyAgreementAlgorithm,
    KeySpec,
    KeyUsage,
    MacAlgorithm,
    SigningAlgorithm,
)
from kmsconsole.engine.errors import (
    InvalidKeyUsageException,
    UnsupportedOperationException,
    ValidationException,
)

_RSA_SPECS = (KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096)
_NIST_CURVES = (KeySpec.ECC_NIST_P256, KeySpec.ECC_NIST_P384, KeySpec.ECC_NIST_P521)
_HMAC_SPECS = (KeySpec.HMAC_224, KeySpec.HMAC_256, KeySpec.HMAC_384, KeySpec.HMAC_512)
_ML_DSA_SPECS = (KeySpec.ML_DSA_44, KeySpec.ML_DSA_65, KeySpec.ML_DSA_87)

ALLOWED_USAGES: dict[KeySpec, tuple[KeyUsage, ...]] = {
    KeySpec.SYMMETRIC_DEFAULT: (KeyUsage.ENCRYPT_DECRYPT,),
    **{spec: (KeyUsage.ENCRYPT_DECRYPT, KeyUsage.SIGN_VERIFY) for spec in _RSA_SPECS},
    **{spec: (KeyUsage.SIGN_VERIFY, KeyUsage.KEY_AGREEMENT) for spec in _NIST_CURVES},
    KeySpec.ECC_SECG_P256K1: (KeyUsage.SIGN_VERIFY,),
    KeySpec.ECC_NIST_EDWARDS25519: (KeyUsage.SIGN_VERIFY,),
    **{spec: (KeyUsage.GENERATE_VERIFY_MAC,) for spec in _HMAC_SPECS},
    **{spec: (KeyUsage.SIGN_VERIFY,) for spec in _ML_DSA_SPECS},
}
"""Key usages per key spec. SM2 is absent: it exists only in AWS's China Regions."""

_RSA_SIGNING = (
    SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_256,
    SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_384,
    SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_512,
    SigningAlgorithm.RSASSA_PSS_SHA_256,
    SigningAlgorithm.RSASSA_PSS_SHA_384,
    SigningAlgorithm.RSASSA_PSS_SHA_512,
)

_ENCRYPTION_ALGORITHMS: dict[KeySpec, tuple[EncryptionAlgorithm, ...]] = {
    KeySpec.SYMMETRIC_DEFAULT: (EncryptionAlgorithm.SYMMETRIC_DEFAULT,),
    **{spec: (EncryptionAlgorithm.RSAES_OAEP_SHA_1, EncryptionAlgorithm.RSAES_OAEP_SHA_256) for spec in _RSA_SPECS},
}

_SIGNING_ALGORITHMS: dict[KeySpec, tuple[SigningAlgorithm, ...]] = {
    **{spec: _RSA_SIGNING for spec in _RSA_SPECS},
    KeySpec.ECC_NIST_P256: (SigningAlgorithm.ECDSA_SHA_256,),
    KeySpec.ECC_NIST_P384: (SigningAlgorithm.ECDSA_SHA_384,),
    KeySpec.ECC_NIST_P521: (SigningAlgorithm.ECDSA_SHA_512,),
    KeySpec.ECC_SECG_P256K1: (SigningAlgorithm.ECDSA_SHA_256,),
    KeySpec.ECC_NIST_EDWARDS25519: (
        SigningAlgorithm.ED25519_SHA_512,
        SigningAlgorithm.ED25519_PH_SHA_512,
    ),
    **{spec: (SigningAlgorithm.ML_DSA_SHAKE_256,) for spec in _ML_DSA_SPECS},
}

_MAC_ALGORITHMS: dict[KeySpec, tuple[MacAlgorithm, ...]] = {
    KeySpec.HMAC_224: (MacAlgorithm.HMAC_SHA_224,),
    KeySpec.HMAC_256: (MacAlgorithm.HMAC_SHA_256,),
    KeySpec.HMAC_384: (MacAlgorithm.HMAC_SHA_384,),
    KeySpec.HMAC_512: (MacAlgorithm.HMAC_SHA_512,),
}

# Specs in botocore's deprecated CustomerMasterKeySpec enum; newer specs have no value there.
_LEGACY_SPECS = frozenset(
    {
        KeySpec.SYMMETRIC_DEFAULT,
        *_RSA_SPECS,
        *_NIST_CURVES,
        KeySpec.ECC_SECG_P256K1,
        *_HMAC_SPECS,
        KeySpec.SM2,
    }
)

# The key usage each cryptographic operation needs, keyed by AWS operation name.
USAGE_BY_OPERATION: dict[str, KeyUsage] = {
    "Encrypt": KeyUsage.ENCRYPT_DECRYPT,
    "Decrypt": KeyUsage.ENCRYPT_DECRYPT,
    "ReEncrypt": KeyUsage.ENCRYPT_DECRYPT,
    "GenerateDataKey": KeyUsage.ENCRYPT_DECRYPT,
    "GenerateDataKeyWithoutPlaintext": KeyUsage.ENCRYPT_DECRYPT,
    "GenerateDataKeyPair": KeyUsage.ENCRYPT_DECRYPT,
    "GenerateDataKeyPairWithoutPlaintext": KeyUsage.ENCRYPT_DECRYPT,
    "Sign": KeyUsage.SIGN_VERIFY,
    "Verify": KeyUsage.SIGN_VERIFY,
    "GenerateMac": KeyUsage.GENERATE_VERIFY_MAC,
    "VerifyMac": KeyUsage.GENERATE_VERIFY_MAC,
    "DeriveSharedSecret": KeyUsage.KEY_AGREEMENT,
}

# Data keys are always sealed in the symmetric blob format, so RSA encryption keys cannot make them.
_SYMMETRIC_ONLY_OPERATIONS = frozenset(
    {
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
    }
)

_OAEP_HASH_BYTES = {EncryptionAlgorithm.RSAES_OAEP_SHA_1: 20, EncryptionAlgorithm.RSAES_OAEP_SHA_256: 32}
_RSA_KEY_BYTES = {KeySpec.RSA_2048: 256, KeySpec.RSA_3072: 384, KeySpec.RSA_4096: 512}


def check_spec_and_usage(spec: KeySpec, usage: KeyUsage | None) -> KeyUsage:
    """Return the key usage CreateKey will record, or raise AWS's error for the combination.

    Only symmetric encryption keys have a default usage: AWS makes callers of every other spec
    say what the key is for, because e.g. an RSA key can either encrypt or sign, never both.
    """
    if spec == KeySpec.SM2:
        raise UnsupportedOperationException("KeySpec SM2 is not supported in this Region.")
    if usage is None:
        if spec == KeySpec.SYMMETRIC_DEFAULT:
            return KeyUsage.ENCRYPT_DECRYPT
        raise ValidationException(
            "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
        )
    if usage not in ALLOWED_USAGES[spec]:
        raise ValidationException(f"KeyUsage {usage} is not compatible with KeySpec {spec}")
    return usage


def algorithm_lists(spec: KeySpec, usage: KeyUsage) -> dict[str, list[str]]:
    """Return the one algorithm list KeyMetadata and GetPublicKey include for this key.

    The dict's single member is named as in the AWS response, so callers merge it as is.
    """
    usage = check_spec_and_usage(spec, usage)
    if usage == KeyUsage.ENCRYPT_DECRYPT:
        return {"EncryptionAlgorithms": [str(a) for a in _ENCRYPTION_ALGORITHMS[spec]]}
    if usage == KeyUsage.SIGN_VERIFY:
        return {"SigningAlgorithms": [str(a) for a in _SIGNING_ALGORITHMS[spec]]}
    if usage == KeyUsage.GENERATE_VERIFY_MAC:
        return {"MacAlgorithms": [str(a) for a in _MAC_ALGORITHMS[spec]]}
    return {"KeyAgreementAlgorithms": [str(KeyAgreementAlgorithm.ECDH)]}


def customer_master_key_spec(spec: KeySpec) -> str | None:
    """Return the deprecated ``CustomerMasterKeySpec`` value, which AWS still sends for old specs.

    Specs added after the rename (ML-DSA, Ed25519) are not in that enum, so they get none.
    """
    return str(spec) if spec in _LEGACY_SPECS else None


def require_usage(spec: KeySpec, usage: KeyUsage, key_arn: str, operation: str) -> None:
    """Refuse an operation the key was not created for, naming the key ARN as AWS does.

    ``operation`` is the AWS operation name (``"Sign"``, ``"GenerateDataKey"``...). Data-key
    operations additionally need a symmetric key; AWS's wording for an RSA encryption key there
    is unconfirmed, so ours names the key spec.
    """
    required = USAGE_BY_OPERATION[operation]
    if usage != required:
        raise InvalidKeyUsageException(f"{key_arn} key usage is {usage} which is not valid for {operation}.")
    if operation in _SYMMETRIC_ONLY_OPERATIONS and spec != KeySpec.SYMMETRIC_DEFAULT:
        raise InvalidKeyUsageException(f"{key_arn} key KeySpec is {spec} which is not valid for {operation}.")


def require_algorithm(spec: KeySpec, usage: KeyUsage, algorithm: str) -> None:
    """Refuse an encryption, signing or MAC algorithm the key's spec does not offer.

    AWS's text is the same for every family (``Algorithm HMAC_SHA_256 is incompatible with key
    spec HMAC_224.``), so one message covers RSA, ECC, Ed25519, ML-DSA and HMAC keys.
    """
    allowed = next(iter(algorithm_lists(spec, usage).values()))
    if algorithm not in allowed:
        raise InvalidKeyUsageException(f"Algorithm {algorithm} is incompatible with key spec {spec}.")


def rsa_max_plaintext(spec: KeySpec, algorithm: EncryptionAlgorithm) -> int:
    """Return the largest plaintext RSAES-OAEP can take: key bytes − 2·hash bytes − 2 (RFC 8017)."""
    return _RSA_KEY_BYTES[spec] - 2 * _OAEP_HASH_BYTES[algorithm] - 2
