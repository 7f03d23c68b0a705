"""Solution of the mistakes-and-costs lab: the instructions' three scripts (one Encrypt per
event, then one data key per batch, then one Decrypt per batch), and rotation turned on."""

from __future__ import annotations

import sys

from . import LabSession

EVENTS = 200

PER_RECORD = """import base64, json, boto3
kms = boto3.client("kms", endpoint_url="{endpoint}", region_name="{region}")
events = [json.dumps({{"event": "page_view", "user": f"u-{{n}}", "page": "/pricing"}}).encode() for n in range({count})]
stored = [base64.b64encode(kms.encrypt(KeyId="{alias}", Plaintext=e,
                                       EncryptionContext={{"stream": "clickstream"}})["CiphertextBlob"]).decode()
          for e in events]
json.dump(stored, open("per_record.json", "w"))
print(len(stored), "events, one Encrypt call each")
"""

ONE_DATA_KEY = """import base64, json, os, boto3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
kms = boto3.client("kms", endpoint_url="{endpoint}", region_name="{region}")
events = [json.dumps({{"event": "page_view", "user": f"u-{{n}}", "page": "/pricing"}}).encode() for n in range({count})]
data_key = kms.generate_data_key(KeyId="{alias}", KeySpec="AES_256", EncryptionContext={{"stream": "clickstream"}})
aesgcm = AESGCM(data_key["Plaintext"])
records = []
for event in events:
    nonce = os.urandom(12)
    records.append(base64.b64encode(nonce + aesgcm.encrypt(nonce, event, None)).decode())
batch = {{"encrypted_key": base64.b64encode(data_key["CiphertextBlob"]).decode(), "records": records}}
del data_key, aesgcm
json.dump(batch, open("batch.json", "w"))
print(len(records), "events, one GenerateDataKey call")
"""

ONE_DECRYPT = """import base64, json, boto3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
kms = boto3.client("kms", endpoint_url="{endpoint}", region_name="{region}")
batch = json.load(open("batch.json"))
data_key = kms.decrypt(CiphertextBlob=base64.b64decode(batch["encrypted_key"]),
                       EncryptionContext={{"stream": "clickstream"}})["Plaintext"]
aesgcm = AESGCM(data_key)
blobs = [base64.b64decode(record) for record in batch["records"]]
events = [aesgcm.decrypt(blob[:12], blob[12:], None) for blob in blobs]
print(len(events), "events decrypted with one Decrypt call;", events[0].decode())
"""


def run_script(session: LabSession, script: str) -> str:
    """Run one of the lab's Python scripts as the learner pastes it (a heredoc)."""
    source = script.format(
        endpoint=session.endpoint, region=session.region, alias=session.alias("clickstream-key"), count=EVENTS
    )
    return session.run_cli(f"{sys.executable} - <<'EOF'\n{source}EOF").stdout


def solve(session: LabSession) -> None:
    assert run_script(session, PER_RECORD).startswith(f"{EVENTS} events, one Encrypt call each")
    assert run_script(session, ONE_DATA_KEY).startswith(f"{EVENTS} events, one GenerateDataKey call")
    assert run_script(session, ONE_DECRYPT).startswith(f"{EVENTS} events decrypted with one Decrypt call")

    alias = session.alias("clickstream-key")
    session.run_cli(
        f"KEY_ID=$(aws kms describe-key --key-id {alias} --query KeyMetadata.KeyId --output text)"
        ' && aws kms enable-key-rotation --key-id "$KEY_ID" && aws kms get-key-rotation-status --key-id "$KEY_ID"'
    )
