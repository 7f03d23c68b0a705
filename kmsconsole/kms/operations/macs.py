"""MACs: GenerateMac and VerifyMac with HMAC keys."""

from __future__ import annotations

from kmsconsole.engine import asymmetric
from kmsconsole.engine.enums import KeySpec, MacAlgorithm
from kmsconsole.iam.callers import Caller

from .. import materials
from .common import key_for, stop_if_dry_run
from .registry import Request, Response, operation


@operation("GenerateMac", read_only=True, data_plane=True)
def generate_mac(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html

    An algorithm other than the key spec's own (HMAC_SHA_256 on an HMAC_224 key) is an
    InvalidKeyUsageException, raised by the engine before any MAC is computed.
    """
    key = key_for(caller, request["KeyId"], operation="GenerateMac")
    algorithm = MacAlgorithm(request["MacAlgorithm"])
    mac = asymmetric.generate_mac(KeySpec(key.key_spec), materials.material_bytes(key), algorithm, request["Message"])
    stop_if_dry_run(request)
    return {"Mac": mac, "MacAlgorithm": algorithm, "KeyId": key.arn}


@operation("VerifyMac", read_only=True, data_plane=True)
def verify_mac(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html

    A MAC that does not match raises KMSInvalidMacException: AWS never answers
    ``MacValid: false``.
    """
    key = key_for(caller, request["KeyId"], operation="VerifyMac")
    algorithm = MacAlgorithm(request["MacAlgorithm"])
    asymmetric.verify_mac(
        KeySpec(key.key_spec), materials.material_bytes(key), algorithm, request["Message"], request["Mac"]
    )
    stop_if_dry_run(request)
    return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": algorithm}
