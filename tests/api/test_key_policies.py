"""GetKeyPolicy, PutKeyPolicy and ListKeyPolicies through boto3 and the aws CLI."""

import json

import pytest
from support import cli_json

from kmsconsole.kms.models import Key


def error_of(raised):
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def policy_allowing(principal_arn, sid="Let the owner do everything"):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "custom-1",
            "Statement": [
                {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "kms:*", "Resource": "*"}
            ],
        }
    )


def root_of(identity):
    return f"arn:aws:iam::{identity.account_id}:root"


def test_a_new_key_has_the_default_policy_named_default(kms, alice):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for answer in (kms.get_key_policy(KeyId=key_id), kms.get_key_policy(KeyId=key_id, PolicyName="default")):
        assert answer["PolicyName"] == "default"
        document = json.loads(answer["Policy"])
        assert document["Id"] == "key-default-1"
        assert document["Statement"] == [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": root_of(alice)},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]


def test_only_the_policy_named_default_exists(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    original = kms.get_key_policy(KeyId=key_id)["Policy"]
    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.get_key_policy(KeyId=key_id, PolicyName="other")
    assert error_of(raised)[1] == "No such policy exists"
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.put_key_policy(KeyId=key_id, PolicyName="other", Policy=policy_allowing("*"))
    assert kms.get_key_policy(KeyId=key_id)["Policy"] == original


def test_it_stores_a_new_policy_verbatim_and_bumps_its_revision(kms, alice, orm):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    revision = Key.objects.get(key_id=key_id).policy_revision
    policy = policy_allowing(root_of(alice))
    kms.put_key_policy(KeyId=key_id, Policy=policy)
    answer = kms.get_key_policy(KeyId=key_id)
    assert (answer["Policy"], answer["PolicyName"]) == (policy, "default")
    assert Key.objects.get(key_id=key_id).policy_revision == revision + 1


def test_it_accepts_the_lockout_safety_check_bypass(kms, alice):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    policy = policy_allowing(root_of(alice), sid="Bypassed")
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy, BypassPolicyLockoutSafetyCheck=True)
    assert kms.get_key_policy(KeyId=key_id)["Policy"] == policy


def test_it_refuses_a_policy_that_is_not_json_and_keeps_the_old_one(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    original = kms.get_key_policy(KeyId=key_id)["Policy"]
    with pytest.raises(kms.exceptions.MalformedPolicyDocumentException) as refused:
        kms.put_key_policy(KeyId=key_id, Policy="{not json")
    assert "not valid JSON" in refused.value.response["Error"]["Message"]
    assert kms.get_key_policy(KeyId=key_id)["Policy"] == original


def test_a_statement_without_effect_is_refused_with_a_message_that_says_so(kms, alice):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    statement = {"Principal": {"AWS": root_of(alice)}, "Action": "kms:*", "Resource": "*"}
    with pytest.raises(kms.exceptions.MalformedPolicyDocumentException) as refused:
        kms.put_key_policy(KeyId=key_id, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    assert "Effect" in refused.value.response["Error"]["Message"]


def test_it_refuses_a_policy_over_32_kilobytes(kms, alice):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    oversized = policy_allowing(root_of(alice), sid="x" * (33 * 1024))
    with pytest.raises(kms.exceptions.LimitExceededException):
        kms.put_key_policy(KeyId=key_id, Policy=oversized)


def test_it_reads_and_writes_policies_whatever_the_key_state(kms, alice):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    kms.put_key_policy(KeyId=key_id, Policy=policy_allowing(root_of(alice), sid="Disabled"))
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    policy = policy_allowing(root_of(alice), sid="PendingDeletion")
    kms.put_key_policy(KeyId=key_id, Policy=policy)
    assert kms.get_key_policy(KeyId=key_id)["Policy"] == policy
    assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]


def test_it_reads_but_never_changes_an_aws_managed_keys_policy(kms, alice):
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    original = kms.get_key_policy(KeyId=managed["KeyId"])["Policy"]
    assert json.loads(original)["Id"] == "auto-s3-1"
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.put_key_policy(KeyId=managed["KeyId"], Policy=policy_allowing(root_of(alice)))
    assert error_of(raised) == (
        "AccessDeniedException",
        f"User: {alice.arn} is not authorized to perform: kms:PutKeyPolicy on resource: {managed['Arn']} "
        "because no resource-based policy allows the kms:PutKeyPolicy action",
    )
    assert kms.get_key_policy(KeyId=managed["KeyId"])["Policy"] == original


def test_it_lists_the_one_policy_name(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    listed = kms.list_key_policies(KeyId=key_id, Limit=1)
    assert listed["PolicyNames"] == ["default"]
    assert listed["Truncated"] is False
    assert "NextMarker" not in listed


def test_the_cli_reads_and_writes_the_policy(aws_cli, kms, alice, tmp_path):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    policy = policy_allowing(root_of(alice), sid="From the CLI")
    (tmp_path / "policy.json").write_text(policy)
    written = aws_cli("kms", "put-key-policy", "--key-id", key_id, "--policy", "file://policy.json")
    assert written.returncode == 0, written.stderr
    answer = cli_json(aws_cli("kms", "get-key-policy", "--key-id", key_id, "--policy-name", "default"))
    assert answer == {"Policy": policy, "PolicyName": "default"}


def test_a_stranger_cannot_read_or_replace_the_policy(kms, endpoint, charlie):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    original = kms.get_key_policy(KeyId=arn)["Policy"]
    stranger = charlie.client("kms", endpoint)
    for call in (
        lambda: stranger.get_key_policy(KeyId=arn),
        lambda: stranger.put_key_policy(KeyId=arn, Policy=policy_allowing(root_of(charlie))),
        lambda: stranger.list_key_policies(KeyId=arn),
    ):
        with pytest.raises(stranger.exceptions.NotFoundException) as raised:
            call()
        assert error_of(raised)[1] == f"Key '{arn}' does not exist"
    assert kms.get_key_policy(KeyId=arn)["Policy"] == original
