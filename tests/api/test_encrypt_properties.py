"""Encrypt and Decrypt through the real API, as properties over arbitrary inputs.

One key serves every example of the module. Strings exclude U+0000 and unpaired
surrogates, which the server refuses as a deviation from AWS (see
``kmsconsole.engine.shapes``).
"""

from __future__ import annotations

import string
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import identity_of

from kmsconsole.engine import ciphertext
from kmsconsole.engine.errors import InvalidCiphertextException
from kmsconsole.iam.provisioning import create_workspace

EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
UNKNOWN_KEY_MESSAGE = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
    "or you are not allowed to access."
)

plaintexts = st.binary(min_size=1, max_size=4096)
unicode_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=24)
ascii_text = st.text(string.printable, max_size=24)
contexts = st.dictionaries(
    keys=st.one_of(ascii_text, unicode_text).filter(bool), values=st.one_of(ascii_text, unicode_text), max_size=8
)


@pytest.fixture(scope="module")
def symmetric_key(django_db_setup, django_db_blocker, live_endpoint) -> tuple[Any, str]:
    """A client of a fresh workspace and one symmetric key for the whole module."""
    with django_db_blocker.unblock():
        identity = identity_of(create_workspace(f"props-{uuid.uuid4().hex[:12]}"), "A")
    kms = identity.client("kms", live_endpoint)
    return kms, kms.create_key()["KeyMetadata"]["KeyId"]


def error_of(call: Any, **members: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**members)
    return raised.value.response["Error"]


@EXAMPLES
@given(plaintext=plaintexts, context=contexts)
def test_decrypt_returns_what_encrypt_was_given(symmetric_key, plaintext, context):
    kms, key_id = symmetric_key
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=context)["CiphertextBlob"]

    decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)

    assert decrypted["Plaintext"] == plaintext
    assert decrypted["KeyId"].endswith(f":key/{key_id}")


@EXAMPLES
@given(plaintext=plaintexts, context=contexts, data=st.data())
def test_flipping_any_byte_of_the_blob_makes_it_undecryptable(symmetric_key, plaintext, context, data):
    kms, key_id = symmetric_key
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=context)["CiphertextBlob"]
    position = data.draw(st.integers(0, len(blob) - 1), label="position")
    flip = data.draw(st.integers(1, 255), label="xor")
    tampered = blob[:position] + bytes([blob[position] ^ flip]) + blob[position + 1 :]

    error = error_of(kms.decrypt, CiphertextBlob=tampered, EncryptionContext=context)

    if _names_another_well_formed_key(tampered, key_id):
        # The blob now names a key that does not exist: AWS's answer for a missing key.
        assert (error["Code"], error["Message"]) == ("AccessDeniedException", UNKNOWN_KEY_MESSAGE)
    else:
        assert (error["Code"], error["Message"]) == ("InvalidCiphertextException", "")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plaintext=plaintexts, context=contexts, other=contexts)
def test_decrypt_refuses_any_other_encryption_context(symmetric_key, plaintext, context, other):
    assume(other != context)
    kms, key_id = symmetric_key
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=context)["CiphertextBlob"]

    error = error_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext=other)

    assert (error["Code"], error["Message"]) == ("InvalidCiphertextException", "")


def _names_another_well_formed_key(blob: bytes, key_id: str) -> bool:
    try:
        return ciphertext.read_header(blob).key_id != key_id
    except InvalidCiphertextException:
        return False
