"""The key policies lab: its checks on a fresh start, on realistic mistakes, and after the
solution."""

from __future__ import annotations

import json

import pytest
from lab_support import assert_everything_passes, assert_nothing_passes

from labs.solutions.key_policies import split_policy

pytestmark = pytest.mark.live

SLUG = "key-policies"


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_adding_the_split_but_keeping_the_open_statement_is_caught_then_the_solution_passes(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    key_id = run.session.key_id("payroll-key")
    policy = split_policy(run.session)
    policy["Statement"].append(
        {"Sid": "TemporaryOpenAccess", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
    )
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))

    public, outsiders, admins, _users = run.check_all()["split-duties"]

    assert not public.passed and "TemporaryOpenAccess" in public.reason
    assert not outsiders.passed and "Account B" in outsiders.reason
    assert not admins.passed and "kms:Encrypt" in admins.reason

    run.solve()
    assert_everything_passes(run)


def test_giving_the_application_kms_star_is_caught(lab_run):
    run = lab_run(SLUG)
    policy = split_policy(run.session)
    policy["Statement"][2]["Action"] = "kms:*"
    run.session.client("kms").put_key_policy(
        KeyId=run.session.key_id("payroll-key"), PolicyName="default", Policy=json.dumps(policy)
    )

    public, outsiders, admins, users = run.check_all()["split-duties"]

    assert public.passed and outsiders.passed and admins.passed
    assert not users.passed
    assert "PaymentsApp may call kms:PutKeyPolicy" in users.reason
    assert "AllowUseOfTheKey" in users.reason
