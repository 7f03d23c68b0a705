"""Checks for the asymmetric signing lab and the HMAC webhook lab, from the audit trail.

Offline verification with the public key leaves no trace in KMS, by design; what KMS
does see is the GetPublicKey call after the signature, which is what the check accepts.
A failed Verify or VerifyMac is only the tampering the step asks for when it used the
same algorithm (and message type) as the signature: otherwise the mismatch, not the
message, is why it failed, and the checks say so.
"""

from __future__ import annotations

from kmsconsole.audit.models import Event

from .base import CheckContext, CheckResult, check, describe_event, not_yet, passed, request_parameters


def _signature_form(event: Event) -> tuple[str, str]:
    """(signing algorithm, message type) of a Sign or Verify event."""
    parameters = request_parameters(event)
    return str(parameters.get("signingAlgorithm", "")), str(parameters.get("messageType", "RAW"))


@check("message_signed")
def message_signed(ctx: CheckContext, key: str) -> CheckResult:
    signed = ctx.events(event_name="Sign", key_arn=ctx.key_arn(key), succeeded=True).first()
    if signed is not None:
        algorithm, message_type = _signature_form(signed)
        return passed(f"{describe_event(signed)} with {algorithm} over a {message_type} message.")
    failed = ctx.events(event_name="Sign", key_arn=ctx.key_arn(key), succeeded=False).first()
    if failed is not None:
        return not_yet(f"{describe_event(failed)}: {failed.record.get('errorMessage') or failed.error_code}")
    return not_yet(f"Sign release.txt with {ctx.alias(key)}.")


@check("public_key_fetched_after_signing")
def public_key_fetched_after_signing(ctx: CheckContext, key: str) -> CheckResult:
    signed = ctx.events(event_name="Sign", key_arn=ctx.key_arn(key), succeeded=True).order_by("id").first()
    if signed is None:
        return not_yet("Sign the manifest first (step 1).")
    fetched = ctx.events(event_name="GetPublicKey", key_arn=ctx.key_arn(key), succeeded=True, after=signed).first()
    if fetched is None:
        return not_yet(f"Download the public key with aws kms get-public-key --key-id {ctx.alias(key)}.")
    return passed(f"{describe_event(fetched)}. With the public key, anyone can verify your signatures without AWS.")


@check("signature_verified_by_kms")
def signature_verified_by_kms(ctx: CheckContext, key: str) -> CheckResult:
    key_arn = ctx.key_arn(key)
    verified = ctx.events(event_name="Verify", key_arn=key_arn, succeeded=True).first()
    if verified is not None:
        return passed(f"{describe_event(verified)}: SignatureValid true.")
    signed_forms = {_signature_form(event) for event in ctx.events(event_name="Sign", key_arn=key_arn, succeeded=True)}
    if not signed_forms:
        return not_yet("Sign the manifest first (step 1).")
    failed = ctx.events(event_name="Verify", key_arn=key_arn, error_code="KMSInvalidSignatureException").first()
    if failed is None:
        return not_yet(f"Verify release.sig with aws kms verify --key-id {ctx.alias(key)} ...")
    form = _signature_form(failed)
    if form not in signed_forms:
        algorithm, message_type = sorted(signed_forms)[0]
        return not_yet(
            f"{describe_event(failed)}: you verified with {form[0]} over a {form[1]} message, but the signature was "
            f"made with {algorithm} over a {message_type} message. Verification must use the same signing "
            "algorithm and message type as signing."
        )
    return not_yet(
        f"{describe_event(failed)} with the right algorithm: the message or the signature file differs from what "
        "was signed. Use release.txt and release.sig exactly as step 1 wrote them (with fileb://)."
    )


@check("tampered_signature_rejected")
def tampered_signature_rejected(ctx: CheckContext, key: str) -> CheckResult:
    key_arn = ctx.key_arn(key)
    signed_forms = {_signature_form(event) for event in ctx.events(event_name="Sign", key_arn=key_arn, succeeded=True)}
    verified = ctx.events(event_name="Verify", key_arn=key_arn, succeeded=True).order_by("id").first()
    if verified is None:
        return not_yet("Verify the genuine manifest first (previous step), then the tampered one.")
    rejected = ctx.events(
        event_name="Verify", key_arn=key_arn, error_code="KMSInvalidSignatureException", after=verified
    )
    for event in rejected:
        if _signature_form(event) in signed_forms:
            return passed(f"{describe_event(event)}: the tampered manifest was rejected.")
    latest_rejection = rejected.first()
    if latest_rejection is not None:
        return not_yet(
            f"{describe_event(latest_rejection)}, but with another algorithm or message type than the signature: that "
            "failure says nothing about the manifest. Verify tampered.txt with the same options as before."
        )
    return not_yet("Verify tampered.txt against release.sig with aws kms verify.")


