"""Operations on asymmetric and HMAC key material: RSA encryption, signing, MACs and ECDH.

Each function takes the key spec and its material and works as AWS KMS does, so a boto3 user
can check our output with any standard library (a signature with the public key, an RSA
ciphertext made client-side, a shared secret derived on the other end). Failures are AWS
errors; verification raises and never returns a bool. Pure Python: no Django imports.

Where we differ from AWS, because pyca/cryptography lacks the primitive:

- ED25519_PH_SHA_512 (HashEdDSA, Ed25519ph) is listed for Ed25519 keys but Sign and Verify
  with it raise UnsupportedOperationException. Only pure Ed25519 (ED25519_SHA_512) works.
- ML-DSA signs RAW messages only; EXTERNAL_MU (a caller-computed μ) is a ValidationException.
"""

from __future__ import annotations

from hmac import compare_digest

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.hmac import HMAC

from kmsconsole.engine import keyspecs
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
    KMSInvalidMacException,
    KMSInvalidSignatureException,
    UnsupportedOperationException,
    ValidationException,
)
from kmsconsole.engine.material import RSA_KEY_BITS, generate_key_pair, load_private_key

_OAEP_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    EncryptionAlgorithm.RSAES_OAEP_SHA_1: hashes.SHA1,
    EncryptionAlgorithm.RSAES_OAEP_SHA_256: hashes.SHA256,
}

_SIGNING_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_256: hashes.SHA256,
    SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_384: hashes.SHA384,
    SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_512: hashes.SHA512,
    SigningAlgorithm.RSASSA_PSS_SHA_256: hashes.SHA256,
    SigningAlgorithm.RSASSA_PSS_SHA_384: hashes.SHA384,
    SigningAlgorithm.RSASSA_PSS_SHA_512: hashes.SHA512,
    SigningAlgorithm.ECDSA_SHA_256: hashes.SHA256,
    SigningAlgorithm.ECDSA_SHA_384: hashes.SHA384,
    SigningAlgorithm.ECDSA_SHA_512: hashes.SHA512,
    SigningAlgorithm.ED25519_PH_SHA_512: hashes.SHA512,
}

_MAC_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    MacAlgorithm.HMAC_SHA_224: hashes.SHA224,
    MacAlgorithm.HMAC_SHA_256: hashes.SHA256,
    MacAlgorithm.HMAC_SHA_384: hashes.SHA384,
    MacAlgorithm.HMAC_SHA_512: hashes.SHA512,
}

_PSS_ALGORITHMS = frozenset(
    {
        SigningAlgorithm.RSASSA_PSS_SHA_256,
        SigningAlgorithm.RSASSA_PSS_SHA_384,
        SigningAlgorithm.RSASSA_PSS_SHA_512,
    }
)

# RFC 8032 Ed25519ph hashes the (pre-hashed) input with SHA-512, so its digest is 64 bytes.
_ED25519_PH_DIGEST_BYTES = 64


# RSA encryption.


def rsa_encrypt(spec: KeySpec, material: bytes, algorithm: EncryptionAlgorithm, plaintext: bytes) -> bytes:
    """Encrypt with the public half of an RSA key, as a client holding the public key could.

    AWS rejects plaintext OAEP cannot hold with a ValidationException naming the limit.
    """
    keyspecs.require_algorithm(spec, KeyUsage.ENCRYPT_DECRYPT, algorithm)
    limit = keyspecs.rsa_max_plaintext(spec, algorithm)
    if len(plaintext) > limit:
        raise ValidationException(
            f"Algorithm {algorithm} and key spec {spec} cannot encrypt data larger than {limit} bytes."
        )
    return _rsa_private_key(spec, material).public_key().encrypt(plaintext, _oaep(algorithm))


