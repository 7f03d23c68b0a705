"""The key page: its tabs as full pages and htmx fragments, the policy reading and
warnings, and what another workspace's user can (not) reach."""

import json
import random
import uuid

import pytest

from kmsconsole.iam.callers import Caller
from kmsconsole.iam.identity_policies import put_inline_policy
from kmsconsole.iam.models import Principal
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.operations.aliases import create_alias
from kmsconsole.kms.operations.grants import create_grant
from kmsconsole.kms.operations.key_policies import put_key_policy
from kmsconsole.kms.operations.key_state import disable_key
from kmsconsole.kms.operations.lifecycle import create_key
from kmsconsole.kms.operations.rotation import rotate_key_on_demand
from kmsconsole.kms.operations.tags import tag_resource

pytestmark = pytest.mark.django_db

ALL_TABS = ("general", "policy", "cryptography", "tags", "rotation", "aliases", "grants", "events")


@pytest.fixture
def key(root):
    metadata = create_key(root, {"Description": "Order data"})["KeyMetadata"]
    create_alias(root, {"AliasName": "alias/orders", "TargetKeyId": metadata["KeyId"]})
    return metadata


def attach_inline_policy(principal, name, document):
    """``put_inline_policy``, after moving the principal's policy revision past any value an
    earlier test reached: the authorizer caches parsed identity policies per (principal id,
    revision), and SQLite hands out again the ids of rows a rolled-back test created."""
    Principal.objects.filter(pk=principal.pk).update(policy_revision=random.randint(10**6, 10**9))
    principal.refresh_from_db(fields=["policy_revision"])
    put_inline_policy(principal, name, document)


def test_the_general_tab_shows_the_configuration(client, key):
    response = client.get(f"/keys/{key['KeyId']}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>alias/orders</h1>" in page
    assert key["Arn"] in page and "Order data" in page and "Enabled" in page and "Single-Region" in page
    assert 'aria-selected="true">General configuration' in page


@pytest.mark.parametrize("tab", ALL_TABS)
def test_every_tab_is_a_full_page_and_an_htmx_fragment(client, key, tab):
    url = f"/keys/{key['KeyId']}/?tab={tab}"
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode()
    fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": "key-tabs"})
    text = fragment.content.decode()
    assert fragment.status_code == 200 and text.lstrip().startswith('<div id="key-tabs">') and "<html" not in text
    assert 'aria-selected="true"' in text


def test_tabs_load_with_htmx_and_keep_their_own_url(client, key):
    page = client.get(f"/keys/{key['KeyId']}/").content.decode()
    url = f"/keys/{key['KeyId']}/?tab=policy"
    assert f'href="{url}" hx-get="{url}" hx-target="#key-tabs"' in page and 'hx-push-url="true"' in page


def test_the_policy_tab_reads_each_statement_in_plain_words(client, key):
    page = client.get(f"/keys/{key['KeyId']}/?tab=policy").content.decode()
    assert "Statement 1 (Enable IAM User Permissions)" in page
    assert "this account (arn:aws:iam::" in page and "every KMS action (kms:*)" in page
    assert "this key (in a key policy, * means the key the policy is attached to)" in page
    assert "No common mistakes found" in page
    assert 'name="policy"' in page and "Save policy" in page


def test_the_policy_tab_warns_about_the_guides_common_mistakes(client, root, key):
    other_account = "111122223333"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
            {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": other_account}, "Action": "*", "Resource": "*"},
        ],
    }
    put_key_policy(root, {"KeyId": key["KeyId"], "Policy": json.dumps(policy)})
    page = client.get(f"/keys/{key['KeyId']}/?tab=policy").content.decode()
    assert "Statement 1 (Open) allows every KMS action to everyone" in page
    assert "Statement 2 (Partner) allows Action *" in page
    assert "Statement 2 (Partner) gives another account every KMS action" in page
    assert "No statement for the account root" in page


def test_conditions_are_read_in_plain_words(client, root, key):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "ViaS3",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            },
        ],
    }
    put_key_policy(root, {"KeyId": key["KeyId"], "Policy": json.dumps(policy)})
    page = client.get(f"/keys/{key['KeyId']}/?tab=policy").content.decode()
    assert "kms:ViaService is not s3.us-east-1.amazonaws.com" in page
    assert "May not" in page


def test_the_cryptography_tab_lists_spec_usage_algorithms_and_origin(client, root):
    signing = create_key(root, {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})["KeyMetadata"]
    page = client.get(f"/keys/{signing['KeyId']}/?tab=cryptography").content.decode()
    assert "ECC_NIST_P256" in page and "SIGN_VERIFY" in page and "ECDSA_SHA_256" in page and "AWS_KMS" in page
    assert "Asymmetric" in page


def test_an_asymmetric_key_has_a_public_key_tab_and_no_rotation_tab(client, root):
    signing = create_key(root, {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})["KeyMetadata"]
    page = client.get(f"/keys/{signing['KeyId']}/?tab=public-key").content.decode()
    assert "-----BEGIN PUBLIC KEY-----" in page and "Download PEM" in page and "Download DER" in page
    assert ">Key rotation</a>" not in page


