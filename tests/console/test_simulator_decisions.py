"""The policy simulator: principal × action × key × encryption context × via-service
gives the decision and its explanation, and performs nothing."""

import json
import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kmsconsole.audit.models import Event
from kmsconsole.iam import operations as iam_operations  # noqa: F401  (registers IAM)
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import Principal
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.models import Key
from kmsconsole.kms.operations import find

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client):
    user = User.objects.create_user(f"learner-{uuid.uuid4().hex[:6]}", password="pw-for-tests-only")
    provisioned = create_workspace(f"ws-{uuid.uuid4().hex[:8]}", owner=user)
    client.force_login(user)
    return provisioned


def admin_of(world, label="A"):
    account = next(item for item in world.accounts if item.account.label == label)
    return Caller(principal=account.admin, region="us-east-1")


def operation(service, name, caller, request=None):
    return find(service, name)(caller, request or {})


def simulate(client, principal, action, key="", context=None, headers=None, **extra):
    params = {"principal": principal.pk, "action": action, "key": key, **extra}
    pairs = list((context or {}).items())
    params["ec_key"] = [k for k, _ in pairs]
    params["ec_value"] = [v for _, v in pairs]
    return client.get("/simulator/", params, headers=headers or {})


def role_with_context_condition(world):
    """A role App whose access to a new key (in the key policy) needs app=payroll."""
    admin = admin_of(world)
    account_id = admin.account_id
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    operation("iam", "CreateRole", admin, {"RoleName": "App", "AssumeRolePolicyDocument": json.dumps(trust)})
    key_arn = operation("kms", "CreateKey", admin)["KeyMetadata"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Admins",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AppDecryptsPayroll",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:role/App"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:EncryptionContext:app": "payroll"}},
            },
        ],
    }
    operation("kms", "PutKeyPolicy", admin, {"KeyId": key_arn, "PolicyName": "default", "Policy": json.dumps(policy)})
    return Principal.objects.get(account=admin.account, name="App"), key_arn


def test_the_key_owners_admin_is_allowed(client, world):
    key_arn = operation("kms", "CreateKey", admin_of(world))["KeyMetadata"]["Arn"]
    response = simulate(client, admin_of(world).principal, "kms:Encrypt", key_arn)
    assert response.status_code == 200
    assert response.context["result"].allowed
    assert "Why it was allowed" in response.content.decode()


def test_a_cross_account_user_is_denied_and_the_missing_side_is_named(client, world):
    key_arn = operation("kms", "CreateKey", admin_of(world))["KeyMetadata"]["Arn"]
    outsider = admin_of(world, "B")
    body = simulate(client, outsider.principal, "kms:Decrypt", key_arn).content.decode()
    assert "Denied" in body
    assert (
        f"The key policy has no statement that allows {outsider.arn} to call kms:Decrypt; "
        "an identity-based policy allows it; a cross-account call needs both."
    ) in body


def test_the_encryption_context_decides_a_conditional_statement(client, world):
    role, key_arn = role_with_context_condition(world)
    allowed = simulate(client, role, "kms:Decrypt", key_arn, {"app": "payroll"}, session_name="batch")
    assert allowed.context["result"].allowed
    assert allowed.context["result"].caller_arn == f"arn:aws:sts::{role.account.account_id}:assumed-role/App/batch"
    denied = simulate(client, role, "kms:Decrypt", key_arn, {"app": "hr"}, session_name="batch")
    assert not denied.context["result"].allowed
    assert "AppDecryptsPayroll" in denied.content.decode()
    assert "kms:EncryptionContext:app" in denied.content.decode()


def test_a_role_is_simulated_as_an_assumed_role_session(client, world):
    role, key_arn = role_with_context_condition(world)
    response = simulate(client, role, "kms:Decrypt", key_arn, {"app": "payroll"})
    assert "assumed-role/App/simulator" in response.context["result"].caller_arn


