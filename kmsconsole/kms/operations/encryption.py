"""Encrypt and Decrypt: symmetric (the versioned blob) and RSA OAEP."""

from __future__ import annotations

from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine import asymmetric, ciphertext, keyspecs
from kmsconsole.engine.enums import EncryptionAlgorithm, KeySpec, KeyUsage
from kmsconsole.engine.errors import (
    AccessDeniedException,
    IncorrectKeyException,
    InvalidCiphertextException,
    ValidationException,
)
from kmsconsole.iam.callers import Caller

from .. import materials
from ..keys import resolve_key
from ..models import Key, KeyMaterial
from .common import check_use, key_for, stop_if_dry_run
from .registry import Request, Response, operation

_UNKNOWN_CIPHERTEXT_KEY = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
    "or you are not allowed to access."
)


@operation("Encrypt", data_plane=True)
def encrypt(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html"""
    key = key_for(caller, request["KeyId"], operation="Encrypt")
    algorithm = _algorithm_for(key, request)
    context = _context_for(key, request)
    stop_if_dry_run(request)
    blob = encrypt_with(key, request["Plaintext"], algorithm, context)
    return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}


@operation("Decrypt", data_plane=True)
def decrypt(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html"""
    key, plaintext, version = decrypt_for(caller, request, operation="Decrypt")
    stop_if_dry_run(request)
    response: Response = {
        "KeyId": key.arn,
        "Plaintext": plaintext,
        "EncryptionAlgorithm": request.get("EncryptionAlgorithm", EncryptionAlgorithm.SYMMETRIC_DEFAULT),
    }
    if version is not None:
        response["KeyMaterialId"] = materials.material(key, version).material_id
    return response


def encrypt_with(key: Key, plaintext: bytes, algorithm: str, context: dict[str, str] | None) -> bytes:
    """Encrypt under the key's current material (symmetric) or public key (RSA)."""
    if algorithm == EncryptionAlgorithm.SYMMETRIC_DEFAULT:
        return ciphertext.seal(
            key_id=key.key_id,
            material_version=key.current_material_version,
            material=materials.material_bytes(key),
            plaintext=plaintext,
            context=context,
        )
    return asymmetric.rsa_encrypt(KeySpec(key.key_spec), materials.material_bytes(key), algorithm, plaintext)


def decrypt_for(
    caller: Caller, request: Request, *, operation: str, key_member: str = "KeyId"
) -> tuple[Key, bytes, int | None]:
    """Find the key a ciphertext belongs to, check it may be used, and decrypt.

    Returns the key, the plaintext and (symmetric only) the material version used.
    Shared by Decrypt and ReEncrypt, whose source side follows the same rules.
    """
    algorithm = request.get("EncryptionAlgorithm", EncryptionAlgorithm.SYMMETRIC_DEFAULT)
    blob = request["CiphertextBlob"]
    if algorithm != EncryptionAlgorithm.SYMMETRIC_DEFAULT:
        key_ref = request.get(key_member)
        if not key_ref:
            raise ValidationException(f"{key_member} is required to decrypt with an asymmetric KMS key.")
        key = key_for(caller, key_ref, operation=operation)
        _algorithm_for(key, request)
        spec = KeySpec(key.key_spec)
        return key, asymmetric.rsa_decrypt(spec, materials.material_bytes(key), algorithm, blob), None
    header = ciphertext.read_header(blob)
    key = _key_of_ciphertext(caller, header.key_id, request.get(key_member), operation)
    check_use(caller, key, operation=operation)
    try:
        material = materials.material_bytes(key, header.material_version)
    except KeyMaterial.DoesNotExist:
        raise InvalidCiphertextException("") from None
    plaintext = ciphertext.open_blob(blob, material, request.get("EncryptionContext"))
    return key, plaintext, header.material_version


def _key_of_ciphertext(caller: Caller, blob_key_id: str, key_ref: str | None, operation: str) -> Key:
    if key_ref:
        named = resolve_key(caller, key_ref, operation=operation)
        if named.key_id != blob_key_id:
            raise IncorrectKeyException(
                "The key ID in the request does not identify a CMK that can perform this operation."
            )
        return named
    key = (
        Key.objects.select_related("account")
        .filter(key_id=blob_key_id, region=caller.region, account__workspace_id=caller.account.workspace_id)
        .first()
    )
    if key is None:
        raise AccessDeniedException(_UNKNOWN_CIPHERTEXT_KEY)
    current_draft().note_key(key.arn, key.account.account_id)
    return key


def _algorithm_for(key: Key, request: Request) -> str:
    """The encryption algorithm to use, which must be one the key supports."""
    spec = KeySpec(key.key_spec)
    default = EncryptionAlgorithm.SYMMETRIC_DEFAULT if spec == KeySpec.SYMMETRIC_DEFAULT else None
    algorithm = request.get("EncryptionAlgorithm", default)
    if algorithm is None:
        raise ValidationException("EncryptionAlgorithm is required for asymmetric KMS keys.")
    keyspecs.require_algorithm(spec, KeyUsage(key.key_usage), algorithm)
    return algorithm


def _context_for(key: Key, request: Request) -> dict[str, str] | None:
    context = request.get("EncryptionContext")
    if context and key.key_spec != KeySpec.SYMMETRIC_DEFAULT:
        raise ValidationException("EncryptionContext is supported only with symmetric encryption KMS keys.")
    return context
