"""The crypto playground: Encrypt/Decrypt, an envelope-encryption walk-through, Sign/Verify,
GenerateMac/VerifyMac, and the ciphertext blob inspector.

Every KMS step is the real operation, called as the console's principal, so it is
authorized and audited like an API call; a denial is explained on the spot from the
trace its audit event stored. The envelope walk-through's "local" steps (AES-GCM with the
data key) run here on the learner's behalf, as an application would in its own memory.

Secrets shown here (the plaintext data key) appear in one response only, marked
``no-store``; the walk-through carries the plaintext data key from step 1 to step 2 in a
hidden field, as an application holds it in memory, and never again after that.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_POST

from kmsconsole.audit.models import Event
from kmsconsole.engine import ciphertext, keyspecs
from kmsconsole.engine.enums import KeyManager, KeySpec, KeyUsage
from kmsconsole.engine.errors import AWSError, InvalidCiphertextException
from kmsconsole.kms.models import Key
from kmsconsole.kms.operations import Operation, find

from ..context import ConsoleContext
from ..decorators import console_page
from ..explain import explain
from ..forms_tools import (
    DEFAULT_ALGORITHM,
    BlobForm,
    DecryptForm,
    EncryptForm,
    EnvelopeForm,
    EnvelopePackageForm,
    EnvelopeSealForm,
    MacForm,
    SignForm,
    VerifyForm,
    VerifyMacForm,
)
from .events import key_page_url

TOOLS = {
    "encrypt": "Encrypt and decrypt",
    "envelope": "Envelope encryption",
    "sign": "Sign and verify",
    "mac": "MAC and verify",
}
KEY_CHOICES = 200
NONCE_BYTES = 12
TEMPLATE = "console/playground/playground.html"


class PlaygroundKeys:
    """The current account's customer managed keys in this region (newest first), for the
    tools' key menus. Keys the principal may not use are listed too: trying one is how a
    learner meets a denial."""

    def __init__(self, context: ConsoleContext) -> None:
        rows = Key.objects.filter(account=context.account, region=context.region, key_manager=KeyManager.CUSTOMER)
        self._keys = list(rows.prefetch_related("aliases").order_by("-creation_date")[:KEY_CHOICES])

    def choices(self, usage: KeyUsage, *, symmetric: bool = False) -> list[tuple[str, str]]:
        fitting = [
            key
            for key in self._keys
            if key.key_usage == usage and (not symmetric or key.key_spec == KeySpec.SYMMETRIC_DEFAULT)
        ]
        return [(key.arn, _label(key)) for key in fitting]

    def first_algorithm(self, arn: str) -> str:
        key = next(key for key in self._keys if key.arn == arn)
        algorithms = keyspecs.algorithm_lists(KeySpec(key.key_spec), KeyUsage(key.key_usage))
        return next(iter(algorithms.values()))[0]


def _label(key: Key) -> str:
    aliases = [alias.name for alias in key.aliases.all()]
    name = aliases[0] if aliases else key.key_id
    state = "" if key.enabled else f" · {key.key_state}"
    return f"{name} · {key.key_spec}{state}"


def _tool_forms(tool: str, keys: PlaygroundKeys) -> dict[str, forms.Form]:
    """The unbound forms of one tool's panel."""
    if tool == "envelope":
        return {"envelope_form": EnvelopeForm(keys=keys.choices(KeyUsage.ENCRYPT_DECRYPT, symmetric=True))}
    if tool == "sign":
        signing = keys.choices(KeyUsage.SIGN_VERIFY)
        return {"sign_form": SignForm(keys=signing), "verify_form": VerifyForm(keys=signing)}
    if tool == "mac":
        macs = keys.choices(KeyUsage.GENERATE_VERIFY_MAC)
        return {"mac_form": MacForm(keys=macs), "verify_mac_form": VerifyMacForm(keys=macs)}
    encrypting = keys.choices(KeyUsage.ENCRYPT_DECRYPT, symmetric=True)
    return {"encrypt_form": EncryptForm(keys=encrypting), "decrypt_form": DecryptForm()}


@console_page
def playground(request: HttpRequest) -> HttpResponse:
    tool = request.GET.get("tool", "encrypt")
    tool = tool if tool in TOOLS else "encrypt"
    return _respond(request, tool, "tool", {})


