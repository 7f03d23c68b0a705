"""Solution of the incident-response lab: the guide's three runbooks with the aws CLI,
including its list-keys | xargs pipeline as printed (which fails with several keys) and
the one-id-per-line form that works."""

from __future__ import annotations

import base64
import sys
from collections import Counter

from . import LabSession

GUIDE_PIPELINE = (
    "aws kms list-keys --query 'Keys[*].KeyId' --output text"
    " | xargs -I {} aws kms describe-key --key-id {} --query 'KeyMetadata.[KeyId,KeyState]' --output text"
    " | grep -i disabled"
)
ONE_ID_PER_LINE = GUIDE_PIPELINE.replace("'Keys[*].KeyId'", "'Keys[*].[KeyId]'")

SPIKE_SCRIPT = """{python} - <<'EOF'
import base64, boto3
blob = base64.b64decode("{blob}")
def kms(access_key_id, secret):
    return boto3.client("kms", endpoint_url="{endpoint}", region_name="{region}",
                        aws_access_key_id=access_key_id, aws_secret_access_key=secret)
batch = kms("{batch_id}", "{batch_secret}")
other = kms("{other_id}", "{other_secret}")
for _ in range(5):
    batch.decrypt(CiphertextBlob=blob, EncryptionContext={{"table": "customers"}})
for _ in range(60):
    other.decrypt(CiphertextBlob=blob, EncryptionContext={{"table": "customers"}})
print("spike replayed")
EOF"""

DECRYPTS_IN_THE_LAST_HOUR = (
    "aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=Decrypt"
    " --start-time $(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)"
    " --query 'Events[*].[EventTime,Username,Resources[0].ResourceName]' --output table"
)
DECRYPTS_BY_USER = (
    "aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=Decrypt"
    " --query 'Events[*].Username' --output text | tr '\\t' '\\n' | sort | uniq -c | sort -rn"
)
WHO_SCHEDULED_DELETION = (
    "aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=ScheduleKeyDeletion"
    " --query 'Events[*].[EventTime,Username]' --output table"
)


def replay_spike(session: LabSession) -> None:
    batch, other = session.credentials(user="batch"), session.credentials(user="intruder")
    session.run_cli(
        SPIKE_SCRIPT.format(
            python=sys.executable,
            blob=base64.b64encode(session.ciphertext("customer-record")).decode(),
            endpoint=session.endpoint,
            region=session.region,
            batch_id=batch["AccessKeyId"],
            batch_secret=batch["SecretAccessKey"],
            other_id=other["AccessKeyId"],
            other_secret=other["SecretAccessKey"],
        )
    )


def restore_disabled_key(session: LabSession) -> None:
    as_printed = session.run_cli(GUIDE_PIPELINE, check=False)
    assert "NotFoundException" in as_printed.stderr and as_printed.stdout == "", as_printed
    found = session.run_cli(ONE_ID_PER_LINE).stdout.split()
    key_id, state = found
    assert state == "Disabled", found
    session.run_cli(f"aws kms enable-key --key-id {key_id}")
    verified = session.run_cli(f"aws kms describe-key --key-id {key_id} --query 'KeyMetadata.KeyState'")
    assert verified.stdout.strip() == '"Enabled"', verified.stdout


def contain_spike(session: LabSession) -> None:
    replay_spike(session)
    table = session.run_cli(DECRYPTS_IN_THE_LAST_HOUR).stdout
    assert session.key_arn("customer-data-key") in table
    counts: Counter[str] = Counter()
    for line in session.run_cli(DECRYPTS_BY_USER).stdout.splitlines():
        count, user = line.split()
        counts[user] = int(count)
    suspect, _ = counts.most_common(1)[0]
    access_key_id = session.run_cli(
        f"aws iam list-access-keys --user-name {suspect} --query 'AccessKeyMetadata[0].AccessKeyId' --output text"
    ).stdout.strip()
    session.run_cli(
        f"aws iam update-access-key --user-name {suspect} --access-key-id {access_key_id} --status Inactive"
    )


def save_archive_key(session: LabSession) -> None:
    archive = session.alias("archive-key")
    session.run_cli(
        f"ARCHIVE_KEY=$(aws kms describe-key --key-id {archive} --query KeyMetadata.KeyId --output text)"
        ' && aws kms cancel-key-deletion --key-id "$ARCHIVE_KEY" && aws kms enable-key --key-id "$ARCHIVE_KEY"'
    )
    assert "admin" in session.run_cli(WHO_SCHEDULED_DELETION).stdout
    blob = base64.b64encode(session.ciphertext("archive-index")).decode()
    index = session.run_cli(
        f"echo '{blob}' | base64 --decode > archive-index.bin"
        " && aws kms decrypt --ciphertext-blob fileb://archive-index.bin --encryption-context service=archive"
        " --query Plaintext --output text | base64 --decode"
    )
    assert index.stdout.startswith("Archive index"), index.stdout


def solve(session: LabSession) -> None:
    restore_disabled_key(session)
    contain_spike(session)
    save_archive_key(session)
