"""The create-key wizard: AWS's five steps, the generated policy, and creating the key."""

import json

import pytest
from django.test import Client

from kmsconsole.iam.provisioning import create_principal
from kmsconsole.kms.models import Alias, Key

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(learner):
    return learner.workspace.accounts.get(label="A")


@pytest.fixture
def app_role(account):
    return create_principal(account, "Role", "App", now=account.workspace.now())


def walk_to_review(client, *, configure=None, labels=None, administrators=None, users=None):
    steps = [
        (
            "/keys/create/",
            {
                "key_type": "symmetric",
                "key_usage": "ENCRYPT_DECRYPT",
                "key_spec": "SYMMETRIC_DEFAULT",
                "origin": "AWS_KMS",
                "regionality": "single",
                **(configure or {}),
            },
        ),
        (
            "/keys/create/labels/",
            {
                "alias": "orders",
                "description": "Order data",
                "tags-TOTAL_FORMS": "1",
                "tags-INITIAL_FORMS": "0",
                "tags-0-tag_key": "team",
                "tags-0-tag_value": "billing",
                **(labels or {}),
            },
        ),
        ("/keys/create/administrators/", {"allow_admin_delete": "on"} if administrators is None else administrators),
        ("/keys/create/users/", users or {}),
    ]
    for url, data in steps:
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
    return client.get("/keys/create/review/")


def proposed_policy(response):
    return json.loads(response.context["form"].initial["policy"])


