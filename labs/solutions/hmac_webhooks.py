"""Solution of the HMAC webhook lab: the sender generates the MAC with the guide's
command, the receiver (allowed only kms:VerifyMac) verifies it, rejects a tampered
payload and cannot generate MACs itself."""

from __future__ import annotations

import json

from . import LabSession

PAYLOAD = '{"event":"payment.succeeded","payment_id":"pay_7731","amount":4999,"currency":"EUR"}'


def verify_mac(session: LabSession, payload_file: str) -> str:
    result = session.run_cli(
        f"aws kms verify-mac --key-id {session.alias('webhook-hmac')} --mac-algorithm HMAC_SHA_256"
        f" --message fileb://{payload_file} --mac fileb://webhook.mac",
        user="receiver",
        check=False,
    )
    return result.stdout + result.stderr


def solve(session: LabSession) -> None:
    alias = session.alias("webhook-hmac")
    (session.workdir / "webhook_payload.json").write_text(PAYLOAD)
    session.run_cli(
        f"aws kms generate-mac --key-id {alias} --mac-algorithm HMAC_SHA_256 --message fileb://webhook_payload.json"
        " --query 'Mac' --output text | base64 --decode > webhook.mac"
    )

    assert json.loads(verify_mac(session, "webhook_payload.json"))["MacValid"] is True

    session.run_cli('sed \'s/"amount":4999/"amount":1/\' webhook_payload.json > tampered_payload.json')
    assert "KMSInvalidMacException" in verify_mac(session, "tampered_payload.json")

    forged = session.run_cli(
        f"aws kms generate-mac --key-id {alias} --mac-algorithm HMAC_SHA_256 --message fileb://tampered_payload.json",
        user="receiver",
        check=False,
    )
    assert "AccessDeniedException" in forged.stderr, forged.stderr
