"""Solution of the encryption context lab, with the CLI as the instructions show it."""

from __future__ import annotations

import base64
import json

from . import LabSession


def solve(session: LabSession) -> None:
    key_id, alias = session.key_id("orders-key"), session.alias("orders-key")
    blob = base64.b64encode(session.ciphertext("invoice-1042")).decode()
    session.run_cli(f"echo '{blob}' | base64 --decode > invoice.bin")
    refused = session.run_cli("aws kms decrypt --ciphertext-blob fileb://invoice.bin", check=False)
    assert "InvalidCiphertextException" in refused.stderr, refused.stderr

    found = session.run_cli(
        "aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=Encrypt"
        " --query 'Events[0].CloudTrailEvent' --output text | jq -c .requestParameters.encryptionContext"
    )
    context = json.loads(found.stdout)
    shorthand = ",".join(f"{name}={value}" for name, value in sorted(context.items()))
    invoice = session.run_cli(
        f"aws kms decrypt --ciphertext-blob fileb://invoice.bin --encryption-context {shorthand}"
        " --query Plaintext --output text | base64 --decode"
    )
    assert invoice.stdout.startswith("Invoice 1042"), invoice.stdout

    session.run_cli("echo 'Invoice 1043 for tenant globex: 1 standing desk' > invoice-1043.txt")
    session.run_cli(
        f"aws kms encrypt --key-id {alias} --plaintext fileb://invoice-1043.txt"
        " --encryption-context app=orders,tenant=globex --query CiphertextBlob --output text > invoice-1043.b64",
        user="app",
    )

    policy = json.loads(
        session.run_cli(
            f"aws kms get-key-policy --key-id {key_id} --policy-name default --query Policy --output text"
        ).stdout
    )
    for statement in policy["Statement"]:
        if statement.get("Sid") == "AllowOrdersServiceUse":
            statement["Condition"] = {"StringEquals": {"kms:EncryptionContext:app": "orders"}}
    (session.workdir / "policy.json").write_text(json.dumps(policy, indent=2))
    session.run_cli(f"aws kms put-key-policy --key-id {key_id} --policy-name default --policy file://policy.json")

    denied = session.run_cli(
        f"aws kms encrypt --key-id {alias} --plaintext fileb://invoice-1043.txt", user="app", check=False
    )
    assert "AccessDeniedException" in denied.stderr, denied.stderr
    session.run_cli(
        f"aws kms encrypt --key-id {alias} --plaintext fileb://invoice-1043.txt"
        " --encryption-context app=orders,tenant=globex --query KeyId",
        user="app",
    )
