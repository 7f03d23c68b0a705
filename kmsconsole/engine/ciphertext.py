"""The symmetric ciphertext blob that Encrypt and GenerateDataKey return and Decrypt reads.

Layout (version 1), 53 header bytes then the AES-256-GCM output::

    0x01 | key id (36 ASCII chars) | material version (uint32, big-endian) | nonce (12) | ciphertext+tag

The header names the key and material version, so Decrypt needs no KeyId and never tries
several keys. The whole header and the canonical encryption context are the GCM associated
data: changing any header byte, or decrypting with another context, fails authentication.
Every failure is one opaque InvalidCiphertextException, as Fernet has one InvalidToken.

Key ids are 36 characters either way KMS spells them: a lowercase UUID, or a multi-Region
``mrk-`` followed by 32 hex digits. Pure Python: no Django imports.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kmsconsole.engine.errors import InvalidCiphertextException

FORMAT_V1 = b"\x01"
KEY_ID_LENGTH = 36
NONCE_LENGTH = 12
TAG_LENGTH = 16
_VERSION = struct.Struct(">I")
HEADER_LENGTH = len(FORMAT_V1) + KEY_ID_LENGTH + _VERSION.size + NONCE_LENGTH

_KEY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}")
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class BlobHeader:
    """What a blob says about itself, readable without the key (Decrypt, the blob inspector)."""

    format_version: int
    key_id: str
    material_version: int
    nonce: bytes
    body_length: int


def canonical_context(ctx: dict[str, str] | None) -> bytes:
    """Encode an encryption context so equal contexts give equal bytes and unequal ones differ.

    Pairs are sorted by key and each string is length-prefixed UTF-8, so neither order nor a
    separator hidden inside a key or value can make two contexts collide. No context and an
    empty one are the same, as in AWS. ``surrogatepass`` keeps the encoding total: JSON can
    carry lone surrogates, and such a context must still compare, not crash.
    """
    if not ctx:
        return b""
    parts = [_LENGTH.pack(len(ctx))]
    for key, value in sorted(ctx.items()):
        for text in (key, value):
            encoded = text.encode("utf-8", "surrogatepass")
            parts.append(_LENGTH.pack(len(encoded)) + encoded)
    return b"".join(parts)


def seal(
    *,
    key_id: str,
    material_version: int,
    material: bytes,
    plaintext: bytes,
    context: dict[str, str] | None,
) -> bytes:
    """Encrypt ``plaintext`` under one material version of a symmetric key."""
    if not _KEY_ID.fullmatch(key_id):
        raise ValueError("key_id must be a lowercase UUID or mrk- id")
    if not 0 <= material_version <= 0xFFFFFFFF:
        raise ValueError("material_version must fit in 32 bits")
    if len(material) != 32:
        raise ValueError("Symmetric key material must be 32 bytes (AES-256)")
    nonce = os.urandom(NONCE_LENGTH)
    header = FORMAT_V1 + key_id.encode("ascii") + _VERSION.pack(material_version) + nonce
    return header + AESGCM(material).encrypt(nonce, plaintext, header + canonical_context(context))


def read_header(blob: bytes) -> BlobHeader:
    """Parse the blob's header; anything malformed is InvalidCiphertextException."""
    if len(blob) < HEADER_LENGTH + TAG_LENGTH or blob[:1] != FORMAT_V1:
        raise InvalidCiphertextException("")
    raw_key_id = blob[1 : 1 + KEY_ID_LENGTH]
    key_id = raw_key_id.decode("ascii") if raw_key_id.isascii() else ""
    if not _KEY_ID.fullmatch(key_id):
        raise InvalidCiphertextException("")
    version_at = 1 + KEY_ID_LENGTH
    (material_version,) = _VERSION.unpack_from(blob, version_at)
    nonce_at = version_at + _VERSION.size
    return BlobHeader(
        format_version=blob[0],
        key_id=key_id,
        material_version=material_version,
        nonce=blob[nonce_at:HEADER_LENGTH],
        body_length=len(blob) - HEADER_LENGTH,
    )


def open_blob(blob: bytes, material: bytes, context: dict[str, str] | None) -> bytes:
    """Decrypt a blob with the material its header names; tampering or a wrong context raises."""
    header = read_header(blob)
    aad = blob[:HEADER_LENGTH] + canonical_context(context)
    try:
        return AESGCM(material).decrypt(header.nonce, blob[HEADER_LENGTH:], aad)
    except InvalidTag:
        raise InvalidCiphertextException("") from None
