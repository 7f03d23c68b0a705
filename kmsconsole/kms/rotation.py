"""Rotating a key's material: one rule shared by RotateKeyOnDemand and the scheduled
sweep of keys whose automatic rotation is due.

Rotation never replaces material: it adds the next version and makes it current, so
ciphertext made under any earlier version (the blob names its version) still decrypts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kmsconsole.audit.recorder import record_service_event
from kmsconsole.engine.enums import RotationType

from . import materials
from .models import Key, KeyMaterial

DEFAULT_ROTATION_PERIOD_DAYS = 365


def rotate_key_material(key: Key, *, now: datetime, rotation_type: RotationType) -> KeyMaterial:
    """Add ``key``'s next material version, make it current and return it.

    The caller holds the key's row lock (``select_for_update``) and has checked that the
    key may rotate. An automatic rotation also moves ``next_rotation_date`` one period on;
    an on-demand rotation leaves that schedule alone, as AWS does, and counts towards
    the key's on-demand quota instead.
    """
    version = key.current_material_version + 1
    row = materials.add_material(key, version, now=now, rotation_type=rotation_type)
    key.current_material_version = version
    changed = ["current_material_version"]
    if rotation_type == RotationType.AUTOMATIC:
        key.next_rotation_date = _next_automatic_rotation(key, now)
        changed.append("next_rotation_date")
    else:
        key.on_demand_rotation_count += 1
        changed.append("on_demand_rotation_count")
    key.save(update_fields=changed)
    return row


def _next_automatic_rotation(key: Key, now: datetime) -> datetime:
    """One period after the due date, so a sweep that runs late keeps the schedule; but
    never in the past: a key that missed rotations (it was disabled) restarts its
    schedule from now instead of rotating again at every sweep."""
    period = timedelta(days=key.rotation_period_days or DEFAULT_ROTATION_PERIOD_DAYS)
    due = key.next_rotation_date
    if due is not None and due + period > now:
        return due + period
    return now + period


def record_rotate_key_event(key: Key, *, previous_material_id: str, now: datetime, rotation_type: RotationType) -> None:
    """CloudTrail's ``RotateKey`` service event, which AWS writes when a rotation of
    either kind has completed (the on-demand request has its own event as well)."""
    record_service_event(
        workspace_id=key.account.workspace_id,
        account_id=key.account.account_id,
        region=key.region,
        event_name="RotateKey",
        key_arn=key.arn,
        event_time=now,
        details={
            "rotationType": rotation_type.value,
            "keyOrigin": key.origin,
            "previousKeyMaterialId": previous_material_id,
            "currentKeyMaterialId": materials.material(key).material_id,
        },
    )
