"""Checks of the encryption labs: envelope encryption with data keys, and the
encryption context as authenticated data."""

from __future__ import annotations

import ast
import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db.models import Q, QuerySet

from kmsconsole.audit.models import Event
from kmsconsole.engine import ciphertext
from kmsconsole.engine.errors import InvalidCiphertextException
from kmsconsole.kms import materials
from kmsconsole.kms.models import KeyMaterial

from .base import CheckContext, CheckResult, check, describe_event, not_yet, passed, request_parameters

AES_256_BYTES = 32
ENCRYPT_LIMIT_BYTES = 4096
NONCE_BYTES = 12


def calls_on(ctx: CheckContext, key: str, event_name: str | list[str], **filters: Any) -> QuerySet[Event]:
    """Events of ``event_name`` on setup key ``key``, including calls refused before the
    key was resolved (a too-long plaintext), which only name it in their request."""
    names = sorted(ctx.key_refs_of(key))
    on_key = Q(key_arn=ctx.key_arn(key)) | Q(record__requestParameters__keyId__in=names)
    return ctx.events(event_name=event_name, **filters).filter(on_key)


def _key_name(ctx: CheckContext, key: str) -> str:
    return ctx.alias(key) or ctx.key_id(key)


def _error_message(event: Event) -> str:
    return str(event.record.get("errorMessage") or event.error_code)


# ---------------------------------------------------------------- envelope encryption


@check("encrypt_limit_met")
def encrypt_limit_met(ctx: CheckContext, key: str) -> CheckResult:
    """The learner sent Encrypt more than 4 KB and saw KMS refuse it."""
    name = _key_name(ctx, key)
    calls = calls_on(ctx, key, "Encrypt")
    refused = calls.filter(error_code="ValidationException").first()
    if refused is not None:
        return passed(
            f"{describe_event(refused)}: KMS refused the plaintext, because Encrypt takes at most "
            f"{ENCRYPT_LIMIT_BYTES} bytes. Bulk data needs a data key."
        )
    latest = calls.first()
    if latest is None:
        return not_yet(f"No Encrypt call on {name} yet. Run the encrypt command of this step with the 6 KB file.")
    if not latest.error_code:
        return not_yet(
            f"{describe_event(latest)} succeeded, so the file you sent was {ENCRYPT_LIMIT_BYTES} bytes or "
            "smaller. Send a bigger one (head -c 6144 /dev/urandom > records.bin) to meet the limit."
        )
    return not_yet(f"{describe_event(latest)}: {_error_message(latest)}")


@check("data_key_generated")
def data_key_generated(ctx: CheckContext, key: str, key_spec: str = "AES_256") -> CheckResult:
    """GenerateDataKey succeeded on the key, asking for the expected key size."""
    name = _key_name(ctx, key)
    calls = calls_on(ctx, key, "GenerateDataKey")
    succeeded = calls.filter(error_code="")
    if not calls.exists():
        without_plaintext = calls_on(ctx, key, "GenerateDataKeyWithoutPlaintext", succeeded=True).first()
        if without_plaintext is not None:
            return not_yet(
                f"{describe_event(without_plaintext)} returned only the encrypted data key. To encrypt data "
                "yourself you need the plaintext copy too: call GenerateDataKey."
            )
        return not_yet(f"No GenerateDataKey call on {name} yet. Run the generate-data-key command of this step.")
    if not succeeded.exists():
        latest = calls.first()
        assert latest is not None
        return not_yet(
            f"Your GenerateDataKey calls failed; the latest: {describe_event(latest)}: {_error_message(latest)}"
        )
    for event in succeeded:
        asked = _asked_size(request_parameters(event))
        if asked == key_spec:
            return passed(f"{describe_event(event)} returned a data key ({key_spec}) and its encrypted copy.")
    latest_event = succeeded.first()
    assert latest_event is not None
    return not_yet(
        f"{describe_event(latest_event)} asked for {_asked_size(request_parameters(latest_event))}; this step "
        f"uses --key-spec {key_spec}."
    )


def _asked_size(parameters: Mapping[str, Any]) -> str:
    if parameters.get("keySpec"):
        return str(parameters["keySpec"])
    size = parameters.get("numberOfBytes")
    return {32: "AES_256", 16: "AES_128"}.get(size, f"{size} bytes") if size else "no size"


@check("data_key_decrypted")
def data_key_decrypted(ctx: CheckContext, key: str) -> CheckResult:
    """After generating a data key, the learner recovered one with Decrypt."""
    generated = calls_on(ctx, key, "GenerateDataKey", succeeded=True).last()
    if generated is None:
        return not_yet("Generate a data key first: there is nothing to decrypt yet.")
    decrypts = ctx.events(event_name="Decrypt", key_arn=ctx.key_arn(key), after=generated)
    success = decrypts.filter(error_code="").first()
    if success is not None:
        return passed(f"{describe_event(success)} recovered a data key from its encrypted copy.")
    failed = decrypts.first()
    if failed is not None and failed.error_code == "InvalidCiphertextException":
        return not_yet(
            f"{describe_event(failed)}. KMS could not read the blob: pass the raw bytes "
            "(fileb://encrypted_datakey.bin after base64 --decode), not the base64 text."
        )
    if failed is not None:
        return not_yet(f"{describe_event(failed)}: {_error_message(failed)}")
    return not_yet(f"No Decrypt of a data key of {_key_name(ctx, key)} yet.")