def rsa_decrypt(spec: KeySpec, material: bytes, algorithm: EncryptionAlgorithm, ciphertext: bytes) -> bytes:
    """Decrypt RSAES-OAEP ciphertext; every failure is the same opaque InvalidCiphertextException.

    One uniform error, with no detail, keeps this from being a padding oracle.
    """
    keyspecs.require_algorithm(spec, KeyUsage.ENCRYPT_DECRYPT, algorithm)
    key = _rsa_private_key(spec, material)
    try:
        return key.decrypt(ciphertext, _oaep(algorithm))
    except ValueError:
        raise InvalidCiphertextException("") from None


def _oaep(algorithm: str) -> padding.OAEP:
    hash_algorithm = _OAEP_HASHES[algorithm]()
    return padding.OAEP(mgf=padding.MGF1(hash_algorithm), algorithm=hash_algorithm, label=None)


def _rsa_private_key(spec: KeySpec, material: bytes) -> rsa.RSAPrivateKey:
    key = load_private_key(spec, material) if spec in RSA_KEY_BITS else None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"Key spec {spec} is not an RSA key spec")
    return key


# Signing.


def sign(
    spec: KeySpec,
    material: bytes,
    algorithm: SigningAlgorithm,
    message: bytes,
    message_type: MessageType,
) -> bytes:
    """Sign ``message`` (RAW) or its digest (DIGEST) as KMS Sign does.

    RSA-PSS uses a salt as long as the digest and ECDSA signatures are DER, as AWS's are, so
    standard verifiers accept them.
    """
    keyspecs.require_algorithm(spec, KeyUsage.SIGN_VERIFY, algorithm)
    key = load_private_key(spec, material)
    if isinstance(key, rsa.RSAPrivateKey):
        chosen = _signature_hash(spec, algorithm, message, message_type)
        return key.sign(message, _rsa_signature_padding(algorithm), chosen)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(_signature_hash(spec, algorithm, message, message_type)))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        _check_ed25519_input(algorithm, message, message_type)
        return key.sign(message)
    _check_ml_dsa_input(spec, message_type)
    return key.sign(message)


def verify(
    spec: KeySpec,
    material: bytes,
    algorithm: SigningAlgorithm,
    message: bytes,
    message_type: MessageType,
    signature: bytes,
) -> None:
    """Check a signature with the key's public half; a bad or malformed one raises.

    AWS never answers ``SignatureValid: false``: it raises KMSInvalidSignatureException.
    """
    keyspecs.require_algorithm(spec, KeyUsage.SIGN_VERIFY, algorithm)
    public_key = load_private_key(spec, material).public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            chosen = _signature_hash(spec, algorithm, message, message_type)
            public_key.verify(signature, message, _rsa_signature_padding(algorithm), chosen)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            chosen = _signature_hash(spec, algorithm, message, message_type)
            public_key.verify(signature, message, ec.ECDSA(chosen))
        elif isinstance(public_key, ed25519.Ed25519PublicKey):
            _check_ed25519_input(algorithm, message, message_type)
            public_key.verify(signature, message)
        else:
            _check_ml_dsa_input(spec, message_type)
            public_key.verify(signature, message)
    except InvalidSignature:
        raise KMSInvalidSignatureException("") from None


def _signature_hash(
    spec: KeySpec, algorithm: str, message: bytes, message_type: MessageType
) -> hashes.HashAlgorithm | Prehashed:
    """Pick what pyca hashes: the message itself (RAW) or nothing, because it is a digest."""
    hash_algorithm = _SIGNING_HASHES[algorithm]()
    if message_type == MessageType.RAW:
        return hash_algorithm
    if message_type == MessageType.DIGEST:
        _require_digest_length(algorithm, message, hash_algorithm.digest_size)
        return Prehashed(hash_algorithm)
    raise ValidationException(f"Message type {message_type} is incompatible with key spec {spec}.")


def _require_digest_length(algorithm: str, digest: bytes, length: int) -> None:
    if len(digest) != length:
        raise ValidationException(f"Digest is invalid length for algorithm {algorithm}.")


def _rsa_signature_padding(algorithm: str) -> padding.AsymmetricPadding:
    if algorithm in _PSS_ALGORITHMS:
        hash_algorithm = _SIGNING_HASHES[algorithm]()
        return padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size)
    return padding.PKCS1v15()


