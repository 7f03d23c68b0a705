"""Provisioning a class through a real Celery worker process on Redis (batches that
re-enqueue themselves until every student has a workspace).

Under CI=true this fails (not skips) when Redis is unreachable: see
``conftest.redis_url_for_tests``.
"""

from __future__ import annotations

import time

from celery import Celery
from classroom_support import join_as_guest, make_class, make_instructor

from kmsconsole.classroom.enrollment import provisioning_progress
from kmsconsole.classroom.models import Provisioning

TASK = "kmsconsole.classroom.tasks.provision_enrollments_task"


def wait_until(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def test_a_worker_builds_every_students_workspace_in_batches(orm, celery_worker, celery_worker_env):
    classroom = make_class(make_instructor(), capacity=40)
    students = [join_as_guest(classroom, f"worker student {n}") for n in range(24)]
    sender = Celery(broker=celery_worker_env["REDIS_URL"], backend=celery_worker_env["REDIS_URL"])

    sender.send_task(TASK, args=[classroom.pk, 10])

    wait_until(lambda: provisioning_progress(classroom).finished, timeout=120, what="the worker to build 24 workspaces")
    progress = provisioning_progress(classroom)
    assert (progress.ready, progress.failed) == (24, 0)
    workspaces = set(classroom.enrollments.values_list("workspace_id", flat=True))
    assert len(workspaces) == 24 and None not in workspaces
    for student in students:
        student.refresh_from_db()
        assert student.provisioning == Provisioning.READY
        assert student.workspace.owner_id == student.user_id
