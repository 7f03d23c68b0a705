"""IAM pages: users and roles of the current account, their inline and attached policies
and trust policies, viewed and changed through the IAM operations."""

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
from kmsconsole.kms.operations import find

pytestmark = pytest.mark.django_db

TRUST_ROOT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
)
READ_KEYS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:DescribeKey", "kms:ListKeys"], "Resource": "*"}],
    }
)


@pytest.fixture
def learner():
    return User.objects.create_user(f"learner-{uuid.uuid4().hex[:6]}", password="pw-for-tests-only")


@pytest.fixture
def world(client, learner):
    provisioned = create_workspace(f"ws-{uuid.uuid4().hex[:8]}", owner=learner)
    client.force_login(learner)
    return provisioned


def account_a(world):
    return world.accounts[0].account


def iam(world, name, request):
    return find("iam", name)(Caller(principal=world.accounts[0].admin, region="us-east-1"), request)


def trust_root(world):
    return TRUST_ROOT.replace("{account}", account_a(world).account_id)


def test_the_iam_page_lists_users_and_roles(client, world):
    iam(world, "CreateRole", {"RoleName": "App", "AssumeRolePolicyDocument": trust_root(world)})
    users = client.get("/iam/")
    assert users.status_code == 200
    assert world.accounts[0].admin.arn in users.content.decode()
    roles = client.get("/iam/?tab=roles")
    assert f"arn:aws:iam::{account_a(world).account_id}:role/App" in roles.content.decode()
    fragment = client.get("/iam/?tab=roles", headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode() and "role/App" in fragment.content.decode()


def test_the_user_list_pages_with_iams_marker(client, world):
    for index in range(60):
        iam(world, "CreateUser", {"UserName": f"user-{index:03}"})
    first = client.get("/iam/")
    assert first.context["next_marker"]
    second = client.get("/iam/", {"marker": first.context["next_marker"]})
    assert second.context["next_marker"] is None
    names = [user["UserName"] for user in first.context["identities"] + second.context["identities"]]
    assert len(names) == len(set(names)) == 61


def test_the_user_list_query_count_stays_flat(client, world, django_assert_max_num_queries):
    for index in range(3):
        iam(world, "CreateUser", {"UserName": f"user-{index:03}"})
    with django_assert_max_num_queries(30) as small:
        client.get("/iam/")
    for index in range(3, 40):
        iam(world, "CreateUser", {"UserName": f"user-{index:03}"})
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/iam/")


def test_creating_a_user_and_giving_it_an_inline_policy(client, world):
    created = client.post("/iam/new-user/", {"user_name": "alice"})
    assert created.status_code == 302 and created["Location"] == "/iam/users/alice/"
    saved = client.post("/iam/users/alice/policies/", {"policy_name": "ReadKeys", "document": READ_KEYS})
    assert saved.status_code == 302
    page = client.get("/iam/users/alice/").content.decode()
    assert "ReadKeys" in page and "kms:DescribeKey" in page
    assert Event.objects.filter(workspace=world.workspace, event_name="PutUserPolicy", error_code="").exists()


def test_a_malformed_policy_shows_iams_error(client, world):
    client.post("/iam/new-user/", {"user_name": "alice"})
    response = client.post("/iam/users/alice/policies/", {"policy_name": "Broken", "document": "{not json"})
    assert response.status_code == 200
    assert "MalformedPolicyDocument" in response.content.decode()


def test_a_duplicate_user_shows_iams_error(client, world):
    response = client.post("/iam/new-user/", {"user_name": "admin"})
    assert response.status_code == 200
    assert "EntityAlreadyExists: User with name admin already exists." in response.content.decode()


def test_deleting_an_inline_policy_and_then_the_user(client, world):
    client.post("/iam/new-user/", {"user_name": "alice"})
    client.post("/iam/users/alice/policies/", {"policy_name": "ReadKeys", "document": READ_KEYS})
    refused = client.post("/iam/users/alice/delete/")
    assert refused.status_code == 200
    assert "DeleteConflict: Cannot delete entity, must delete policies first." in refused.content.decode()
    assert client.post("/iam/users/alice/policies/ReadKeys/delete/").status_code == 302
    assert client.post("/iam/users/alice/delete/").status_code == 302
    assert not Principal.objects.filter(account=account_a(world), name="alice").exists()


def test_creating_a_role_and_editing_its_trust_policy(client, world):
    created = client.post(
        "/iam/new-role/", {"role_name": "App", "description": "the app", "trust_policy": trust_root(world)}
    )
    assert created.status_code == 302
    page = client.get("/iam/roles/App/").content.decode()
    assert "sts:AssumeRole" in page and "the app" in page
    trust_b = trust_root(world).replace(account_a(world).account_id, world.accounts[1].account.account_id)
    assert client.post("/iam/roles/App/trust/", {"document": trust_b}).status_code == 302
    role = Principal.objects.get(account=account_a(world), name="App")
    assert world.accounts[1].account.account_id in role.trust_policy
    broken = client.post("/iam/roles/App/trust/", {"document": "[]"})
    assert broken.status_code == 200 and "MalformedPolicyDocument" in broken.content.decode()


def test_attaching_and_detaching_a_managed_policy(client, world):
    policy_arn = iam(world, "CreatePolicy", {"PolicyName": "KeyReaders", "PolicyDocument": READ_KEYS})["Policy"]["Arn"]
    client.post("/iam/new-user/", {"user_name": "alice"})
    assert "KeyReaders" in client.get("/iam/users/alice/").content.decode()
    assert client.post("/iam/users/alice/attach/", {"policy_arn": policy_arn}).status_code == 302
    alice = Principal.objects.get(account=account_a(world), name="alice")
    assert alice.policy_attachments.count() == 1
    assert client.post("/iam/users/alice/detach/", {"policy_arn": policy_arn}).status_code == 302
    assert alice.policy_attachments.count() == 0


def test_script_in_a_policy_is_escaped(client, world):
    client.post("/iam/new-user/", {"user_name": "alice"})
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "kms:Encrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:username": "<script>alert(1)</script>"}},
                }
            ],
        }
    )
    client.post("/iam/users/alice/policies/", {"policy_name": "Odd", "document": document})
    page = client.get("/iam/users/alice/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_principal_without_iam_permissions_sees_the_denial(client, world):
    client.post("/iam/new-user/", {"user_name": "alice"})
    alice = Principal.objects.get(account=account_a(world), name="alice")
    client.post("/context/", {"workspace": world.workspace.pk, "account": account_a(world).pk, "principal": alice.pk})
    response = client.get("/iam/")
    assert response.status_code == 200
    assert "AccessDenied: User: arn:aws:iam::" in response.content.decode()
    assert "is not authorized to perform: iam:ListUsers" in response.content.decode()


def test_another_workspaces_users_are_out_of_reach(client, world):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    find("iam", "CreateUser")(Caller(principal=stranger.accounts[0].admin, region="us-east-1"), {"UserName": "mallory"})
    assert client.get("/iam/users/mallory/").status_code == 404
    response = client.post("/iam/users/mallory/policies/", {"policy_name": "P", "document": READ_KEYS})
    assert response.status_code == 404
    assert not Principal.objects.get(account=stranger.accounts[0].account, name="mallory").inline_policies.exists()


def test_an_unknown_kind_of_identity_is_not_found(client, world):
    assert client.post("/iam/groups/admins/delete/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/iam/new-user/",
        "/iam/new-role/",
        "/iam/users/admin/policies/",
        "/iam/users/admin/policies/AdministratorAccess/delete/",
        "/iam/users/admin/attach/",
        "/iam/users/admin/detach/",
        "/iam/users/admin/delete/",
        "/iam/roles/App/trust/",
    ],
)
def test_every_iam_form_requires_csrf(world, learner, path):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    assert strict.post(path, {}).status_code == 403


def test_the_iam_pages_require_sign_in():
    anonymous = Client()
    assert anonymous.get("/iam/").status_code == 302
    assert anonymous.get("/iam/users/admin/").status_code == 302
