"""Encrypt, Decrypt and ReEncrypt: symmetric (the versioned blob) and RSA OAEP."""

from __future__ import annotations

from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine import asymmetric, ciphertext, keyspecs
from kmsconsole.engine.enums import EncryptionAlgorithm, KeySpec, KeyUsage
from kmsconsole.engine.errors import (
    AccessDeniedException,
    IncorrectKeyException,
    InvalidCiphertextException,
    UnsupportedOperationException,
    ValidationException,
)
from kmsconsole.fastpath import fetch_chain
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import Account

from .. import materials
from ..keys import resolve_key
from ..models import Key, KeyMaterial
from .common import check_use, key_for, stop_if_dry_run
from .registry import Request, Response, operation

_UNKNOWN_CIPHERTEXT_KEY = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
    "or you are not allowed to access."
)
_IGNORE_CIPHERTEXT = "IGNORE_CIPHERTEXT"
# The model leaves CiphertextBlob optional only for dry runs that ignore it; otherwise AWS
# answers as for any missing required member.
_MISSING_CIPHERTEXT = (
    "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null"
)


@operation("Encrypt", read_only=True, data_plane=True)
def encrypt(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html"""
    key = key_for(caller, request["KeyId"], operation="Encrypt")
    algorithm = _algorithm_for(key, request.get("EncryptionAlgorithm"))
    context = _context_for(key, request.get("EncryptionContext"), member="EncryptionContext")
    stop_if_dry_run(request)
    blob = encrypt_with(key, request["Plaintext"], algorithm, context)
    return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}


@operation("Decrypt", read_only=True, data_plane=True)
def decrypt(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html"""
    refuse_recipient(request)
    if ignores_ciphertext(request):
        named_key_for_dry_run(caller, request, operation="Decrypt")
        stop_if_dry_run(request)
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


@operation("ReEncrypt", read_only=True, data_plane=True)
def re_encrypt(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html

    As in AWS, the source key needs ``kms:ReEncryptFrom`` and the destination key
    ``kms:ReEncryptTo``; the plaintext never leaves the server.
    """
    if ignores_ciphertext(request):
        named_key_for_dry_run(
            caller, request, operation="ReEncrypt", member_prefix="Source", action="kms:ReEncryptFrom"
        )
        _destination_for(caller, request)
        stop_if_dry_run(request)
    source, plaintext, source_version = decrypt_for(
        caller, request, operation="ReEncrypt", member_prefix="Source", action="kms:ReEncryptFrom"
    )
    destination, algorithm, context = _destination_for(caller, request)
    stop_if_dry_run(request)
    response: Response = {
        "CiphertextBlob": encrypt_with(destination, plaintext, algorithm, context),
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": request.get("SourceEncryptionAlgorithm", EncryptionAlgorithm.SYMMETRIC_DEFAULT),
        "DestinationEncryptionAlgorithm": algorithm,
    }
    if source_version is not None:
        response["SourceKeyMaterialId"] = materials.material(source, source_version).material_id
    if algorithm == EncryptionAlgorithm.SYMMETRIC_DEFAULT:
        response["DestinationKeyMaterialId"] = materials.material(destination).material_id
    return response


def _destination_for(caller: Caller, request: Request) -> tuple[Key, str, dict[str, str] | None]:
    """The destination key of a ReEncrypt, checked, with the algorithm and context to encrypt with."""
    key = key_for(caller, request["DestinationKeyId"], operation="ReEncrypt", action="kms:ReEncryptTo")
    algorithm = _algorithm_for(
        key, request.get("DestinationEncryptionAlgorithm"), member="DestinationEncryptionAlgorithm"
    )
    context = _context_for(key, request.get("DestinationEncryptionContext"), member="DestinationEncryptionContext")
    return key, algorithm, context


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
    spec = KeySpec(key.key_spec)
    return asymmetric.rsa_encrypt(spec, materials.material_bytes(key), EncryptionAlgorithm(algorithm), plaintext)


def decrypt_for(
    caller: Caller,
    request: Request,
    *,
    operation: str,
    member_prefix: str = "",
    action: str | None = None,
) -> tuple[Key, bytes, int | None]:
    """Find the key a ciphertext belongs to, check it may be used, and decrypt.

    Returns the key, the plaintext and (symmetric only) the material version used.
    Shared by Decrypt and ReEncrypt, whose source side follows the same rules with its
    members prefixed (``SourceKeyId``, ``SourceEncryptionAlgorithm``...) and its own
    ``action`` (``kms:ReEncryptFrom``).
    """
    blob = request.get("CiphertextBlob")
    if blob is None:
        raise ValidationException(_MISSING_CIPHERTEXT)
    key_member = f"{member_prefix}KeyId"
    algorithm = request.get(f"{member_prefix}EncryptionAlgorithm", EncryptionAlgorithm.SYMMETRIC_DEFAULT)
    if algorithm != EncryptionAlgorithm.SYMMETRIC_DEFAULT:
        key_ref = request.get(key_member)
        if not key_ref:
            raise ValidationException(f"{key_member} is required to decrypt with an asymmetric KMS key.")
        key = key_for(caller, key_ref, operation=operation, action=action)
        _algorithm_for(key, algorithm)
        spec = KeySpec(key.key_spec)
        return key, asymmetric.rsa_decrypt(spec, materials.material_bytes(key), algorithm, blob), None
    header = ciphertext.read_header(blob)
    key = _key_of_ciphertext(caller, header.key_id, request.get(key_member), operation)
    check_use(caller, key, operation=operation, action=action)
    try:
        material = materials.material_bytes(key, header.material_version)
    except KeyMaterial.DoesNotExist:
        raise InvalidCiphertextException("") from None
    plaintext = ciphertext.open_blob(blob, material, request.get(f"{member_prefix}EncryptionContext"))
    return key, plaintext, header.material_version


def ignores_ciphertext(request: Request) -> bool:
    """A DryRun with the IGNORE_CIPHERTEXT modifier tests permissions without a real ciphertext."""
    return bool(request.get("DryRun")) and _IGNORE_CIPHERTEXT in request.get("DryRunModifiers", [])


def named_key_for_dry_run(
    caller: Caller, request: Request, *, operation: str, member_prefix: str = "", action: str | None = None
) -> Key:
    """Check the key a Decrypt or ReEncrypt names, as a dry run that ignores the ciphertext must.

    Without a ciphertext there is no key id to read from it, so AWS requires the key member.
    """
    key_member = f"{member_prefix}KeyId"
    key_ref = request.get(key_member)
    if not key_ref:
        raise ValidationException(f"{key_member} is required when DryRunModifiers includes IGNORE_CIPHERTEXT.")
    key = key_for(caller, key_ref, operation=operation, action=action)
    algorithm_member = f"{member_prefix}EncryptionAlgorithm"
    _algorithm_for(key, request.get(algorithm_member), member=algorithm_member)
    return key


def refuse_recipient(request: Request) -> None:
    """Refuse ``Recipient``: it carries a Nitro Enclave or NitroTPM attestation document, which
    kmsconsole cannot verify, so it cannot answer with ``CiphertextForRecipient`` as AWS would.
    Answering in plaintext instead would break the caller's expectation that it never sees it."""
    if request.get("Recipient"):
        raise UnsupportedOperationException(
            "Recipient (attested requests from AWS Nitro Enclaves or NitroTPM) is not supported by kmsconsole."
        )


def _key_of_ciphertext(caller: Caller, blob_key_id: str, key_ref: str | None, operation: str) -> Key:
    if key_ref:
        named = resolve_key(caller, key_ref, operation=operation)
        if named.key_id != blob_key_id:
            raise IncorrectKeyException(
                "The key ID in the request does not identify a CMK that can perform this operation."
            )
        return named
    key = fetch_chain([Key, Account], ["account"], "key_id", [blob_key_id])
    if (
        not isinstance(key, Key)
        or key.region != caller.region
        or key.account.workspace_id != caller.account.workspace_id
    ):
        raise AccessDeniedException(_UNKNOWN_CIPHERTEXT_KEY)
    current_draft().note_key(key.arn, key.account.account_id)
    return key


def _algorithm_for(key: Key, requested: str | None, *, member: str = "EncryptionAlgorithm") -> str:
    """The encryption algorithm to use, which must be one the key supports."""
    spec = KeySpec(key.key_spec)
    default = EncryptionAlgorithm.SYMMETRIC_DEFAULT if spec == KeySpec.SYMMETRIC_DEFAULT else None
    algorithm = requested or default
    if algorithm is None:
        raise ValidationException(f"{member} is required for asymmetric KMS keys.")
    keyspecs.require_algorithm(spec, KeyUsage(key.key_usage), algorithm)
    return algorithm


def _context_for(key: Key, context: dict[str, str] | None, *, member: str) -> dict[str, str] | None:
    if context and key.key_spec != KeySpec.SYMMETRIC_DEFAULT:
        raise ValidationException(f"{member} is supported only with symmetric encryption KMS keys.")
    return context
