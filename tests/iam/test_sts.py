"""STS on the kmsconsole endpoint through boto3 and the aws CLI: GetCallerIdentity,
AssumeRole, and requests signed with the temporary credentials it issues."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from django.db.models import F
from support import NO_RETRIES, REGION, Identity, cli_json

from kmsconsole.audit.models import Event
from kmsconsole.iam.models import Workspace


def trust_policy(*principals: str, **extra: Any) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole", **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def allow(*actions: str) -> str:
    statement = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def session_client(service: str, endpoint: str, credentials: dict[str, Any], *, token: str | None = None) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"] if token is None else token,
        config=NO_RETRIES,
    )


def make_role(iam: Any, name: str, trust: str, **options: Any) -> str:
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **options)["Role"]["Arn"]


def error_of(raised: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return raised.value.response["Error"]


@pytest.fixture
def sts(endpoint: str, alice: Identity) -> Any:
    return alice.client("sts", endpoint)


@pytest.fixture
def iam(endpoint: str, alice: Identity) -> Any:
    return alice.client("iam", endpoint)


def test_it_names_the_caller(sts, alice):
    identity = sts.get_caller_identity()
    assert identity["Arn"] == alice.arn
    assert identity["Account"] == alice.account_id
    assert identity["UserId"].startswith("AIDA")


def test_it_runs_the_guides_cross_account_cli_sequence(aws_cli, bob, tmp_path):
    (tmp_path / "trust.json").write_text(trust_policy(f"arn:aws:iam::{bob.account_id}:root"))
    (tmp_path / "kms-use.json").write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AllowCrossAccountKMSUse",
                        "Effect": "Allow",
                        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource": "arn:aws:kms:us-east-1:111122223333:key/12345678-1234-1234-1234-123456789012",
                    }
                ],
            }
        )
    )
    created = cli_json(
        aws_cli(
            "iam", "create-role", "--role-name", "CrossAccountKMSRole",
            "--assume-role-policy-document", "file://trust.json", identity=bob,
        )
    )  # fmt: skip
    role_arn = created["Role"]["Arn"]
    assert role_arn == f"arn:aws:iam::{bob.account_id}:role/CrossAccountKMSRole"
    put = aws_cli(
        "iam", "put-role-policy", "--role-name", "CrossAccountKMSRole",
        "--policy-name", "AllowCrossAccountKMSUse", "--policy-document", "file://kms-use.json", identity=bob,
    )  # fmt: skip
    assert put.returncode == 0, put.stderr

    sequence = (
        'export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" '
        f"$(aws sts assume-role --role-arn {role_arn} --role-session-name test-session "
        '--query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text)) '
        "&& aws sts get-caller-identity --output json"
    )
    identity = cli_json(aws_cli(sequence, shell=True, identity=bob))
    assert identity["Arn"] == f"arn:aws:sts::{bob.account_id}:assumed-role/CrossAccountKMSRole/test-session"
    assert identity["Account"] == bob.account_id
    assert identity["UserId"].endswith(":test-session")


def test_assumed_role_credentials_name_the_session(sts, iam, endpoint, alice):
    role_arn = make_role(iam, "Reader", trust_policy(alice.arn))
    issued = sts.assume_role(RoleArn=role_arn, RoleSessionName="alice-reads", DurationSeconds=900)
    credentials, user = issued["Credentials"], issued["AssumedRoleUser"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert user["Arn"] == f"arn:aws:sts::{alice.account_id}:assumed-role/Reader/alice-reads"
    role_id = iam.get_role(RoleName="Reader")["Role"]["RoleId"]
    assert user["AssumedRoleId"] == f"{role_id}:alice-reads"

    identity = session_client("sts", endpoint, credentials).get_caller_identity()
    assert identity == {**identity, "Arn": user["Arn"], "UserId": user["AssumedRoleId"], "Account": alice.account_id}


def test_a_session_may_do_what_the_roles_policies_allow(sts, iam, endpoint, alice):
    role_arn = make_role(iam, "Lister", trust_policy(alice.arn))
    session_arn = f"arn:aws:sts::{alice.account_id}:assumed-role/Lister/listing"
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="listing")["Credentials"]
    session_iam = session_client("iam", endpoint, credentials)
    with pytest.raises(session_iam.exceptions.ClientError) as raised:
        session_iam.list_users()
    assert error_of(raised)["Code"] == "AccessDenied"
    assert error_of(raised)["Message"].startswith(f"User: {session_arn} is not authorized to perform: iam:ListUsers")

    iam.put_role_policy(RoleName="Lister", PolicyName="List", PolicyDocument=allow("iam:ListUsers"))
    assert "admin" in [user["UserName"] for user in session_iam.list_users()["Users"]]


def test_the_session_expires_on_the_workspace_clock(sts, iam, endpoint, alice, workspace, orm):
    role_arn = make_role(iam, "ShortLived", trust_policy(alice.arn))
    issued = sts.assume_role(RoleArn=role_arn, RoleSessionName="brief", DurationSeconds=900)
    before = issued["Credentials"]["Expiration"]
    Workspace.objects.filter(pk=workspace.workspace.pk).update(clock_offset=F("clock_offset") + timedelta(minutes=16))

    session_sts = session_client("sts", endpoint, issued["Credentials"])
    with pytest.raises(session_sts.exceptions.ClientError) as raised:
        session_sts.get_caller_identity()
    assert error_of(raised) == {
        **error_of(raised),
        "Code": "ExpiredToken",
        "Message": "The security token included in the request is expired",
    }
    session_kms = session_client("kms", endpoint, issued["Credentials"])
    with pytest.raises(session_kms.exceptions.ClientError) as raised:
        session_kms.list_keys()
    assert error_of(raised)["Code"] == "ExpiredTokenException"
    assert before.tzinfo is not None


@pytest.mark.parametrize("token", ["", "not-the-token"])
def test_a_session_key_needs_its_own_token(sts, iam, endpoint, alice, token):
    role_arn = make_role(iam, "Tokened", trust_policy(alice.arn))
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
    client = session_client("sts", endpoint, credentials, token=token)
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.get_caller_identity()
    assert error_of(raised)["Code"] == "InvalidClientTokenId"
    assert error_of(raised)["Message"] == "The security token included in the request is invalid."


def test_a_role_that_does_not_trust_the_caller_cannot_be_assumed(sts, iam, alice, bob):
    role_arn = make_role(iam, "OnlyForBob", trust_policy(bob.arn))
    with pytest.raises(sts.exceptions.ClientError) as raised:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="nope")
    assert error_of(raised)["Code"] == "AccessDenied"
    assert error_of(raised)["Message"] == (
        f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_the_guides_lambda_trust_policy_admits_no_user(sts, iam):
    lambda_only = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    role_arn = make_role(iam, "LambdaOnly", lambda_only)
    with pytest.raises(sts.exceptions.ClientError) as raised:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="me")
    assert error_of(raised)["Code"] == "AccessDenied"


def test_a_missing_role_is_access_denied_not_not_found(sts, alice):
    role_arn = f"arn:aws:iam::{alice.account_id}:role/NoSuchRole"
    with pytest.raises(sts.exceptions.ClientError) as raised:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="nope")
    assert error_of(raised)["Code"] == "AccessDenied"


def test_roles_of_another_workspace_cannot_be_assumed(endpoint, charlie, iam, alice):
    role_arn = make_role(iam, "Private", trust_policy("*"))
    stranger = charlie.client("sts", endpoint)
    with pytest.raises(stranger.exceptions.ClientError) as raised:
        stranger.assume_role(RoleArn=role_arn, RoleSessionName="intruder")
    assert error_of(raised)["Code"] == "AccessDenied"


def test_an_account_in_the_trust_policy_admits_its_users(sts, iam, endpoint, bob, alice):
    role_arn = make_role(iam, "ForAccountB", trust_policy(f"arn:aws:iam::{bob.account_id}:root"))
    issued = bob.client("sts", endpoint).assume_role(RoleArn=role_arn, RoleSessionName="from-b")
    assert issued["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{alice.account_id}:assumed-role/ForAccountB/from-b"


def user_with_policy(iam: Any, endpoint: str, account_id: str, name: str, document: str) -> Any:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="Assume", PolicyDocument=document)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Identity(account_id, "", key["AccessKeyId"], key["SecretAccessKey"]).client("sts", endpoint)


def test_a_trusted_account_needs_the_users_own_permission_for_that_role(iam, endpoint, alice):
    root = f"arn:aws:iam::{alice.account_id}:root"
    allowed = make_role(iam, "Allowed", trust_policy(root))
    other = make_role(iam, "Other", trust_policy(root))
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": allowed}]}
    )
    dev = user_with_policy(iam, endpoint, alice.account_id, "dev", document)
    assert dev.assume_role(RoleArn=allowed, RoleSessionName="dev")["AssumedRoleUser"]
    with pytest.raises(dev.exceptions.ClientError) as raised:
        dev.assume_role(RoleArn=other, RoleSessionName="dev")
    assert error_of(raised)["Code"] == "AccessDenied"


def test_a_role_that_names_the_user_needs_no_identity_policy_but_a_deny_still_wins(iam, endpoint, alice):
    user_arn = f"arn:aws:iam::{alice.account_id}:user/"
    no_policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:x", "Resource": "*"}]}
    )
    plain = user_with_policy(iam, endpoint, alice.account_id, "plain", no_policy)
    named = make_role(iam, "NamesPlain", trust_policy(user_arn + "plain"))
    assert plain.assume_role(RoleArn=named, RoleSessionName="plain")["AssumedRoleUser"]

    deny = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:*", "Resource": "*"}]})
    refused = user_with_policy(iam, endpoint, alice.account_id, "refused", deny)
    names_refused = make_role(iam, "NamesRefused", trust_policy(user_arn + "refused"))
    with pytest.raises(refused.exceptions.ClientError) as raised:
        refused.assume_role(RoleArn=names_refused, RoleSessionName="refused")
    assert error_of(raised)["Code"] == "AccessDenied"


def test_it_checks_the_external_id_condition(sts, iam, alice):
    condition = {"StringEquals": {"sts:ExternalId": "shared-secret"}}
    role_arn = make_role(iam, "Partner", trust_policy(alice.arn, Condition=condition))
    with pytest.raises(sts.exceptions.ClientError):
        sts.assume_role(RoleArn=role_arn, RoleSessionName="no-id")
    issued = sts.assume_role(RoleArn=role_arn, RoleSessionName="with-id", ExternalId="shared-secret")
    assert issued["AssumedRoleUser"]["Arn"].endswith("/Partner/with-id")


def test_it_refuses_a_duration_over_the_roles_maximum(sts, iam, alice):
    role_arn = make_role(iam, "OneHour", trust_policy(alice.arn))
    with pytest.raises(sts.exceptions.ClientError) as raised:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="long", DurationSeconds=7200)
    assert error_of(raised)["Code"] == "ValidationError"
    assert (
        error_of(raised)["Message"] == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    )
    longer = make_role(iam, "TwoHours", trust_policy(alice.arn), MaxSessionDuration=7200)
    assert sts.assume_role(RoleArn=longer, RoleSessionName="long", DurationSeconds=7200)["Credentials"]


def test_it_refuses_a_duration_under_15_minutes(iam, endpoint, alice):
    role_arn = make_role(iam, "Quick", trust_policy(alice.arn))
    unchecked = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=alice.access_key_id,
        aws_secret_access_key=alice.secret_access_key,
        config=NO_RETRIES.merge(Config(parameter_validation=False)),  # botocore checks the minimum itself
    )
    with pytest.raises(unchecked.exceptions.ClientError) as raised:
        unchecked.assume_role(RoleArn=role_arn, RoleSessionName="quick", DurationSeconds=600)
    assert error_of(raised) == {
        **error_of(raised),
        "Code": "ValidationError",
        "Message": "1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900",
    }


def test_role_chaining_is_limited_to_one_hour(sts, iam, endpoint, alice):
    first = make_role(iam, "First", trust_policy(alice.arn))
    second = make_role(iam, "Second", trust_policy(f"arn:aws:iam::{alice.account_id}:role/First"))
    chained = session_client("sts", endpoint, sts.assume_role(RoleArn=first, RoleSessionName="hop1")["Credentials"])
    with pytest.raises(chained.exceptions.ClientError) as raised:
        chained.assume_role(RoleArn=second, RoleSessionName="hop2", DurationSeconds=3601)
    assert error_of(raised)["Message"] == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    )
    hop = chained.assume_role(RoleArn=second, RoleSessionName="hop2")
    assert hop["AssumedRoleUser"]["Arn"].endswith(":assumed-role/Second/hop2")


def test_it_refuses_session_policies_it_does_not_emulate(sts, iam, alice):
    role_arn = make_role(iam, "Scoped", trust_policy(alice.arn))
    with pytest.raises(sts.exceptions.ClientError) as raised:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="scoped", Policy='{"Version":"2012-10-17"}')
    assert error_of(raised)["Code"] == "ValidationError"
    assert "Policy" in error_of(raised)["Message"]


def test_the_audit_trail_names_the_assumed_role_session(sts, iam, endpoint, alice, orm):
    role_arn = make_role(iam, "Audited", trust_policy(alice.arn))
    iam.put_role_policy(RoleName="Audited", PolicyName="ListRoles", PolicyDocument=allow("iam:ListRoles"))
    issued = sts.assume_role(RoleArn=role_arn, RoleSessionName="audited-session")
    session_iam = session_client("iam", endpoint, issued["Credentials"])
    session_iam.list_roles()

    event = Event.objects.get(access_key_id=issued["Credentials"]["AccessKeyId"], event_name="ListRoles")
    identity = event.record["userIdentity"]
    assert event.record["eventSource"] == "iam.amazonaws.com"
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == issued["AssumedRoleUser"]["Arn"]
    assert identity["principalId"] == issued["AssumedRoleUser"]["AssumedRoleId"]
    assert identity["sessionContext"]["sessionIssuer"] == {
        "type": "Role",
        "principalId": issued["AssumedRoleUser"]["AssumedRoleId"].split(":")[0],
        "arn": role_arn,
        "accountId": alice.account_id,
        "userName": "Audited",
    }
    assume_event = Event.objects.filter(event_name="AssumeRole", principal_arn=alice.arn).latest("event_time")
    response = assume_event.record["responseElements"]
    assert "sessionToken" not in json.dumps(response) and "secretAccessKey" not in json.dumps(response)
    assert response["credentials"]["accessKeyId"] == issued["Credentials"]["AccessKeyId"]