def test_a_symmetric_key_has_no_public_key_tab(client, key):
    page = client.get(f"/keys/{key['KeyId']}/?tab=public-key").content.decode()
    assert ">Public key</a>" not in page and 'aria-selected="true">General configuration' in page


def test_the_tags_aliases_grants_and_rotation_tabs_show_what_the_key_has(client, root, key):
    key_id = key["KeyId"]
    tag_resource(root, {"KeyId": key_id, "Tags": [{"TagKey": "team", "TagValue": "billing"}]})
    create_grant(root, {"KeyId": key_id, "GranteePrincipal": root.arn, "Operations": ["Decrypt"], "Name": "nightly"})
    rotate_key_on_demand(root, {"KeyId": key_id})
    assert "billing" in client.get(f"/keys/{key_id}/?tab=tags").content.decode()
    assert "arn:aws:kms:" in client.get(f"/keys/{key_id}/?tab=aliases").content.decode()
    grants = client.get(f"/keys/{key_id}/?tab=grants").content.decode()
    assert "nightly" in grants and "Decrypt" in grants and "Retire" in grants and "Revoke" in grants
    rotation = client.get(f"/keys/{key_id}/?tab=rotation").content.decode()
    assert "On demand" in rotation and "9 of 10 on-demand rotations left" in rotation


def test_the_events_tab_shows_the_keys_own_audit_events(client, root, key):
    disable_key(root, {"KeyId": key["KeyId"]})
    other = create_key(root, {})["KeyMetadata"]
    disable_key(root, {"KeyId": other["KeyId"]})
    page = client.get(f"/keys/{key['KeyId']}/?tab=events").content.decode()
    assert page.count("<summary>DisableKey</summary>") == 1
    assert "<summary>CreateKey</summary>" in page and "&quot;eventName&quot;" in page


def test_an_unknown_key_is_not_found_with_awss_message(client, learner):
    response = client.get("/keys/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "NotFoundException" in response.content.decode() and "does not exist" in response.content.decode()


def test_another_workspaces_key_is_not_found_on_any_page_or_action(client, learner):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    account = stranger.workspace.accounts.get(label="A")
    stranger_root = Caller(principal=account.principals.get(kind="Root"), region=stranger.workspace.region)
    foreign = create_key(stranger_root, {"Description": "not yours"})["KeyMetadata"]
    key_id = foreign["KeyId"]
    for tab in ALL_TABS:
        response = client.get(f"/keys/{key_id}/?tab={tab}")
        assert response.status_code == 404 and b"not yours" not in response.content
    for action in ("disable", "schedule-deletion", "tags", "aliases", "policy", "description"):
        client.post(
            f"/keys/{key_id}/{action}/",
            {
                "tag_key": "x",
                "alias_name": "x",
                "policy": "{}",
                "description": "mine",
                "pending_window_days": 7,
                "confirmation": "delete",
            },
        )
    foreign_row = account.keys.get(key_id=key_id)
    assert foreign_row.key_state == "Enabled" and foreign_row.description == "not yours"
    assert not foreign_row.tags.exists() and not foreign_row.aliases.exists()


def test_another_accounts_key_of_the_same_workspace_is_not_found_by_id(client, learner):
    account_b = learner.workspace.accounts.get(label="B")
    root_b = Caller(principal=account_b.principals.get(kind="Root"), region=learner.workspace.region)
    key_b = create_key(root_b, {})["KeyMetadata"]
    assert client.get(f"/keys/{key_b['KeyId']}/").status_code == 404


def test_a_principal_denied_getkeypolicy_sees_the_error_in_the_tab(client, learner, root, key):
    account = learner.workspace.accounts.get(label="A")
    admin = account.principals.get(name="admin")
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:GetKeyPolicy", "Resource": "*"}]}
    attach_inline_policy(admin, "NoPolicyReading", json.dumps(deny))
    client.post("/context/", {"workspace": learner.workspace.pk, "account": account.pk, "principal": admin.pk})
    response = client.get(f"/keys/{key['KeyId']}/?tab=policy")
    assert response.status_code == 200
    assert "AccessDeniedException" in response.content.decode() and "kms:GetKeyPolicy" in response.content.decode()


def test_markup_in_descriptions_tags_aliases_and_policies_is_escaped(client, root):
    script = "<script>alert(1)</script>"
    key_id = create_key(root, {"Description": script})["KeyMetadata"]["KeyId"]
    tag_resource(root, {"KeyId": key_id, "Tags": [{"TagKey": script, "TagValue": script}]})
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": script,
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    put_key_policy(root, {"KeyId": key_id, "Policy": json.dumps(policy)})
    for tab in ("general", "tags", "policy"):
        page = client.get(f"/keys/{key_id}/?tab={tab}").content.decode()
        assert script not in page and "&lt;script&gt;" in page


def test_the_key_page_requires_sign_in(client):
    response = client.get("/keys/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_aws_managed_key_is_shown_read_only(client, learner):
    account = learner.workspace.accounts.get(label="A")
    managed = account.keys.get(managed_service="s3")
    page = client.get(f"/keys/{managed.key_id}/?tab=policy").content.decode()
    assert "<h1>alias/aws/s3</h1>" in page and "you can read it, not change it" in page
    assert "Schedule key deletion" not in page and "Save policy" not in page
