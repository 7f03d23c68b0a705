"""Monitoring in the console: alarms created from the guide's templates or from scratch,
their state, history and chart, evaluation and deletion, scoped to the workspace."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client

from kmsconsole.iam.callers import Caller
from kmsconsole.iam.clock import move_clock
from kmsconsole.iam.models import Principal
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.operations import find
from kmsconsole.monitoring.alarms import create_alarm_from_template
from kmsconsole.monitoring.metrics import period_start
from kmsconsole.monitoring.models import Alarm, AlarmState

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(learner):
    """The shared learner, with the clock one second past a 5-minute boundary, so that a
    test's calls fall in one period."""
    now = learner.workspace.now()
    move_clock(learner.workspace, period_start(now, 300) + timedelta(seconds=301) - now)
    return learner


def admin_of(provisioned, label="A"):
    account = next(item for item in provisioned.accounts if item.account.label == label)
    return Caller(principal=Principal.objects.get(pk=account.admin.pk), region="us-east-1")


def call(caller, name, request=None):
    return find("kms", name)(caller, request or {})


def template_post(**fields):
    return {"source": "template", "template": "decrypt-spike", "threshold": "", "key": "", **fields}


def scratch_post(**fields):
    defaults = {
        "source": "scratch", "name": "many-encrypts", "description": "", "event_name": "Encrypt", "key": "",
        "principal_arn": "", "calls": "all", "comparison_operator": "GreaterThanOrEqualToThreshold", "threshold": "3",
        "period_seconds": "300", "evaluation_periods": "1", "datapoints_to_alarm": "",
        "treat_missing_data": "notBreaching",
    }  # fmt: skip
    return {**defaults, **fields}


