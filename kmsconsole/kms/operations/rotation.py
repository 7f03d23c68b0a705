"""Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
RotateKeyOnDemand, ListKeyRotations.

Only symmetric encryption keys whose material KMS generated (origin AWS_KMS) rotate. The
rotation itself is ``kms.rotation.rotate_key_material``, shared with the scheduled sweep
that performs automatic rotations when they fall due.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from kmsconsole.engine.enums import (
    IncludeKeyMaterial,
    KeyManager,
    KeyMaterialState,
    KeySpec,
    KeyState,
    Origin,
    RotationType,
)
from kmsconsole.engine.errors import LimitExceededException, UnsupportedOperationException
from kmsconsole.iam.callers import Caller

from .. import materials
from ..authz import Decision
from ..keys import resolve_key
from ..models import Key, KeyMaterial
from ..pagination import paginate
from ..rotation import DEFAULT_ROTATION_PERIOD_DAYS, record_rotate_key_event, rotate_key_material
from .common import check_use
from .registry import Request, Response, operation

# AWS managed keys rotate every year on their own; their fixed key policy lets no one
# change that, so these operations are denied on them.
_SETTINGS_OF_AWS_MANAGED_ROTATION = frozenset({"EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand"})
_DELETING_STATES = frozenset({KeyState.PENDING_DELETION, KeyState.PENDING_REPLICA_DELETION})


@operation("EnableKeyRotation")
def enable_key_rotation(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html

    Enabling again changes the period and restarts the schedule from today.
    """
    key = _rotation_key(caller, request, operation="EnableKeyRotation", for_update=True)
    period_days = request.get("RotationPeriodInDays", DEFAULT_ROTATION_PERIOD_DAYS)
    key.rotation_enabled = True
    key.rotation_period_days = period_days
    key.next_rotation_date = caller.now + timedelta(days=period_days)
    key.save(update_fields=["rotation_enabled", "rotation_period_days", "next_rotation_date"])
    return {}


@operation("DisableKeyRotation")
def disable_key_rotation(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKeyRotation.html"""
    key = _rotation_key(caller, request, operation="DisableKeyRotation", for_update=True)
    key.rotation_enabled = False
    key.next_rotation_date = None
    key.save(update_fields=["rotation_enabled", "next_rotation_date"])
    return {}


@operation("GetKeyRotationStatus", read_only=True)
def get_key_rotation_status(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyRotationStatus.html

    Keys that cannot rotate (asymmetric, HMAC) report ``false``, which tools such as
    Terraform rely on when they read every key's status; only imported material is
    refused. A key pending deletion reports ``false`` but keeps its setting, so
    cancelling the deletion brings ``true`` back. On-demand rotations complete within
    the request here, so ``OnDemandRotationStartDate`` (present while AWS is still
    rotating) never appears.
    """
    key = _rotation_key(caller, request, operation="GetKeyRotationStatus", symmetric_only=False)
    enabled = key.rotation_enabled and key.key_state not in _DELETING_STATES
    response: Response = {"KeyRotationEnabled": enabled, "KeyId": key.arn}
    if enabled:
        response["RotationPeriodInDays"] = key.rotation_period_days
        response["NextRotationDate"] = key.next_rotation_date
    return response


@operation("RotateKeyOnDemand")
def rotate_key_on_demand(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_RotateKeyOnDemand.html

    AWS rotates asynchronously; we rotate before answering, so the new material is
    current (DescribeKey's ``CurrentKeyMaterialId``) as soon as the call returns, and the
    ``RotateKey`` service event AWS writes on completion is written at once too. The
    automatic rotation schedule is not affected.
    """
    key = _rotation_key(caller, request, operation="RotateKeyOnDemand", for_update=True)
    if key.on_demand_rotation_count >= settings.KMSCONSOLE_ON_DEMAND_ROTATION_LIMIT:
        raise LimitExceededException(
            "The on-demand rotations limit has been reached for the given keyId. "
            f"No more on-demand rotations can be performed for this key: {key.arn}"
        )
    previous_material_id = materials.material(key).material_id
    rotate_key_material(key, now=caller.now, rotation_type=RotationType.ON_DEMAND)
    record_rotate_key_event(
        key, previous_material_id=previous_material_id, now=caller.now, rotation_type=RotationType.ON_DEMAND
    )
    return {"KeyId": key.arn}


@operation("ListKeyRotations", read_only=True)
def list_key_rotations(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeyRotations.html

    Oldest first. ``ALL_KEY_MATERIAL`` adds the key's original material, which was not
    rotated in and so has no ``RotationDate`` or ``RotationType``.
    """
    key = _rotation_key(caller, request, operation="ListKeyRotations")
    rows = KeyMaterial.objects.filter(key=key).only("version", "material_id", "created_at", "rotation_type")
    included = request.get("IncludeKeyMaterial", IncludeKeyMaterial.ROTATIONS_ONLY)
    if included == IncludeKeyMaterial.ROTATIONS_ONLY:
        rows = rows.exclude(rotation_type="")
    page = paginate(rows, order_field="version", request=request, default_limit=100, max_limit=1000)
    return {"Rotations": [_rotation_entry(key, material) for material in page.items], **page.envelope()}


def _rotation_key(
    caller: Caller, request: Request, *, operation: str, for_update: bool = False, symmetric_only: bool = True
) -> Key:
    """Resolve and authorize the key, then check its state (before its type, as AWS
    does) and that it is a key that rotates."""
    key = resolve_key(caller, request["KeyId"], operation=operation, for_update=for_update)
    if operation in _SETTINGS_OF_AWS_MANAGED_ROTATION:
        _refuse_aws_managed_key(caller, key, operation)
    check_use(caller, key, operation=operation)
    _require_rotating_key(key, symmetric_only=symmetric_only)
    return key


def _refuse_aws_managed_key(caller: Caller, key: Key, operation: str) -> None:
    """Answer as evaluating an AWS managed key's fixed policy does: it allows no one to
    change how the key rotates."""
    if key.key_manager == KeyManager.AWS:
        action = f"kms:{operation}"
        reason = f"because no resource-based policy allows the {action} action"
        Decision(False, action, key.arn, caller.arn, reason).enforce()


def _require_rotating_key(key: Key, *, symmetric_only: bool) -> None:
    """AWS answers a non-symmetric key with an empty message; ours says why."""
    if key.origin != Origin.AWS_KMS:
        raise UnsupportedOperationException(f"{key.arn} origin is {key.origin} which is not valid for this operation.")
    if symmetric_only and key.key_spec != KeySpec.SYMMETRIC_DEFAULT:
        raise UnsupportedOperationException(
            f"{key.arn} has KeySpec {key.key_spec}. Key rotation is supported only on symmetric "
            "encryption KMS keys (KeySpec SYMMETRIC_DEFAULT)."
        )


def _rotation_entry(key: Key, material: KeyMaterial) -> Response:
    current = material.version == key.current_material_version
    entry: Response = {
        "KeyId": key.arn,
        "KeyMaterialId": material.material_id,
        "KeyMaterialState": KeyMaterialState.CURRENT if current else KeyMaterialState.NON_CURRENT,
    }
    if material.rotation_type:
        entry["RotationDate"] = material.created_at
        entry["RotationType"] = material.rotation_type
    return entry