@check("mac_generated")
def mac_generated(ctx: CheckContext, key: str, algorithm: str) -> CheckResult:
    key_arn = ctx.key_arn(key)
    generated = ctx.events(event_name="GenerateMac", key_arn=key_arn, succeeded=True)
    for event in generated:
        if request_parameters(event).get("macAlgorithm") == algorithm:
            return passed(f"{describe_event(event)} with {algorithm}.")
    refused = ctx.events(event_name="GenerateMac", key_arn=key_arn, error_code="InvalidKeyUsageException").first()
    if refused is not None:
        return not_yet(
            f"{describe_event(refused)}: {refused.record.get('errorMessage', '')} The MAC algorithm must match the "
            f"key's spec: use --mac-algorithm {algorithm}."
        )
    return not_yet(f"Generate a MAC for webhook_payload.json with {ctx.alias(key)} and {algorithm}.")


@check("mac_verified_by")
def mac_verified_by(ctx: CheckContext, key: str, principal: str) -> CheckResult:
    key_arn = ctx.key_arn(key)
    principal_arn = ctx.principal_arn(principal)
    verified = ctx.events(event_name="VerifyMac", key_arn=key_arn, by=principal, succeeded=True).first()
    if verified is not None:
        return passed(f"{describe_event(verified)}: MacValid true, with the receiver's own credentials.")
    by_admin = ctx.events(event_name="VerifyMac", key_arn=key_arn, by="admin", succeeded=True).first()
    if by_admin is not None:
        return not_yet(
            f"{describe_event(by_admin)}: that is the administrator. Verify as the receiver ({principal_arn}) through "
            "as_receiver, which can do nothing but verify."
        )
    failed = ctx.events(event_name="VerifyMac", key_arn=key_arn, by=principal, succeeded=False).first()
    if failed is not None and failed.error_code == "KMSInvalidMacException":
        return not_yet(
            f"{describe_event(failed)}: the MAC did not match. Verify the original webhook_payload.json with the "
            "webhook.mac bytes from step 1 (fileb://, not the base64 text)."
        )
    if failed is not None:
        return not_yet(f"{describe_event(failed)}: {failed.record.get('errorMessage', '')}")
    return not_yet(f"Verify the MAC as {principal_arn}.")


@check("tampered_mac_rejected")
def tampered_mac_rejected(ctx: CheckContext, key: str, principal: str) -> CheckResult:
    key_arn = ctx.key_arn(key)
    verified = ctx.events(event_name="VerifyMac", key_arn=key_arn, by=principal, succeeded=True).order_by("id").first()
    if verified is None:
        return not_yet("Verify the genuine payload as the receiver first (previous step).")
    rejected = ctx.events(
        event_name="VerifyMac", key_arn=key_arn, by=principal, error_code="KMSInvalidMacException", after=verified
    ).first()
    if rejected is None:
        return not_yet("Verify tampered_payload.json with the original MAC, as the receiver.")
    return passed(f"{describe_event(rejected)}: the tampered webhook would be refused.")


@check("mac_generation_denied")
def mac_generation_denied(ctx: CheckContext, key: str, principal: str) -> CheckResult:
    key_arn = ctx.key_arn(key)
    denied = ctx.events(
        event_name="GenerateMac", key_arn=key_arn, by=principal, error_code="AccessDeniedException"
    ).first()
    if denied is not None:
        return passed(f"{describe_event(denied)}: the receiver can verify MACs but never forge one.")
    forged = ctx.events(event_name="GenerateMac", key_arn=key_arn, by=principal, succeeded=True).first()
    if forged is not None:
        return not_yet(
            f"{describe_event(forged)} succeeded: the receiver can forge webhook MACs. Its policy should allow only "
            "kms:VerifyMac."
        )
    return not_yet(f"Try generate-mac as the receiver ({ctx.principal_arn(principal)}); it should be refused.")