def _check_ed25519_input(algorithm: str, message: bytes, message_type: MessageType) -> None:
    """Allow pure Ed25519 on RAW messages; refuse Ed25519ph, which pyca cannot compute.

    AWS pairs ED25519_SHA_512 with RAW and ED25519_PH_SHA_512 with DIGEST. Ed25519ph needs the
    RFC 8032 ``dom2`` prefix inside the signing hash, which pyca's Ed25519 API does not expose,
    and building it from curve arithmetic would mean hand-rolling a primitive.
    """
    required = MessageType.RAW if algorithm == SigningAlgorithm.ED25519_SHA_512 else MessageType.DIGEST
    if message_type != required:
        raise ValidationException(f"Message type {message_type} is incompatible with algorithm {algorithm}.")
    if algorithm == SigningAlgorithm.ED25519_PH_SHA_512:
        _require_digest_length(algorithm, message, _ED25519_PH_DIGEST_BYTES)
        raise UnsupportedOperationException(
            "Signing algorithm ED25519_PH_SHA_512 (Ed25519ph) is not supported by kmsconsole. "
            "Use ED25519_SHA_512 with MessageType RAW."
        )


def _check_ml_dsa_input(spec: KeySpec, message_type: MessageType) -> None:
    """Allow RAW messages only: pyca signs a message, never a caller-computed μ (EXTERNAL_MU)."""
    if message_type == MessageType.EXTERNAL_MU:
        raise ValidationException(
            "Message type EXTERNAL_MU is not supported by kmsconsole for algorithm ML_DSA_SHAKE_256. "
            "Use MessageType RAW."
        )
    if message_type != MessageType.RAW:
        raise ValidationException(f"Message type {message_type} is incompatible with key spec {spec}.")


# MACs.


def generate_mac(spec: KeySpec, material: bytes, algorithm: MacAlgorithm, message: bytes) -> bytes:
    """Compute HMAC over ``message`` with the key's hash (HMAC_256 keys only do HMAC_SHA_256)."""
    keyspecs.require_algorithm(spec, KeyUsage.GENERATE_VERIFY_MAC, algorithm)
    mac = HMAC(material, _MAC_HASHES[algorithm]())
    mac.update(message)
    return mac.finalize()


def verify_mac(spec: KeySpec, material: bytes, algorithm: MacAlgorithm, message: bytes, mac: bytes) -> None:
    """Raise KMSInvalidMacException unless ``mac`` matches; the comparison takes constant time."""
    expected = generate_mac(spec, material, algorithm, message)
    if not compare_digest(expected, mac):
        raise KMSInvalidMacException("")


# Key agreement and data key pairs.


def derive_shared_secret(spec: KeySpec, material: bytes, peer_public_key_der: bytes) -> bytes:
    """Return the raw ECDH shared secret (the x-coordinate), as DeriveSharedSecret does.

    The peer key must be a DER SubjectPublicKeyInfo on the same curve; anything else is the
    client's fault, so a ValidationException rather than a server error.
    """
    key = load_private_key(spec, material)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"Key spec {spec} cannot do key agreement")
    peer = _load_peer_public_key(peer_public_key_der, key.curve)
    try:
        return key.exchange(ec.ECDH(), peer)
    except ValueError:
        raise ValidationException("") from None


def _load_peer_public_key(der: bytes, curve: ec.EllipticCurve) -> ec.EllipticCurvePublicKey:
    try:
        peer = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        raise ValidationException("") from None
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != curve.name:
        raise ValidationException("")
    return peer


def generate_data_key_pair(pair_spec: DataKeyPairSpec) -> tuple[bytes, bytes]:
    """Make a data key pair: (private key PKCS#8 DER, public key SubjectPublicKeyInfo DER)."""
    if pair_spec == DataKeyPairSpec.SM2:
        raise UnsupportedOperationException("KeyPairSpec SM2 is not supported in this Region.")
    return generate_key_pair(KeySpec(pair_spec))