def test_the_first_step_offers_key_types_usages_and_specs(client, learner):
    response = client.get("/keys/create/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Configure key" in page and 'value="symmetric"' in page and 'value="asymmetric"' in page
    assert 'value="SYMMETRIC_DEFAULT"' in page and 'value="GENERATE_VERIFY_MAC"' in page
    assert "External (import key material)" in page and "not supported by kmsconsole yet" in page
    assert "Multi-Region key" in page


def test_choosing_a_type_and_usage_narrows_the_specs_for_htmx(client, learner):
    response = client.get(
        "/keys/create/", {"key_type": "asymmetric", "key_usage": "KEY_AGREEMENT"}, headers={"HX-Request": "true"}
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="configure-fields"')
    assert 'value="ECC_NIST_P256"' in fragment and 'value="RSA_2048"' not in fragment
    assert 'value="GENERATE_VERIFY_MAC"' not in fragment


def test_a_spec_that_does_not_fit_the_usage_is_refused_with_the_fitting_list(client, learner):
    response = client.post(
        "/keys/create/",
        {
            "key_type": "asymmetric",
            "key_usage": "KEY_AGREEMENT",
            "key_spec": "RSA_2048",
            "origin": "AWS_KMS",
            "regionality": "single",
        },
    )
    assert response.status_code == 200
    assert "Choose a key spec for this key type and usage" in response.content.decode()


def test_later_steps_send_you_back_to_the_first_unfinished_one(client, learner):
    assert client.get("/keys/create/review/")["Location"] == "/keys/create/"
    client.post(
        "/keys/create/",
        {
            "key_type": "symmetric",
            "key_usage": "ENCRYPT_DECRYPT",
            "key_spec": "SYMMETRIC_DEFAULT",
            "origin": "AWS_KMS",
            "regionality": "single",
        },
    )
    assert client.get("/keys/create/users/")["Location"] == "/keys/create/labels/"


def test_add_tag_gives_another_row_and_keeps_what_was_typed(client, learner):
    walk_to_review(client)
    response = client.post(
        "/keys/create/labels/",
        {
            "alias": "orders",
            "tags-TOTAL_FORMS": "1",
            "tags-INITIAL_FORMS": "0",
            "tags-0-tag_key": "team",
            "tags-0-tag_value": "billing",
            "add_tag": "1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="tags-1-tag_key"' in page and 'value="billing"' in page and "This field is required" not in page


def test_the_review_proposes_the_console_default_policy(client, learner, account, app_role):
    admin_arn = account.principals.get(name="admin").arn
    response = walk_to_review(
        client,
        administrators={"principals": [admin_arn], "allow_admin_delete": "on"},
        users={"principals": [app_role.arn], "other_accounts": "111122223333"},
    )
    assert response.status_code == 200
    policy = proposed_policy(response)
    assert policy["Id"] == "key-consolepolicy-3"
    sids = [statement["Sid"] for statement in policy["Statement"]]
    assert sids == [
        "Enable IAM User Permissions",
        "Allow access for Key Administrators",
        "Allow use of the key",
        "Allow attachment of persistent resources",
    ]
    root, admins, users, attachment = policy["Statement"]
    assert root["Principal"] == {"AWS": f"arn:aws:iam::{account.account_id}:root"} and root["Action"] == "kms:*"
    assert admins["Principal"] == {"AWS": admin_arn}
    assert "kms:Put*" in admins["Action"] and "kms:ScheduleKeyDeletion" in admins["Action"]
    assert users["Principal"] == {"AWS": [app_role.arn, "arn:aws:iam::111122223333:root"]}
    assert users["Action"] == [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    ]
    assert attachment["Action"] == ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    assert attachment["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_administrators_who_may_not_delete_lose_the_deletion_actions(client, learner, account):
    admin_arn = account.principals.get(name="admin").arn
    response = walk_to_review(client, administrators={"principals": [admin_arn]})
    admins = proposed_policy(response)["Statement"][1]
    assert "kms:ScheduleKeyDeletion" not in admins["Action"] and "kms:CancelKeyDeletion" not in admins["Action"]


def test_an_hmac_key_gets_mac_actions_and_no_grant_statement(client, learner, app_role):
    response = walk_to_review(
        client,
        configure={"key_type": "symmetric", "key_usage": "GENERATE_VERIFY_MAC", "key_spec": "HMAC_256"},
        users={"principals": [app_role.arn]},
    )
    statements = proposed_policy(response)["Statement"]
    assert [statement["Sid"] for statement in statements][-1] == "Allow use of the key"
    assert statements[-1]["Action"] == ["kms:GenerateMac", "kms:VerifyMac", "kms:DescribeKey"]


def test_a_signing_key_gets_sign_verify_and_public_key_actions(client, learner, app_role):
    response = walk_to_review(
        client,
        configure={"key_type": "asymmetric", "key_usage": "SIGN_VERIFY", "key_spec": "ECC_NIST_P256"},
        users={"principals": [app_role.arn]},
    )
    users = proposed_policy(response)["Statement"][1]
    assert users["Action"] == ["kms:Sign", "kms:Verify", "kms:DescribeKey", "kms:GetPublicKey"]


def test_other_accounts_must_be_account_ids(client, learner):
    walk_to_review(client)
    response = client.post("/keys/create/users/", {"other_accounts": "12345, bob"})
    assert response.status_code == 200
    assert "An AWS account ID is 12 digits" in response.content.decode()


def test_creating_makes_the_key_with_policy_tags_description_and_alias(client, learner, account, app_role):
    walk_to_review(client, users={"principals": [app_role.arn]})
    review = client.get("/keys/create/review/")
    edited = proposed_policy(review)
    edited["Statement"][0]["Sid"] = "Root may do everything"
    response = client.post("/keys/create/review/", {"policy": json.dumps(edited)})
    key = Key.objects.get(account=account, description="Order data")
    assert response.status_code == 302 and response["Location"] == f"/keys/{key.key_id}/"
    assert json.loads(key.policy)["Statement"][0]["Sid"] == "Root may do everything"
    assert list(key.tags.values_list("tag_key", "tag_value")) == [("team", "billing")]
    assert Alias.objects.get(key=key).name == "alias/orders"
    assert "console_key_wizard" not in client.session
    followed = client.get(response["Location"]).content.decode()
    assert "Created the key alias/orders" in followed


def test_a_malformed_policy_is_refused_on_the_review_with_the_reason(client, learner, account):
    walk_to_review(client)
    response = client.post("/keys/create/review/", {"policy": '{"Statement": [{"Effect": "Allow"}]}'})
    assert response.status_code == 200
    page = response.content.decode()
    assert "MalformedPolicyDocumentException" in page and "must name a Principal" in page
    assert not Key.objects.filter(account=account, description="Order data").exists()


def test_a_policy_that_locks_the_creator_out_is_refused(client, learner, account):
    walk_to_review(client)
    locked = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "kms:Encrypt",
                "Resource": "*",
            }
        ],
    }
    response = client.post("/keys/create/review/", {"policy": json.dumps(locked)})
    assert "The new key policy will not allow you to update the key policy in the future." in response.content.decode()


def test_an_alias_that_fails_keeps_the_key_and_says_why(client, learner, account):
    walk_to_review(client, labels={"alias": "aws/mine"})
    response = client.post(
        "/keys/create/review/", {"policy": client.get("/keys/create/review/").context["form"].initial["policy"]}
    )
    key = Key.objects.get(account=account, description="Order data")
    assert response["Location"] == f"/keys/{key.key_id}/"
    page = client.get(response["Location"]).content.decode()
    assert "was created, but the alias alias/aws/mine was not" in page and "NotAuthorizedException" in page
    assert not key.aliases.exists()


def test_the_wizard_state_lives_in_the_session_not_the_database(client, learner, account):
    before = Key.objects.count()
    walk_to_review(client)
    assert Key.objects.count() == before
    assert client.session["console_key_wizard"]["alias"] == "alias/orders"


def test_switching_account_starts_the_wizard_again(client, learner):
    walk_to_review(client)
    account_b = learner.workspace.accounts.get(label="B")
    client.post("/context/", {"workspace": learner.workspace.pk, "account": account_b.pk})
    assert client.get("/keys/create/review/")["Location"] == "/keys/create/"


def test_wizard_posts_require_csrf(learner):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner.workspace.owner)
    assert strict.post("/keys/create/", {"key_type": "symmetric"}).status_code == 403


def test_the_wizard_requires_sign_in(client):
    assert client.get("/keys/create/")["Location"].startswith("/login/")


def test_markup_in_labels_is_escaped_on_the_review(client, learner):
    response = walk_to_review(client, labels={"description": "<script>alert(1)</script>"})
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
