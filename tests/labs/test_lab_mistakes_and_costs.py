"""The mistakes-and-costs lab: its checks on a fresh start, on realistic mistakes, and after
the solution."""

from __future__ import annotations

import json
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lab_support import assert_nothing_passes

pytestmark = pytest.mark.live

SLUG = "mistakes-and-costs"
CONTEXT = {"stream": "clickstream"}
EVENTS = [json.dumps({"event": "page_view", "user": f"u-{n}"}).encode() for n in range(200)]


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_a_data_key_per_event_and_a_decrypt_per_record_are_caught(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    alias = run.session.alias("clickstream-key")
    # generate_data_key inside the loop, then each record's data key decrypted on its own.
    stored = []
    for event in EVENTS:
        data_key = kms.generate_data_key(KeyId=alias, KeySpec="AES_256", EncryptionContext=CONTEXT)
        nonce = os.urandom(12)
        stored.append((data_key["CiphertextBlob"], nonce + AESGCM(data_key["Plaintext"]).encrypt(nonce, event, None)))
    for encrypted_key, blob in stored:
        plaintext_key = kms.decrypt(CiphertextBlob=encrypted_key, EncryptionContext=CONTEXT)["Plaintext"]
        AESGCM(plaintext_key).decrypt(blob[:12], blob[12:], None)

    results = run.check_all()

    [one_key] = results["one-data-key"]
    assert not one_key.passed
    assert "200 GenerateDataKey calls in a row" in one_key.reason
    assert "$0.0006" in one_key.reason and "nothing was saved" in one_key.reason
    [one_decrypt] = results["decrypt-once"]
    assert not one_decrypt.passed
    assert "200 Decrypt calls in a row" in one_decrypt.reason


def test_the_per_record_cost_is_priced_with_the_guides_figures(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    for event in EVENTS:
        kms.encrypt(KeyId=run.session.alias("clickstream-key"), Plaintext=event, EncryptionContext=CONTEXT)

    [measured] = run.check_all()["measure-naive"]

    assert measured.passed
    assert "200 Encrypt calls for 200 events cost $0.0006" in measured.reason
    assert "100,000,000 events a month, one call per event costs $300.00 a month" in measured.reason
