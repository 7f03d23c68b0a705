"""Creating a key row with its first material version: shared by CreateKey, AWS managed
keys and workspace provisioning, so a key always starts complete."""

from __future__ import annotations

import uuid
from datetime import datetime

from kmsconsole.engine.arns import key_arn
from kmsconsole.engine.enums import KeyManager, KeyState, Origin
from kmsconsole.iam.models import Account

from .materials import add_material
from .models import Key


def create_key_row(
    account: Account,
    region: str,
    *,
    key_spec: str,
    key_usage: str,
    policy: str,
    now: datetime,
    description: str = "",
    origin: str = Origin.AWS_KMS,
    key_manager: str = KeyManager.CUSTOMER,
    managed_service: str = "",
) -> Key:
    key_id = str(uuid.uuid4())
    key = Key.objects.create(
        account=account,
        region=region,
        key_id=key_id,
        arn=key_arn(region, account.account_id, key_id),
        description=description,
        key_spec=key_spec,
        key_usage=key_usage,
        origin=origin,
        key_manager=key_manager,
        key_state=KeyState.PENDING_IMPORT if origin == Origin.EXTERNAL else KeyState.ENABLED,
        creation_date=now,
        policy=policy,
        managed_service=managed_service,
    )
    if origin == Origin.AWS_KMS:
        add_material(key, 1, now=now)
    return key