@check("data_encrypted_locally")
def data_encrypted_locally(ctx: CheckContext, key: str) -> CheckResult:
    """The data itself never went to KMS: no successful Encrypt after the latest data key."""
    name = _key_name(ctx, key)
    generated = calls_on(ctx, key, "GenerateDataKey", succeeded=True).first()
    encrypted = calls_on(ctx, key, "Encrypt", succeeded=True).first()
    if generated is None:
        return not_yet(f"No data key from {name} yet: envelope encryption starts with GenerateDataKey.")
    if encrypted is not None and encrypted.pk > generated.pk:
        return not_yet(
            f"{describe_event(encrypted)} sent your data to KMS itself. With envelope encryption the data "
            "stays on your machine: KMS only makes and unwraps the data key. Encrypt the data locally with "
            "the data key (envelope_encrypt) instead."
        )
    if encrypted is not None:
        return passed(
            f"You called Encrypt at {encrypted.event_time:%H:%M:%S}, but switched to a data key afterwards: "
            "your data is encrypted on your machine."
        )
    return passed(f"Your data never went to KMS: {name} saw GenerateDataKey, and no Encrypt of your data.")


@check("envelope_payload_decrypts")
def envelope_payload_decrypts(ctx: CheckContext, key: str, step: str) -> CheckResult:
    """What the learner stored (pasted in ``step``) holds an encrypted data key of ``key``
    and data that this data key decrypts, and no plaintext key."""
    text = ctx.submission(step).strip()
    if not text:
        return not_yet("Paste what envelope_encrypt returned (print(json.dumps(encrypted))) into this step's box.")
    payload = _parse_payload(text)
    if payload is None:
        return not_yet(
            "The pasted text is not the dictionary envelope_encrypt returns: expected "
            '{"encrypted_data": "...", "encrypted_key": "..."}.'
        )
    problem = _plaintext_key_stored(payload)
    if problem:
        return not_yet(problem)
    try:
        encrypted_key = base64.b64decode(payload["encrypted_key"], validate=True)
        encrypted_data = base64.b64decode(payload["encrypted_data"], validate=True)
    except (binascii.Error, ValueError):
        return not_yet("encrypted_key and encrypted_data must be base64 text, as envelope_encrypt makes them.")
    data_key = _unwrap_data_key(ctx, key, encrypted_key)
    if isinstance(data_key, CheckResult):
        return data_key
    return _open_locally(data_key, encrypted_data)


def _parse_payload(text: str) -> dict[str, str] | None:
    """The payload as JSON, or as the dict Python prints (single quotes)."""
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError):
            continue
        if (
            isinstance(value, dict)
            and isinstance(value.get("encrypted_key"), str)
            and isinstance(value.get("encrypted_data"), str)
        ):
            return value
    return None


def _plaintext_key_stored(payload: Mapping[str, str]) -> str:
    """A reason if the payload carries a 32-byte value: a plaintext data key."""
    for name, value in payload.items():
        try:
            raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
        except (binascii.Error, ValueError):
            continue
        if len(raw) == AES_256_BYTES:
            return (
                f"{name} holds 32 bytes: that is a plaintext data key (GenerateDataKey's Plaintext), not its "
                "encrypted copy (CiphertextBlob). Never store the plaintext key: anyone with the stored record "
                "could then read the data without asking KMS."
            )
    return ""


def _unwrap_data_key(ctx: CheckContext, key: str, encrypted_key: bytes) -> bytes | CheckResult:
    name = _key_name(ctx, key)
    try:
        header = ciphertext.read_header(encrypted_key)
    except InvalidCiphertextException:
        return not_yet("encrypted_key is not a ciphertext blob from KMS: store GenerateDataKey's CiphertextBlob.")
    if header.key_id != ctx.key_id(key):
        return not_yet(f"encrypted_key was made under another KMS key ({header.key_id}), not {name}.")
    key_row = ctx.key(key)
    if key_row is None:
        return not_yet(f"{name} has been deleted, so this encrypted data key can never be decrypted again.")
    try:
        material = materials.material_bytes(key_row, header.material_version)
        data_key = ciphertext.open_blob(encrypted_key, material, None)
    except (InvalidCiphertextException, KeyMaterial.DoesNotExist):
        return not_yet(
            "encrypted_key does not decrypt: it was changed, or made with an encryption context (this lab's "
            "envelope_encrypt uses none)."
        )
    if len(data_key) != AES_256_BYTES:
        return not_yet(f"The data key is {len(data_key)} bytes; AES-256 needs 32 (--key-spec AES_256).")
    return data_key


