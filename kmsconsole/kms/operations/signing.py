"""Signing: Sign, Verify, GetPublicKey."""

from __future__ import annotations

from kmsconsole.engine import asymmetric, keyspecs
from kmsconsole.engine.enums import KeySpec, KeyUsage, MessageType, SigningAlgorithm
from kmsconsole.engine.errors import UnsupportedOperationException
from kmsconsole.engine.material import SECRET_KEY_BYTES, public_key_der
from kmsconsole.iam.callers import Caller

from .. import materials
from .common import key_for, stop_if_dry_run
from .registry import Request, Response, operation


@operation("Sign", read_only=True, data_plane=True)
def sign(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html

    The signature is computed before the DryRun check, because computing it is what checks
    the algorithm, the message type and the digest length; it has no effect until returned.
    """
    key = key_for(caller, request["KeyId"], operation="Sign")
    algorithm = SigningAlgorithm(request["SigningAlgorithm"])
    signature = asymmetric.sign(
        KeySpec(key.key_spec), materials.material_bytes(key), algorithm, request["Message"], _message_type(request)
    )
    stop_if_dry_run(request)
    return {"KeyId": key.arn, "Signature": signature, "SigningAlgorithm": algorithm}


@operation("Verify", read_only=True, data_plane=True)
def verify(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_Verify.html

    A bad signature raises KMSInvalidSignatureException: AWS never answers
    ``SignatureValid: false``.
    """
    key = key_for(caller, request["KeyId"], operation="Verify")
    algorithm = SigningAlgorithm(request["SigningAlgorithm"])
    asymmetric.verify(
        KeySpec(key.key_spec),
        materials.material_bytes(key),
        algorithm,
        request["Message"],
        _message_type(request),
        request["Signature"],
    )
    stop_if_dry_run(request)
    return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}


def _message_type(request: Request) -> MessageType:
    return MessageType(request.get("MessageType", MessageType.RAW))


@operation("GetPublicKey", read_only=True, data_plane=True)
def get_public_key(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_GetPublicKey.html

    Symmetric encryption and HMAC keys have no public half. AWS's text for that refusal is
    unconfirmed (emulators report none), so ours names the key and its spec.
    """
    key = key_for(caller, request["KeyId"], operation="GetPublicKey")
    spec = KeySpec(key.key_spec)
    if spec in SECRET_KEY_BYTES:
        raise UnsupportedOperationException(f"{key.arn} key spec is {spec} which has no public key.")
    response: Response = {
        "KeyId": key.arn,
        "PublicKey": public_key_der(spec, materials.material_bytes(key)),
        "KeySpec": spec,
        "KeyUsage": key.key_usage,
        **keyspecs.algorithm_lists(spec, KeyUsage(key.key_usage)),
    }
    legacy_spec = keyspecs.customer_master_key_spec(spec)
    if legacy_spec:
        response["CustomerMasterKeySpec"] = legacy_spec
    return response
