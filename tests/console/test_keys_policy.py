"""The console's key policy helpers: the proposed default policy, the plain-words reading,
and the warnings. Pure functions over the policy engine: no database."""

import json

import pytest

from kmsconsole.console.views.keys_policy import (
    ADMIN_ACTIONS,
    console_default_policy,
    describe_condition,
    describe_principal,
    policy_warnings,
    read_policy,
)
from kmsconsole.engine.policy import parse_policy

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
BY_ROOT = {"AWS": ROOT}


def parsed(statements):
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": statements}), kind="key")


def allow(principal, action, **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}


def proposal(**choices):
    defaults = {
        "account_id": ACCOUNT,
        "key_spec": "SYMMETRIC_DEFAULT",
        "key_usage": "ENCRYPT_DECRYPT",
        "administrators": [],
        "allow_admin_delete": True,
        "users": [],
        "other_accounts": [],
    }
    return json.loads(console_default_policy(**{**defaults, **choices}))


def test_without_administrators_or_users_only_the_root_statement_remains():
    policy = proposal()
    assert policy["Id"] == "key-consolepolicy-3"
    assert policy["Statement"] == [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": ROOT},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]


def test_administrators_get_awss_admin_actions_and_deletion_when_allowed():
    admin = f"arn:aws:iam::{ACCOUNT}:user/admin"
    allowed = proposal(administrators=[admin])["Statement"][1]
    assert allowed["Action"] == [*ADMIN_ACTIONS, "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"]
    withheld = proposal(administrators=[admin], allow_admin_delete=False)["Statement"][1]
    assert withheld["Action"] == list(ADMIN_ACTIONS)


@pytest.mark.parametrize(
    ("spec", "usage", "actions"),
    [
        (
            "RSA_2048",
            "ENCRYPT_DECRYPT",
            ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:DescribeKey", "kms:GetPublicKey"],
        ),
        ("ECC_NIST_P384", "KEY_AGREEMENT", ["kms:DeriveSharedSecret", "kms:DescribeKey", "kms:GetPublicKey"]),
        ("ML_DSA_65", "SIGN_VERIFY", ["kms:Sign", "kms:Verify", "kms:DescribeKey", "kms:GetPublicKey"]),
    ],
)
def test_key_users_get_the_actions_of_their_key_type(spec, usage, actions):
    statements = proposal(key_spec=spec, key_usage=usage, other_accounts=["111122223333"])["Statement"]
    assert statements[1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statements[1]["Action"] == actions
    assert statements[2]["Sid"] == "Allow attachment of persistent resources"


def test_the_proposal_is_a_valid_key_policy_with_no_warnings():
    text = console_default_policy(
        account_id=ACCOUNT,
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        administrators=[f"arn:aws:iam::{ACCOUNT}:role/Admin"],
        allow_admin_delete=True,
        users=[f"arn:aws:iam::{ACCOUNT}:role/App"],
        other_accounts=["111122223333"],
    )
    assert policy_warnings(parse_policy(text, kind="key"), account_id=ACCOUNT) == []


def test_kms_star_to_everyone_is_a_danger_unless_conditions_limit_it():
    [open_warning, *_] = policy_warnings(parsed([allow("*", "kms:*")]), account_id=ACCOUNT)
    assert open_warning.severity == "danger" and "allows every KMS action to everyone" in open_warning.title
    limited = parsed(
        [allow(BY_ROOT, "kms:*"), allow("*", "kms:*", Condition={"StringEquals": {"kms:CallerAccount": ACCOUNT}})]
    )
    [limited_warning] = policy_warnings(limited, account_id=ACCOUNT)
    assert limited_warning.severity == "warn" and "conditions" in limited_warning.detail


def test_a_policy_nobody_can_change_is_a_lockout_danger():
    warnings = policy_warnings(parsed([allow(BY_ROOT, ["kms:Encrypt", "kms:Decrypt"])]), account_id=ACCOUNT)
    assert [warning.title for warning in warnings] == ["Nobody may change this policy"]


def test_admins_without_the_root_statement_are_a_warning():
    admin = {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Admin"}
    [warning] = policy_warnings(parsed([allow(admin, "kms:*")]), account_id=ACCOUNT)
    assert warning.title == "No statement for the account root"


def test_cross_account_kms_star_and_action_star_are_warned_about():
    titles = [
        w.title
        for w in policy_warnings(
            parsed([allow(BY_ROOT, "kms:*"), allow({"AWS": "111122223333"}, "*")]), account_id=ACCOUNT
        )
    ]
    assert titles == ["Statement 2 allows Action *", "Statement 2 gives another account every KMS action"]


def test_a_statement_without_action_has_no_effect():
    statements = [allow(BY_ROOT, "kms:*"), {"Effect": "Allow", "Principal": BY_ROOT, "Resource": "*"}]
    [warning] = policy_warnings(parsed(statements), account_id=ACCOUNT)
    assert warning.title == "Statement 2 has no effect"
    assert read_policy(parsed(statements), account_id=ACCOUNT)[1].actions == ["no action (the statement has no effect)"]


def test_principals_are_named_in_plain_words():
    assert describe_principal("AWS", "*", account_id=ACCOUNT) == "everyone: any principal of any AWS account"
    assert describe_principal("AWS", f"arn:aws:iam::{ACCOUNT}:role/team/App", account_id=ACCOUNT) == (
        "IAM role App of this account"
    )
    assert describe_principal("AWS", "arn:aws:sts::111122223333:assumed-role/App/ci", account_id=ACCOUNT) == (
        "the session ci of role App of account 111122223333"
    )
    assert describe_principal("Service", "s3.amazonaws.com", account_id=ACCOUNT) == "the AWS service s3.amazonaws.com"


def test_conditions_are_read_in_plain_words():
    statement = allow(
        BY_ROOT,
        "kms:Decrypt",
        Condition={
            "ForAnyValue:StringLike": {"kms:EncryptionContextKeys": ["app*", "team"]},
            "NumericLessThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "10"},
            "StringEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
            "Null": {"kms:GranteePrincipal": "true"},
        },
    )
    phrases = [describe_condition(condition) for condition in parsed([statement]).statements[0].conditions]
    assert phrases == [
        "at least one value of kms:EncryptionContextKeys matches app* or team",
        "kms:ScheduleKeyDeletionPendingWindowInDays is at most 10",
        "kms:ViaService is s3.us-east-1.amazonaws.com (when the request has it)",
        "the request has no kms:GranteePrincipal",
    ]
