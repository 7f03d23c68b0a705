"""The symmetric ciphertext blob: round trips, header parsing, and that tampering always fails."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kmsconsole.engine import ciphertext
from kmsconsole.engine.ciphertext import BlobHeader, canonical_context, open_blob, read_header, seal
from kmsconsole.engine.errors import InvalidCiphertextException

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
MATERIAL = os.urandom(32)

contexts = st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=8)
plaintexts = st.binary(min_size=1, max_size=4096)


def sealed(plaintext: bytes = b"secret", context: dict[str, str] | None = None, version: int = 1) -> bytes:
    return seal(key_id=KEY_ID, material_version=version, material=MATERIAL, plaintext=plaintext, context=context)


def test_a_blob_opens_with_its_material_and_context():
    blob = sealed(b"pin", {"app": "payroll"})
    assert open_blob(blob, MATERIAL, {"app": "payroll"}) == b"pin"


def test_a_blob_is_a_53_byte_header_then_ciphertext_and_tag():
    blob = sealed(b"x" * 10, version=7)
    assert blob[:1] == ciphertext.FORMAT_V1
    assert ciphertext.HEADER_LENGTH == 53
    assert len(blob) == 53 + 10 + 16
    assert blob[1:37] == KEY_ID.encode()
    assert blob[37:41] == (7).to_bytes(4, "big")


def test_the_header_names_key_and_material_version():
    blob = sealed(b"hello", version=3)
    header = read_header(blob)
    assert header == BlobHeader(
        format_version=1, key_id=KEY_ID, material_version=3, nonce=blob[41:53], body_length=5 + 16
    )


def test_each_seal_uses_a_fresh_nonce():
    assert read_header(sealed()).nonce != read_header(sealed()).nonce


def test_a_multi_region_key_id_is_accepted():
    key_id = "mrk-" + uuid.uuid4().hex
    blob = seal(key_id=key_id, material_version=1, material=MATERIAL, plaintext=b"p", context=None)
    assert read_header(blob).key_id == key_id
    assert open_blob(blob, MATERIAL, None) == b"p"


def test_no_context_and_an_empty_context_are_the_same():
    assert canonical_context(None) == canonical_context({}) == b""
    assert open_blob(sealed(context=None), MATERIAL, {}) == b"secret"
    assert open_blob(sealed(context={}), MATERIAL, None) == b"secret"


def test_the_canonical_context_ignores_order():
    assert canonical_context({"a": "1", "b": "2"}) == canonical_context({"b": "2", "a": "1"})


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"a": "bc"}, {"ab": "c"}),
        ({"a": "b", "c": "d"}, {"a": "b\x00c\x00d"}),
        ({"": "a"}, {"a": ""}),
        ({"k": ""}, {}),
    ],
)
def test_the_canonical_context_cannot_be_confused(first, second):
    assert canonical_context(first) != canonical_context(second)


def test_a_context_with_a_lone_surrogate_still_compares():
    assert open_blob(sealed(context={"k": "\ud800"}), MATERIAL, {"k": "\ud800"}) == b"secret"
    with pytest.raises(InvalidCiphertextException):
        open_blob(sealed(context={"k": "\ud800"}), MATERIAL, {"k": "\ud801"})


@pytest.mark.parametrize(
    "blob",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x01", id="version-only"),
        pytest.param(sealed()[:68], id="one-byte-short-of-a-tag"),
        pytest.param(b"\x02" + sealed()[1:], id="unknown-version"),
        pytest.param(b"\x00" + sealed()[1:], id="version-zero"),
        pytest.param(b"\x01" + b"x" * 36 + sealed()[37:], id="not-a-uuid"),
        pytest.param(b"\x01" + KEY_ID.upper().encode() + sealed()[37:], id="uppercase-uuid"),
        pytest.param(b"\x01" + "é".encode() * 18 + sealed()[37:], id="non-ascii"),
        pytest.param(b"\x01" + uuid.uuid4().hex.encode()[:32] + b"abcd" + sealed()[37:], id="no-dashes"),
    ],
)
def test_a_malformed_header_is_an_invalid_ciphertext(blob):
    with pytest.raises(InvalidCiphertextException) as caught:
        read_header(blob)
    assert caught.value.message == ""
    with pytest.raises(InvalidCiphertextException):
        open_blob(blob, MATERIAL, None)


def test_other_material_cannot_open_a_blob():
    with pytest.raises(InvalidCiphertextException):
        open_blob(sealed(), os.urandom(32), None)


def test_seal_refuses_a_key_id_the_header_could_not_hold():
    with pytest.raises(ValueError):
        seal(key_id="alias/mine", material_version=1, material=MATERIAL, plaintext=b"p", context=None)


def test_seal_refuses_material_that_is_not_aes_256():
    with pytest.raises(ValueError):
        seal(key_id=KEY_ID, material_version=1, material=os.urandom(16), plaintext=b"p", context=None)


@pytest.mark.parametrize("version", [-1, 2**32])
def test_seal_refuses_a_version_outside_32_bits(version):
    with pytest.raises(ValueError):
        sealed(version=version)


@given(plaintext=plaintexts, context=contexts)
def test_any_plaintext_and_context_round_trip(plaintext, context):
    assert open_blob(sealed(plaintext, context), MATERIAL, context) == plaintext


@given(plaintext=plaintexts, context=contexts, data=st.data())
def test_flipping_any_byte_makes_the_blob_invalid(plaintext, context, data):
    blob = sealed(plaintext, context)
    position = data.draw(st.integers(0, len(blob) - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    damaged = blob[:position] + bytes([blob[position] ^ mask]) + blob[position + 1 :]
    with pytest.raises(InvalidCiphertextException):
        open_blob(damaged, MATERIAL, context)


@given(plaintext=plaintexts, context=contexts, other=contexts)
def test_any_other_context_makes_the_blob_invalid(plaintext, context, other):
    assume(canonical_context(other) != canonical_context(context))
    with pytest.raises(InvalidCiphertextException):
        open_blob(sealed(plaintext, context), MATERIAL, other)


@given(plaintext=plaintexts, context=contexts.filter(bool), data=st.data())
def test_changing_one_value_of_the_context_makes_the_blob_invalid(plaintext, context, data):
    key = data.draw(st.sampled_from(sorted(context)), label="key")
    changed = {**context, key: context[key] + "x"}
    with pytest.raises(InvalidCiphertextException):
        open_blob(sealed(plaintext, context), MATERIAL, changed)


@given(plaintext=plaintexts)
def test_truncating_the_blob_makes_it_invalid(plaintext):
    blob = sealed(plaintext)
    with pytest.raises(InvalidCiphertextException):
        open_blob(blob[:-1], MATERIAL, None)
