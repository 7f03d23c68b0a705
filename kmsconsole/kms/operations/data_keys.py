"""Data keys: GenerateDataKey*, GenerateDataKeyPair*, GenerateRandom.

Every data key and private data key is sealed under the symmetric KMS key with
``encrypt_with``, so Decrypt (and ReEncrypt) open them like any other ciphertext.
"""

from __future__ import annotations

import os

from kmsconsole.engine import asymmetric
from kmsconsole.engine.enums import DataKeyPairSpec, DataKeySpec, EncryptionAlgorithm
from kmsconsole.engine.errors import UnsupportedOperationException, ValidationException
from kmsconsole.iam.callers import Caller

from .. import authz, materials
from ..models import Key
from .common import key_for, stop_if_dry_run
from .encryption import encrypt_with, refuse_recipient
from .registry import Request, Response, operation

DATA_KEY_BYTES = {DataKeySpec.AES_256: 32, DataKeySpec.AES_128: 16}


@operation("GenerateDataKey", read_only=True, data_plane=True)
def generate_data_key(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html"""
    refuse_recipient(request)
    return _data_key(caller, request, operation="GenerateDataKey", with_plaintext=True)


@operation("GenerateDataKeyWithoutPlaintext", read_only=True, data_plane=True)
def generate_data_key_without_plaintext(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKeyWithoutPlaintext.html"""
    return _data_key(caller, request, operation="GenerateDataKeyWithoutPlaintext", with_plaintext=False)


def _data_key(caller: Caller, request: Request, *, operation: str, with_plaintext: bool) -> Response:
    length = _data_key_length(request)
    key = key_for(caller, request["KeyId"], operation=operation)
    stop_if_dry_run(request)
    plaintext = os.urandom(length)
    response: Response = {
        "CiphertextBlob": _seal(key, plaintext, request),
        "KeyId": key.arn,
        "KeyMaterialId": materials.material(key).material_id,
    }
    if with_plaintext:
        response["Plaintext"] = plaintext
    return response


def _data_key_length(request: Request) -> int:
    """The data key's length in bytes, from exactly one of KeySpec and NumberOfBytes.

    AWS checks this before it looks the key up, with the same text for both mistakes.
    """
    key_spec: str | None = request.get("KeySpec")
    number_of_bytes: int | None = request.get("NumberOfBytes")
    if key_spec is not None and number_of_bytes is None:
        return DATA_KEY_BYTES[DataKeySpec(key_spec)]
    if number_of_bytes is not None and key_spec is None:
        return number_of_bytes
    raise ValidationException("Please specify either number of bytes or key spec.")


@operation("GenerateDataKeyPair", read_only=True, data_plane=True)
def generate_data_key_pair(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKeyPair.html"""
    refuse_recipient(request)
    return _data_key_pair(caller, request, operation="GenerateDataKeyPair", with_plaintext=True)


@operation("GenerateDataKeyPairWithoutPlaintext", read_only=True, data_plane=True)
def generate_data_key_pair_without_plaintext(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKeyPairWithoutPlaintext.html"""
    return _data_key_pair(caller, request, operation="GenerateDataKeyPairWithoutPlaintext", with_plaintext=False)


def _data_key_pair(caller: Caller, request: Request, *, operation: str, with_plaintext: bool) -> Response:
    """Make a key pair for use outside KMS: the public key in the clear (DER SPKI), the private
    key (DER PKCS#8) sealed under the symmetric KMS key and, if asked for, in the clear too.

    The pair is generated before the DryRun check because generating it is what refuses a
    spec this Region lacks (SM2); it has no effect until it is returned.
    """
    key = key_for(caller, request["KeyId"], operation=operation)
    pair_spec = DataKeyPairSpec(request["KeyPairSpec"])
    private_key, public_key = asymmetric.generate_data_key_pair(pair_spec)
    stop_if_dry_run(request)
    response: Response = {
        "PrivateKeyCiphertextBlob": _seal(key, private_key, request),
        "PublicKey": public_key,
        "KeyId": key.arn,
        "KeyPairSpec": pair_spec,
        "KeyMaterialId": materials.material(key).material_id,
    }
    if with_plaintext:
        response["PrivateKeyPlaintext"] = private_key
    return response


def _seal(key: Key, plaintext: bytes, request: Request) -> bytes:
    return encrypt_with(key, plaintext, EncryptionAlgorithm.SYMMETRIC_DEFAULT, request.get("EncryptionContext"))


@operation("GenerateRandom", read_only=True, data_plane=True)
def generate_random(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateRandom.html

    The model marks NumberOfBytes optional but AWS requires it, with its own message.
    """
    if request.get("NumberOfBytes") is None:
        raise ValidationException("NumberOfBytes is required.")
    if request.get("CustomKeyStoreId"):
        raise UnsupportedOperationException("Custom key stores are not supported by kmsconsole.")
    refuse_recipient(request)
    authz.decide(caller, "kms:GenerateRandom").enforce()
    return {"Plaintext": os.urandom(request["NumberOfBytes"])}
