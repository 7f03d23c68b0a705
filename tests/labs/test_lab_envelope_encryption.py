"""The envelope encryption lab: its checks on a fresh start, on realistic mistakes, and
after the solution."""

from __future__ import annotations

import base64
import json

import pytest
from lab_support import assert_everything_passes, assert_nothing_passes

pytestmark = pytest.mark.live

SLUG = "envelope-encryption"
RECORD = b'{"ssn": "123-45-6789", "dob": "1990-01-15"}'


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_sending_the_record_to_encrypt_is_caught_then_the_solution_passes(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    alias = run.session.alias("pii-key")
    kms.generate_data_key(KeyId=alias, KeySpec="AES_256")
    blob = kms.encrypt(KeyId=alias, Plaintext=RECORD)["CiphertextBlob"]
    run.session.submit(
        "envelope-in-python", json.dumps({"encrypted_data": base64.b64encode(blob).decode(), "encrypted_key": ""})
    )

    payload_check, local_check = run.check_all()["envelope-in-python"]

    assert not local_check.passed
    assert "sent your data to KMS" in local_check.reason
    assert not payload_check.passed
    assert "ciphertext blob from KMS" in payload_check.reason

    run.solve()
    assert_everything_passes(run)


def test_storing_the_plaintext_data_key_is_caught(lab_run):
    run = lab_run(SLUG)
    data_key = run.session.client("kms").generate_data_key(KeyId=run.session.alias("pii-key"), KeySpec="AES_256")
    record = {
        "encrypted_data": base64.b64encode(b"\0" * 40).decode(),
        "encrypted_key": base64.b64encode(data_key["Plaintext"]).decode(),
    }
    run.session.submit("envelope-in-python", json.dumps(record))

    payload_check, _ = run.check_all()["envelope-in-python"]

    assert not payload_check.passed
    assert "plaintext data key" in payload_check.reason


def test_a_record_whose_halves_do_not_belong_together_is_caught(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    alias = run.session.alias("pii-key")
    first = kms.generate_data_key(KeyId=alias, KeySpec="AES_256")["CiphertextBlob"]
    record = {"encrypted_key": base64.b64encode(first).decode(), "encrypted_data": base64.b64encode(b"n" * 40).decode()}
    run.session.submit("envelope-in-python", repr(record))  # Python's print() of the dict is accepted too

    payload_check, local_check = run.check_all()["envelope-in-python"]

    assert local_check.passed
    assert not payload_check.passed
    assert "do not belong together" in payload_check.reason
