"""Solution of the grants lab, with the aws CLI as the instructions show it: the
administrator creates and revokes grants, the batch service uses and retires its own."""

from __future__ import annotations

import json

from . import LabSession


def solve(session: LabSession) -> None:
    key_id = session.key_id("orders-key")
    alias = session.alias("orders-key")
    service = session.user_arn("service")

    created = session.run_cli(
        f"aws kms create-grant --key-id {key_id} --grantee-principal {service} --retiring-principal {service}"
        " --operations Encrypt Decrypt GenerateDataKey --constraints EncryptionContextSubset={department=orders}"
        " --name orders-batch"
    )
    token = json.loads(created.stdout)["GrantToken"]

    session.run_cli(
        f"aws kms generate-data-key --key-id {alias} --key-spec AES_256"
        f" --encryption-context department=orders,export=2025-06 --grant-tokens '{token}' --query KeyId",
        user="service",
    )
    refused = session.run_cli(
        f"aws kms generate-data-key --key-id {alias} --key-spec AES_256"
        f" --encryption-context department=finance --grant-tokens '{token}'",
        user="service",
        check=False,
    )
    assert "AccessDeniedException" in refused.stderr, refused.stderr

    session.run_cli(
        f"aws kms create-grant --key-id {key_id} --grantee-principal {session.user_arn('analytics')}"
        " --operations Decrypt --constraints 'EncryptionContextEquals={department=orders,purpose=reporting}'"
        " --name analytics-reporting"
    )
    session.run_cli(f"aws kms list-grants --key-id {key_id}")

    session.run_cli(f"aws kms retire-grant --grant-token '{token}'", user="service")

    session.run_cli(
        f"GRANT_ID=$(aws kms list-grants --key-id {key_id}"
        " --query \"Grants[?Name=='analytics-reporting'].GrantId\" --output text)"
        f' && aws kms revoke-grant --key-id {key_id} --grant-id "$GRANT_ID"'
    )
    remaining = session.run_cli(f"aws kms list-grants --key-id {key_id} --query 'Grants[].Name' --output json")
    assert json.loads(remaining.stdout) == [], remaining.stdout
