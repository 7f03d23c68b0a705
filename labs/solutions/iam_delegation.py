"""Solution of the IAM delegation lab, with the CLI as the instructions show it."""

from __future__ import annotations

import base64
import json
from typing import Any

from . import LabSession


def root_statement(session: LabSession) -> dict[str, Any]:
    return {
        "Sid": "EnableIAMPolicies",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{session.account_id('A')}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def analyst_policy(session: LabSession) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadQuarterlyReports",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": session.key_arn("reports-key"),
            }
        ],
    }


def solve(session: LabSession) -> None:
    key_id = session.key_id("reports-key")
    blob = base64.b64encode(session.ciphertext("q3-report")).decode()
    session.run_cli(f"echo '{blob}' | base64 --decode > q3.bin")
    # Refused on a fresh start: the key policy neither names the analyst nor trusts the account.
    session.run_cli("aws kms decrypt --ciphertext-blob fileb://q3.bin", user="analyst", check=False)

    policy = json.loads(
        session.run_cli(
            f"aws kms get-key-policy --key-id {key_id} --policy-name default --query Policy --output text"
        ).stdout
    )
    policy["Statement"].append(root_statement(session))
    (session.workdir / "policy.json").write_text(json.dumps(policy, indent=2))
    session.run_cli(f"aws kms put-key-policy --key-id {key_id} --policy-name default --policy file://policy.json")

    report = session.run_cli(
        "aws kms decrypt --ciphertext-blob fileb://q3.bin --query Plaintext --output text | base64 --decode",
        user="analyst",
    )
    assert report.stdout.startswith("Q3 report"), report.stdout

    (session.workdir / "analyst-policy.json").write_text(json.dumps(analyst_policy(session), indent=2))
    user_name = session.refs["users"]["analyst"]["name"]
    session.run_cli(
        f"aws iam put-user-policy --user-name {user_name} --policy-name lab"
        " --policy-document file://analyst-policy.json"
    )
