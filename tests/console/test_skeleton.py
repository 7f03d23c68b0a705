"""Sign-in, sign-up, workspaces and the context switcher."""

import pytest
from django.contrib.auth.models import User

from kmsconsole.iam.provisioning import create_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(client):
    user = User.objects.create_user("learner", password="pw-for-tests-only")
    create_workspace("learner-ws", owner=user)
    client.force_login(user)
    return user


def test_an_anonymous_visitor_sees_the_welcome_page_with_the_endpoint(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"--endpoint-url http://testserver" in response.content


def test_console_pages_require_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_signing_up_creates_a_user_with_a_workspace(client):
    response = client.post(
        "/signup/", {"username": "newbie", "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"}
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.owned_workspaces.get().accounts.count() == 2
    dashboard = client.get("/dashboard/")
    assert b"acting as" in dashboard.content


def test_the_dashboard_shows_the_context_header(client, learner):
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert b"learner-ws" in response.content
    assert b"account root" in response.content


def test_switching_principal_and_region(client, learner):
    workspace = learner.owned_workspaces.get()
    account = workspace.accounts.get(label="B")
    admin = account.principals.get(name="admin")
    client.post("/context/", {"workspace": workspace.pk, "account": account.pk, "region": "eu-west-1"})
    client.post(
        "/context/", {"workspace": workspace.pk, "account": account.pk, "principal": admin.pk, "region": "eu-west-1"}
    )
    response = client.get("/dashboard/")
    assert admin.arn.encode() in response.content
    assert b"eu-west-1" in response.content


def test_a_user_cannot_switch_into_someone_elses_workspace(client, learner):
    other = create_workspace("not-yours")
    client.post("/context/", {"workspace": other.workspace.pk})
    response = client.get("/dashboard/")
    assert b"not-yours" not in response.content
    assert b"learner-ws" in response.content


def test_the_context_form_requires_csrf(learner):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    assert strict.post("/context/", {"region": "eu-west-1"}).status_code == 403


def test_creating_another_workspace(client, learner):
    response = client.post("/workspaces/new/", {"name": "second", "region": "eu-west-1"})
    assert response.status_code == 302
    assert learner.owned_workspaces.filter(name="second", region="eu-west-1").exists()
    duplicate = client.post("/workspaces/new/", {"name": "second", "region": "eu-west-1"})
    assert duplicate.status_code == 200
    assert b"already exists" in duplicate.content


def test_a_tampered_context_form_is_ignored_not_a_server_error(client, learner):
    response = client.post("/context/", {"workspace": "abc", "account": "1; drop", "principal": "-1", "region": "<x>"})
    assert response.status_code == 302
    assert b"learner-ws" in client.get("/dashboard/").content