def _respond(
    request: HttpRequest,
    tool: str,
    fragment: str,
    results: dict[str, Any],
    *,
    keys: PlaygroundKeys | None = None,
    secret: bool = False,
) -> HttpResponse:
    """The tool's fragment for htmx, else the whole page with the tool's panel (its other
    forms unbound)."""
    keys = keys or PlaygroundKeys(request.console)  # type: ignore[attr-defined]
    page = {"tool": tool, "tools": TOOLS, **_tool_forms(tool, keys), **results}
    template = TEMPLATE
    if request.htmx:  # type: ignore[attr-defined]
        template += f"#{fragment}"
    response = render(request, template, page)
    if secret:
        patch_cache_control(response, no_store=True, private=True)
    return response


def _call(request: HttpRequest, form: forms.Form, name: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """Call a KMS operation as the console's principal; on an AWS error, show it on the
    form and return None."""
    try:
        return _operation(name)(request.caller, params)  # type: ignore[attr-defined]
    except AWSError as error:
        _show_error(request, form, name, error)
        return None


def _operation(name: str) -> Operation:
    operation = find("kms", name)
    assert operation is not None, name
    return operation


def _show_error(request: HttpRequest, form: forms.Form, name: str, error: AWSError) -> None:
    """The AWS error's code and message on the form and, for a denial, the explanation
    of the audit event the call wrote."""
    form.add_error(None, f"{error.code}: {error.message}")
    if error.code == "AccessDeniedException":
        form.denial = _denial(request, name)  # type: ignore[attr-defined]


def _denial(request: HttpRequest, event_name: str) -> dict[str, Any] | None:
    """The audit event the denied call just wrote, explained."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    caller = request.caller  # type: ignore[attr-defined]
    event = Event.objects.filter(
        workspace=context.workspace,
        event_name=event_name,
        principal_arn=caller.arn,
        record__requestID=caller.request_id,
    ).first()
    if event is None:
        return None
    return {
        "explanation": explain(event.trace, principal=event.principal_arn, error_code=event.error_code),
        "url": reverse("console:event", args=[event.event_id]),
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _fingerprint(data_key: bytes) -> str:
    """A short SHA-256 of the data key: enough to compare two keys, useless to an attacker."""
    return hashlib.sha256(data_key).hexdigest()[:16]


def _as_text(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": _b64(data)}


# ---------------------------------------------------------------- encrypt and decrypt


@console_page
@require_POST
def encrypt(request: HttpRequest) -> HttpResponse:
    keys = PlaygroundKeys(request.console)  # type: ignore[attr-defined]
    form = EncryptForm(request.POST, keys=keys.choices(KeyUsage.ENCRYPT_DECRYPT, symmetric=True))
    result = None
    if form.is_valid() and not form.adding_row:
        request_params = {"KeyId": form.cleaned_data["key"], "Plaintext": form.cleaned_data["plaintext"].encode()}
        if form.cleaned_data["encryption_context"]:
            request_params["EncryptionContext"] = form.cleaned_data["encryption_context"]
        response = _call(request, form, "Encrypt", request_params)
        if response is not None:
            result = {"ciphertext": _b64(response["CiphertextBlob"]), "key_arn": response["KeyId"]}
    return _respond(request, "encrypt", "encrypt-tool", {"encrypt_form": form, "encrypt_result": result}, keys=keys)


@console_page
@require_POST
def decrypt(request: HttpRequest) -> HttpResponse:
    form = DecryptForm(request.POST)
    result = None
    if form.is_valid() and not form.adding_row:
        request_params: dict[str, Any] = {"CiphertextBlob": form.cleaned_data["ciphertext"]}
        if form.cleaned_data["encryption_context"]:
            request_params["EncryptionContext"] = form.cleaned_data["encryption_context"]
        response = _call(request, form, "Decrypt", request_params)
        if response is not None:
            result = {"key_arn": response["KeyId"], **_as_text(response["Plaintext"])}
    return _respond(request, "encrypt", "decrypt-tool", {"decrypt_form": form, "decrypt_result": result})


# ---------------------------------------------------------------- envelope encryption


@console_page
@require_POST
def envelope_generate(request: HttpRequest) -> HttpResponse:
    """Step 1: GenerateDataKey returns the data key twice, in plaintext and encrypted."""
    keys = PlaygroundKeys(request.console)  # type: ignore[attr-defined]
    form = EnvelopeForm(request.POST, keys=keys.choices(KeyUsage.ENCRYPT_DECRYPT, symmetric=True))
    if not form.is_valid() or form.adding_row:
        return _respond(request, "envelope", "envelope-tool", {"envelope_form": form}, keys=keys)
    context = form.cleaned_data["encryption_context"]
    params: dict[str, Any] = {"KeyId": form.cleaned_data["key"], "KeySpec": "AES_256"}
    if context:
        params["EncryptionContext"] = context
    response = _call(request, form, "GenerateDataKey", params)
    if response is None:
        return _respond(request, "envelope", "envelope-tool", {"envelope_form": form}, keys=keys)
    data_key, encrypted = response["Plaintext"], response["CiphertextBlob"]
    step = {
        "key_arn": response["KeyId"],
        "data_key": _b64(data_key),
        "fingerprint": _fingerprint(data_key),
        "encrypted_data_key": _b64(encrypted),
        "encrypted_size": len(encrypted),
        "context": context,
    }
    seal_form = EnvelopeSealForm(
        initial={
            "key": response["KeyId"],
            "text": form.cleaned_data["text"],
            "data_key": _b64(data_key),
            "encrypted_data_key": _b64(encrypted),
            "context": json.dumps(context),
        }
    )
    results = {"envelope_step": "generated", "generated": step, "seal_form": seal_form, "envelope_form": form}
    return _respond(request, "envelope", "envelope-tool", results, keys=keys, secret=True)


@console_page
@require_POST
def envelope_seal(request: HttpRequest) -> HttpResponse:
    """Step 2 and 3: encrypt the text locally with the data key (AES-256-GCM, fresh
    nonce), and show what the application stores: no plaintext key in it."""
    form = EnvelopeSealForm(request.POST)
    sealed = None
    if form.is_valid():
        sealed = _seal_locally(form)
    if sealed is None:
        return _respond(request, "envelope", "envelope-problem", {"envelope_problem": form})
    nonce, ciphertext = sealed
    package = _package_form(form.cleaned_data, nonce, ciphertext)
    results = {
        "envelope_step": "sealed",
        "sealed": {"nonce": _b64(nonce), "ciphertext": _b64(ciphertext), "size": len(ciphertext)},
        "stored_package": _stored_package(package.initial),
        "package_form": package,
    }
    return _respond(request, "envelope", "envelope-sealed", results)


def _seal_locally(form: EnvelopeSealForm) -> tuple[bytes, bytes] | None:
    nonce = os.urandom(NONCE_BYTES)
    try:
        cipher = AESGCM(form.cleaned_data["data_key"])
    except ValueError:
        form.add_error(None, "The data key must be 16, 24 or 32 bytes long.")
        return None
    return nonce, cipher.encrypt(nonce, form.cleaned_data["text"].encode(), None)


def _package_form(cleaned: dict[str, Any], nonce: bytes, ciphertext: bytes) -> EnvelopePackageForm:
    return EnvelopePackageForm(
        initial={
            "key": cleaned["key"],
            "encrypted_data_key": _b64(cleaned["encrypted_data_key"]),
            "nonce": _b64(nonce),
            "ciphertext": _b64(ciphertext),
            "context": json.dumps(cleaned["context"]),
        }
    )


def _stored_package(initial: Mapping[str, Any]) -> str:
    """The record an application would store beside its data, as JSON."""
    stored = {
        "encryptedDataKey": initial["encrypted_data_key"],
        "nonce": initial["nonce"],
        "ciphertext": initial["ciphertext"],
        "encryptionContext": json.loads(initial["context"]),
        "algorithm": "AES-256-GCM",
    }
    return json.dumps(stored, indent=2)


@console_page
@require_POST
def envelope_discard(request: HttpRequest) -> HttpResponse:
    """Step 4: forget the plaintext data key. Nothing is sent to KMS; the page stops
    showing the key, as the application would zero it."""
    form = EnvelopePackageForm(request.POST)
    if not form.is_valid():
        return _respond(request, "envelope", "envelope-problem", {"envelope_problem": form})
    package = EnvelopePackageForm(initial={name: form.data.get(name, "") for name in form.fields})
    results = {"envelope_step": "discarded", "package_form": package}
    return _respond(request, "envelope", "envelope-discarded", results)


@console_page
@require_POST
def envelope_open(request: HttpRequest) -> HttpResponse:
    """Steps 5 and 6: Decrypt returns the data key (its fingerprint is shown, to compare
    with step 1), then the text is decrypted locally."""
    form = EnvelopePackageForm(request.POST)
    if not form.is_valid():
        return _respond(request, "envelope", "envelope-problem", {"envelope_problem": form})
    params: dict[str, Any] = {"CiphertextBlob": form.cleaned_data["encrypted_data_key"]}
    if form.cleaned_data["context"]:
        params["EncryptionContext"] = form.cleaned_data["context"]
    response = _call(request, form, "Decrypt", params)
    if response is None:
        return _respond(request, "envelope", "envelope-problem", {"envelope_problem": form})
    data_key = response["Plaintext"]
    try:
        text = AESGCM(data_key).decrypt(form.cleaned_data["nonce"], form.cleaned_data["ciphertext"], None)
    except (InvalidTag, ValueError):
        form.add_error(None, "AES-GCM refused the ciphertext: the nonce or the ciphertext was changed.")
        return _respond(request, "envelope", "envelope-problem", {"envelope_problem": form})
    results = {
        "envelope_step": "opened",
        "opened": {"key_arn": response["KeyId"], "fingerprint": _fingerprint(data_key), **_as_text(text)},
    }
    return _respond(request, "envelope", "envelope-opened", results)


# ---------------------------------------------------------------- signatures and MACs


def _check_tool(
    request: HttpRequest,
    name: str,
    form_class: type[SignForm] | type[MacForm],
    run: Callable[[Any, PlaygroundKeys], dict[str, Any] | None],
) -> HttpResponse:
    """The shared shape of Sign, Verify, GenerateMac and VerifyMac: a key of the tool's
    usage, a message, an algorithm (or the key's first), one operation call."""
    tool = "sign" if issubclass(form_class, SignForm) else "mac"
    usage = KeyUsage.SIGN_VERIFY if tool == "sign" else KeyUsage.GENERATE_VERIFY_MAC
    keys = PlaygroundKeys(request.console)  # type: ignore[attr-defined]
    form = form_class(request.POST, keys=keys.choices(usage))
    result = run(form, keys) if form.is_valid() else None
    fragment = name.replace("_", "-") + "-tool"
    return _respond(request, tool, fragment, {f"{name}_form": form, f"{name}_result": result}, keys=keys)


def _algorithm(form: forms.Form, keys: PlaygroundKeys) -> str:
    chosen: str = form.cleaned_data["algorithm"]
    return chosen if chosen != DEFAULT_ALGORITHM else keys.first_algorithm(form.cleaned_data["key"])


def _message(form: forms.Form) -> dict[str, Any]:
    return {"KeyId": form.cleaned_data["key"], "Message": form.cleaned_data["message"].encode()}


@console_page
@require_POST
def sign(request: HttpRequest) -> HttpResponse:
    def run(form: SignForm, keys: PlaygroundKeys) -> dict[str, Any] | None:
        algorithm = _algorithm(form, keys)
        response = _call(request, form, "Sign", {**_message(form), "SigningAlgorithm": algorithm})
        if response is None:
            return None
        return {"signature": _b64(response["Signature"]), "algorithm": algorithm, "key_arn": response["KeyId"]}

    return _check_tool(request, "sign", SignForm, run)


@console_page
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    def run(form: VerifyForm, keys: PlaygroundKeys) -> dict[str, Any] | None:
        params = {**_message(form), "Signature": form.cleaned_data["signature"]}
        return _verdict(request, form, "Verify", params, "SigningAlgorithm", _algorithm(form, keys))

    return _check_tool(request, "verify", VerifyForm, run)


@console_page
@require_POST
def generate_mac(request: HttpRequest) -> HttpResponse:
    def run(form: MacForm, keys: PlaygroundKeys) -> dict[str, Any] | None:
        algorithm = _algorithm(form, keys)
        response = _call(request, form, "GenerateMac", {**_message(form), "MacAlgorithm": algorithm})
        if response is None:
            return None
        return {"mac": _b64(response["Mac"]), "algorithm": algorithm, "key_arn": response["KeyId"]}

    return _check_tool(request, "mac", MacForm, run)


@console_page
@require_POST
def verify_mac(request: HttpRequest) -> HttpResponse:
    def run(form: VerifyMacForm, keys: PlaygroundKeys) -> dict[str, Any] | None:
        params = {**_message(form), "Mac": form.cleaned_data["mac"]}
        return _verdict(request, form, "VerifyMac", params, "MacAlgorithm", _algorithm(form, keys))

    return _check_tool(request, "verify_mac", VerifyMacForm, run)


# The exception Verify and VerifyMac raise for a signature or MAC that does not match.
_MISMATCH = {"Verify": "KMSInvalidSignatureException", "VerifyMac": "KMSInvalidMacException"}


def _verdict(
    request: HttpRequest, form: forms.Form, name: str, params: dict[str, Any], algorithm_member: str, algorithm: str
) -> dict[str, Any] | None:
    """Verify and VerifyMac never answer "invalid": they raise. Here that exception is the
    answer the learner asked for, not a failure of the form."""
    params = {**params, algorithm_member: algorithm}
    try:
        response = _operation(name)(request.caller, params)  # type: ignore[attr-defined]
    except AWSError as error:
        if error.code == _MISMATCH[name]:
            return {"valid": False, "code": error.code, "message": error.message, "algorithm": algorithm}
        _show_error(request, form, name, error)
        return None
    return {"valid": True, "key_arn": response["KeyId"], "algorithm": algorithm}


# ---------------------------------------------------------------- blob inspector


@console_page
def blob_inspector(request: HttpRequest) -> HttpResponse:
    """Decode a pasted ciphertext blob's header. Nothing is decrypted and no operation is
    called: the header is readable without the key, which is the point to learn."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    form = BlobForm(request.POST if request.method == "POST" else None)
    inspection = None
    if form.is_valid():
        inspection = inspect_blob(context, form.cleaned_data["blob"])
    template = "console/playground/blob_inspector.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#inspection"
    return render(request, template, {"form": form, "inspection": inspection})


def inspect_blob(context: ConsoleContext, blob: bytes) -> dict[str, Any]:
    try:
        header = ciphertext.read_header(blob)
    except InvalidCiphertextException:
        return {"problem": _not_a_blob(blob), "size": len(blob)}
    keys = Key.objects.filter(account__workspace=context.workspace, key_id=header.key_id).select_related("account")
    key = keys.first()
    versions = list(key.materials.values_list("version", flat=True)) if key is not None else []
    return {
        "header": header,
        "size": len(blob),
        "header_size": ciphertext.HEADER_LENGTH,
        "tag_size": ciphertext.TAG_LENGTH,
        "plaintext_size": header.body_length - ciphertext.TAG_LENGTH,
        "nonce": header.nonce.hex(),
        "key": key,
        "key_url": key_page_url(context, key.arn) if key is not None else None,
        "material_known": header.material_version in versions,
        "material_versions": len(versions),
    }


def _not_a_blob(blob: bytes) -> str:
    """Why ``blob`` is not a kmsconsole symmetric ciphertext, as precisely as the bytes tell."""
    smallest = ciphertext.HEADER_LENGTH + ciphertext.TAG_LENGTH
    if len(blob) < smallest:
        return (
            f"The blob is {len(blob)} bytes long; a kmsconsole ciphertext blob has at least {smallest} "
            f"(a {ciphertext.HEADER_LENGTH}-byte header and a {ciphertext.TAG_LENGTH}-byte authentication tag)."
        )
    if blob[:1] != ciphertext.FORMAT_V1:
        return (
            f"The first byte is 0x{blob[0]:02x}, but kmsconsole ciphertext blobs start with format version 0x01. "
            "It may be ciphertext from AWS KMS itself, RSA ciphertext (which has no header) or other data."
        )
    return (
        "The first byte says format version 1, but bytes 2 to 37 do not hold a key id "
        "(a lowercase UUID or an mrk- id), so this is not a kmsconsole ciphertext blob."
    )
