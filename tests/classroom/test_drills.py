"""Incident drills: injected as principals of each student's workspace (visible in their
audit trail), detected and resolved by the students through boto3."""

from __future__ import annotations

import json

import pytest
from classroom_support import Identity, make_class, make_instructor, ready_student, student_identity
from django.test import Client

from kmsconsole.classroom.board import build_board
from kmsconsole.classroom.drills import CONTRACTOR, SPIKE_DECRYPTS
from kmsconsole.classroom.incidents import evaluate, inject_incident, open_outcomes
from kmsconsole.classroom.models import IncidentKind, IncidentOutcome

PROD = "alias/prod-orders"


@pytest.fixture
def drill_class(orm):
    teacher = make_instructor()
    classroom = make_class(teacher)
    return teacher, classroom, ready_student(classroom, "Responder"), ready_student(classroom, "Bystander")


def outcome_of(injection, enrollment) -> IncidentOutcome:
    return IncidentOutcome.objects.get(injection=injection, enrollment=enrollment)


def events_named(identity, endpoint: str, name: str) -> list[dict]:
    trail = identity.client("cloudtrail", endpoint)
    found = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])
    return [json.loads(event["CloudTrailEvent"]) for event in found["Events"]]


def test_the_disabled_key_drill_is_detected_and_resolved_by_the_student(drill_class, endpoint):
    teacher, classroom, responder, bystander = drill_class
    injection = inject_incident(classroom, IncidentKind.KEY_DISABLED)
    me = student_identity(responder)
    kms = me.client("kms", endpoint)

    disabled = events_named(me, endpoint, "DisableKey")
    assert [event["userIdentity"]["userName"] for event in disabled] == ["ops-colleague"]
    assert disabled[0]["sourceIPAddress"] == "10.0.4.17"
    key = kms.describe_key(KeyId=PROD)["KeyMetadata"]
    assert key["KeyState"] == "Disabled"
    evaluate(open_outcomes(classroom))
    detected = outcome_of(injection, responder)
    assert detected.detected_at is not None and detected.resolved_at is None

    kms.enable_key(KeyId=key["KeyId"])
    assert evaluate(open_outcomes(classroom)) == 1

    resolved = outcome_of(injection, responder)
    assert resolved.detected_at <= resolved.resolved_at
    assert resolved.time_to_detect is not None and resolved.time_to_resolve >= resolved.time_to_detect
    untouched = outcome_of(injection, bystander)
    assert untouched.injected_at is not None and untouched.detected_at is None and untouched.resolved_at is None
    drills = {row.student.enrollment.display_name: row.outcomes for row in build_board(classroom).rows}
    assert drills["Responder"][0].resolved_at is not None and drills["Bystander"][0].resolved_at is None
    bystander_row = next(row for row in build_board(classroom).rows if row.student.enrollment == bystander)
    assert bystander_row.student.last_activity is None  # the drill's own calls are not the student's activity


def test_the_decrypt_spike_comes_from_an_unknown_contractor_until_their_key_is_disabled(drill_class, endpoint):
    _, classroom, responder, _ = drill_class
    injection = inject_incident(classroom, IncidentKind.DECRYPT_SPIKE, enrollment_ids=[responder.pk])
    me = student_identity(responder)

    decrypts = events_named(me, endpoint, "Decrypt")
    by_contractor = [e for e in decrypts if e["userIdentity"].get("userName") == CONTRACTOR]
    assert len(by_contractor) == SPIKE_DECRYPTS
    assert {e["sourceIPAddress"] for e in by_contractor} == {"203.0.113.45"}
    assert not any("errorCode" in e for e in by_contractor)  # the contractor really decrypts
    created = events_named(me, endpoint, "CreateUser")
    assert created[0]["userIdentity"]["userName"] == "ops-colleague"
    assert injection.outcomes.count() == 1  # only the chosen student

    iam = me.client("iam", endpoint)
    contractor_key = iam.list_access_keys(UserName=CONTRACTOR)["AccessKeyMetadata"][0]["AccessKeyId"]
    evaluate(open_outcomes(classroom))
    assert outcome_of(injection, responder).detected_at is not None
    assert outcome_of(injection, responder).resolved_at is None

    iam.update_access_key(UserName=CONTRACTOR, AccessKeyId=contractor_key, Status="Inactive")
    evaluate(open_outcomes(classroom))
    assert outcome_of(injection, responder).resolved_at is not None