def test_the_alarms_tab_lists_the_workspaces_alarms_with_their_state(client, learner):
    create_alarm_from_template(learner.workspace, "disable-key")
    response = client.get("/monitoring/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "KMS-DisableKey" in page
    assert '<span class="badge muted">INSUFFICIENT_DATA</span>' in page
    assert "DisableKey calls" in page
    assert "Sum ≥ 1 in 1 period of 5 min; missing data: notBreaching" in page


def test_creating_an_alarm_from_a_template_with_a_key_id_watches_that_keys_arn(client, learner):
    key = call(admin_of(learner), "CreateKey")["KeyMetadata"]
    response = client.post("/monitoring/alarms/new/", template_post(threshold="5", key=key["KeyId"]))
    alarm = Alarm.objects.get(workspace=learner.workspace, name="KMS-DecryptSpike")
    assert response.status_code == 302
    assert response["Location"] == f"/monitoring/alarms/{alarm.pk}/"
    assert (alarm.threshold, alarm.key_arn, alarm.template) == (5.0, key["Arn"], "decrypt-spike")


def test_creating_an_alarm_from_scratch(client, learner):
    response = client.post("/monitoring/alarms/new/", scratch_post(calls="denials", datapoints_to_alarm="1"))
    assert response.status_code == 302
    alarm = Alarm.objects.get(workspace=learner.workspace, name="many-encrypts")
    assert alarm.denials_only and alarm.event_name == "Encrypt" and alarm.datapoints_to_alarm == 1


def test_the_monitoring_apis_message_is_shown_for_a_bad_period(client, learner):
    response = client.post("/monitoring/alarms/new/", scratch_post(period_seconds="90"))
    assert response.status_code == 200
    assert "Period must be a multiple of 60 seconds (metrics have one-minute resolution), not 90." in (
        response.content.decode()
    )
    assert not Alarm.objects.filter(workspace=learner.workspace).exists()


def test_a_template_can_prefill_the_scratch_form(client, learner):
    page = client.get("/monitoring/alarms/new/", {"from": "access-denied-burst"}).content.decode()
    assert 'value="KMS-AccessDeniedBurst"' in page
    assert '<option value="denials" selected>' in page


def test_an_alarm_goes_to_alarm_with_history_and_a_breaching_bar(client, learner):
    client.post("/monitoring/alarms/new/", template_post(threshold="2"))
    alarm = Alarm.objects.get(workspace=learner.workspace)
    admin = admin_of(learner)
    key_id = call(admin, "CreateKey")["KeyMetadata"]["KeyId"]
    blob = call(admin, "Encrypt", {"KeyId": key_id, "Plaintext": b"x"})["CiphertextBlob"]
    for _ in range(3):
        call(admin, "Decrypt", {"CiphertextBlob": blob})
    move_clock(learner.workspace, timedelta(minutes=5))

    evaluated = client.post("/monitoring/alarms/evaluate/", follow=True)
    assert "1 alarm evaluated: KMS-DecryptSpike changed state." in evaluated.content.decode()

    alarm.refresh_from_db()
    assert alarm.state == AlarmState.ALARM
    page = client.get(f"/monitoring/alarms/{alarm.pk}/").content.decode()
    assert '<span class="badge danger" id="alarm-state">ALARM</span>' in page
    assert 'INSUFFICIENT_DATA → <span class="badge danger">ALARM</span>' in page
    assert "Threshold Crossed: 1 datapoint [3.0 (" in page
    assert '<rect class="bar breaching"' in page
    assert '<line class="threshold"' in page
    assert "threshold 2" in page
    assert '<line class="marker alarm"' in page


def test_the_chart_ranges_and_htmx_fragment(client, learner):
    alarm = create_alarm_from_template(learner.workspace, "decrypt-spike")
    for name in ("recent", "day", "week"):
        response = client.get(f"/monitoring/alarms/{alarm.pk}/", {"range": name}, headers={"HX-Request": "true"})
        body = response.content.decode()
        assert body.lstrip().startswith('<section class="panel" id="alarm-chart"')
        assert "threshold 50" in body
    week = client.get(f"/monitoring/alarms/{alarm.pk}/", {"range": "week"}).content.decode()
    assert "highest Sum of one 5 min period within" in week


def test_deleting_an_alarm(client, learner):
    alarm = create_alarm_from_template(learner.workspace, "disable-key")
    response = client.post(f"/monitoring/alarms/{alarm.pk}/delete/", follow=True)
    assert "Alarm “KMS-DisableKey” deleted." in response.content.decode()
    assert not Alarm.objects.filter(pk=alarm.pk).exists()


def test_another_workspaces_alarm_cannot_be_seen_or_deleted_by_editing_the_url(client, learner):
    other = create_workspace(f"other-{uuid.uuid4().hex[:8]}").workspace
    theirs = create_alarm_from_template(other, "disable-key")
    assert client.get(f"/monitoring/alarms/{theirs.pk}/").status_code == 404
    assert client.post(f"/monitoring/alarms/{theirs.pk}/delete/").status_code == 404
    assert Alarm.objects.filter(pk=theirs.pk).exists()
    assert "KMS-DisableKey" not in client.get("/monitoring/").content.decode()


def test_evaluating_touches_only_the_console_workspace(client, learner):
    other = create_workspace(f"other-{uuid.uuid4().hex[:8]}").workspace
    theirs = create_alarm_from_template(other, "disable-key")
    move_clock(other, timedelta(minutes=10))
    client.post("/monitoring/alarms/evaluate/")
    theirs.refresh_from_db()
    assert theirs.state == AlarmState.INSUFFICIENT_DATA


def test_script_in_an_alarm_name_and_description_is_escaped(client, learner):
    client.post(
        "/monitoring/alarms/new/", scratch_post(name="<script>alert(1)</script>", description="<script>x</script>")
    )
    alarm = Alarm.objects.get(workspace=learner.workspace)
    for url in ("/monitoring/", f"/monitoring/alarms/{alarm.pk}/"):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "url", ["/monitoring/alarms/new/", "/monitoring/alarms/evaluate/", "/monitoring/alarms/{pk}/delete/"]
)
def test_every_alarm_form_requires_csrf(learner, url):
    alarm = create_alarm_from_template(learner.workspace, "disable-key")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner.user)
    assert strict.post(url.format(pk=alarm.pk), template_post()).status_code == 403
    assert Alarm.objects.filter(workspace=learner.workspace).count() == 1


@pytest.mark.parametrize("url", ["/monitoring/", "/monitoring/alarms/new/", "/monitoring/alarms/1/"])
def test_monitoring_pages_require_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_state_changes_cannot_be_made_with_get(client, learner):
    alarm = create_alarm_from_template(learner.workspace, "disable-key")
    assert client.get(f"/monitoring/alarms/{alarm.pk}/delete/").status_code == 405
    assert client.get("/monitoring/alarms/evaluate/").status_code == 405


def test_the_alarm_list_query_count_stays_flat(client, learner, django_assert_max_num_queries):
    for number in range(2):
        create_alarm_from_template(learner.workspace, "disable-key", name=f"small-{number}")
    with django_assert_max_num_queries(20) as small:
        client.get("/monitoring/")
    for number in range(20):
        create_alarm_from_template(learner.workspace, "disable-key", name=f"many-{number}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/monitoring/")
