"""Results (per student, CSV, JSON, class summary), closing a class (frozen workspaces,
credentials refused) and deleting the workspaces after the retention period."""

from __future__ import annotations

import csv
import io
import os
from datetime import timedelta

import pytest
from classroom_support import attempt_of, make_class, make_instructor, ready_student, student_identity
from django.test import Client
from django.utils import timezone

from kmsconsole.classroom.incidents import evaluate, inject_incident, open_outcomes
from kmsconsole.classroom.lifecycle import close_class, delete_expired_workspaces, is_frozen
from kmsconsole.classroom.models import IncidentKind
from kmsconsole.classroom.refresh import refresh_class
from kmsconsole.console.context import workspaces_for
from kmsconsole.iam.models import Workspace
from labs.format import get_lab
from labs.progress import reveal_next_hint, submit_quiz

PII_ALIAS = "alias/user-pii-key"


@pytest.fixture
def worked_class(orm, endpoint):
    """A class where "=Ada" met the limit, generated a data key, took a hint, answered
    the quiz and resolved a drill, while "Bob" did nothing."""
    teacher = make_instructor()
    classroom = make_class(teacher, name="Crypto, week 3")
    ada, bob = ready_student(classroom, "=Ada"), ready_student(classroom, "Bob")
    kms = student_identity(ada).client("kms", endpoint)
    with pytest.raises(kms.exceptions.ClientError):
        kms.encrypt(KeyId=PII_ALIAS, Plaintext=os.urandom(6144))
    kms.generate_data_key(KeyId=PII_ALIAS, KeySpec="AES_256")
    lab = get_lab("envelope-encryption")
    attempt = attempt_of(ada)
    reveal_next_hint(attempt, lab.steps[2])
    submit_quiz(attempt, lab, {index: [0] for index in range(len(lab.quiz))})
    inject_incident(classroom, IncidentKind.KEY_DISABLED)
    key_id = kms.describe_key(KeyId="alias/prod-orders")["KeyMetadata"]["KeyId"]
    kms.enable_key(KeyId=key_id)
    refresh_class(classroom)
    evaluate(open_outcomes(classroom))
    return teacher, classroom, ada, bob


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_export_has_a_row_per_student_with_steps_quiz_hints_and_drills(worked_class):
    teacher, classroom, _, _ = worked_class
    client = Client()
    client.force_login(teacher)

    response = client.get(f"/classes/{classroom.pk}/results.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="crypto-week-3-{classroom.join_code}-results.csv"' in response["Content-Disposition"]
    rows = {row["student"]: row for row in rows_of(response.content.decode())}
    ada, bob = rows["'=Ada"], rows["Bob"]  # a leading "=" cannot run as a spreadsheet formula
    assert (ada["steps_done"], ada["steps_total"], ada["hints"]) == ("2", "4", "1")
    assert ada["quiz_total"] == "5" and ada["quiz_score"].isdigit()
    assert (ada["incidents_injected"], ada["incidents_resolved"]) == ("1", "1")
    assert ada["mean_time_to_resolve_seconds"].isdigit()
    assert ada["envelope-encryption/meet-the-limit"] == "1" and ada["envelope-encryption/envelope-in-python"] == "0"
    assert (bob["steps_done"], bob["incidents_resolved"], bob["quiz_score"], bob["guest"]) == ("0", "0", "", "yes")


def test_the_json_export_and_summary_say_what_to_reteach(worked_class):
    teacher, classroom, _, _ = worked_class
    client = Client()
    client.force_login(teacher)

    document = client.get(f"/classes/{classroom.pk}/results.json").json()

    assert document["class"]["join_code"] == classroom.join_code
    completion = {item["step"]: item["done"] for item in document["summary"]["completion"]}
    assert completion["envelope-encryption/meet-the-limit"] == 1
    assert completion["envelope-encryption/generate-data-key"] == 1
    failing = document["summary"]["common_failed_checks"]
    assert failing[0]["students"] == 2 and failing[0]["example_reason"]
    assert document["summary"]["incidents_resolved"] == 1
    assert {s["student"] for s in document["students"]} == {"=Ada", "Bob"}
    page = client.get(f"/classes/{classroom.pk}/results/").content.decode()
    assert "Most common failed checks" in page and "1 / 2" in page


def test_closing_freezes_workspaces_refuses_credentials_and_keeps_results(worked_class, endpoint):
    teacher, classroom, ada, _ = worked_class
    kms = student_identity(ada).client("kms", endpoint)
    client = Client()
    client.force_login(teacher)

    closed = client.post(f"/classes/{classroom.pk}/close/", {"confirm": "on"}, follow=True)

    assert "Class closed: 2 workspace(s) frozen" in closed.content.decode()
    with pytest.raises(kms.exceptions.ClientError) as refused:
        kms.list_keys()
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
    ada.refresh_from_db()
    assert ada.frozen and is_frozen(ada.workspace)
    assert list(workspaces_for(ada.user)) == []  # the console no longer offers it
    student = Client()
    student.force_login(ada.user)
    assert b"read-only" in student.get(f"/classes/{classroom.pk}/my-workspace/").content
    rows = {row["student"]: row for row in rows_of(client.get(f"/classes/{classroom.pk}/results.csv").content.decode())}
    assert rows["'=Ada"]["steps_done"] == "2"


def test_closing_needs_confirmation(orm):
    teacher = make_instructor()
    classroom = make_class(teacher)
    client = Client()
    client.force_login(teacher)
    response = client.post(f"/classes/{classroom.pk}/close/", {}, follow=True)
    assert "Tick the box to confirm" in response.content.decode()
    classroom.refresh_from_db()
    assert classroom.is_open


def test_workspaces_are_deleted_after_the_retention_period_and_results_stay(orm):
    classroom = make_class(make_instructor(), retention_days=3)
    student = ready_student(classroom, "Leaver")
    workspace_id = student.workspace_id
    close_class(classroom)

    assert delete_expired_workspaces(now=timezone.now() + timedelta(days=2)) == 0
    assert delete_expired_workspaces(now=timezone.now() + timedelta(days=3, minutes=1)) == 1
    assert delete_expired_workspaces(now=timezone.now() + timedelta(days=4)) == 0

    assert not Workspace.objects.filter(pk=workspace_id).exists()
    student.refresh_from_db()
    assert student.workspace is None and student.results_snapshot["student"] == "Leaver"
