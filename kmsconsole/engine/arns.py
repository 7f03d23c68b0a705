"""ARNs of KMS and IAM resources: building and recognising them."""

from __future__ import annotations

import re

KEY_ID_PATTERN = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")
KMS_ARN_PATTERN = re.compile(r"^arn:aws:kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<resource>(?:key|alias)/.+)$")


def key_arn(region: str, account_id: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"


def alias_arn(region: str, account_id: str, alias_name: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:{alias_name}"


def is_key_id(value: str) -> bool:
    return bool(KEY_ID_PATTERN.match(value))
