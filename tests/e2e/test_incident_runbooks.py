"""The guide's three KMS incident runbooks, run verbatim through the aws CLI against the
live server right after the matching incident was caused.

The shell lines are copied from the guide (shared/seed, "Incident Response Runbook: KMS
Issues") with only ``<key-id>`` filled in, so a learner sees what AWS would show them,
including where the guide's pipeline does not work as written.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from typing import Any

from support import Identity

IDENTIFY_DISABLED_KEY = """aws kms list-keys --query 'Keys[*].KeyId' --output text | \\
  xargs -I {} aws kms describe-key --key-id {} \\
  --query 'KeyMetadata.[KeyId,KeyState]' --output text | grep -i disabled"""

# The same pipeline with the tab-separated ids split one per line, which xargs -I needs.
IDENTIFY_DISABLED_KEY_ONE_ID_PER_LINE = """aws kms list-keys --query 'Keys[*].KeyId' --output text | tr '\\t' '\\n' | \\
  xargs -I {} aws kms describe-key --key-id {} \\
  --query 'KeyMetadata.[KeyId,KeyState]' --output text | grep -i disabled"""

ENABLE_KEY = "aws kms enable-key --key-id <key-id>"
VERIFY_KEY_STATE = "aws kms describe-key --key-id <key-id> --query 'KeyMetadata.KeyState'"
CANCEL_DELETION = "aws kms cancel-key-deletion --key-id <key-id>"

DECRYPTS_IN_THE_LAST_HOUR = """aws cloudtrail lookup-events \\
  --lookup-attributes AttributeKey=EventName,AttributeValue=Decrypt \\
  --start-time $(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ) \\
  --query 'Events[*].[EventTime,Username,Resources[0].ResourceName]' \\
  --output table"""

DECRYPT_RECORDS = """aws cloudtrail lookup-events \\
  --lookup-attributes AttributeKey=EventName,AttributeValue=Decrypt \\
  --start-time $(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ) \\
  --query 'Events[*].CloudTrailEvent' --output text"""
DECRYPT_SOURCE_IPS = (
    DECRYPT_RECORDS
    + """ | \\
  jq -r '.sourceIPAddress' | sort | uniq -c | sort -rn | head -10"""
)

WHO_SCHEDULED_DELETION = """aws cloudtrail lookup-events \\
  --lookup-attributes AttributeKey=EventName,AttributeValue=ScheduleKeyDeletion \\
  --query 'Events[*].[EventTime,Username]' --output table"""


def with_key(command: str, key_id: str) -> str:
    return command.replace("<key-id>", key_id)


def iam_user(alice: Identity, endpoint: str, name: str, actions: list[str]) -> Identity:
    """A user of alice's account created with the IAM API, allowed ``actions`` on any key."""
    iam = alice.client("iam", endpoint)
    user = iam.create_user(UserName=name)["User"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    iam.put_user_policy(UserName=name, PolicyName="Inline", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Identity(alice.account_id, user["Arn"], key["AccessKeyId"], key["SecretAccessKey"])


def table_rows(output: str) -> list[list[str]]:
    """The data rows of an ``--output table`` listing (its title row has one cell)."""
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in output.splitlines()]
    return [row for row in rows if len(row) > 1]


def assert_recent_epoch(cell: str) -> None:
    """The aws CLI v1 prints EventTime as the service sent it: epoch seconds."""
    assert re.fullmatch(r"\d+(\.\d+)?", cell), cell
    assert abs(float(cell) - time.time()) < 3600


# ---------------------------------------------------------------- scenario 1


def test_the_disabled_key_runbook_as_written_passes_all_ids_to_describe_key_at_once(kms, aws_cli):
    kms.create_key(Description="pipeline")
    disabled = kms.create_key(Description="pipeline")["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)

    result = aws_cli(IDENTIFY_DISABLED_KEY, shell=True)

    # With several keys, --output text prints every id on one tab-separated line; xargs -I
    # takes the whole line as one argument, and KMS finds no key by that "id".
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "An error occurred (NotFoundException) when calling the DescribeKey operation: Invalid keyId" in (
        result.stderr
    )
    assert f"\t{disabled}\t" in result.stderr or f"\t{disabled}'" in result.stderr


def test_the_disabled_key_runbook_finds_re_enables_and_verifies_the_key(kms, aws_cli):
    kms.create_key(Description="pipeline")
    disabled = kms.create_key(Description="pipeline")["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)

    found = aws_cli(IDENTIFY_DISABLED_KEY_ONE_ID_PER_LINE, shell=True)
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines() == [f"{disabled}\tDisabled"]

    enabled = aws_cli(with_key(ENABLE_KEY, disabled), shell=True)
    assert enabled.returncode == 0, enabled.stderr
    assert enabled.stdout == ""
    verified = aws_cli(with_key(VERIFY_KEY_STATE, disabled), shell=True)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == '"Enabled"'


# ---------------------------------------------------------------- scenario 2


def decrypt_spike(kms: Any, alice: Identity, endpoint: str) -> dict[str, Any]:
    """Twenty Decrypt calls on one key: twelve by the admin, eight by an application user."""
    key_arn = kms.create_key(Description="orders")["KeyMetadata"]["Arn"]
    blob = kms.encrypt(KeyId=key_arn, Plaintext=b"order 1")["CiphertextBlob"]
    app = iam_user(alice, endpoint, "orders-app", ["kms:Decrypt"]).client("kms", endpoint)
    for _ in range(12):
        kms.decrypt(CiphertextBlob=blob)
    for _ in range(8):
        app.decrypt(CiphertextBlob=blob)
    return {"key_arn": key_arn}


def test_the_decrypt_spike_runbook_tabulates_who_decrypted_with_which_key(kms, alice, endpoint, aws_cli):
    spike = decrypt_spike(kms, alice, endpoint)

    result = aws_cli(DECRYPTS_IN_THE_LAST_HOUR, shell=True)

    assert result.returncode == 0, result.stderr
    assert "LookupEvents" in result.stdout.splitlines()[1]
    rows = table_rows(result.stdout)
    assert len(rows) == 20
    assert Counter(username for _, username, _ in rows) == {"admin": 12, "orders-app": 8}
    assert {resource for _, _, resource in rows} == {spike["key_arn"]}
    for event_time, _, _ in rows:
        assert_recent_epoch(event_time)
    assert [row[0] for row in rows] == sorted((row[0] for row in rows), reverse=True)


def test_the_decrypt_spike_runbook_counts_decrypts_per_source_ip(kms, alice, endpoint, aws_cli):
    decrypt_spike(kms, alice, endpoint)

    records = aws_cli(DECRYPT_RECORDS, shell=True)
    result = aws_cli(DECRYPT_SOURCE_IPS, shell=True)

    # --output text prints the list of JSON strings on one line, tab-separated; jq reads
    # whitespace-separated JSON texts as a stream, so each record still yields its IP.
    assert records.stdout.count("\n") == 1
    assert [json.loads(text)["eventName"] for text in records.stdout.strip().split("\t")] == ["Decrypt"] * 20
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["20", "127.0.0.1"]


# ---------------------------------------------------------------- scenario 3


def test_the_pending_deletion_runbook_cancels_re_enables_and_names_who_scheduled_it(kms, alice, endpoint, aws_cli):
    key_id = kms.create_key(Description="billing")["KeyMetadata"]["KeyId"]
    intern = iam_user(alice, endpoint, "ops-intern", ["kms:ScheduleKeyDeletion"]).client("kms", endpoint)
    intern.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"

    cancelled = aws_cli(with_key(CANCEL_DELETION, key_id), shell=True)
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["KeyId"].endswith(f":key/{key_id}")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    enabled = aws_cli(with_key(ENABLE_KEY, key_id), shell=True)
    assert enabled.returncode == 0, enabled.stderr
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"

    result = aws_cli(WHO_SCHEDULED_DELETION, shell=True)

    assert result.returncode == 0, result.stderr
    [(event_time, username)] = table_rows(result.stdout)
    assert username == "ops-intern"
    assert_recent_epoch(event_time)
