"""Checks for the rotation lab (and the rotation step of the costs lab): the rotation
schedule on the key, the material versions rotation added (what ListKeyRotations lists),
and decryption of ciphertext made before them.
"""

from __future__ import annotations

from kmsconsole.audit.models import Event
from kmsconsole.kms.models import KeyMaterial

from .base import CheckContext, CheckResult, check, describe_event, not_yet, passed, request_parameters


@check("alias_refused_for_rotation")
def alias_refused_for_rotation(ctx: CheckContext, key: str) -> CheckResult:
    """The learner ran the guide's enable-key-rotation with the alias and met the error."""
    alias = ctx.alias(key)
    refused = ctx.events(event_name="EnableKeyRotation", error_code="NotFoundException")
    for event in refused:
        named = str(request_parameters(event).get("keyId", ""))
        if named == alias or named.endswith(f":{alias}"):
            return passed(f"{describe_event(event)}: EnableKeyRotation takes a key id or key ARN, not {alias}.")
    return not_yet(
        f"Run the guide's form first, aws kms enable-key-rotation --key-id {alias} ..., and read its "
        "NotFoundException before using the key id."
    )


@check("rotation_period_set")
def rotation_period_set(ctx: CheckContext, key: str, days: int) -> CheckResult:
    """Automatic rotation is on, every ``days`` days."""
    row = ctx.key(key)
    if row is None:
        return not_yet(f"The key {ctx.key_arn(key)} no longer exists.")
    if not row.rotation_enabled:
        return not_yet(f"Automatic rotation of {ctx.alias(key)} is off. Enable it with the key id: {row.key_id}.")
    if row.rotation_period_days != days:
        return not_yet(
            f"Rotation is on, but every {row.rotation_period_days} days; this step asks for {days}. Run "
            f"enable-key-rotation again with --rotation-period-in-days {days}: that changes the period."
        )
    return passed(f"{ctx.alias(key)} rotates every {days} days; next rotation {row.next_rotation_date:%Y-%m-%d}.")


@check("rotation_turned_on")
def rotation_turned_on(ctx: CheckContext, key: str) -> CheckResult:
    row = ctx.key(key)
    if row is None:
        return not_yet(f"The key {ctx.key_arn(key)} no longer exists.")
    if not row.rotation_enabled:
        return not_yet(
            f"Automatic rotation of {ctx.alias(key)} is still off, the guide's 'not enabling key rotation' mistake. "
            f"Run enable-key-rotation --key-id {row.key_id} (the alias is refused there)."
        )
    return passed(f"{ctx.alias(key)} rotates every {row.rotation_period_days} days.")


@check("rotated")
def rotated(ctx: CheckContext, key: str, rotation_type: str) -> CheckResult:
    """The key has material that a rotation of ``rotation_type`` (ON_DEMAND or AUTOMATIC)
    added since the lab started."""
    row = ctx.key(key)
    if row is None:
        return not_yet(f"The key {ctx.key_arn(key)} no longer exists.")
    added = KeyMaterial.objects.filter(key=row, rotation_type=rotation_type, created_at__gte=ctx.started_at)
    material = added.order_by("version").first()
    if material is not None:
        return passed(
            f"Material version {material.version} ({rotation_type}) was rotated in on "
            f"{material.created_at:%Y-%m-%d %H:%M} (workspace clock)."
        )
    if rotation_type == "ON_DEMAND":
        return not_yet(f"No on-demand rotation yet. Run aws kms rotate-key-on-demand --key-id {row.key_id}.")
    if not row.rotation_enabled:
        return not_yet(f"Automatic rotation of {ctx.alias(key)} is off, so no amount of waiting will rotate it.")
    return not_yet(
        f"No automatic rotation yet: the next one is due {row.next_rotation_date:%Y-%m-%d} and your workspace clock "
        f"says {ctx.now:%Y-%m-%d}. Fast-forward past that date."
    )


@check("rotations_listed")
def rotations_listed(ctx: CheckContext, key: str) -> CheckResult:
    """ListKeyRotations was called after the automatic rotation, so the learner saw it."""
    rotation = _automatic_rotation(ctx, key)
    if rotation is None:
        return not_yet("There is no automatic rotation to list yet: fast-forward first.")
    listed = ctx.events(event_name="ListKeyRotations", key_arn=ctx.key_arn(key), succeeded=True, after=rotation).first()
    if listed is None:
        return not_yet(f"Run aws kms list-key-rotations --key-id {ctx.key_id(key)} to see the AUTOMATIC rotation.")
    return passed(f"{describe_event(listed)}, after the automatic rotation.")


@check("old_ciphertext_decrypted_after_rotation")
def old_ciphertext_decrypted_after_rotation(ctx: CheckContext, key: str, ciphertext: str) -> CheckResult:
    """The setup ciphertext (made with the original material) decrypted after the
    automatic rotation. It is recognised by its encryption context."""
    rotation = _automatic_rotation(ctx, key)
    context = ctx.ciphertext_context(ciphertext)
    shown = ",".join(f"{name}={value}" for name, value in context.items())
    if rotation is None:
        return not_yet("Fast-forward first: the point is to decrypt after the key has rotated.")
    decrypts = ctx.events(event_name="Decrypt", after=rotation)
    for event in decrypts:
        logged = request_parameters(event).get("encryptionContext") or {}
        if event.key_arn == ctx.key_arn(key) and not event.error_code and logged == context:
            return passed(f"{describe_event(event)}: the invoice from before every rotation decrypted.")
    failed = decrypts.filter(error_code="InvalidCiphertextException").first()
    if failed is not None:
        return not_yet(
            f"{describe_event(failed)}. The invoice was encrypted with the encryption context {shown}; "
            f"decrypt needs exactly the same context: --encryption-context {shown}."
        )
    return not_yet(f"Decrypt the old invoice (with --encryption-context {shown}) now that the key has rotated.")


def _automatic_rotation(ctx: CheckContext, key: str) -> Event | None:
    """The first RotateKey service event of an automatic rotation of ``key``."""
    for event in ctx.events(event_name="RotateKey", key_arn=ctx.key_arn(key)).order_by("id"):
        if (event.record.get("serviceEventDetails") or {}).get("rotationType") == "AUTOMATIC":
            return event
    return None