def test_an_aws_managed_key_is_usable_only_through_its_service(client, world):
    admin = admin_of(world).principal
    direct = simulate(client, admin, "kms:GenerateDataKey", "alias/aws/s3")
    assert not direct.context["result"].allowed
    through_s3 = simulate(client, admin, "kms:GenerateDataKey", "alias/aws/s3", via_service="s3")
    assert through_s3.context["result"].allowed
    through_rds = simulate(client, admin, "kms:GenerateDataKey", "alias/aws/s3", via_service="rds")
    assert not through_rds.context["result"].allowed


def test_the_simulator_changes_nothing(client, world):
    role, key_arn = role_with_context_condition(world)
    client.post(
        "/context/", {"workspace": world.workspace.pk, "account": world.accounts[0].account.pk, "region": "eu-west-1"}
    )
    events, keys = Event.objects.count(), Key.objects.count()
    simulate(client, role, "kms:Decrypt", key_arn, {"app": "payroll"})
    simulate(client, admin_of(world).principal, "kms:ScheduleKeyDeletion", key_arn)
    # Naming a managed key's alias in a new region creates the key in a real call.
    managed = simulate(client, admin_of(world).principal, "kms:Encrypt", "alias/aws/ebs")
    assert managed.status_code == 200 and managed.context["result"] is not None
    assert (Event.objects.count(), Key.objects.count()) == (events, keys)
    assert Key.objects.get(arn=key_arn).key_state == "Enabled"


def test_an_account_level_action_needs_no_key(client, world):
    response = simulate(client, admin_of(world).principal, "kms:CreateKey")
    assert response.context["result"].allowed


def test_a_key_level_action_needs_a_key(client, world):
    response = simulate(client, admin_of(world).principal, "kms:Encrypt")
    assert response.status_code == 200
    assert "kms:Encrypt is authorized against a key&#x27;s policy: choose a key." in response.content.decode()


def test_an_unknown_key_gets_awss_not_found_message(client, world):
    missing = f"arn:aws:kms:us-east-1:{admin_of(world).account_id}:key/{uuid.uuid4()}"
    response = simulate(client, admin_of(world).principal, "kms:Encrypt", missing)
    assert response.status_code == 200
    assert f"Key &#x27;{missing}&#x27; does not exist" in response.content.decode()


def test_it_says_when_the_key_state_would_still_refuse(client, world):
    key_arn = operation("kms", "CreateKey", admin_of(world))["KeyMetadata"]["Arn"]
    operation("kms", "DisableKey", admin_of(world), {"KeyId": key_arn})
    response = simulate(client, admin_of(world).principal, "kms:Encrypt", key_arn)
    assert response.context["result"].allowed
    assert f"DisabledException: {key_arn} is disabled." in response.content.decode()


def test_another_workspaces_principals_and_keys_are_out_of_reach(client, world):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    foreign_caller = Caller(principal=stranger.accounts[0].admin, region="us-east-1")
    foreign_key = operation("kms", "CreateKey", foreign_caller)["KeyMetadata"]["Arn"]
    by_principal = simulate(client, stranger.accounts[0].admin, "kms:Encrypt", foreign_key)
    assert by_principal.context["result"] is None
    assert "Select a valid choice" in by_principal.content.decode()
    by_key = simulate(client, admin_of(world).principal, "kms:Encrypt", foreign_key)
    assert by_key.context["result"] is None
    assert "does not exist" in by_key.content.decode()


def test_adding_a_context_row_renders_the_form_without_simulating(client, world):
    response = client.get(
        "/simulator/",
        {
            "principal": admin_of(world).principal.pk,
            "action": "kms:Encrypt",
            "ec_key": ["a"],
            "ec_value": ["1"],
            "add_row": "1",
        },
    )
    assert response.context["result"] is None
    assert response.content.decode().count('name="ec_key"') == 3


def test_a_fragment_answers_htmx(client, world):
    response = simulate(client, admin_of(world).principal, "kms:CreateKey", headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode()
    assert 'id="simulator-body"' in response.content.decode()


def test_the_simulator_requires_sign_in():
    assert Client().get("/simulator/").status_code == 302
