"""The cross-account lab: its checks on a fresh start, on realistic mistakes, and after
the solution."""

from __future__ import annotations

import json

import pytest
from lab_support import assert_nothing_passes

from labs.solutions.cross_account import decrypt_as_role

pytestmark = pytest.mark.live

SLUG = "cross-account"


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_a_grant_statement_without_its_condition_is_caught(lab_run):
    run = lab_run(SLUG)
    account_a, account_b = run.session.account_id("A"), run.session.account_id("B")
    # The guide's statements, with the Condition block dropped from the grant statement.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_a}:root"}, "Action": "kms:*",
             "Resource": "*"},
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_b}:root"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
                           "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
            },
        ],
    }  # fmt: skip
    run.session.client("kms").put_key_policy(
        KeyId=run.session.key_id("shared-key"), PolicyName="default", Policy=json.dumps(policy)
    )

    [shared] = run.check_all()["key-policy-in-a"]

    assert not shared.passed
    assert "kms:CreateGrant directly" in shared.reason
    assert "kms:GrantIsForAWSResource" in shared.reason


def test_decrypting_as_account_b_admin_instead_of_the_role_is_caught(lab_run):
    run = lab_run(SLUG)
    account_b = run.session.account_id("B")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{run.session.account_id('A')}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_b}:root"},
             "Action": "kms:Decrypt", "Resource": "*"},
        ],
    }  # fmt: skip
    run.session.client("kms").put_key_policy(
        KeyId=run.session.key_id("shared-key"), PolicyName="default", Policy=json.dumps(policy)
    )
    run.session.client("kms", account="B").decrypt(
        CiphertextBlob=run.session.ciphertext("q2-report"), EncryptionContext={"report": "q2-2025"}
    )

    [decrypted] = run.check_all()["decrypt-from-b"]

    assert not decrypted.passed
    assert "account B's administrator, not the role" in decrypted.reason


def test_a_one_sided_denial_is_explained_from_the_trace(lab_run):
    run = lab_run(SLUG)
    iam_b = run.session.client("iam", account="B")
    iam_b.update_assume_role_policy(
        RoleName="CrossAccountKMSRole",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{run.session.account_id('B')}:root"},
                     "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )  # fmt: skip
    # No identity policy on the role yet: the denial is on both sides, not the one this step shows.
    assert "AccessDeniedException" in decrypt_as_role(run.session)

    [diagnosed] = run.check_all()["one-sided"]

    assert not diagnosed.passed
    assert "no identity-based policy allows it" in diagnosed.reason
    assert "step 2" in diagnosed.reason
