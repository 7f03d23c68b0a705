"""Credentials: users' access keys (create with the secret shown once, deactivate,
delete) and ready-to-paste aws CLI and boto3 snippets for this server."""

import json
import logging
import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kmsconsole.audit.models import Event
from kmsconsole.iam import operations as iam_operations  # noqa: F401  (registers IAM)
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import AccessKey, Principal
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.operations import find

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    return User.objects.create_user(f"learner-{uuid.uuid4().hex[:6]}", password="pw-for-tests-only")


@pytest.fixture
def world(client, learner):
    provisioned = create_workspace(f"ws-{uuid.uuid4().hex[:8]}", owner=learner)
    client.force_login(learner)
    return provisioned


def test_the_page_lists_a_users_keys_and_snippets_for_this_server(client, world):
    response = client.get("/credentials/")
    body = response.content.decode()
    admin_key = world.accounts[0].admin_credentials.access_key_id
    assert response.status_code == 200
    assert admin_key in body and "Active" in body
    assert "aws --profile kmsconsole --endpoint-url http://testserver kms list-keys" in body
    assert "aws configure set region us-east-1 --profile kmsconsole" in body
    assert 'endpoint_url="http://testserver"' in body
    assert f'aws_access_key_id="{admin_key}"' in body
    assert world.accounts[0].admin_credentials.secret_access_key not in body


def test_the_snippets_follow_the_current_region(client, world):
    client.post(
        "/context/", {"workspace": world.workspace.pk, "account": world.accounts[0].account.pk, "region": "eu-west-1"}
    )
    body = client.get("/credentials/").content.decode()
    assert "aws configure set region eu-west-1 --profile kmsconsole" in body
    assert 'region_name="eu-west-1"' in body


def test_a_new_secret_is_shown_once_and_never_again(client, world, caplog):
    caplog.set_level(logging.DEBUG)
    created = client.post("/credentials/admin/keys/")
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    new_key = created.context["new_key"]
    secret = new_key["SecretAccessKey"]
    body = created.content.decode()
    assert secret in body and "shown once" in body
    assert f"aws configure set aws_secret_access_key {secret} --profile kmsconsole" in body

    for later in (client.get("/credentials/"), client.get("/events/"), client.get("/iam/users/admin/")):
        assert secret not in later.content.decode()
    event = Event.objects.get(workspace=world.workspace, event_name="CreateAccessKey")
    assert new_key["AccessKeyId"] in json.dumps(event.record)
    records = json.dumps(list(Event.objects.filter(workspace=world.workspace).values_list("record", "trace")))
    assert secret not in records
    assert secret not in caplog.text
    stored = AccessKey.objects.get(access_key_id=new_key["AccessKeyId"])
    assert secret.encode() not in bytes(stored.secret_wrapped)


def test_a_third_key_shows_iams_quota_error(client, world):
    client.post("/credentials/admin/keys/")
    response = client.post("/credentials/admin/keys/")
    assert response.status_code == 200
    assert "LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2" in response.content.decode()


def test_deactivating_activating_and_deleting_a_key(client, world):
    key_id = world.accounts[0].admin_credentials.access_key_id
    deactivated = client.post(f"/credentials/admin/keys/{key_id}/status/", {"status": "Inactive"})
    assert deactivated.status_code == 302
    assert AccessKey.objects.get(access_key_id=key_id).status == "Inactive"
    htmx = client.post(
        f"/credentials/admin/keys/{key_id}/status/", {"status": "Active"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in htmx.content.decode() and "Deactivate" in htmx.content.decode()
    assert AccessKey.objects.get(access_key_id=key_id).status == "Active"
    assert client.post(f"/credentials/admin/keys/{key_id}/delete/").status_code == 302
    assert not AccessKey.objects.filter(access_key_id=key_id).exists()


def test_another_workspaces_keys_are_out_of_reach(client, world):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    foreign_key = stranger.accounts[0].admin_credentials.access_key_id
    response = client.post(f"/credentials/admin/keys/{foreign_key}/delete/")
    assert response.status_code == 200
    assert f"NoSuchEntity: The Access Key with id {foreign_key} cannot be found." in response.content.decode()
    assert AccessKey.objects.filter(access_key_id=foreign_key).exists()
    find("iam", "CreateUser")(Caller(principal=stranger.accounts[0].admin, region="us-east-1"), {"UserName": "eve"})
    listing = client.get("/credentials/", {"user": "eve"})
    assert "eve" not in [user["UserName"] for user in listing.context["users"]]
    assert client.post("/credentials/eve/keys/").status_code == 200
    assert not AccessKey.objects.filter(principal__name="eve", principal__account=stranger.accounts[0].account).exists()


def test_the_page_opens_on_the_user_the_console_acts_as(client, world):
    find("iam", "CreateUser")(Caller(principal=world.accounts[0].admin, region="us-east-1"), {"UserName": "zed"})
    zed = Principal.objects.get(account=world.accounts[0].account, name="zed")
    find("iam", "PutUserPolicy")(
        Caller(principal=world.accounts[0].admin, region="us-east-1"),
        {
            "UserName": "zed",
            "PolicyName": "All",
            "PolicyDocument": json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        },
    )
    client.post(
        "/context/", {"workspace": world.workspace.pk, "account": world.accounts[0].account.pk, "principal": zed.pk}
    )
    assert client.get("/credentials/").context["user_name"] == "zed"


@pytest.mark.parametrize(
    "path",
    [
        "/credentials/admin/keys/",
        "/credentials/admin/keys/AKIAEXAMPLE/status/",
        "/credentials/admin/keys/AKIAEXAMPLE/delete/",
    ],
)
def test_every_credentials_form_requires_csrf(world, learner, path):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    assert strict.post(path, {}).status_code == 403


def test_the_credentials_page_requires_sign_in():
    assert Client().get("/credentials/").status_code == 302
