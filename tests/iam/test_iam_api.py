"""IAM on the kmsconsole endpoint through boto3 and the aws CLI: users, roles, inline and
managed policies, access keys, with IAM's error codes and messages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import Identity, cli_json

from kmsconsole.audit.models import Event


def policy(*actions: str, resource: str = "*") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}]}
    )


def trust(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}],
        }
    )


def error_of(raised: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    return {**raised.value.response["Error"], "Status": raised.value.response["ResponseMetadata"]["HTTPStatusCode"]}


@pytest.fixture
def iam(endpoint: str, alice: Identity) -> Any:
    return alice.client("iam", endpoint)


@pytest.fixture
def root_trust(alice: Identity) -> str:
    return trust(f"arn:aws:iam::{alice.account_id}:root")


# ---------------------------------------------------------------- users


def test_it_creates_gets_lists_and_deletes_a_user(iam, alice):
    created = iam.create_user(UserName="carol", Path="/team/", Tags=[{"Key": "dept", "Value": "ops"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{alice.account_id}:user/team/carol"
    assert created["UserId"].startswith("AIDA") and created["Path"] == "/team/"
    fetched = iam.get_user(UserName="carol")["User"]
    assert fetched["Tags"] == [{"Key": "dept", "Value": "ops"}]
    assert fetched["CreateDate"] == created["CreateDate"]
    names = [user["UserName"] for user in iam.list_users()["Users"]]
    assert names == sorted(["admin", "carol"])
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/team/")["Users"]] == ["carol"]
    iam.delete_user(UserName="carol")
    with pytest.raises(iam.exceptions.NoSuchEntityException) as raised:
        iam.get_user(UserName="carol")
    assert error_of(raised) == {
        **error_of(raised),
        "Code": "NoSuchEntity",
        "Message": "The user with name carol cannot be found.",
        "Status": 404,
    }


def test_get_user_without_a_name_describes_the_caller(iam, alice):
    assert iam.get_user()["User"]["Arn"] == alice.arn


def test_user_names_are_unique_regardless_of_case(iam):
    iam.create_user(UserName="Dave")
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException) as raised:
        iam.create_user(UserName="dave")
    assert error_of(raised) == {
        **error_of(raised),
        "Code": "EntityAlreadyExists",
        "Message": "User with name dave already exists.",
        "Status": 409,
    }


def test_it_refuses_a_user_name_outside_the_iam_alphabet(iam):
    with pytest.raises(iam.exceptions.ClientError) as raised:
        iam.create_user(UserName="bad name!")
    assert error_of(raised) == {
        **error_of(raised),
        "Code": "ValidationError",
        "Message": "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        "Status": 400,
    }


def test_tag_keys_may_hold_letters_of_any_script_but_not_punctuation(iam):
    tags = iam.create_user(UserName="tagged", Tags=[{"Key": "équipe", "Value": "東京 1"}])["User"]["Tags"]
    assert tags == [{"Key": "équipe", "Value": "東京 1"}]
    with pytest.raises(iam.exceptions.ClientError) as raised:
        iam.create_user(UserName="tagged2", Tags=[{"Key": "bad!", "Value": "x"}])
    assert error_of(raised)["Code"] == "ValidationError"
    assert "at 'tags.1.member.key' failed to satisfy constraint" in error_of(raised)["Message"]


def test_it_pages_users_with_marker_and_max_items(iam):
    for name in ("u1", "u2", "u3"):
        iam.create_user(UserName=name)
    first = iam.list_users(MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    rest = iam.list_users(MaxItems=2, Marker=first["Marker"])
    names = [u["UserName"] for u in first["Users"] + rest["Users"]]
    assert names == ["admin", "u1", "u2", "u3"]
    assert rest["IsTruncated"] is False and "Marker" not in rest


def test_a_user_with_keys_or_policies_cannot_be_deleted(iam):
    iam.create_user(UserName="erin")
    key_id = iam.create_access_key(UserName="erin")["AccessKey"]["AccessKeyId"]
    with pytest.raises(iam.exceptions.DeleteConflictException) as raised:
        iam.delete_user(UserName="erin")
    assert error_of(raised)["Message"] == "Cannot delete entity, must delete access keys first."
    iam.delete_access_key(UserName="erin", AccessKeyId=key_id)
    iam.put_user_policy(UserName="erin", PolicyName="Read", PolicyDocument=policy("kms:Describe*"))
    with pytest.raises(iam.exceptions.DeleteConflictException) as raised:
        iam.delete_user(UserName="erin")
    assert error_of(raised) == {
        **error_of(raised),
        "Message": "Cannot delete entity, must delete policies first.",
        "Status": 409,
    }
    iam.delete_user_policy(UserName="erin", PolicyName="Read")
    iam.delete_user(UserName="erin")


def test_a_user_without_iam_permissions_is_denied(iam, endpoint, alice):
    iam.create_user(UserName="limited")
    iam.put_user_policy(UserName="limited", PolicyName="KmsOnly", PolicyDocument=policy("kms:*"))
    key = iam.create_access_key(UserName="limited")["AccessKey"]
    limited = Identity(alice.account_id, "", key["AccessKeyId"], key["SecretAccessKey"]).client("iam", endpoint)
    with pytest.raises(limited.exceptions.ClientError) as raised:
        limited.create_user(UserName="sneaky")
    assert error_of(raised) == {
        **error_of(raised),
        "Code": "AccessDenied",
        "Message": f"User: arn:aws:iam::{alice.account_id}:user/limited is not authorized to perform: "
        f"iam:CreateUser on resource: arn:aws:iam::{alice.account_id}:user/sneaky "
        "because no identity-based policy allows the iam:CreateUser action",
        "Status": 403,
    }


def test_users_of_another_workspace_are_invisible(iam, endpoint, charlie):
    iam.create_user(UserName="secretive")
    stranger = charlie.client("iam", endpoint)
    with pytest.raises(stranger.exceptions.NoSuchEntityException):
        stranger.get_user(UserName="secretive")
    assert "secretive" not in [u["UserName"] for u in stranger.list_users()["Users"]]


# ---------------------------------------------------------------- roles


def test_it_creates_and_describes_a_role(iam, alice, root_trust):
    created = iam.create_role(
        RoleName="KeyUser", AssumeRolePolicyDocument=root_trust, Description="uses keys", MaxSessionDuration=7200
    )["Role"]
    assert created["Arn"] == f"arn:aws:iam::{alice.account_id}:role/KeyUser"
    assert created["RoleId"].startswith("AROA")
    role = iam.get_role(RoleName="KeyUser")["Role"]
    assert role["AssumeRolePolicyDocument"] == json.loads(root_trust)
    assert role["MaxSessionDuration"] == 7200 and role["Description"] == "uses keys"
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["KeyUser"]


def test_a_new_role_defaults_to_one_hour_sessions(iam, root_trust):
    assert (
        iam.create_role(RoleName="Default", AssumeRolePolicyDocument=root_trust)["Role"]["MaxSessionDuration"] == 3600
    )


def test_it_replaces_the_trust_policy(iam, bob, root_trust):
    iam.create_role(RoleName="Shared", AssumeRolePolicyDocument=root_trust)
    iam.update_assume_role_policy(RoleName="Shared", PolicyDocument=trust(bob.arn))
    assert iam.get_role(RoleName="Shared")["Role"]["AssumeRolePolicyDocument"] == json.loads(trust(bob.arn))


def test_role_names_are_unique(iam, root_trust):
    iam.create_role(RoleName="Twice", AssumeRolePolicyDocument=root_trust)
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException) as raised:
        iam.create_role(RoleName="Twice", AssumeRolePolicyDocument=root_trust)
    assert error_of(raised)["Message"] == "Role with name Twice already exists."


def test_it_refuses_a_malformed_trust_policy(iam):
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException) as raised:
        iam.create_role(RoleName="Broken", AssumeRolePolicyDocument="{not json")
    assert error_of(raised) == {
        **error_of(raised),
        "Code": "MalformedPolicyDocument",
        "Message": "This policy contains invalid Json",
        "Status": 400,
    }
    with_resource = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Resource": "*"}],
        }
    )
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException) as raised:
        iam.create_role(RoleName="Broken", AssumeRolePolicyDocument=with_resource)
    assert error_of(raised)["Message"] == "Has prohibited field Resource"


def test_a_missing_role_is_no_such_entity(iam):
    with pytest.raises(iam.exceptions.NoSuchEntityException) as raised:
        iam.get_role(RoleName="Ghost")
    assert error_of(raised)["Message"] == "The role with name Ghost cannot be found."


def test_a_role_with_policies_cannot_be_deleted(iam, root_trust):
    iam.create_role(RoleName="Busy", AssumeRolePolicyDocument=root_trust)
    iam.put_role_policy(RoleName="Busy", PolicyName="Use", PolicyDocument=policy("kms:Encrypt"))
    with pytest.raises(iam.exceptions.DeleteConflictException) as raised:
        iam.delete_role(RoleName="Busy")
    assert error_of(raised)["Message"] == "Cannot delete entity, must delete policies first."
    iam.delete_role_policy(RoleName="Busy", PolicyName="Use")
    arn = iam.create_policy(PolicyName="Managed", PolicyDocument=policy("kms:Decrypt"))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="Busy", PolicyArn=arn)
    with pytest.raises(iam.exceptions.DeleteConflictException) as raised:
        iam.delete_role(RoleName="Busy")
    assert error_of(raised)["Message"] == "Cannot delete entity, must detach all policies first."
    iam.detach_role_policy(RoleName="Busy", PolicyArn=arn)
    iam.delete_role(RoleName="Busy")
    assert iam.list_roles()["Roles"] == []


# ---------------------------------------------------------------- inline policies


@pytest.mark.parametrize("kind", ["user", "role"])
def test_inline_policies_round_trip(iam, root_trust, kind):
    name_member = "UserName" if kind == "user" else "RoleName"
    if kind == "user":
        iam.create_user(UserName="frank")
        put, get, listing, delete = (
            iam.put_user_policy,
            iam.get_user_policy,
            iam.list_user_policies,
            iam.delete_user_policy,
        )
        identity = "frank"
    else:
        iam.create_role(RoleName="Frank", AssumeRolePolicyDocument=root_trust)
        put, get, listing, delete = (
            iam.put_role_policy,
            iam.get_role_policy,
            iam.list_role_policies,
            iam.delete_role_policy,
        )
        identity = "Frank"
    document = policy("kms:Encrypt", "kms:Decrypt")
    put(**{name_member: identity}, PolicyName="Crypto", PolicyDocument=document)
    put(**{name_member: identity}, PolicyName="Audit", PolicyDocument=policy("cloudtrail:LookupEvents"))
    fetched = get(**{name_member: identity}, PolicyName="Crypto")
    assert fetched["PolicyDocument"] == json.loads(document)
    assert fetched[name_member] == identity
    assert listing(**{name_member: identity})["PolicyNames"] == ["Audit", "Crypto"]
    delete(**{name_member: identity}, PolicyName="Crypto")
    with pytest.raises(iam.exceptions.NoSuchEntityException) as raised:
        get(**{name_member: identity}, PolicyName="Crypto")
    assert error_of(raised)["Message"] == f"The {kind} policy with name Crypto cannot be found."


def test_it_refuses_an_identity_policy_that_names_a_principal(iam):
    iam.create_user(UserName="gina")
    with_principal = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}],
        }
    )
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException) as raised:
        iam.put_user_policy(UserName="gina", PolicyName="Bad", PolicyDocument=with_principal)
    assert error_of(raised)["Message"] == "Policy document should not specify a principal."


def test_it_limits_a_users_inline_policies_to_2048_characters(iam):
    iam.create_user(UserName="hank")
    big = policy(*[f"kms:Action{i:04d}" for i in range(120)])
    with pytest.raises(iam.exceptions.LimitExceededException) as raised:
        iam.put_user_policy(UserName="hank", PolicyName="Big", PolicyDocument=big)
    assert error_of(raised) == {
        **error_of(raised),
        "Code": "LimitExceeded",
        "Message": "Maximum policy size of 2048 bytes exceeded for user hank",
        "Status": 409,
    }


# ---------------------------------------------------------------- managed policies


def test_managed_policies_attach_to_users_and_roles(iam, alice, root_trust):
    created = iam.create_policy(PolicyName="KmsUse", Path="/kms/", PolicyDocument=policy("kms:Encrypt"))["Policy"]
    arn = created["Arn"]
    assert arn == f"arn:aws:iam::{alice.account_id}:policy/kms/KmsUse"
    assert created["PolicyId"].startswith("ANPA") and created["DefaultVersionId"] == "v1"
    assert created["AttachmentCount"] == 0 and created["IsAttachable"] is True
    iam.create_user(UserName="ivan")
    iam.create_role(RoleName="Ivan", AssumeRolePolicyDocument=root_trust)
    iam.attach_user_policy(UserName="ivan", PolicyArn=arn)
    iam.attach_user_policy(UserName="ivan", PolicyArn=arn)  # attaching twice changes nothing
    iam.attach_role_policy(RoleName="Ivan", PolicyArn=arn)
    expected = [{"PolicyName": "KmsUse", "PolicyArn": arn}]
    assert iam.list_attached_user_policies(UserName="ivan")["AttachedPolicies"] == expected
    assert iam.list_attached_role_policies(RoleName="Ivan")["AttachedPolicies"] == expected
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(policy("kms:Encrypt")) and version["IsDefaultVersion"] is True

    with pytest.raises(iam.exceptions.DeleteConflictException) as raised:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(raised)["Message"] == "Cannot delete a policy attached to entities."
    iam.detach_user_policy(UserName="ivan", PolicyArn=arn)
    iam.detach_role_policy(RoleName="Ivan", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_attaching_an_unknown_policy_is_no_such_entity(iam, alice):
    iam.create_user(UserName="judy")
    arn = f"arn:aws:iam::{alice.account_id}:policy/Nothing"
    with pytest.raises(iam.exceptions.NoSuchEntityException) as raised:
        iam.attach_user_policy(UserName="judy", PolicyArn=arn)
    assert error_of(raised)["Message"] == f"Policy {arn} does not exist or is not attachable."
    with pytest.raises(iam.exceptions.NoSuchEntityException) as raised:
        iam.detach_user_policy(UserName="judy", PolicyArn=arn)
    assert error_of(raised)["Message"] == f"Policy {arn} was not found."


def test_managed_policy_names_are_unique(iam):
    iam.create_policy(PolicyName="Once", PolicyDocument=policy("kms:Encrypt"))
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException) as raised:
        iam.create_policy(PolicyName="Once", PolicyDocument=policy("kms:Decrypt"))
    assert error_of(raised)["Message"] == "A policy called Once already exists. Duplicate names are not allowed."


# ---------------------------------------------------------------- access keys


def test_access_keys_are_created_listed_deactivated_and_deleted(iam, endpoint, alice):
    iam.create_user(UserName="kate")
    key = iam.create_access_key(UserName="kate")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and key["Status"] == "Active" and key["UserName"] == "kate"
    kate_sts = Identity(alice.account_id, "", key["AccessKeyId"], key["SecretAccessKey"]).client("sts", endpoint)
    assert kate_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{alice.account_id}:user/kate"

    listed = iam.list_access_keys(UserName="kate")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"], k["UserName"]) for k in listed] == [(key["AccessKeyId"], "Active", "kate")]
    iam.update_access_key(UserName="kate", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName="kate")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    with pytest.raises(kate_sts.exceptions.ClientError) as raised:
        kate_sts.get_caller_identity()
    assert error_of(raised)["Code"] == "InvalidClientTokenId"

    iam.delete_access_key(UserName="kate", AccessKeyId=key["AccessKeyId"])
    assert iam.list_access_keys(UserName="kate")["AccessKeyMetadata"] == []
    with pytest.raises(iam.exceptions.NoSuchEntityException) as raised:
        iam.delete_access_key(UserName="kate", AccessKeyId=key["AccessKeyId"])
    assert error_of(raised)["Message"] == f"The Access Key with id {key['AccessKeyId']} cannot be found."


def test_a_user_has_at_most_two_access_keys(iam):
    iam.create_user(UserName="liam")
    iam.create_access_key(UserName="liam")
    iam.create_access_key(UserName="liam")
    with pytest.raises(iam.exceptions.LimitExceededException) as raised:
        iam.create_access_key(UserName="liam")
    assert error_of(raised)["Message"] == "Cannot exceed quota for AccessKeysPerUser: 2"


def test_without_a_user_name_access_keys_are_the_callers_own(iam, alice):
    listed = iam.list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [alice.access_key_id]


# ---------------------------------------------------------------- CLI and audit


def test_the_cli_creates_a_role_from_a_file(aws_cli, alice, tmp_path):
    (tmp_path / "trust.json").write_text(trust(f"arn:aws:iam::{alice.account_id}:root"))
    created = cli_json(
        aws_cli("iam", "create-role", "--role-name", "CliRole", "--assume-role-policy-document", "file://trust.json")
    )
    assert created["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole"
    missing = aws_cli("iam", "get-role", "--role-name", "NoSuchRole")
    assert missing.returncode != 0
    assert "An error occurred (NoSuchEntity) when calling the GetRole operation: " in missing.stderr
    assert "The role with name NoSuchRole cannot be found." in missing.stderr


def test_iam_calls_are_audited_as_iam_events(iam, alice, orm):
    iam.create_user(UserName="mona")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="nobody")
    created = Event.objects.get(
        event_name="CreateUser", principal_arn=alice.arn, record__requestParameters__userName="mona"
    )
    assert created.event_source == "iam.amazonaws.com"
    assert created.record["userIdentity"]["type"] == "IAMUser"
    failed = Event.objects.filter(event_name="GetUser", principal_arn=alice.arn).latest("event_time")
    assert failed.error_code == "NoSuchEntity"
    assert failed.record["errorMessage"] == "The user with name nobody cannot be found."
