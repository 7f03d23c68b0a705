"""The guide's cross-account handshake, end to end with the aws CLI and boto3.

Account A owns the key; account B has a role whose identity policy allows using it.
Both sides must allow: removing either one turns the same call into AccessDenied.
"""

from __future__ import annotations

import json

import pytest

KEY_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def key_policy(owner: str, consumer: str | None) -> str:
    statements = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{owner}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if consumer:
        statements += [
            {
                "Sid": "AllowCrossAccountUse",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{consumer}:root"},
                "Action": KEY_USE_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "AllowCrossAccountGrant",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{consumer}:root"},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@pytest.fixture
def shared_key(kms, alice, bob):
    created = kms.create_key(Policy=key_policy(alice.account_id, bob.account_id), Description="shared with B")
    return created["KeyMetadata"]["Arn"]


@pytest.fixture
def consumer_role(endpoint, bob, shared_key):
    """CrossAccountKMSRole in account B: trusted by B's own account, allowed to use the key."""
    iam = bob.client("iam", endpoint)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{bob.account_id}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="CrossAccountKMSRole", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    usage = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowCrossAccountKMSUse",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": shared_key,
            }
        ],
    }
    iam.put_role_policy(RoleName="CrossAccountKMSRole", PolicyName="UseSharedKey", PolicyDocument=json.dumps(usage))
    return role["Arn"]


ASSUME_AND_ENCRYPT = """
export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" \\
  $(aws sts assume-role \\
    --role-arn {role_arn} \\
    --role-session-name test-session \\
    --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" \\
    --output text))

echo "test data" | aws kms encrypt \\
  --key-id {key_arn} \\
  --plaintext fileb:///dev/stdin \\
  --query CiphertextBlob \\
  --output text
"""


def test_the_guides_cli_sequence_encrypts_from_account_b(aws_cli, bob, shared_key, consumer_role, kms):
    result = aws_cli(ASSUME_AND_ENCRYPT.format(role_arn=consumer_role, key_arn=shared_key), identity=bob, shell=True)
    assert result.returncode == 0, result.stderr
    import base64

    blob = base64.b64decode(result.stdout.strip())
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"test data\n"


def _assumed_kms(endpoint, bob, role_arn):
    sts = bob.client("sts", endpoint)
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="test-session")["Credentials"]
    import boto3
    from support import NO_RETRIES, REGION

    return boto3.client(
        "kms",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=NO_RETRIES,
    )


def test_the_assumed_role_decrypts_what_account_a_encrypted(endpoint, bob, kms, shared_key, consumer_role):
    blob = kms.encrypt(KeyId=shared_key, Plaintext=b"for B")["CiphertextBlob"]
    assumed = _assumed_kms(endpoint, bob, consumer_role)
    result = assumed.decrypt(CiphertextBlob=blob)
    assert result["Plaintext"] == b"for B"
    assert result["KeyId"] == shared_key


def test_it_denies_when_the_key_policy_no_longer_names_account_b(endpoint, alice, bob, kms, shared_key, consumer_role):
    kms.put_key_policy(KeyId=shared_key, PolicyName="default", Policy=key_policy(alice.account_id, None))
    assumed = _assumed_kms(endpoint, bob, consumer_role)
    with pytest.raises(assumed.exceptions.ClientError) as raised:
        assumed.encrypt(KeyId=shared_key, Plaintext=b"x")
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert (
        "assumed-role/CrossAccountKMSRole/test-session is not authorized to perform: "
        f"kms:Encrypt on resource: {shared_key}" in error["Message"]
    )
    assert "because no resource-based policy allows the kms:Encrypt action" in error["Message"]


def test_it_denies_when_the_role_has_no_identity_policy(endpoint, bob, shared_key, consumer_role):
    bob.client("iam", endpoint).delete_role_policy(RoleName="CrossAccountKMSRole", PolicyName="UseSharedKey")
    assumed = _assumed_kms(endpoint, bob, consumer_role)
    with pytest.raises(assumed.exceptions.ClientError) as raised:
        assumed.encrypt(KeyId=shared_key, Plaintext=b"x")
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "because no identity-based policy allows the kms:Encrypt action" in error["Message"]


def test_the_cli_reports_access_denied_when_either_side_is_missing(aws_cli, endpoint, bob, shared_key, consumer_role):
    bob.client("iam", endpoint).delete_role_policy(RoleName="CrossAccountKMSRole", PolicyName="UseSharedKey")
    result = aws_cli(ASSUME_AND_ENCRYPT.format(role_arn=consumer_role, key_arn=shared_key), identity=bob, shell=True)
    assert result.returncode != 0
    assert "AccessDeniedException" in result.stderr


def test_a_role_trusting_only_lambda_cannot_be_assumed_by_a_person(endpoint, bob):
    iam = bob.client("iam", endpoint)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="LambdaOnly", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    sts = bob.client("sts", endpoint)
    with pytest.raises(sts.exceptions.ClientError) as raised:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="me")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


def test_account_b_cannot_administer_account_as_key(kms_b, shared_key):
    with pytest.raises(kms_b.exceptions.ClientError) as raised:
        kms_b.schedule_key_deletion(KeyId=shared_key, PendingWindowInDays=7)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


def test_the_denial_trace_explains_both_sides(endpoint, bob, shared_key, consumer_role, orm, workspace):
    from kmsconsole.audit.models import Event

    bob.client("iam", endpoint).delete_role_policy(RoleName="CrossAccountKMSRole", PolicyName="UseSharedKey")
    assumed = _assumed_kms(endpoint, bob, consumer_role)
    with pytest.raises(assumed.exceptions.ClientError):
        assumed.encrypt(KeyId=shared_key, Plaintext=b"x")
    event = Event.objects.filter(workspace=workspace.workspace, event_name="Encrypt").latest("event_time", "id")
    assert event.error_code == "AccessDeniedException"
    texts = " ".join(str(step.get("reason")) for step in event.trace)
    assert "a cross-account call needs both" in texts
    assert any(step.get("source") == "key policy" and step.get("matched") for step in event.trace)
