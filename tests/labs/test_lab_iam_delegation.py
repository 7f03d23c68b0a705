"""The IAM delegation lab: its checks on a fresh start, on realistic mistakes, and after
the solution."""

from __future__ import annotations

import json

import pytest
from lab_support import assert_nothing_passes

pytestmark = pytest.mark.live

SLUG = "iam-delegation"


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_naming_the_analyst_in_the_key_policy_instead_of_delegating_is_caught(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    key_id = run.session.key_id("reports-key")
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"].append(
        {
            "Sid": "AnalystReads",
            "Effect": "Allow",
            "Principal": {"AWS": run.session.user_arn("analyst")},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))

    (delegation,) = run.check_all()["delegate-to-iam"]

    assert not delegation.passed
    assert "names them directly" in delegation.reason
    assert "AnalystReads" in delegation.reason


def test_delegating_while_the_analyst_keeps_kms_star_is_caught(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    key_id = run.session.key_id("reports-key")
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"].append(
        {
            "Sid": "EnableIAMPolicies",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{run.session.account_id('A')}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))

    results = run.check_all()

    assert results["delegate-to-iam"][0].passed
    (least_privilege,) = results["tighten-the-identity-policy"]
    assert not least_privilege.passed
    assert "kms:ScheduleKeyDeletion" in least_privilege.reason
    assert "BroadKMSAccess" in least_privilege.reason
