"""Solution of the envelope encryption lab, done as the instructions say: the CLI for the
limit and the data key, the guide's envelope_encrypt / envelope_decrypt with boto3."""

from __future__ import annotations

import base64
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import LabSession

USER_PII = b'{"ssn": "123-45-6789", "dob": "1990-01-15"}'


def envelope_encrypt(kms: object, plaintext_data: bytes, key_alias: str) -> dict[str, str]:
    response = kms.generate_data_key(KeyId=key_alias, KeySpec="AES_256")  # type: ignore[attr-defined]
    plaintext_key, encrypted_key = response["Plaintext"], response["CiphertextBlob"]
    nonce = os.urandom(12)
    ciphertext = AESGCM(plaintext_key).encrypt(nonce, plaintext_data, None)
    del plaintext_key
    return {
        "encrypted_data": base64.b64encode(nonce + ciphertext).decode(),
        "encrypted_key": base64.b64encode(encrypted_key).decode(),
    }


def envelope_decrypt(kms: object, payload: dict[str, str]) -> bytes:
    encrypted_key = base64.b64decode(payload["encrypted_key"])
    blob = base64.b64decode(payload["encrypted_data"])
    plaintext_key = kms.decrypt(CiphertextBlob=encrypted_key)["Plaintext"]  # type: ignore[attr-defined]
    return AESGCM(plaintext_key).decrypt(blob[:12], blob[12:], None)


def solve(session: LabSession) -> None:
    alias = session.alias("pii-key")
    session.run_cli("head -c 6144 /dev/urandom > records.bin")
    refused = session.run_cli(f"aws kms encrypt --key-id {alias} --plaintext fileb://records.bin", check=False)
    assert "ValidationException" in refused.stderr, refused.stderr

    session.run_cli(
        f"aws kms generate-data-key --key-id {alias} --key-spec AES_256 --output json > datakey_response.json"
        " && jq -r .Plaintext datakey_response.json | base64 --decode > plaintext_datakey.bin"
        " && jq -r .CiphertextBlob datakey_response.json | base64 --decode > encrypted_datakey.bin"
    )

    kms = session.client("kms")
    record = envelope_encrypt(kms, USER_PII, alias)
    session.submit("envelope-in-python", json.dumps(record))
    assert envelope_decrypt(kms, record) == USER_PII

    session.run_cli(
        "aws kms decrypt --ciphertext-blob fileb://encrypted_datakey.bin --query Plaintext --output text"
        " | base64 --decode > recovered_plaintext_key.bin"
        " && diff plaintext_datakey.bin recovered_plaintext_key.bin"
        " && rm -f plaintext_datakey.bin recovered_plaintext_key.bin"
    )
