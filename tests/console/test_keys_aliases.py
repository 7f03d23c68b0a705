"""The aliases page: every alias of the account and region, with create, update, delete."""

import uuid

import pytest
from django.test import Client

from kmsconsole.iam.callers import Caller
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.models import Alias
from kmsconsole.kms.operations.aliases import create_alias
from kmsconsole.kms.operations.lifecycle import create_key

pytestmark = pytest.mark.django_db


def new_key(caller, **request):
    return create_key(caller, request)["KeyMetadata"]["KeyId"]


def test_the_page_lists_customer_and_aws_aliases_with_their_keys(client, root):
    key_id = new_key(root)
    create_alias(root, {"AliasName": "alias/orders", "TargetKeyId": key_id})
    response = client.get("/aliases/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "alias/orders" in page and f'href="/keys/{key_id}/"' in page and "alias/aws/s3" in page
    assert 'aria-label="Delete alias alias/orders"' in page and 'aria-label="Delete alias alias/aws/s3"' not in page


def test_an_alias_is_created_pointed_elsewhere_and_deleted(client, root):
    first, second = new_key(root), new_key(root)
    response = client.post("/aliases/create/", {"create_form-alias_name": "orders", "create_form-target_key_id": first})
    assert response.status_code == 302
    assert Alias.objects.get(name="alias/orders", account__account_id=root.account_id).key.key_id == first
    client.post("/aliases/update/", {"update_form-alias_name": "alias/orders", "update_form-target_key_id": second})
    assert Alias.objects.get(name="alias/orders", account__account_id=root.account_id).key.key_id == second
    client.post("/aliases/delete/", {"alias_name": "alias/orders"})
    assert not Alias.objects.filter(name="alias/orders", account__account_id=root.account_id).exists()


def test_pointing_an_alias_at_a_key_of_another_type_gets_the_operations_message(client, root):
    symmetric = new_key(root)
    signing = new_key(root, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    create_alias(root, {"AliasName": "alias/orders", "TargetKeyId": symmetric})
    response = client.post(
        "/aliases/update/", {"update_form-alias_name": "orders", "update_form-target_key_id": signing}
    )
    assert response.status_code == 200
    assert "is not the same type of KMS key" in response.content.decode()


def test_a_reserved_alias_cannot_be_deleted(client, learner):
    response = client.post("/aliases/delete/", {"alias_name": "alias/aws/s3"})
    assert response.status_code == 200 and "NotAuthorizedException" in response.content.decode()


def test_creating_an_alias_for_another_workspaces_key_is_not_found(client, learner):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    account = stranger.workspace.accounts.get(label="A")
    foreign = new_key(Caller(principal=account.principals.get(kind="Root"), region=stranger.workspace.region))
    response = client.post("/aliases/create/", {"create_form-alias_name": "mine", "create_form-target_key_id": foreign})
    assert response.status_code == 200 and "NotFoundException" in response.content.decode()
    assert not Alias.objects.filter(key__key_id=foreign).exists()


def test_with_htmx_changes_answer_the_refreshed_panel(client, root):
    key_id = new_key(root)
    response = client.post(
        "/aliases/create/",
        {"create_form-alias_name": "orders", "create_form-target_key_id": key_id},
        headers={"HX-Request": "true"},
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="aliases-panel">') and "Alias alias/orders created." in fragment


def test_aliases_page_through_the_listaliases_marker(client, root):
    keys = [new_key(root), new_key(root)]  # a key may have at most 50 aliases
    for number in range(55):
        create_alias(root, {"AliasName": f"alias/a{number:02}", "TargetKeyId": keys[number % 2]})
    first = client.get("/aliases/")
    assert first.context["next_marker"] and "alias/a49" in first.content.decode()
    second = client.get("/aliases/", {"marker": first.context["next_marker"]}).content.decode()
    assert "alias/a50" in second and "alias/a49" not in second


def test_alias_names_with_markup_are_escaped(client, root):
    response = client.post("/aliases/create/", {"create_form-alias_name": "<script>", "create_form-target_key_id": "x"})
    page = response.content.decode()
    assert "<script>" not in page.split("<main")[1] and "&lt;script&gt;" in page


@pytest.mark.parametrize("action", ["create", "update", "delete"])
def test_alias_changes_require_csrf(learner, action):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner.workspace.owner)
    assert strict.post(f"/aliases/{action}/", {}).status_code == 403


def test_the_aliases_page_requires_sign_in(client):
    assert client.get("/aliases/")["Location"].startswith("/login/")
