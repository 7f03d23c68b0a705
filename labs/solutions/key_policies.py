"""Solution of the key policies lab, with the CLI as the instructions show it."""

from __future__ import annotations

import base64
import json
from typing import Any

from . import LabSession

ADMIN_ACTIONS = [
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
]  # fmt: skip


def split_policy(session: LabSession) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableIAMUserPermissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{session.account_id('A')}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AllowKeyAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": session.user_arn("key-admin")},
                "Action": ADMIN_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "AllowUseOfTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": session.user_arn("payments-app")},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            },
        ],
    }


def solve(session: LabSession) -> None:
    key_id, alias = session.key_id("payroll-key"), session.alias("payroll-key")
    session.run_cli(f"aws kms get-key-policy --key-id {key_id} --policy-name default --query Policy --output text")
    blob = base64.b64encode(session.ciphertext("payroll-march")).decode()
    session.run_cli(f"echo '{blob}' | base64 --decode > payroll.bin")
    leaked = session.run_cli(
        "aws kms decrypt --ciphertext-blob fileb://payroll.bin --query Plaintext --output text | base64 --decode",
        account="B",
    )
    assert leaked.stdout.startswith("Payroll March"), leaked.stdout

    (session.workdir / "policy.json").write_text(json.dumps(split_policy(session), indent=2))
    session.run_cli(f"aws kms put-key-policy --key-id {key_id} --policy-name default --policy file://policy.json")

    session.run_cli("aws kms decrypt --ciphertext-blob fileb://payroll.bin --query Plaintext", user="payments-app")
    refused = session.run_cli("aws kms decrypt --ciphertext-blob fileb://payroll.bin", user="key-admin", check=False)
    assert "AccessDeniedException" in refused.stderr, refused.stderr
    by_alias = session.run_cli(f"aws kms enable-key-rotation --key-id {alias}", user="key-admin", check=False)
    assert "NotFoundException" in by_alias.stderr, by_alias.stderr
    session.run_cli(f"aws kms enable-key-rotation --key-id {key_id}", user="key-admin")
    session.run_cli(f"aws kms get-key-rotation-status --key-id {key_id}", user="key-admin")
