"""Creating classes, join codes, joining (as a guest, by signing up, as oneself) and the
synchronous provisioning path."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from classroom_support import (
    FIRST_LAB,
    PASSWORD,
    attempt_of,
    join_as_guest,
    make_class,
    make_instructor,
    ready_student,
    unique,
)
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from kmsconsole.classroom.access import INSTRUCTORS_GROUP, is_instructor
from kmsconsole.classroom.enrollment import (
    JoinRefused,
    class_to_join,
    enroll,
    provision_pending,
    provisioning_progress,
)
from kmsconsole.classroom.models import JOIN_CODE_ALPHABET, Enrollment, Provisioning, new_join_code
from kmsconsole.console.context import workspaces_for


def test_join_codes_are_six_unambiguous_characters():
    codes = {new_join_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(f"[{JOIN_CODE_ALPHABET}]{{6}}", code)
    assert not set("01OIL") & set(JOIN_CODE_ALPHABET)


def test_the_instructors_group_exists_and_grants_the_role(orm):
    assert Group.objects.filter(name=INSTRUCTORS_GROUP).exists()
    assert is_instructor(make_instructor())
    assert not is_instructor(User.objects.create_user(unique("student")))
    assert is_instructor(User.objects.create_user(unique("admin"), is_staff=True))


def test_an_instructor_creates_a_class_and_sees_its_code_and_link(orm, client):
    teacher = make_instructor()
    client.force_login(teacher)
    form = client.get("/classes/new/")
    assert form.status_code == 200
    assert b"Lab 1" in form.content

    response = client.post(
        "/classes/new/",
        {
            "name": "Security week",
            "lab_1": FIRST_LAB,
            "lab_2": "key-policies",
            "starts_at": "2030-01-01T09:00",
            "ends_at": "2030-01-01T12:00",
            "capacity": "40",
            "leaderboard_visible": "on",
            "stuck_minutes": "10",
            "retention_days": "7",
        },
    )

    assert response.status_code == 302
    classroom = teacher.classrooms.get()
    assert classroom.lab_slugs == [FIRST_LAB, "key-policies"]
    assert classroom.capacity == 40 and classroom.leaderboard_visible and classroom.retention_days == 7
    page = client.get(response["Location"])
    assert classroom.join_code in page.content.decode()
    assert f"http://testserver/classes/join/{classroom.join_code}/" in page.content.decode()


def test_the_class_form_refuses_a_class_that_ends_before_it_starts_and_repeated_labs(orm, client):
    client.force_login(make_instructor())
    response = client.post(
        "/classes/new/",
        {
            "name": "Backwards",
            "lab_1": FIRST_LAB,
            "lab_2": FIRST_LAB,
            "starts_at": "2030-01-01T12:00",
            "ends_at": "2030-01-01T09:00",
            "capacity": "10",
            "stuck_minutes": "10",
            "retention_days": "7",
        },
    )
    assert response.status_code == 200
    assert b"The class must end after it starts." in response.content
    assert b"Each lab can appear only once in a class." in response.content


def test_only_instructors_create_classes(orm, client):
    client.force_login(User.objects.create_user(unique("student")))
    assert client.get("/classes/new/").status_code == 403


def test_a_guest_joins_with_the_code_and_is_signed_in(orm):
    classroom = make_class(make_instructor())
    browser = Client()
    entered = browser.post("/classes/join/", {"code": classroom.join_code.lower()})
    assert entered.status_code == 302
    assert entered["Location"] == f"/classes/join/{classroom.join_code}/"

    joined = browser.post(entered["Location"], {"how": "guest", "display_name": "  Ada   Lovelace "})

    assert joined.status_code == 302
    enrollment = classroom.enrollments.get()
    assert enrollment.display_name == "Ada Lovelace" and enrollment.is_guest
    assert not enrollment.user.has_usable_password()
    page = browser.get(joined["Location"])
    assert b"Joined as <strong>Ada Lovelace</strong>" in page.content
    assert b"Being built" in page.content


def test_a_student_signs_up_on_the_spot_to_join(orm):
    classroom = make_class(make_instructor())
    browser = Client()
    username = unique("newcomer")
    response = browser.post(
        f"/classes/join/{classroom.join_code}/",
        {"how": "signup", "username": username, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    enrollment = classroom.enrollments.get()
    assert enrollment.user.username == username and not enrollment.is_guest
    assert enrollment.user.check_password(PASSWORD)


def test_a_signed_in_user_joins_as_themselves_once(orm, client):
    classroom = make_class(make_instructor())
    user = User.objects.create_user(unique("student"), password=PASSWORD)
    client.force_login(user)
    for _ in range(2):
        assert client.post(f"/classes/join/{classroom.join_code}/", {"how": "me"}).status_code == 302
    assert classroom.enrollments.filter(user=user).count() == 1


def test_joining_is_refused_with_a_wrong_code_a_full_class_or_a_closed_one(orm, client):
    response = client.post("/classes/join/", {"code": "ZZZZZZ"})
    assert response.status_code == 200
    assert b"No class has that code." in response.content

    full = make_class(make_instructor(), capacity=1)
    join_as_guest(full, "first")
    with pytest.raises(JoinRefused, match=r"is full \(1 students\)"):
        join_as_guest(full, "second")
    page = Client().post(f"/classes/join/{full.join_code}/", {"how": "guest", "display_name": "second"})
    assert b"is full (1 students)." in page.content
    assert not User.objects.filter(first_name="second", enrollments__classroom=full).exists()

    ended = make_class(make_instructor(), ends_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(JoinRefused, match="ended on"):
        class_to_join(ended.join_code)


def test_provisioning_builds_each_students_workspace_from_the_first_lab(orm):
    classroom = make_class(make_instructor(), labs=(FIRST_LAB, "key-policies"))
    students = [join_as_guest(classroom, f"student {n}") for n in range(3)]
    assert provisioning_progress(classroom).pending == 3

    remaining = provision_pending(classroom.pk, batch_size=2)
    assert remaining == 1
    assert provision_pending(classroom.pk) == 0

    progress = provisioning_progress(classroom)
    assert (progress.ready, progress.pending, progress.failed, progress.percent) == (3, 0, 0, 100)
    workspaces = set()
    for student in students:
        student.refresh_from_db()
        attempt = attempt_of(student)
        assert student.provisioning == Provisioning.READY
        assert student.workspace == attempt.workspace
        assert attempt.refs["keys"]["pii-key"]["alias"] == "alias/user-pii-key"
        assert list(workspaces_for(student.user)) == [student.workspace]
        workspaces.add(student.workspace.pk)
    assert len(workspaces) == 3


def test_a_student_who_started_the_lab_alone_starts_again_from_the_class_state(orm):
    from labs.provisioning import start_lab

    classroom = make_class(make_instructor())
    user = User.objects.create_user(unique("student"))
    own = start_lab(user, FIRST_LAB)
    enrollment = enroll(classroom, user)
    provision_pending(classroom.pk)
    enrollment.refresh_from_db()
    assert enrollment.workspace is not None and enrollment.workspace.pk != own.workspace_id
    assert attempt_of(enrollment).resets == 1


def test_the_instructor_page_polls_provisioning_progress_and_lists_the_roster(orm, client):
    teacher = make_instructor()
    classroom = make_class(teacher)
    ready_student(classroom, "Grace")
    join_as_guest(classroom, "<script>alert(1)</script>")
    client.force_login(teacher)

    page = client.get(f"/classes/{classroom.pk}/")
    fragment = client.get(f"/classes/{classroom.pk}/provisioning/", HTTP_HX_REQUEST="true")

    html = page.content.decode()
    assert "Grace" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "1 ready, 1 being built of 2." in fragment.content.decode()
    assert 'hx-trigger="every 2s"' in fragment.content.decode()
    provision_pending(classroom.pk)
    done = client.get(f"/classes/{classroom.pk}/provisioning/", HTTP_HX_REQUEST="true").content.decode()
    assert "2 ready of 2." in done and "hx-trigger" not in done


def test_the_student_page_lists_the_labs_once_the_workspace_is_ready(orm):
    classroom = make_class(make_instructor(), labs=(FIRST_LAB, "key-policies"), leaderboard_visible=True)
    enrollment = ready_student(classroom, "Linus")
    browser = Client()
    browser.force_login(enrollment.user)
    page = browser.get(f"/classes/{classroom.pk}/").content.decode()
    assert f'href="/labs/{FIRST_LAB}/"' in page and 'href="/labs/key-policies/"' in page
    assert "Leaderboard" in page and "Linus — 0 steps" in page


def test_joining_needs_the_csrf_token(orm):
    classroom = make_class(make_instructor())
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/classes/join/{classroom.join_code}/", {"how": "guest", "display_name": "x"})
    assert response.status_code == 403
    assert not Enrollment.objects.filter(classroom=classroom).exists()
