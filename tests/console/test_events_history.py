"""Event history: the workspace's audit trail in the console, filtered, paged by keyset,
each event's CloudTrail JSON, and denials explained in plain language."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kmsconsole.audit.models import Event
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.provisioning import create_workspace
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


def call(caller, name, request=None):
    return find("kms", name)(caller, request or {})


def table(response):
    """The event table of a history page (the filter form above it suggests names too)."""
    return response.content.decode().split('id="event-table"', 1)[1]


def denied_cross_account_encrypt(world):
    """Account B's admin tries A's key, whose default policy names only A's root."""
    key_arn = call(admin_of(world), "CreateKey")["KeyMetadata"]["Arn"]
    with pytest.raises(Exception, match="not authorized"):
        call(admin_of(world, "B"), "Encrypt", {"KeyId": key_arn, "Plaintext": b"hi"})
    return key_arn


def test_the_history_lists_the_workspaces_events_newest_first(client, world):
    caller = admin_of(world)
    call(caller, "CreateKey", {"Description": "first"})
    call(caller, "ListKeys")
    response = client.get("/events/")
    assert response.status_code == 200
    body = table(response)
    assert body.index("ListKeys") < body.index("CreateKey")
    assert caller.arn in body


def test_it_filters_by_event_name_principal_key_and_error(client, world):
    key_arn = denied_cross_account_encrypt(world)
    call(admin_of(world), "DescribeKey", {"KeyId": key_arn})
    call(admin_of(world), "ListKeys")
    by_name = table(client.get("/events/", {"event_name": "DescribeKey"}))
    assert "DescribeKey" in by_name and "ListKeys" not in by_name
    by_principal = table(client.get("/events/", {"principal": admin_of(world, "B").arn}))
    assert "Encrypt" in by_principal and "DescribeKey" not in by_principal
    key_id = key_arn.rsplit("/", 1)[1]
    by_key = table(client.get("/events/", {"key": key_id}))
    assert "DescribeKey" in by_key and "ListKeys" not in by_key
    by_error = table(client.get("/events/", {"error_code": "AccessDeniedException"}))
    assert "Encrypt" in by_error and "DescribeKey" not in by_error
    only_errors = table(client.get("/events/", {"only_errors": "on"}))
    assert "AccessDeniedException" in only_errors and "CreateKey" not in only_errors


