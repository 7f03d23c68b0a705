"""Solution of the cross-account lab: terminal B (account B's administrator) fixes the
role and its policy, meets the one-sided denial, terminal A shares the key, and the role
session decrypts the report from account B."""

from __future__ import annotations

import json

from . import LabSession

ROLE_NAME = "CrossAccountKMSRole"


def decrypt_as_role(session: LabSession) -> str:
    """Step 3's subshell: assume the role with the guide's export line, then decrypt."""
    blob = session.refs["ciphertexts"]["q2-report"]["blob"]
    result = session.run_cli(
        f"echo '{blob}' | base64 --decode > q2-report.bin && ("
        ' export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s"'
        f" $(aws sts assume-role --role-arn {session.role_arn('consumer')} --role-session-name test-session"
        ' --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text))'
        " && aws sts get-caller-identity --query Arn"
        f" && aws kms decrypt --key-id {session.key_arn('shared-key')} --ciphertext-blob fileb://q2-report.bin"
        " --encryption-context report=q2-2025 --query Plaintext --output text | base64 --decode )",
        account="B",
        check=False,
    )
    return result.stdout + result.stderr


def solve(session: LabSession) -> None:
    account_a, account_b = session.account_id("A"), session.account_id("B")
    refused = session.run_cli(
        f"aws sts assume-role --role-arn {session.role_arn('consumer')} --role-session-name test-session",
        account="B",
        check=False,
    )
    assert "AccessDenied" in refused.stderr, refused.stderr

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_b}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    (session.workdir / "trust.json").write_text(json.dumps(trust, indent=2))
    session.run_cli(
        f"aws iam update-assume-role-policy --role-name {ROLE_NAME} --policy-document file://trust.json", account="B"
    )

    use = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowCrossAccountKMSUse",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": session.key_arn("shared-key"),
            }
        ],
    }
    (session.workdir / "kms-use.json").write_text(json.dumps(use, indent=2))
    session.run_cli(
        f"aws iam put-role-policy --role-name {ROLE_NAME} --policy-name UseQuarterlyReportsKey"
        " --policy-document file://kms-use.json",
        account="B",
    )

    one_sided = decrypt_as_role(session)
    assert "AccessDeniedException" in one_sided and "no resource-based policy" in one_sided, one_sided

    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableIAMPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_a}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AllowCrossAccountUse",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_b}:root"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
            },
            {
                "Sid": "AllowCrossAccountGrant",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_b}:root"},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ],
    }
    (session.workdir / "key-policy.json").write_text(json.dumps(key_policy, indent=2))
    session.run_cli(
        f"aws kms put-key-policy --key-id {session.key_id('shared-key')} --policy-name default"
        " --policy file://key-policy.json"
    )

    output = decrypt_as_role(session)
    assert "Q2 2025 revenue" in output, output
    assert f"arn:aws:sts::{account_b}:assumed-role/{ROLE_NAME}/test-session" in output, output
