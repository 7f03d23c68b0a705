"""Root-key wrapping of stored secrets, and finding or creating the root key."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from kmsconsole.engine.wrapping import WRAP_V1, WrappingError, load_or_create_root_key, unwrap, wrap

ROOT_KEY = os.urandom(32)
SECRET = b"\x00key material\xff" * 3
PURPOSE = "key/1234abcd-12ab-34cd-56ef-1234567890ab/3"


def test_a_wrapped_secret_unwraps_for_its_purpose():
    blob = wrap(ROOT_KEY, SECRET, purpose=PURPOSE)
    assert blob[:1] == WRAP_V1
    assert len(blob) == 1 + 12 + len(SECRET) + 16
    assert unwrap(ROOT_KEY, blob, purpose=PURPOSE) == SECRET


def test_wrapping_twice_gives_different_blobs():
    assert wrap(ROOT_KEY, SECRET, purpose=PURPOSE) != wrap(ROOT_KEY, SECRET, purpose=PURPOSE)


def test_a_secret_copied_to_another_purpose_does_not_unwrap():
    blob = wrap(ROOT_KEY, SECRET, purpose=PURPOSE)
    with pytest.raises(WrappingError):
        unwrap(ROOT_KEY, blob, purpose="key/1234abcd-12ab-34cd-56ef-1234567890ab/4")


def test_another_root_key_cannot_unwrap():
    blob = wrap(ROOT_KEY, SECRET, purpose=PURPOSE)
    with pytest.raises(WrappingError):
        unwrap(os.urandom(32), blob, purpose=PURPOSE)


def test_any_altered_byte_is_detected():
    blob = wrap(ROOT_KEY, SECRET, purpose="accesskey/AKIAIOSFODNN7EXAMPLE")
    for position in range(len(blob)):
        damaged = blob[:position] + bytes([blob[position] ^ 0x01]) + blob[position + 1 :]
        with pytest.raises(WrappingError):
            unwrap(ROOT_KEY, damaged, purpose="accesskey/AKIAIOSFODNN7EXAMPLE")


@pytest.mark.parametrize("blob", [b"", WRAP_V1, WRAP_V1 + b"\x00" * 27])
def test_a_truncated_blob_is_a_wrapping_error(blob):
    with pytest.raises(WrappingError):
        unwrap(ROOT_KEY, blob, purpose=PURPOSE)


def test_an_empty_secret_round_trips():
    assert unwrap(ROOT_KEY, wrap(ROOT_KEY, b"", purpose=PURPOSE), purpose=PURPOSE) == b""


def test_a_wrapping_error_is_a_server_fault_not_an_aws_error():
    assert issubclass(WrappingError, ValueError)


def test_the_root_key_must_be_32_bytes():
    with pytest.raises(WrappingError):
        wrap(os.urandom(16), SECRET, purpose=PURPOSE)


def test_errors_never_show_the_secret():
    blob = wrap(ROOT_KEY, SECRET, purpose=PURPOSE)
    with pytest.raises(WrappingError) as caught:
        unwrap(os.urandom(32), blob, purpose=PURPOSE)
    assert SECRET.hex() not in str(caught.value)
    assert ROOT_KEY.hex() not in str(caught.value)


# Finding the root key.


def test_a_hex_environment_value_is_the_root_key(tmp_path):
    key = os.urandom(32)
    assert load_or_create_root_key(key.hex(), tmp_path / "root.key") == key
    assert load_or_create_root_key(key.hex().upper(), tmp_path / "root.key") == key
    assert not (tmp_path / "root.key").exists()


def test_a_base64_environment_value_is_the_root_key(tmp_path):
    key = os.urandom(32)
    assert load_or_create_root_key(base64.b64encode(key).decode(), tmp_path / "root.key") == key


def test_the_environment_wins_over_the_file(tmp_path):
    key_file = tmp_path / "root.key"
    key_file.write_text(os.urandom(32).hex())
    key = os.urandom(32)
    assert load_or_create_root_key(f" {key.hex()}\n", key_file) == key


@pytest.mark.parametrize(
    "value",
    [
        "too short",
        "ab" * 31,
        "zz" * 32,
        base64.b64encode(bytes(range(16))).decode(),
        base64.b64encode(bytes(range(33))).decode(),
    ],
)
def test_a_malformed_environment_value_fails_loudly_without_echoing_it(value, tmp_path):
    with pytest.raises(WrappingError) as caught:
        load_or_create_root_key(value, tmp_path / "root.key")
    assert value not in str(caught.value)
    assert "KMSCONSOLE_ROOT_KEY" in str(caught.value)


@pytest.mark.parametrize("value", [None, "", "  "])
def test_without_an_environment_value_it_creates_a_private_key_file(value, tmp_path):
    key_file = tmp_path / "state" / "root.key"
    key = load_or_create_root_key(value, key_file)
    assert len(key) == 32
    assert key_file.read_text() == key.hex() + "\n"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert os.listdir(key_file.parent) == ["root.key"]


def test_the_created_key_is_reused_on_the_next_start(tmp_path):
    key_file = tmp_path / "root.key"
    assert load_or_create_root_key(None, key_file) == load_or_create_root_key(None, key_file)


def test_an_existing_key_file_is_read(tmp_path):
    key_file = tmp_path / "root.key"
    key = os.urandom(32)
    key_file.write_text(key.hex() + "\n")
    assert load_or_create_root_key(None, key_file) == key


def test_a_corrupt_key_file_fails_loudly_rather_than_being_replaced(tmp_path):
    key_file = tmp_path / "root.key"
    key_file.write_text("not a key\n")
    with pytest.raises(WrappingError, match=str(key_file)):
        load_or_create_root_key(None, key_file)
    assert key_file.read_text() == "not a key\n"
