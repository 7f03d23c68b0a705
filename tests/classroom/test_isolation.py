"""Isolation: a student never sees or acts on another student's workspace, through the
API (boto3 with their own credentials) or the console (editing URLs); an instructor
sees only their own classes."""

from __future__ import annotations

import pytest
from classroom_support import attempt_of, make_class, make_instructor, ready_student, student_identity
from django.test import Client

from kmsconsole.kms.models import Key


@pytest.fixture
def two_students(orm):
    teacher = make_instructor()
    classroom = make_class(teacher, name="Alice and Mallory's class")
    return teacher, classroom, ready_student(classroom, "Alice"), ready_student(classroom, "Mallory")


def pii_key(enrollment) -> dict:
    return attempt_of(enrollment).refs["keys"]["pii-key"]


def test_a_students_credentials_cannot_reach_another_students_key(two_students, endpoint):
    _, _, alice, mallory = two_students
    victim = pii_key(alice)
    kms = student_identity(mallory).client("kms", endpoint)
    own_blob = kms.encrypt(KeyId="alias/user-pii-key", Plaintext=b"mine")["CiphertextBlob"]

    for call in (
        lambda: kms.describe_key(KeyId=victim["arn"]),
        lambda: kms.encrypt(KeyId=victim["arn"], Plaintext=b"x"),
        lambda: kms.disable_key(KeyId=victim["key_id"]),
        lambda: kms.get_key_policy(KeyId=victim["arn"], PolicyName="default"),
    ):
        with pytest.raises(kms.exceptions.NotFoundException):
            call()
    alice_kms = student_identity(alice).client("kms", endpoint)
    with pytest.raises(alice_kms.exceptions.ClientError) as denied:
        alice_kms.decrypt(CiphertextBlob=own_blob)  # Mallory's ciphertext names a key Alice cannot see
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "does not exist, does not exist in this region, or you are not allowed" in str(denied.value)
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/user-pii-key"] == pii_key(mallory)["key_id"]
    assert Key.objects.get(arn=victim["arn"]).key_state == "Enabled"


def test_editing_console_urls_never_reaches_another_students_workspace(two_students):
    _, classroom, alice, mallory = two_students
    victim = pii_key(alice)
    browser = Client()
    browser.force_login(mallory.user)

    switched = browser.post("/context/", {"workspace": alice.workspace_id, "next": "/dashboard/"})
    assert switched.status_code in (200, 302)
    page = browser.get("/dashboard/")
    assert page.status_code == 200
    assert alice.workspace.name not in page.content.decode()
    detail = browser.get(f"/keys/{victim['key_id']}/")
    assert victim["arn"] not in detail.content.decode()
    browser.post(f"/keys/{victim['key_id']}/disable/")
    assert Key.objects.get(arn=victim["arn"]).key_state == "Enabled"

    for url in (
        f"/classes/{classroom.pk}/students/{alice.pk}/",
        f"/classes/{classroom.pk}/board/",
        f"/classes/{classroom.pk}/results.csv",
        f"/classes/{classroom.pk}/incidents/",
        f"/classes/{classroom.pk}/provisioning/",
    ):
        assert browser.get(url).status_code == 404, url
    assert browser.post(f"/classes/{classroom.pk}/close/", {"confirm": "on"}).status_code == 404
    assert browser.post(f"/classes/{classroom.pk}/clock/", {"days": "30", "hours": "0"}).status_code == 404
    own = browser.get(f"/classes/{classroom.pk}/my-workspace/").content.decode()
    assert pii_key(mallory)["arn"] in own and victim["arn"] not in own


def test_an_instructor_sees_only_their_own_classes(two_students):
    teacher, classroom, alice, _ = two_students
    other_teacher = make_instructor()
    other_class = make_class(other_teacher)
    stranger_student = ready_student(other_class, "Eve")
    browser = Client()
    browser.force_login(other_teacher)

    for url in (
        f"/classes/{classroom.pk}/",
        f"/classes/{classroom.pk}/board/",
        f"/classes/{classroom.pk}/students/{alice.pk}/",
        f"/classes/{classroom.pk}/results.json",
        f"/classes/{other_class.pk}/students/{alice.pk}/",  # a student of another class, through one's own
    ):
        assert browser.get(url).status_code == 404, url
    assert browser.post(f"/classes/{classroom.pk}/incidents/", {"kind": "key-disabled"}).status_code == 404
    assert "Alice and Mallory" not in browser.get("/classes/").content.decode()
    own = browser.get(f"/classes/{other_class.pk}/students/{stranger_student.pk}/")
    assert own.status_code == 200 and pii_key(stranger_student)["arn"] in own.content.decode()

    mine = Client()
    mine.force_login(teacher)
    view = mine.get(f"/classes/{classroom.pk}/students/{alice.pk}/").content.decode()
    assert pii_key(alice)["arn"] in view and "read-only" in view
