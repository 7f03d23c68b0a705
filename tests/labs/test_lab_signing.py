"""The signing lab: its checks on a fresh start, on realistic mistakes, and after the solution."""

from __future__ import annotations

import pytest
from lab_support import assert_everything_passes, assert_nothing_passes

pytestmark = pytest.mark.live

SLUG = "signing"
MANIFEST = b"image: registry.example.com/shop/api\ndigest: sha256:9f2c41d0e7a5\nversion: 2.4.1\n"


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_verifying_with_another_algorithm_is_caught_then_the_solution_passes(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    alias = run.session.alias("release-signing")
    signature = kms.sign(
        KeyId=alias, Message=MANIFEST, MessageType="RAW", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256"
    )["Signature"]
    # Signed with PKCS#1 v1.5, verified as PSS: KMS says the signature is invalid.
    with pytest.raises(kms.exceptions.KMSInvalidSignatureException):
        kms.verify(
            KeyId=alias, Message=MANIFEST, MessageType="RAW", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256"
        )

    results = run.check_all()

    [signed] = results["sign-release"]
    assert signed.passed, signed.reason
    [verified] = results["verify-with-kms"]
    assert not verified.passed
    assert "RSASSA_PSS_SHA_256" in verified.reason and "RSASSA_PKCS1_V1_5_SHA_256" in verified.reason
    assert "same signing algorithm" in verified.reason

    run.solve()
    assert_everything_passes(run)


def test_a_public_key_fetched_before_anything_was_signed_is_not_enough(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    alias = run.session.alias("release-signing")
    kms.get_public_key(KeyId=alias)
    kms.sign(KeyId=alias, Message=MANIFEST, MessageType="RAW", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")

    [offline] = run.check_all()["verify-offline"]

    assert not offline.passed
    assert "get-public-key" in offline.reason