def test_it_filters_by_time_range_in_utc(client, world):
    call(admin_of(world), "ListKeys")
    event = Event.objects.get(workspace=world.workspace, event_name="ListKeys")
    before = (event.event_time - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    after = (event.event_time + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    assert "ListKeys" in table(client.get("/events/", {"start": before, "end": after}))
    assert "ListKeys" not in table(client.get("/events/", {"start": after}))
    backwards = client.get("/events/", {"start": after, "end": before})
    assert backwards.status_code == 200
    assert "The end of the range is before its start." in backwards.content.decode()


def test_a_denied_call_is_explained_in_plain_language(client, world):
    denied_cross_account_encrypt(world)
    caller_arn = admin_of(world, "B").arn
    body = client.get("/events/").content.decode()
    assert (
        f"The key policy has no statement that allows {caller_arn} to call kms:Encrypt; "
        "an identity-based policy allows it; a cross-account call needs both."
    ) in body
    event = Event.objects.get(workspace=world.workspace, event_name="Encrypt")
    detail = client.get(f"/events/{event.event_id}/").content.decode()
    assert "Why it was denied" in detail
    assert "Enable IAM User Permissions" in detail  # the key policy's statement, in the table
    assert f"Principal {caller_arn} is not arn:aws:iam::{admin_of(world).account_id}:root" in detail
    assert "✗" in detail and "✓" in detail  # the identity policy matched, the key policy did not


def test_an_allowed_call_shows_why_it_was_allowed(client, world):
    key_arn = call(admin_of(world), "CreateKey")["KeyMetadata"]["Arn"]
    call(admin_of(world), "Encrypt", {"KeyId": key_arn, "Plaintext": b"x"})
    event = Event.objects.get(workspace=world.workspace, event_name="Encrypt")
    detail = client.get(f"/events/{event.event_id}/").content.decode()
    assert "Why it was allowed" in detail
    assert "delegates it to IAM" in detail


def test_each_event_has_its_json_on_its_own_page_and_as_a_fragment(client, world):
    call(admin_of(world), "CreateKey", {"Description": "json please"})
    event = Event.objects.get(workspace=world.workspace, event_name="CreateKey")
    page = client.get(f"/events/{event.event_id}/")
    assert page.status_code == 200
    assert "<html" in page.content.decode()
    assert "&quot;description&quot;: &quot;json please&quot;" in page.content.decode()
    assert f"&quot;eventID&quot;: &quot;{event.event_id}&quot;" in page.content.decode()
    fragment = client.get(f"/events/{event.event_id}/", headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()
    assert "CloudTrail record (JSON)" in fragment.content.decode()


def test_script_in_a_description_is_escaped(client, world):
    call(admin_of(world), "CreateKey", {"Description": "<script>alert(1)</script>"})
    event = Event.objects.get(workspace=world.workspace, event_name="CreateKey")
    body = client.get(f"/events/{event.event_id}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_another_workspaces_event_is_not_found(client, world):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    call(Caller(principal=stranger.accounts[0].admin, region="us-east-1"), "ListKeys")
    foreign = Event.objects.get(workspace=stranger.workspace)
    assert client.get(f"/events/{foreign.event_id}/").status_code == 404
    assert foreign.event_id not in client.get("/events/").content.decode()
    assert foreign.event_id not in client.get("/events/", {"before": foreign.pk + 1}).content.decode()


def _bulk_events(world, count):
    now = world.workspace.now()
    Event.objects.bulk_create(
        Event(
            workspace=world.workspace,
            event_id=str(uuid.uuid4()),
            event_time=now - timedelta(seconds=index),
            event_name="Decrypt" if index % 2 else "Encrypt",
            event_source="kms.amazonaws.com",
            region="us-east-1",
            account_id=world.accounts[0].account.account_id,
            principal_arn=world.accounts[0].admin.arn,
            error_code="AccessDeniedException" if index % 5 == 0 else "",
            record={"eventName": "Encrypt", "n": index},
            trace=[
                {
                    "source": "decision",
                    "allowed": index % 5 != 0,
                    "action": "kms:Encrypt",
                    "resource": "k",
                    "reason": "r",
                }
            ],
        )
        for index in range(count)
    )


def test_pages_follow_the_keyset_without_gaps_or_repeats(client, world):
    _bulk_events(world, 120)
    seen, url, params = [], "/events/", {}
    while True:
        response = client.get(url, params)
        seen.extend(row.event.event_id for row in response.context["rows"])
        marker = response.context["next_before"]
        if marker is None:
            break
        params = {"before": marker}
    assert len(seen) == len(set(seen)) == 120
    newest_first = list(
        Event.objects.filter(workspace=world.workspace)
        .order_by("-event_time", "-id")
        .values_list("event_id", flat=True)
    )
    assert seen == newest_first


@pytest.mark.parametrize("filters", [{}, {"only_errors": "on"}, {"event_name": "Decrypt"}])
def test_the_query_count_stays_flat_as_events_grow(client, world, django_assert_max_num_queries, filters):
    _bulk_events(world, 30)
    with django_assert_max_num_queries(12) as small:
        client.get("/events/", filters)
    _bulk_events(world, 600)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/events/", filters)
    assert len(response.context["rows"]) == 50


def test_the_history_requires_sign_in():
    anonymous = Client()
    assert anonymous.get("/events/").status_code == 302
    assert anonymous.get(f"/events/{uuid.uuid4()}/").status_code == 302
