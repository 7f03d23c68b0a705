"""The encryption context lab: its checks on a fresh start, on realistic mistakes, and
after the solution."""

from __future__ import annotations

import json

import pytest
from lab_support import assert_everything_passes, assert_nothing_passes

pytestmark = pytest.mark.live

SLUG = "encryption-context"


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_a_second_conditional_statement_beside_the_old_one_is_caught_then_the_solution_passes(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    key_id = run.session.key_id("orders-key")
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"].append(
        {
            "Sid": "AllowOrdersServiceWithContext",
            "Effect": "Allow",
            "Principal": {"AWS": run.session.user_arn("app")},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:app": "orders"}},
        }
    )
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))

    (policy_check,) = run.check_all()["require-it-in-the-policy"]

    assert not policy_check.passed
    assert "with no encryption context" in policy_check.reason
    assert "AllowOrdersServiceUse" in policy_check.reason

    run.solve()
    assert_everything_passes(run)


def test_decrypting_with_a_guessed_context_is_explained(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=run.session.ciphertext("invoice-1042"), EncryptionContext={"app": "orders"})

    first, second = run.check_all()["context-is-required"][0], run.check_all()["find-the-context"][0]

    assert first.passed
    assert not second.passed
    assert "{app=orders}" in second.reason


def test_encrypting_as_the_administrator_does_not_count_for_the_orders_service(lab_run):
    run = lab_run(SLUG)
    run.session.client("kms").encrypt(
        KeyId=run.session.alias("orders-key"), Plaintext=b"x", EncryptionContext={"app": "orders", "tenant": "globex"}
    )

    (bound,) = run.check_all()["bind-new-data"]

    assert not bound.passed
    assert "orders-service" in bound.reason