def _open_locally(data_key: bytes, encrypted_data: bytes) -> CheckResult:
    if len(encrypted_data) <= NONCE_BYTES:
        return not_yet("encrypted_data is too short to hold a 12-byte nonce and a ciphertext.")
    nonce, sealed = encrypted_data[:NONCE_BYTES], encrypted_data[NONCE_BYTES:]
    try:
        plaintext = AESGCM(data_key).decrypt(nonce, sealed, None)
    except InvalidTag:
        return not_yet(
            "encrypted_data does not decrypt with the data key inside encrypted_key: the two do not belong "
            "together (keep them side by side, nonce first), or encrypted_data was changed."
        )
    return passed(
        f"Your stored record decrypts: its encrypted data key comes from KMS, and the data key opens "
        f"{len(plaintext)} bytes locally with AES-GCM. No plaintext key is stored."
    )


# ---------------------------------------------------------------- encryption context


@check("decrypt_refused_without_context")
def decrypt_refused_without_context(ctx: CheckContext, ciphertext_ref: str) -> CheckResult:
    """The learner tried to decrypt the setup blob without its context and saw it fail."""
    key = ctx.ciphertext_key_ref(ciphertext_ref)
    failed = ctx.events(event_name="Decrypt", key_arn=ctx.key_arn(key), error_code="InvalidCiphertextException").first()
    if failed is not None:
        return passed(
            f"{describe_event(failed)}: without the exact encryption context the authenticated data does not "
            "match, and KMS answers as it would for a damaged ciphertext."
        )
    recovered = _decrypts_with(ctx, ciphertext_ref).first()
    if recovered is not None:
        return passed(f"{describe_event(recovered)} already used the right context.")
    return not_yet("No failed Decrypt of the invoice yet. Run the decrypt command without --encryption-context.")


@check("ciphertext_recovered")
def ciphertext_recovered(ctx: CheckContext, ciphertext_ref: str) -> CheckResult:
    """A successful Decrypt of the setup blob, with its encryption context."""
    recovered = _decrypts_with(ctx, ciphertext_ref).first()
    if recovered is not None:
        return passed(f"{describe_event(recovered)} used the encryption context the blob was made with.")
    key = ctx.ciphertext_key_ref(ciphertext_ref)
    tried = ctx.events(event_name="Decrypt", key_arn=ctx.key_arn(key)).first()
    if tried is None:
        return not_yet("No Decrypt of the invoice yet.")
    sent = request_parameters(tried).get("encryptionContext") or {}
    return not_yet(
        f"{describe_event(tried)} sent the encryption context {_shown(sent)}. Find the context the invoice was "
        "encrypted with in the Encrypt event of the audit trail, and pass exactly that."
    )


def _decrypts_with(ctx: CheckContext, ciphertext_ref: str) -> QuerySet[Event]:
    key = ctx.ciphertext_key_ref(ciphertext_ref)
    expected = ctx.ciphertext_context(ciphertext_ref)
    decrypts = ctx.events(event_name="Decrypt", key_arn=ctx.key_arn(key), succeeded=True)
    matching = [e.pk for e in decrypts if (request_parameters(e).get("encryptionContext") or {}) == expected]
    return decrypts.filter(pk__in=matching)


def _shown(context: Mapping[str, str]) -> str:
    if not context:
        return "{} (none)"
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(context.items())) + "}"


@check("encrypted_with_context")
def encrypted_with_context(
    ctx: CheckContext, key: str, by: str, context: Mapping[str, str], keys: list[str] | None = None
) -> CheckResult:
    """``by`` encrypted (Encrypt or GenerateDataKey) under ``key`` with an encryption
    context holding the ``context`` pairs and the ``keys``."""
    calls = calls_on(ctx, key, ["Encrypt", "GenerateDataKey"], succeeded=True, by=by)
    wanted = dict(context)
    needed_keys = set(keys or [])
    latest_context: Mapping[str, str] | None = None
    for event in calls:
        sent = request_parameters(event).get("encryptionContext") or {}
        latest_context = sent if latest_context is None else latest_context
        if all(sent.get(k) == v for k, v in wanted.items()) and needed_keys <= set(sent):
            return passed(f"{describe_event(event)} bound the data to the context {_shown(sent)}.")
    who = ctx.principal_arn(by)
    if latest_context is None:
        return not_yet(f"No successful Encrypt or GenerateDataKey by {who} on {_key_name(ctx, key)} yet.")
    missing = [f"{k}={v}" for k, v in wanted.items() if latest_context.get(k) != v]
    missing += sorted(needed_keys - set(latest_context))
    return not_yet(
        f"The latest call by {who} sent the context {_shown(latest_context)}; it lacks {', '.join(missing)}."
    )
