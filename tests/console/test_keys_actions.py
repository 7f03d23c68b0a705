"""Key actions: enable, disable, schedule and cancel deletion, description, key policy."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from kmsconsole.audit.models import Event
from kmsconsole.kms.models import Key
from kmsconsole.kms.operations.lifecycle import create_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_id(root):
    return create_key(root, {"Description": "Order data"})["KeyMetadata"]["KeyId"]


def state_of(key_id):
    return Key.objects.get(key_id=key_id).key_state


def test_disable_and_enable_change_the_state_and_redirect_to_the_page(client, key_id):
    response = client.post(f"/keys/{key_id}/disable/", {"tab": "general"})
    assert response.status_code == 302 and response["Location"] == f"/keys/{key_id}/"
    assert state_of(key_id) == "Disabled"
    assert "The key is disabled" in client.get(response["Location"]).content.decode()
    client.post(f"/keys/{key_id}/enable/", {"tab": "tags"})
    assert state_of(key_id) == "Enabled"


def test_with_htmx_an_action_answers_the_refreshed_key_fragment(client, key_id):
    response = client.post(f"/keys/{key_id}/disable/", {"tab": "policy"}, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.lstrip().startswith('<div id="key-page">')
    assert "The key is disabled" in fragment and '<span class="badge muted">Disabled</span>' in fragment
    assert 'aria-selected="true">Key policy' in fragment


def test_the_header_offers_the_actions_the_state_allows(client, key_id):
    enabled = client.get(f"/keys/{key_id}/").content.decode()
    assert f'action="/keys/{key_id}/disable/"' in enabled and f'action="/keys/{key_id}/enable/"' not in enabled
    client.post(f"/keys/{key_id}/schedule-deletion/", {"pending_window_days": 7, "confirmation": "delete"})
    pending = client.get(f"/keys/{key_id}/").content.decode()
    assert f'action="/keys/{key_id}/cancel-deletion/"' in pending and "Schedule key deletion" not in pending


def test_schedule_deletion_needs_the_typed_confirmation(client, key_id):
    response = client.post(f"/keys/{key_id}/schedule-deletion/", {"pending_window_days": 7, "confirmation": "yes"})
    assert response.status_code == 200
    assert "Type &quot;delete&quot; to confirm the deletion." in response.content.decode()
    assert state_of(key_id) == "Enabled"


def test_schedule_deletion_shows_the_date_kms_answered(client, learner, key_id):
    page = client.get(f"/keys/{key_id}/schedule-deletion/").content.decode()
    assert "Waiting period" in page and "cannot be undone" in page
    response = client.post(f"/keys/{key_id}/schedule-deletion/", {"pending_window_days": 7, "confirmation": "delete"})
    key = Key.objects.get(key_id=key_id)
    assert key.key_state == "PendingDeletion"
    assert key.deletion_date - learner.workspace.now() < timedelta(days=7, minutes=1)
    followed = client.get(response["Location"]).content.decode()
    assert f"KMS deletes it on {key.deletion_date:%Y-%m-%d %H:%M} UTC, 7 days from now" in followed
    assert "Scheduled for deletion on" in followed


def test_a_window_outside_7_to_30_days_gets_the_operations_message(client, key_id):
    response = client.post(f"/keys/{key_id}/schedule-deletion/", {"pending_window_days": 3, "confirmation": "delete"})
    assert response.status_code == 200
    assert "ValidationException: PendingWindowInDays must be between 7 and 30" in response.content.decode()
    assert state_of(key_id) == "Enabled"


def test_cancelling_deletion_leaves_the_key_disabled(client, key_id):
    client.post(f"/keys/{key_id}/schedule-deletion/", {"pending_window_days": 30, "confirmation": "delete"})
    response = client.post(f"/keys/{key_id}/cancel-deletion/")
    assert response.status_code == 302 and state_of(key_id) == "Disabled"
    assert "Disabled until you enable it again" in client.get(response["Location"]).content.decode()


def test_state_errors_are_shown_with_awss_message(client, key_id):
    client.post(f"/keys/{key_id}/schedule-deletion/", {"pending_window_days": 7, "confirmation": "delete"})
    response = client.post(f"/keys/{key_id}/enable/")
    assert response.status_code == 200
    key_arn = Key.objects.get(key_id=key_id).arn
    assert f"KMSInvalidStateException: {key_arn} is pending deletion." in response.content.decode()
    again = client.post(f"/keys/{key_id}/cancel-deletion/")
    assert again.status_code == 302
    assert f"{key_arn} is not pending deletion." in client.post(f"/keys/{key_id}/cancel-deletion/").content.decode()


def test_the_description_is_saved_through_updatekeydescription(client, key_id):
    response = client.post(f"/keys/{key_id}/description/", {"description": "Invoices"})
    assert response.status_code == 302 and Key.objects.get(key_id=key_id).description == "Invoices"


def test_a_description_over_8192_characters_gets_the_validation_message(client, key_id):
    response = client.post(f"/keys/{key_id}/description/", {"description": "x" * 8193})
    assert response.status_code == 200
    assert "Member must have length less than or equal to 8192" in response.content.decode()


def test_the_policy_editor_saves_with_putkeypolicy(client, root, key_id):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Admins",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    response = client.post(f"/keys/{key_id}/policy/", {"policy": json.dumps(policy)})
    assert response.status_code == 302 and response["Location"] == f"/keys/{key_id}/?tab=policy"
    assert json.loads(Key.objects.get(key_id=key_id).policy)["Statement"][0]["Sid"] == "Admins"


def test_a_malformed_policy_is_refused_inline_with_the_explanation(client, key_id):
    response = client.post(f"/keys/{key_id}/policy/", {"policy": '{"Statement": {"Effect": "Maybe"}}'})
    page = response.content.decode()
    assert response.status_code == 200 and "MalformedPolicyDocumentException" in page
    assert "Effect must be Allow or Deny" in page
    assert "Maybe" in page  # the edited text is shown again


def test_a_policy_that_would_lock_the_principal_out_is_refused(client, key_id):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    response = client.post(f"/keys/{key_id}/policy/", {"policy": json.dumps(policy)})
    assert "The new key policy will not allow you to update the key policy in the future." in response.content.decode()


def test_a_policy_denying_the_principal_makes_the_next_action_access_denied(client, root, key_id):
    key_arn = Key.objects.get(key_id=key_id).arn
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
                "Sid": "NoDisabling",
                "Effect": "Deny",
                "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:root"},
                "Action": "kms:DisableKey",
                "Resource": "*",
            },
        ],
    }
    assert client.post(f"/keys/{key_id}/policy/", {"policy": json.dumps(policy)}).status_code == 302
    response = client.post(f"/keys/{key_id}/disable/")
    assert response.status_code == 200
    assert (
        f"AccessDeniedException: User: {root.arn} is not authorized to perform: kms:DisableKey on resource: "
        f"{key_arn} with an explicit deny in a resource-based policy"
    ) in response.content.decode()
    assert state_of(key_id) == "Enabled"
    denial = Event.objects.filter(event_name="DisableKey", error_code="AccessDeniedException").latest("id")
    assert f'href="/events/{denial.event_id}/">Why was this denied?' in response.content.decode()


@pytest.mark.parametrize(
    "action", ["enable", "disable", "cancel-deletion", "schedule-deletion", "description", "policy"]
)
def test_every_action_requires_csrf(learner, key_id, action):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner.workspace.owner)
    assert strict.post(f"/keys/{key_id}/{action}/", {"description": "x"}).status_code == 403


@pytest.mark.parametrize("action", ["enable", "disable", "cancel-deletion", "description", "policy"])
def test_actions_are_post_only(client, key_id, action):
    assert client.get(f"/keys/{key_id}/{action}/").status_code == 405


def test_actions_require_sign_in(key_id):
    response = Client().post(f"/keys/{key_id}/disable/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert state_of(key_id) == "Enabled"
