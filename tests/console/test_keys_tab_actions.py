"""Actions on the key page's tabs: tags, rotation, aliases, grants, public key downloads."""

import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key
from django.test import Client

from kmsconsole.iam.provisioning import create_principal
from kmsconsole.kms.models import Alias, Grant, Key
from kmsconsole.kms.operations.lifecycle import create_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_id(root):
    return create_key(root, {})["KeyMetadata"]["KeyId"]


def test_tags_are_added_and_removed(client, key_id):
    response = client.post(f"/keys/{key_id}/tags/", {"tag_key": "team", "tag_value": "billing"})
    assert response.status_code == 302 and response["Location"] == f"/keys/{key_id}/?tab=tags"
    key = Key.objects.get(key_id=key_id)
    assert list(key.tags.values_list("tag_key", "tag_value")) == [("team", "billing")]
    client.post(f"/keys/{key_id}/tags/remove/", {"tag_key": "team"})
    assert not key.tags.exists()


def test_a_reserved_tag_key_gets_the_tag_exception(client, key_id):
    response = client.post(
        f"/keys/{key_id}/tags/", {"tag_key": "aws:owner", "tag_value": "me"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "TagException" in response.content.decode() and 'aria-selected="true">Tags' in response.content.decode()


def test_rotation_is_enabled_with_a_period_and_disabled(client, key_id):
    response = client.post(f"/keys/{key_id}/rotation/enable/", {"rotation_period_days": 180})
    assert response.status_code == 302
    key = Key.objects.get(key_id=key_id)
    assert key.rotation_enabled and key.rotation_period_days == 180
    page = client.get(response["Location"]).content.decode()
    assert "every 180 days" in page
    client.post(f"/keys/{key_id}/rotation/disable/")
    assert not Key.objects.get(key_id=key_id).rotation_enabled


def test_a_rotation_period_under_90_days_gets_the_validation_message(client, key_id):
    response = client.post(f"/keys/{key_id}/rotation/enable/", {"rotation_period_days": 30})
    assert response.status_code == 200
    assert (
        "Value &#x27;30&#x27; at &#x27;rotationPeriodInDays&#x27; failed to satisfy constraint: "
        "Member must have value greater than or equal to 90"
    ) in response.content.decode()


def test_rotate_now_adds_material_and_shows_it_in_the_history(client, key_id):
    response = client.post(f"/keys/{key_id}/rotation/rotate-now/")
    assert response.status_code == 302
    assert Key.objects.get(key_id=key_id).current_material_version == 2
    page = client.get(response["Location"]).content.decode()
    assert "On demand" in page and "Current" in page and "9 of 10 on-demand rotations left" in page


def test_rotating_a_disabled_key_shows_the_disabled_error(client, key_id):
    client.post(f"/keys/{key_id}/disable/")
    response = client.post(f"/keys/{key_id}/rotation/rotate-now/")
    assert "DisabledException" in response.content.decode() and "is disabled." in response.content.decode()


def test_aliases_are_created_and_deleted_on_the_key_page(client, key_id):
    response = client.post(f"/keys/{key_id}/aliases/", {"alias_name": "invoices"})
    assert response.status_code == 302
    assert Alias.objects.get(key__key_id=key_id).name == "alias/invoices"
    client.post(f"/keys/{key_id}/aliases/delete/", {"alias_name": "alias/invoices"})
    assert not Alias.objects.filter(key__key_id=key_id).exists()


def test_a_duplicate_alias_gets_already_exists(client, key_id):
    client.post(f"/keys/{key_id}/aliases/", {"alias_name": "invoices"})
    response = client.post(f"/keys/{key_id}/aliases/", {"alias_name": "alias/invoices"})
    assert response.status_code == 200
    assert "AlreadyExistsException: An alias with the name" in response.content.decode()


def test_a_grant_is_created_with_operations_and_constraints(client, learner, key_id):
    account = learner.workspace.accounts.get(label="A")
    role = create_principal(account, "Role", "Batch", now=learner.workspace.now())
    response = client.post(
        f"/keys/{key_id}/grants/",
        {
            "grantee_principal": role.arn,
            "operations": ["Decrypt", "GenerateDataKey"],
            "name": "batch",
            "constraint_type": "EncryptionContextSubset",
            "encryption_context": "app=batch\nstage = prod",
        },
    )
    assert response.status_code == 302
    grant = Grant.objects.get(key__key_id=key_id)
    assert grant.grantee_principal == role.arn and grant.operations == ["Decrypt", "GenerateDataKey"]
    assert grant.constraints == {"EncryptionContextSubset": {"app": "batch", "stage": "prod"}}
    page = client.get(response["Location"]).content.decode()
    assert "app=batch" in page and role.arn in page


def test_a_grant_for_an_unknown_principal_gets_the_operations_error(client, key_id):
    response = client.post(
        f"/keys/{key_id}/grants/",
        {"grantee_principal": "arn:aws:iam::111122223333:role/Nobody", "operations": ["Decrypt"]},
    )
    assert response.status_code == 200
    assert "InvalidArnException" in response.content.decode()


def test_the_grant_form_offers_only_the_operations_of_the_key_type(client, root):
    signing = create_key(root, {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})["KeyMetadata"]["KeyId"]
    page = client.get(f"/keys/{signing}/?tab=grants").content.decode()
    assert 'value="Sign"' in page and 'value="Decrypt"' not in page


def test_grants_are_retired_and_revoked(client, root, key_id):
    for name in ("one", "two"):
        client.post(f"/keys/{key_id}/grants/", {"grantee_principal": root.arn, "operations": ["Decrypt"], "name": name})
    retired, revoked = Grant.objects.filter(key__key_id=key_id).order_by("name")
    client.post(f"/keys/{key_id}/grants/retire/", {"grant_id": retired.grant_id})
    client.post(f"/keys/{key_id}/grants/revoke/", {"grant_id": revoked.grant_id})
    assert not Grant.objects.filter(key__key_id=key_id).exists()


def test_revoking_an_unknown_grant_shows_not_found(client, key_id):
    response = client.post(f"/keys/{key_id}/grants/revoke/", {"grant_id": "ab" * 32})
    assert response.status_code == 200 and "NotFoundException: Grant ID" in response.content.decode()


def test_the_public_key_downloads_as_pem_and_der(client, root):
    signing = create_key(root, {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})["KeyMetadata"]["KeyId"]
    pem = client.get(f"/keys/{signing}/public-key.pem")
    der = client.get(f"/keys/{signing}/public-key.der")
    assert pem["Content-Disposition"] == f'attachment; filename="{signing}-public-key.pem"'
    assert der["Content-Disposition"] == f'attachment; filename="{signing}-public-key.der"'
    assert load_pem_public_key(pem.content).public_numbers() == load_der_public_key(der.content).public_numbers()


def test_a_symmetric_key_has_no_public_key_to_download(client, key_id):
    response = client.get(f"/keys/{key_id}/public-key.pem")
    assert response.status_code == 200 and "UnsupportedOperationException" in response.content.decode()
    assert "which has no public key" in response.content.decode()


@pytest.mark.parametrize(
    "action",
    [
        "tags/",
        "tags/remove/",
        "rotation/enable/",
        "rotation/disable/",
        "rotation/rotate-now/",
        "aliases/",
        "aliases/delete/",
        "grants/",
        "grants/retire/",
        "grants/revoke/",
    ],
)
def test_every_tab_action_requires_csrf(learner, key_id, action):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner.workspace.owner)
    assert strict.post(f"/keys/{key_id}/{action}", {}).status_code == 403
