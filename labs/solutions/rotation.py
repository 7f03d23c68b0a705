"""Solution of the rotation lab: the guide's alias form fails first, then rotation every 90
days by key id, one on-demand rotation, a year fast-forwarded, and the old invoice decrypted."""

from __future__ import annotations

import base64
import json

from . import LabSession

KEY_ID_FROM_ALIAS = "KEY_ID=$(aws kms describe-key --key-id {alias} --query KeyMetadata.KeyId --output text)"


def solve(session: LabSession) -> None:
    alias = session.alias("ledger-key")
    key_id = KEY_ID_FROM_ALIAS.format(alias=alias)

    refused = session.run_cli(f"aws kms enable-key-rotation --key-id {alias} --rotation-period-in-days 90", check=False)
    assert "NotFoundException" in refused.stderr, refused.stderr
    session.run_cli(
        f'{key_id} && aws kms enable-key-rotation --key-id "$KEY_ID" --rotation-period-in-days 90'
        ' && aws kms get-key-rotation-status --key-id "$KEY_ID"'
    )

    session.run_cli(
        f'{key_id} && aws kms rotate-key-on-demand --key-id "$KEY_ID" && aws kms list-key-rotations --key-id "$KEY_ID"'
    )

    session.advance_clock(days=366)
    listed = session.run_cli(f'{key_id} && aws kms list-key-rotations --key-id "$KEY_ID" --output json')
    types = [rotation["RotationType"] for rotation in json.loads(listed.stdout)["Rotations"]]
    assert "ON_DEMAND" in types and "AUTOMATIC" in types, types

    blob = base64.b64encode(session.ciphertext("old-invoice")).decode()
    decrypted = session.run_cli(
        f"echo '{blob}' | base64 --decode > old-invoice.bin"
        " && aws kms decrypt --ciphertext-blob fileb://old-invoice.bin --encryption-context invoice=2024-0042"
        " --output json"
    )
    answer = json.loads(decrypted.stdout)
    assert base64.b64decode(answer["Plaintext"]).startswith(b"Invoice 2024-0042")
    current = session.run_cli(
        f"aws kms describe-key --key-id {alias} --query KeyMetadata.CurrentKeyMaterialId --output text"
    ).stdout.strip()
    assert answer["KeyMaterialId"] != current, "the old invoice should decrypt with its original material"
