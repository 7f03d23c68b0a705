"""Key agreement: DeriveSharedSecret with ECC KEY_AGREEMENT keys."""

from __future__ import annotations

from kmsconsole.engine import asymmetric
from kmsconsole.engine.enums import KeyAgreementAlgorithm, KeySpec
from kmsconsole.iam.callers import Caller

from .. import materials
from .common import key_for, stop_if_dry_run
from .encryption import refuse_recipient
from .registry import Request, Response, operation


@operation("DeriveSharedSecret", read_only=True, data_plane=True)
def derive_shared_secret(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_DeriveSharedSecret.html

    Returns the raw ECDH secret, as AWS does, so the peer derives the same bytes with its
    own private key and our public key. A peer key that is not a DER SubjectPublicKeyInfo
    on the key's curve is a ValidationException with no text, as AWS answers.
    """
    refuse_recipient(request)
    key = key_for(caller, request["KeyId"], operation="DeriveSharedSecret")
    algorithm = KeyAgreementAlgorithm(request["KeyAgreementAlgorithm"])
    secret = asymmetric.derive_shared_secret(KeySpec(key.key_spec), materials.material_bytes(key), request["PublicKey"])
    stop_if_dry_run(request)
    return {
        "KeyId": key.arn,
        "SharedSecret": secret,
        "KeyAgreementAlgorithm": algorithm,
        "KeyOrigin": key.origin,
    }
