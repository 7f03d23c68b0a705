"""Solution of the signing lab: sign a manifest with the RSA key, verify it offline with
openssl and with pyca/cryptography from the public key GetPublicKey returns, verify it
through KMS, and see both reject a tampered manifest."""

from __future__ import annotations

import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import LabSession

MANIFEST = r"image: registry.example.com/shop/api\ndigest: sha256:9f2c41d0e7a5\nversion: 2.4.1\n"
ALGORITHM = "RSASSA_PKCS1_V1_5_SHA_256"


def verify_offline(session: LabSession, message_file: str) -> bool:
    """What the instructions' Python snippet does, with the files the CLI wrote."""
    public_key = serialization.load_der_public_key((session.workdir / "public_key.der").read_bytes())
    assert isinstance(public_key, rsa.RSAPublicKey)
    signature = (session.workdir / "release.sig").read_bytes()
    try:
        public_key.verify(signature, (session.workdir / message_file).read_bytes(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def kms_verify(session: LabSession, message_file: str, *, check: bool = True) -> str:
    result = session.run_cli(
        f"aws kms verify --key-id {session.alias('release-signing')} --message fileb://{message_file}"
        f" --message-type RAW --signing-algorithm {ALGORITHM} --signature fileb://release.sig",
        check=check,
    )
    return result.stdout + result.stderr


def solve(session: LabSession) -> None:
    alias = session.alias("release-signing")
    session.run_cli(f"printf '{MANIFEST}' > release.txt")
    session.run_cli(
        f"aws kms sign --key-id {alias} --message fileb://release.txt --message-type RAW"
        f" --signing-algorithm {ALGORITHM} --query Signature --output text | base64 --decode > release.sig"
    )

    offline = session.run_cli(
        f"aws kms get-public-key --key-id {alias} --query 'PublicKey' --output text | base64 --decode > public_key.der"
        " && openssl pkey -pubin -inform DER -in public_key.der -out public_key.pem"
        " && openssl dgst -sha256 -verify public_key.pem -signature release.sig release.txt"
    )
    assert "Verified OK" in offline.stdout, offline.stdout
    assert verify_offline(session, "release.txt")

    assert json.loads(kms_verify(session, "release.txt"))["SignatureValid"] is True

    session.run_cli("sed 's/9f2c41d0e7a5/0badc0ffee00/' release.txt > tampered.txt")
    tampered = session.run_cli(
        "openssl dgst -sha256 -verify public_key.pem -signature release.sig tampered.txt", check=False
    )
    assert "Verification failure" in tampered.stdout + tampered.stderr
    assert not verify_offline(session, "tampered.txt")
    assert "KMSInvalidSignatureException" in kms_verify(session, "tampered.txt", check=False)
