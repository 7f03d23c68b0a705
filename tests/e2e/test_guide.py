"""The KMS guide (shared/seed), followed end to end against the live server.

Its Python envelope-encryption functions run with ``boto3.client('kms')`` configured only
by the environment, and its shell lines run verbatim through the aws CLI, so a learner
who copies them sees what AWS would show, including where the guide is wrong.
"""

from __future__ import annotations

import base64
import os
import shutil
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from support import REGION, cli_json

USER_PII = b'{"ssn": "123-45-6789", "dob": "1990-01-15"}'
PROD_ALIAS = "alias/prod-encryption-key"


# ---------------------------------------------------------------- the guide's Python


def envelope_encrypt(plaintext_data: bytes, key_alias: str) -> dict:
    """The guide's envelope encryption: a fresh AES-256 data key from KMS encrypts the
    data locally with AES-GCM; only the KMS-encrypted copy of the data key is kept."""
    kms = boto3.client("kms")
    data_key = kms.generate_data_key(KeyId=key_alias, KeySpec="AES_256")
    nonce = os.urandom(12)
    sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, plaintext_data, None)
    return {
        "encrypted_data": base64.b64encode(nonce + sealed).decode(),
        "encrypted_key": base64.b64encode(data_key["CiphertextBlob"]).decode(),
    }


def envelope_decrypt(encrypted_payload: dict) -> bytes:
    """The guide's reverse: KMS decrypts the stored data key, which opens the data."""
    kms = boto3.client("kms")
    wrapped_key = base64.b64decode(encrypted_payload["encrypted_key"])
    sealed = base64.b64decode(encrypted_payload["encrypted_data"])
    data_key = kms.decrypt(CiphertextBlob=wrapped_key)["Plaintext"]
    return AESGCM(data_key).decrypt(sealed[:12], sealed[12:], None)


@pytest.fixture
def aws_environment(monkeypatch, endpoint, alice, tmp_path):
    """Configure boto3 the way the guide assumes: through the environment alone."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", alice.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", alice.secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    # boto3's default session keeps the first credentials it resolved; start afresh.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def test_the_guides_envelope_functions_round_trip_user_pii(kms, aws_environment):
    key_id = kms.create_key(Description="user PII")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/user-pii-key", TargetKeyId=key_id)

    encrypted = envelope_encrypt(USER_PII, "alias/user-pii-key")

    assert USER_PII not in base64.b64decode(encrypted["encrypted_data"])
    assert len(base64.b64decode(encrypted["encrypted_data"])) == 12 + len(USER_PII) + 16
    assert envelope_decrypt(encrypted) == USER_PII


def test_the_guides_envelope_data_cannot_be_opened_after_the_key_is_disabled(kms, aws_environment):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/user-pii-key", TargetKeyId=key_id)
    encrypted = envelope_encrypt(USER_PII, "alias/user-pii-key")
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as raised:
        envelope_decrypt(encrypted)
    assert raised.value.response["Error"]["Code"] == "DisabledException"


# ---------------------------------------------------------------- the guide's CLI


@pytest.fixture(autouse=True)
def aws_cli_of_this_python(monkeypatch):
    """Let the guide's ``aws`` be the entry script installed beside this Python, not a
    version-manager shim that costs a second per call."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


CREATE_PROD_KEY = """aws kms create-key \\
  --description "Production encryption key for S3 and CloudTrail" \\
  --tags TagKey=Environment,TagValue=Production TagKey=Owner,TagValue=SecurityTeam \\
  --query 'KeyMetadata.KeyId' --output text"""
CREATE_PROD_ALIAS = """aws kms create-alias \\
  --alias-name alias/prod-encryption-key \\
  --target-key-id {key_id}"""
ENABLE_ROTATION_BY_ALIAS = "aws kms enable-key-rotation --key-id alias/prod-encryption-key"


def test_the_real_example_works_until_rotation_is_enabled_by_alias(aws_cli, kms):
    created = aws_cli(CREATE_PROD_KEY, shell=True)
    assert created.returncode == 0, created.stderr
    key_id = created.stdout.strip()
    aliased = aws_cli(CREATE_PROD_ALIAS.format(key_id=key_id), shell=True)
    assert (aliased.returncode, aliased.stdout) == (0, ""), aliased.stderr

    metadata = kms.describe_key(KeyId=PROD_ALIAS)["KeyMetadata"]
    assert metadata["KeyId"] == key_id
    assert metadata["Description"] == "Production encryption key for S3 and CloudTrail"
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [
        {"TagKey": "Environment", "TagValue": "Production"},
        {"TagKey": "Owner", "TagValue": "SecurityTeam"},
    ]

    # EnableKeyRotation takes a key id or key ARN, not an alias: the guide's last step
    # fails on AWS, and here.
    by_alias = aws_cli(ENABLE_ROTATION_BY_ALIAS, shell=True)
    assert by_alias.returncode != 0
    assert "An error occurred (NotFoundException) when calling the EnableKeyRotation operation" in by_alias.stderr
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False

    by_id = aws_cli(f"aws kms enable-key-rotation --key-id {key_id}", shell=True)
    assert by_id.returncode == 0, by_id.stderr
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 365)


