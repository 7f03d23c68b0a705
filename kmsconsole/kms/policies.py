"""Key policy documents AWS writes for you: the default policy and AWS managed keys' policy."""

from __future__ import annotations

import json
from typing import Any

from .services import via_service_value


def policy_text(document: dict[str, Any]) -> str:
    """Pretty-print a policy the way GetKeyPolicy returns AWS-written ones."""
    return json.dumps(document, indent=2, separators=(",", " : "))


def default_key_policy(account_id: str) -> str:
    """The policy CreateKey attaches when the request has none: the account root may do
    everything, which delegates access control to the account's IAM policies."""
    return policy_text(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


def aws_managed_key_policy(account_id: str, region: str, service: str) -> str:
    """The fixed policy of ``alias/aws/<service>``: anyone in the account may use the key,
    but only through that service; the account may read the key's configuration."""
    return policy_text(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{service}-1",
            "Statement": [
                {
                    "Sid": f"Allow access through {service.upper()} for all principals in the account "
                    "that are authorized to use it",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:ViaService": via_service_value(service, region),
                            "kms:CallerAccount": account_id,
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                    "Resource": "*",
                },
            ],
        }
    )
