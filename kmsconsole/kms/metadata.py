"""KeyMetadata as DescribeKey, CreateKey and the console show it."""

from __future__ import annotations

from typing import Any

from kmsconsole.engine import keyspecs
from kmsconsole.engine.enums import KeySpec, KeyState, KeyUsage, Origin

from . import materials
from .models import Key


def key_metadata(key: Key) -> dict[str, Any]:
    """The ``KeyMetadata`` structure, with the members AWS returns for this kind of key."""
    spec = KeySpec(key.key_spec)
    metadata: dict[str, Any] = {
        "AWSAccountId": key.account.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.creation_date,
        "Enabled": key.key_state == KeyState.ENABLED,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.key_state,
        "Origin": key.origin,
        "KeyManager": key.key_manager,
        "KeySpec": key.key_spec,
        "MultiRegion": key.multi_region,
    }
    legacy_spec = keyspecs.customer_master_key_spec(spec)
    if legacy_spec:
        metadata["CustomerMasterKeySpec"] = legacy_spec
    if key.deletion_date is not None:
        metadata["DeletionDate"] = key.deletion_date
    metadata.update(keyspecs.algorithm_lists(spec, KeyUsage(key.key_usage)))
    if spec == KeySpec.SYMMETRIC_DEFAULT and key.origin == Origin.AWS_KMS:
        metadata["CurrentKeyMaterialId"] = materials.material(key).material_id
    return metadata