def test_the_pending_deletion_drill_needs_cancel_and_enable(drill_class, endpoint):
    _, classroom, responder, _ = drill_class
    injection = inject_incident(classroom, IncidentKind.PENDING_DELETION)
    kms = student_identity(responder).client("kms", endpoint)
    key_id = kms.describe_key(KeyId=PROD)["KeyMetadata"]["KeyId"]

    kms.cancel_key_deletion(KeyId=key_id)
    evaluate(open_outcomes(classroom))
    assert outcome_of(injection, responder).resolved_at is None  # cancelling leaves it disabled

    kms.enable_key(KeyId=key_id)
    evaluate(open_outcomes(classroom))
    assert outcome_of(injection, responder).resolved_at is not None


def test_the_unknown_grant_drill_is_resolved_by_revoking_the_grant(drill_class, endpoint):
    _, classroom, responder, _ = drill_class
    injection = inject_incident(classroom, IncidentKind.UNKNOWN_GRANT)
    kms = student_identity(responder).client("kms", endpoint)
    key_id = kms.describe_key(KeyId=PROD)["KeyMetadata"]["KeyId"]
    grants = kms.list_grants(KeyId=key_id)["Grants"]
    assert [g["Name"] for g in grants] == ["temp-sync"]
    assert ":user/partner-sync" in grants[0]["GranteePrincipal"]
    assert grants[0]["GranteePrincipal"].split(":")[4] != student_identity(responder).account_id

    kms.revoke_grant(KeyId=key_id, GrantId=grants[0]["GrantId"])
    evaluate(open_outcomes(classroom))
    assert outcome_of(injection, responder).resolved_at is not None


def test_the_policy_drill_is_resolved_when_the_application_role_may_decrypt_again(drill_class, endpoint):
    _, classroom, responder, _ = drill_class
    injection = inject_incident(classroom, IncidentKind.POLICY_DENIES_APP)
    kms = student_identity(responder).client("kms", endpoint)
    key_id = kms.describe_key(KeyId=PROD)["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny and deny[0]["Principal"]["AWS"].endswith(":role/orders-app")

    policy["Statement"] = [s for s in policy["Statement"] if s["Effect"] != "Deny"]
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    evaluate(open_outcomes(classroom))
    assert outcome_of(injection, responder).resolved_at is not None


def test_a_drill_that_a_workspace_cannot_take_is_recorded_without_holding_back_the_others(drill_class, endpoint):
    _, classroom, responder, bystander = drill_class
    inject_incident(classroom, IncidentKind.PENDING_DELETION, enrollment_ids=[responder.pk])
    injection = inject_incident(classroom, IncidentKind.UNKNOWN_GRANT)
    assert "is pending deletion" in outcome_of(injection, responder).error
    assert outcome_of(injection, bystander).error == ""
    assert outcome_of(injection, bystander).injected_at is not None


def test_the_instructor_injects_from_the_drills_page_and_sees_each_student(drill_class):
    teacher, classroom, responder, _ = drill_class
    client = Client()
    client.force_login(teacher)
    response = client.post(f"/classes/{classroom.pk}/incidents/", {"kind": "key-disabled"}, follow=True)
    page = response.content.decode()
    assert "A key in production is disabled: injected into 2 workspace(s)." in page
    assert page.count('<span class="badge warn">open</span>') == 2
    board = client.get(f"/classes/{classroom.pk}/board/", HTTP_HX_REQUEST="true").content.decode()
    assert "Drill 1" in board and board.count("open</span>") == 2


def test_the_instructor_sees_a_students_denied_call_explained(drill_class, endpoint):
    teacher, classroom, responder, _ = drill_class
    iam = student_identity(responder).client("iam", endpoint)
    iam.create_user(UserName="intern")
    created = iam.create_access_key(UserName="intern")["AccessKey"]
    intern = Identity(student_identity(responder).account_id, "", created["AccessKeyId"], created["SecretAccessKey"])
    kms = intern.client("kms", endpoint)
    with pytest.raises(kms.exceptions.ClientError):
        kms.describe_key(KeyId="alias/user-pii-key")
    client = Client()
    client.force_login(teacher)

    page = client.get(f"/classes/{classroom.pk}/students/{responder.pk}/").content.decode()

    assert "Why it was denied" in page and ":user/intern" in page
    assert "AccessDeniedException" in page
