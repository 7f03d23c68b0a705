"""Compliance rules in the console: verdicts, non-compliant keys, the timeline; and the
notification inbox with its mark-read actions, scoped to the workspace."""

import json
import uuid

import pytest
from django.test import Client

from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import Principal
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.operations import find
from kmsconsole.monitoring.compliance import NO_PUBLIC_ACCESS, ROTATION_ENABLED
from kmsconsole.monitoring.models import Notification, NotificationKind
from kmsconsole.monitoring.notifications import notify

pytestmark = pytest.mark.django_db


def admin_of(provisioned, label="A"):
    account = next(item for item in provisioned.accounts if item.account.label == label)
    return Caller(principal=Principal.objects.get(pk=account.admin.pk), region="us-east-1")


def call(caller, name, request=None):
    return find("kms", name)(caller, request or {})


def public_policy(account_id):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                 "Action": "kms:*", "Resource": "*"},
                {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
            ],
        }
    )  # fmt: skip


def test_re_evaluating_finds_a_key_without_rotation_and_the_rule_page_lists_it(client, learner):
    key = call(admin_of(learner), "CreateKey")["KeyMetadata"]
    response = client.post("/monitoring/compliance/evaluate/", follow=True)
    page = response.content.decode()
    assert "Rules evaluated:" in page
    assert f'href="/monitoring/compliance/{ROTATION_ENABLED}/"' in page
    assert '<span class="badge danger">NON_COMPLIANT</span>' in page

    rule = client.get(f"/monitoring/compliance/{ROTATION_ENABLED}/").content.decode()
    failing = rule.split("Non-compliant keys", 1)[1].split("</section>", 1)[0]
    assert key["Arn"] in failing
    assert f'href="/keys/{key["KeyId"]}/"' in failing
    assert "Automatic key rotation is not enabled." in failing
    timeline = rule.split('id="timeline-heading"', 1)[1]
    assert 'first result → <span class="badge danger">NON_COMPLIANT</span>' in timeline


def test_a_fixed_key_leaves_the_list_and_the_timeline_shows_the_change(
    client, learner, django_capture_on_commit_callbacks
):
    admin = admin_of(learner)
    with django_capture_on_commit_callbacks(execute=True):
        key_id = call(admin, "CreateKey")["KeyMetadata"]["KeyId"]
    with django_capture_on_commit_callbacks(execute=True):
        call(admin, "EnableKeyRotation", {"KeyId": key_id})
    rule = client.get(f"/monitoring/compliance/{ROTATION_ENABLED}/").content.decode()
    assert "No key fails this rule." in rule
    assert 'NON_COMPLIANT → <span class="badge ok">COMPLIANT</span>' in rule


def test_a_policy_open_to_everyone_fails_the_public_access_rule(client, learner, django_capture_on_commit_callbacks):
    admin = admin_of(learner)
    with django_capture_on_commit_callbacks(execute=True):
        key = call(admin, "CreateKey", {"Policy": public_policy(admin.account_id)})["KeyMetadata"]
    rule = client.get(f"/monitoring/compliance/{NO_PUBLIC_ACCESS}/").content.decode()
    assert key["Arn"] in rule.split("Non-compliant keys", 1)[1].split("</section>", 1)[0]
    assert "allows kms:* to every principal" in rule


def test_an_unknown_rule_is_not_found(client, learner):
    assert client.get("/monitoring/compliance/no-such-rule/").status_code == 404


def test_another_workspaces_results_are_not_shown(client, learner):
    other = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    theirs = call(admin_of(other), "CreateKey")["KeyMetadata"]["Arn"]
    client.post("/monitoring/compliance/evaluate/")
    assert theirs not in client.get(f"/monitoring/compliance/{ROTATION_ENABLED}/").content.decode()
    assert theirs not in client.get("/monitoring/", {"tab": "compliance"}).content.decode()


# The inbox.


def notice(workspace, subject="Key rotated: arn:aws:kms:us-east-1:111122223333:key/x"):
    return notify(workspace.pk, NotificationKind.KEY_ROTATED, subject, {"keyArn": "x"}, at=workspace.now())


def test_a_scheduled_deletion_arrives_in_the_inbox_unread(client, learner, django_capture_on_commit_callbacks):
    admin = admin_of(learner)
    key_id = call(admin, "CreateKey")["KeyMetadata"]["KeyId"]
    with django_capture_on_commit_callbacks(execute=True):
        call(admin, "ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
    page = client.get("/monitoring/", {"tab": "inbox"}).content.decode()
    assert "Key scheduled for deletion:" in page
    assert '<span class="badge warn">unread</span>' in page
    unread = Notification.objects.filter(workspace=learner.workspace, read_at__isnull=True).count()
    assert f'<span class="badge warn">{unread} unread</span>' in page.split('class="tabs"', 1)[1]


def test_marking_one_notification_read(client, learner):
    first, second = notice(learner.workspace), notice(learner.workspace)
    response = client.post("/monitoring/inbox/read/", {"notification": first.pk})
    assert response.status_code == 302
    assert response["Location"] == "/monitoring/?tab=inbox"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_marking_all_read_with_htmx_returns_the_inbox(client, learner):
    notice(learner.workspace)
    notice(learner.workspace)
    response = client.post("/monitoring/inbox/read/", {"all": "1"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="monitoring-tab">')
    assert "unread" not in body.split('id="inbox-heading"', 1)[1]
    assert not Notification.objects.filter(workspace=learner.workspace, read_at__isnull=True).exists()


def test_another_workspaces_notification_cannot_be_marked_read(client, learner):
    other = create_workspace(f"other-{uuid.uuid4().hex[:8]}").workspace
    theirs = notice(other, subject="theirs")
    client.post("/monitoring/inbox/read/", {"notification": theirs.pk})
    client.post("/monitoring/inbox/read/", {"all": "1"})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "theirs" not in client.get("/monitoring/", {"tab": "inbox"}).content.decode()


def test_script_in_a_notification_subject_is_escaped(client, learner):
    notice(learner.workspace, subject="<script>alert(1)</script>")
    page = client.get("/monitoring/", {"tab": "inbox"}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("url", ["/monitoring/inbox/read/", "/monitoring/compliance/evaluate/"])
def test_inbox_and_compliance_forms_require_csrf(learner, url):
    item = notice(learner.workspace)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner.user)
    assert strict.post(url, {"all": "1"}).status_code == 403
    item.refresh_from_db()
    assert item.read_at is None


def test_the_inbox_query_count_stays_flat(client, learner, django_assert_max_num_queries):
    for _ in range(2):
        notice(learner.workspace)
    with django_assert_max_num_queries(20) as small:
        client.get("/monitoring/", {"tab": "inbox"})
    for _ in range(30):
        notice(learner.workspace)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/monitoring/", {"tab": "inbox"})
