"""The live board: progress as simulated students act through boto3, stuck students,
a bounded number of queries whatever the class size, broadcasts and the class clock."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from classroom_support import FIRST_LAB, attempt_of, make_class, make_instructor, ready_student, student_identity
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kmsconsole.classroom.board import STUCK_FAILED_CHECKS, CellState, build_board
from kmsconsole.classroom.lifecycle import advance_class_clock, class_workspace_ids
from kmsconsole.classroom.refresh import refresh_class
from kmsconsole.iam.models import Workspace
from labs.provisioning import start_lab

PII_ALIAS = "alias/user-pii-key"


def states(board, name: str) -> list[str]:
    row = next(row for row in board.rows if row.student.enrollment.display_name == name)
    return [cell.state for cell in row.cells]


def do_the_first_two_steps(kms) -> None:
    """Meet the 4 KB limit, then generate a data key, as the lab asks."""
    with pytest.raises(kms.exceptions.ClientError) as refused:
        kms.encrypt(KeyId=PII_ALIAS, Plaintext=os.urandom(6144))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    kms.generate_data_key(KeyId=PII_ALIAS, KeySpec="AES_256")


def test_the_board_shows_students_progress_as_they_work_through_boto3(orm, endpoint):
    teacher = make_instructor()
    classroom = make_class(teacher)
    ada, bob = ready_student(classroom, "Ada"), ready_student(classroom, "Bob")
    initial = build_board(classroom)
    assert states(initial, "Ada") == [CellState.IN_PROGRESS] + [CellState.NOT_STARTED] * 3

    do_the_first_two_steps(student_identity(ada).client("kms", endpoint))
    student_identity(bob).client("kms", endpoint).list_keys()
    refreshed = refresh_class(classroom)

    assert refreshed.attempts_checked == 2
    board = build_board(classroom)
    assert states(board, "Ada") == [CellState.DONE, CellState.DONE, CellState.IN_PROGRESS, CellState.NOT_STARTED]
    assert states(board, "Bob")[0] == CellState.IN_PROGRESS
    ada_row = next(row for row in board.rows if row.student.enrollment.display_name == "Ada")
    assert ada_row.steps_done == 2 and ada_row.student.last_activity is not None
    assert refresh_class(classroom).attempts_checked == 0  # nothing new: nothing re-run

    browser = Client()
    browser.force_login(teacher)
    fragment = browser.get(f"/classes/{classroom.pk}/board/", HTTP_HX_REQUEST="true").content.decode()
    assert '<section id="board"' in fragment[:200]
    assert "<html" not in fragment
    assert fragment.count('<td class="cell done"') == 2
    assert f'href="/classes/{classroom.pk}/students/{ada.pk}/"' in fragment


def test_a_student_without_progress_for_the_class_threshold_is_stuck(orm):
    classroom = make_class(make_instructor(), stuck_minutes=10)
    ready_student(classroom, "Idle")
    later = timezone.now() + timedelta(minutes=11)
    board = build_board(classroom, now=later)
    assert states(board, "Idle")[0] == CellState.STUCK
    assert board.rows[0].cells[0].note == "no progress for 11 min"
    assert board.stuck_count == 1


def test_repeated_failed_checks_show_a_student_as_stuck(orm, endpoint):
    classroom = make_class(make_instructor())
    student = ready_student(classroom, "Trier")
    kms = student_identity(student).client("kms", endpoint)
    for _ in range(STUCK_FAILED_CHECKS):
        kms.describe_key(KeyId=PII_ALIAS)  # not what step 1 asks for
        refresh_class(classroom)
    cell = build_board(classroom).rows[0].cells[0]
    assert cell.state == CellState.STUCK
    assert cell.note == f"checks failed {STUCK_FAILED_CHECKS} times"


def _board_queries(client: Client, classroom_id: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/classes/{classroom_id}/board/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_a_board_refresh_costs_the_same_queries_at_5_and_50_students(orm, django_assert_max_num_queries):
    teacher = make_instructor()
    small, large = make_class(teacher, capacity=60), make_class(teacher, capacity=60)
    for n in range(5):
        ready_student(small, f"s{n}")
    for n in range(50):
        ready_student(large, f"l{n}")
    client = Client()
    client.force_login(teacher)
    _board_queries(client, small.pk)  # warm the session and caches alike for both

    with django_assert_max_num_queries(15):
        small_count = _board_queries(client, small.pk)
    with django_assert_max_num_queries(15):
        large_count = _board_queries(client, large.pk)
    assert small_count == large_count


def test_only_later_labs_started_since_joining_count_for_the_class(orm):
    classroom = make_class(make_instructor(), labs=(FIRST_LAB, "key-policies"))
    student = ready_student(classroom, "Two labs")
    start_lab(student.user, "key-policies")
    board = build_board(classroom)
    assert len(board.columns) == 4 + 3
    assert states(board, "Two labs")[4] == CellState.IN_PROGRESS
    assert len(class_workspace_ids(classroom)) == 2


def test_the_class_clock_moves_every_student_workspace(orm):
    classroom = make_class(make_instructor())
    students = [ready_student(classroom, f"clock {n}") for n in range(2)]
    before = {s.workspace_id: s.workspace.now() for s in students}

    advanced = advance_class_clock(classroom, timedelta(days=30))

    assert len(advanced) == 2
    for workspace_id, earlier in before.items():
        moved = Workspace.objects.get(pk=workspace_id).now() - earlier
        assert timedelta(days=30) <= moved < timedelta(days=30, minutes=1)


def test_the_instructor_broadcasts_and_students_see_it_in_their_polled_fragment(orm):
    teacher = make_instructor()
    classroom = make_class(teacher)
    student = ready_student(classroom, "Listener")
    outsider = ready_student(make_class(make_instructor()), "Elsewhere")
    instructor = Client()
    instructor.force_login(teacher)

    sent = instructor.post(f"/classes/{classroom.pk}/broadcast/", {"text": "Break: back at <b>10:30</b>"})

    assert sent.status_code == 302
    learner = Client()
    learner.force_login(student.user)
    fragment = learner.get("/classes/broadcasts/", HTTP_HX_REQUEST="true").content.decode()
    assert "Break: back at &lt;b&gt;10:30&lt;/b&gt;" in fragment
    assert 'hx-trigger="every 10s"' in fragment
    other = Client()
    other.force_login(outsider.user)
    assert "Break" not in other.get("/classes/broadcasts/").content.decode()
    lab_page_include = learner.get(f"/classes/{classroom.pk}/").content.decode()
    assert 'hx-trigger="load, every 10s"' in lab_page_include
    no_class = Client()
    no_class.force_login(make_instructor())
    assert "hx-trigger" not in no_class.get("/classes/broadcasts/").content.decode()  # nothing to wait for


def test_the_clock_form_moves_the_class_clock_from_the_board(orm):
    teacher = make_instructor()
    classroom = make_class(teacher)
    student = ready_student(classroom, "Clocked")
    offset_before = student.workspace.clock_offset
    client = Client()
    client.force_login(teacher)
    response = client.post(f"/classes/{classroom.pk}/clock/", {"days": "7", "hours": "0"}, follow=True)
    assert "Moved 1 workspace clock(s) forward by 7 days" in response.content.decode()
    student.workspace.refresh_from_db()
    assert student.workspace.clock_offset - offset_before == timedelta(days=7)
    assert attempt_of(student).workspace_id == student.workspace_id