GENERATE_DATA_KEY_STEPS = [
    """aws kms generate-data-key \\
  --key-id alias/prod-encryption-key \\
  --key-spec AES_256 \\
  --output json > datakey_response.json""",
    "cat datakey_response.json | jq -r '.Plaintext' | base64 --decode > plaintext_datakey.bin",
    "cat datakey_response.json | jq -r '.CiphertextBlob' | base64 --decode > encrypted_datakey.bin",
    "ls -la *.bin",
]
DECRYPT_DATA_KEY_STEPS = [
    """aws kms decrypt \\
  --ciphertext-blob fileb://encrypted_datakey.bin \\
  --query 'Plaintext' \\
  --output text | base64 --decode > recovered_plaintext_key.bin""",
    "diff plaintext_datakey.bin recovered_plaintext_key.bin",
    "rm -f plaintext_datakey.bin recovered_plaintext_key.bin",
]


def test_the_envelope_cli_lab_recovers_the_same_data_key(aws_cli, kms, tmp_path):
    """The guide's pipelines need jq, which CI installs."""
    assert shutil.which("jq"), "jq is not installed"
    kms.create_alias(AliasName=PROD_ALIAS, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])

    for step in GENERATE_DATA_KEY_STEPS:
        result = aws_cli(step, shell=True)
        assert result.returncode == 0, (step, result.stderr)
    assert (tmp_path / "plaintext_datakey.bin").stat().st_size == 32
    assert (tmp_path / "encrypted_datakey.bin").stat().st_size > 32
    original = (tmp_path / "plaintext_datakey.bin").read_bytes()

    for step in DECRYPT_DATA_KEY_STEPS:
        result = aws_cli(step, shell=True)
        assert result.returncode == 0, (step, result.stderr)
        assert result.stdout == "", step  # diff prints nothing for equal files
    assert not (tmp_path / "plaintext_datakey.bin").exists()
    assert not (tmp_path / "recovered_plaintext_key.bin").exists()
    assert len(original) == 32


# ---------------------------------------------------------------- incident runbooks


FIND_DISABLED_KEYS = """aws kms list-keys --query 'Keys[*].KeyId' --output text | \\
  xargs -I {} aws kms describe-key --key-id {} \\
  --query 'KeyMetadata.[KeyId,KeyState]' --output text | grep -i disabled"""

# The same pipeline with the ids one per line (calls in turn: parallel ones interleave their output).
FIND_DISABLED_KEYS_ONE_PER_LINE = """aws kms list-keys --query 'Keys[*].KeyId' --output text | tr '\\t' '\\n' | \\
  xargs -I {} aws kms describe-key --key-id {} \\
  --query 'KeyMetadata.[KeyId,KeyState]' --output text | grep -i disabled"""


def test_runbook_1_finds_and_re_enables_a_disabled_key(aws_cli, kms):
    healthy = kms.create_key()["KeyMetadata"]["KeyId"]
    disabled = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    assert len(kms.list_keys()["Keys"]) > 1

    # As written, text output puts every key id on one line, so xargs -I passes them all
    # as a single --key-id and describe-key fails: the runbook finds nothing, as on AWS.
    as_written = aws_cli(FIND_DISABLED_KEYS, shell=True)
    assert as_written.returncode != 0
    assert as_written.stdout == ""
    assert "An error occurred (NotFoundException) when calling the DescribeKey operation" in as_written.stderr

    one_per_line = aws_cli(FIND_DISABLED_KEYS_ONE_PER_LINE, shell=True)
    assert one_per_line.returncode == 0, one_per_line.stderr
    assert one_per_line.stdout.splitlines() == [f"{disabled}\tDisabled"]

    enabled = aws_cli(f"aws kms enable-key --key-id {disabled}", shell=True)
    assert enabled.returncode == 0, enabled.stderr
    verified = aws_cli(f"aws kms describe-key --key-id {disabled} --query 'KeyMetadata.KeyState'", shell=True)
    assert verified.stdout.strip() == '"Enabled"'
    assert kms.describe_key(KeyId=healthy)["KeyMetadata"]["KeyState"] == "Enabled"


def test_runbook_3_cancels_a_pending_deletion_and_re_enables_the_key(aws_cli, kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"

    cancelled = aws_cli(f"aws kms cancel-key-deletion --key-id {key_id}", shell=True)
    assert cancelled.returncode == 0, cancelled.stderr
    assert cli_json(cancelled)["KeyId"].endswith(f":key/{key_id}")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"

    enabled = aws_cli(f"aws kms enable-key --key-id {key_id}", shell=True)
    assert enabled.returncode == 0, enabled.stderr
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Enabled"]) == ("Enabled", True)
    assert "DeletionDate" not in metadata
