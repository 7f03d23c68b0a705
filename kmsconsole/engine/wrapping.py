"""Root-key wrapping of every secret the database stores: key material, secret access keys.

Layout (version 1)::

    0x01 | nonce (12) | AES-256-GCM ciphertext+tag

The caller's ``purpose`` (``"key/<uuid>/3"``, ``"accesskey/AKIA..."``) is associated data, so
a wrapped secret copied onto another row fails to unwrap instead of becoming that row's
secret. A failure here is a server fault (wrong root key, corrupted database), never the
client's, so it is a plain ``WrappingError`` and not an AWS error. Pure Python: no Django
imports.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

WRAP_V1 = b"\x01"
ROOT_KEY_BYTES = 32
_NONCE_LENGTH = 12
_TAG_LENGTH = 16
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


class WrappingError(ValueError):
    """A wrapped secret or the root key is unusable. Messages never contain key bytes."""


def wrap(root_key: bytes, secret: bytes, *, purpose: str) -> bytes:
    """Encrypt ``secret`` under the root key, bound to ``purpose``."""
    nonce = os.urandom(_NONCE_LENGTH)
    return WRAP_V1 + nonce + AESGCM(_checked(root_key)).encrypt(nonce, secret, _aad(purpose))


def unwrap(root_key: bytes, blob: bytes, *, purpose: str) -> bytes:
    """Decrypt a wrapped secret; a wrong root key, purpose or any altered byte raises WrappingError."""
    if len(blob) < len(WRAP_V1) + _NONCE_LENGTH + _TAG_LENGTH or blob[:1] != WRAP_V1:
        raise WrappingError(f"Wrapped secret for {purpose!r} is malformed")
    nonce, body = blob[1 : 1 + _NONCE_LENGTH], blob[1 + _NONCE_LENGTH :]
    try:
        return AESGCM(_checked(root_key)).decrypt(nonce, body, _aad(purpose))
    except InvalidTag:
        raise WrappingError(f"Cannot unwrap the secret for {purpose!r}: wrong root key or altered data") from None


def _aad(purpose: str) -> bytes:
    # The version byte is authenticated too, so a future format cannot be confused with this one.
    return WRAP_V1 + purpose.encode("utf-8")


def _checked(root_key: bytes) -> bytes:
    if len(root_key) != ROOT_KEY_BYTES:
        raise WrappingError("The root key must be 32 bytes")
    return root_key


def load_or_create_root_key(env_value: str | None, key_file: Path) -> bytes:
    """Return the root key from the environment, else from ``key_file``, creating it on first run.

    ``env_value`` (``KMSCONSOLE_ROOT_KEY``) is 64 hex digits or base64 of 32 bytes; an empty
    value counts as unset. A malformed key fails loudly: silently making a new one would
    orphan every secret wrapped under the old.
    """
    if env_value and env_value.strip():
        return _parse_root_key(env_value.strip(), source="KMSCONSOLE_ROOT_KEY")
    try:
        return _parse_root_key(key_file.read_text().strip(), source=str(key_file))
    except FileNotFoundError:
        return _create_key_file(key_file)


def _parse_root_key(text: str, *, source: str) -> bytes:
    if _HEX_KEY.fullmatch(text):
        return bytes.fromhex(text)
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        key = b""
    if len(key) != ROOT_KEY_BYTES:
        raise WrappingError(f"The root key in {source} must be 64 hex digits or base64 of 32 bytes")
    return key


def _create_key_file(key_file: Path) -> bytes:
    """Write a new random root key readable only by its owner.

    The key is written to a private temporary file and then hard-linked into place, so two
    processes starting together (web and worker) never see a half-written file, and the
    loser of the race adopts the winner's key instead of overwriting it.
    """
    key = os.urandom(ROOT_KEY_BYTES)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = key_file.with_name(f".{key_file.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, key_file)
    except FileExistsError:
        return _parse_root_key(key_file.read_text().strip(), source=str(key_file))
    finally:
        temporary.unlink(missing_ok=True)
    return key
