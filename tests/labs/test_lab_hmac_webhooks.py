"""The HMAC webhook lab: its checks on a fresh start, on realistic mistakes, and after the solution."""

from __future__ import annotations

import pytest
from lab_support import assert_everything_passes, assert_nothing_passes

pytestmark = pytest.mark.live

SLUG = "hmac-webhooks"
PAYLOAD = b'{"event":"payment.succeeded","payment_id":"pay_7731","amount":4999,"currency":"EUR"}'


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_a_mac_algorithm_that_does_not_match_the_key_spec_is_caught_then_the_solution_passes(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    with pytest.raises(kms.exceptions.InvalidKeyUsageException):
        kms.generate_mac(KeyId=run.session.alias("webhook-hmac"), MacAlgorithm="HMAC_SHA_512", Message=PAYLOAD)

    [generated] = run.check_all()["generate-mac"]

    assert not generated.passed
    assert "HMAC_SHA_512 is incompatible with key spec HMAC_256" in generated.reason
    assert "--mac-algorithm HMAC_SHA_256" in generated.reason

    run.solve()
    assert_everything_passes(run)


def test_verifying_as_the_administrator_instead_of_the_receiver_is_caught(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    alias = run.session.alias("webhook-hmac")
    mac = kms.generate_mac(KeyId=alias, MacAlgorithm="HMAC_SHA_256", Message=PAYLOAD)["Mac"]
    kms.verify_mac(KeyId=alias, MacAlgorithm="HMAC_SHA_256", Message=PAYLOAD, Mac=mac)

    [verified] = run.check_all()["verify-as-receiver"]

    assert not verified.passed
    assert "that is the administrator" in verified.reason
