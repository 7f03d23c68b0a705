"""Benchmark of a class of 200 students: provisioning through a Celery worker, then every
student running the envelope-encryption lab through the API at a person's pace while the
instructor's live board polls.

    python bench/classroom.py                                  # PostgreSQL, 200 students, 60 s of class
    python bench/classroom.py --database sqlite --students 50 --seconds 20 --json out.json

Phases:

1. provisioning: the class is created and N guests join (outside the timing); one
   ``provision_enrollments_task`` is sent to a fresh ``celery worker --pool solo`` on
   Redis, which builds the workspaces in batches of 25 (each batch re-enqueues the
   rest); timed from sending the task until every enrollment is ready;
2. class: kmsconsole under gunicorn (gthread, 2 workers x 4 threads). Load processes
   (``--processes``, default 4) play the students, each with its own credentials and a
   keep-alive connection: the lab's calls (ListKeys, DescribeKey, a 6 KB Encrypt that
   KMS refuses, GenerateDataKey twice, Decrypt twice, then again) with a think time drawn
   uniformly between 1 and 5 s before each call. The instructor's browser is a process
   that signs in and fetches the board fragment (an htmx request) every
   ``--board-interval`` seconds (default 2, the page itself polls every 5). The
   refresh that the Celery beat runs every 10 s (re-running the checks of students who
   did something, re-evaluating drills) runs in this process on the same schedule.

Figures: p50/p99 of the students' KMS calls (client-side latency of each request) and of
the board refresh; targets board p99 < 300 ms, student calls p99 < 50 ms, provisioning
< 60 s.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kms_client import KMSCallFailed, KMSConnection, Signer  # noqa: E402
from servers import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "kmsbench_class"
PASSWORD = "bench-instructor-passphrase"
PII_ALIAS = "alias/user-pii-key"
TARGETS = {"provisioning_s": 60.0, "board_p99_ms": 300.0, "student_p99_ms": 50.0}


def main() -> None:
    options = _arguments()
    work_dir = Path(tempfile.mkdtemp(prefix="kmsbench-class-"))
    env = _environment(options, work_dir)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    _setup_django()
    classroom_id, instructor = _class_with_guests(options.students)
    provisioning_s = _provision_with_worker(classroom_id, env, work_dir, options.redis_url)
    students = _student_credentials(classroom_id)
    server, endpoint = _start_gunicorn(env, work_dir)
    try:
        figures = _run_class(options, endpoint, classroom_id, instructor, students)
    finally:
        server.terminate()
        server.wait(timeout=20)
    figures["provisioning_s"] = round(provisioning_s, 1)
    figures["settings"] = {"database": options.database, "students": options.students, "seconds": options.seconds}
    _print(figures)
    if options.json:
        Path(options.json).write_text(json.dumps(figures, indent=2))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7", help="flushed at the start")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the measured class")
    parser.add_argument("--processes", type=int, default=4, help="load processes playing the students")
    parser.add_argument("--board-interval", type=float, default=2.0)
    parser.add_argument("--refresh-interval", type=float, default=10.0)
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args()


def _environment(options: argparse.Namespace, work_dir: Path) -> dict[str, str]:
    env = {**os.environ, "KMSCONSOLE_DATA_DIR": str(work_dir / "data"), "REDIS_URL": options.redis_url}
    if options.database == "postgres":
        admin = f"{options.postgres_url.rstrip('/')}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {DATABASE}")
        env["DATABASE_URL"] = f"{options.postgres_url.rstrip('/')}/{DATABASE}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{work_dir / 'bench.sqlite3'}"
    return env


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")
    import django

    django.setup()


# ---------------------------------------------------------------- setup and provisioning


def _class_with_guests(count: int) -> tuple[int, str]:
    from datetime import timedelta

    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from kmsconsole.classroom.enrollment import create_class, create_guest
    from kmsconsole.classroom.models import Enrollment

    instructor = User.objects.create_user("bench-instructor", password=PASSWORD)
    instructor.groups.add(Group.objects.get(name="instructors"))
    now = timezone.now()
    classroom = create_class(
        instructor, name="Benchmark class", lab_slugs=["envelope-encryption"], starts_at=now,
        ends_at=now + timedelta(hours=3), capacity=count,
    )  # fmt: skip
    # Joined directly (not through enroll) so that no provisioning task is sent yet.
    Enrollment.objects.bulk_create(
        Enrollment(classroom=classroom, user=create_guest(f"student {n:03d}"), display_name=f"student {n:03d}",
                   is_guest=True)
        for n in range(count)
    )  # fmt: skip
    return classroom.pk, instructor.username


def _provision_with_worker(classroom_id: int, env: dict[str, str], work_dir: Path, redis_url: str) -> float:
    import redis
    from celery import Celery

    from kmsconsole.classroom.enrollment import provisioning_progress
    from kmsconsole.classroom.models import Classroom

    redis.Redis.from_url(redis_url).flushdb()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kmsconsole", "worker", "--pool", "solo", "--concurrency", "1",
         "--without-heartbeat", "--without-mingle", "--without-gossip", "--logfile", str(work_dir / "worker.log")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    sender = Celery(broker=redis_url)
    try:
        _wait_for_worker(sender)
        classroom = Classroom.objects.get(pk=classroom_id)
        started = time.perf_counter()
        sender.send_task("kmsconsole.classroom.tasks.provision_enrollments_task", args=[classroom_id])
        while not provisioning_progress(classroom).finished:
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        progress = provisioning_progress(classroom)
        if progress.failed:
            raise RuntimeError(f"{progress.failed} workspaces failed to build")
        return elapsed
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _wait_for_worker(sender: Any, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if sender.control.ping(timeout=0.5):
            return
    raise RuntimeError("the Celery worker did not answer within 60 s")


def _student_credentials(classroom_id: int) -> list[tuple[str, str]]:
    from kmsconsole.classroom.models import Enrollment
    from labs.models import LabAttempt
    from labs.provisioning import secret_of

    users = Enrollment.objects.filter(classroom_id=classroom_id).values_list("user_id", flat=True)
    credentials = []
    for attempt in LabAttempt.objects.filter(user_id__in=list(users), lab_slug="envelope-encryption"):
        key_id = attempt.refs["accounts"]["A"]["admin_access_key_id"]
        credentials.append((key_id, secret_of(key_id)))
    return credentials


def _start_gunicorn(env: dict[str, str], work_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kmsconsole.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", "2", "--threads", "4", "--keep-alive", "30",
         "--log-file", str(work_dir / "gunicorn.log")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{endpoint}/login/", timeout=1)
            return server, endpoint
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


# ---------------------------------------------------------------- the class


def _run_class(
    options: argparse.Namespace, endpoint: str, classroom_id: int, instructor: str, students: list[tuple[str, str]]
) -> dict[str, Any]:
    from django.db import connections

    from kmsconsole.classroom.refresh import refresh_open_classes

    connections.close_all()
    ends_at = time.time() + options.seconds
    # Spawned, not forked: this process holds Django's and Celery's threads and locks.
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    groups = [students[index :: options.processes] for index in range(options.processes)]
    players = [spawn.Process(target=_play_students, args=(endpoint, g, ends_at, results)) for g in groups]
    board = spawn.Process(
        target=_poll_board, args=(endpoint, instructor, classroom_id, ends_at, options.board_interval, results)
    )
    for process in [*players, board]:
        process.start()
    refreshes = _refresh_until(ends_at, options.refresh_interval, refresh_open_classes)
    collected = [results.get(timeout=options.seconds + 120) for _ in range(len(players) + 1)]
    for process in [*players, board]:
        process.join(timeout=30)
    calls = [latency for kind, values, _ in collected if kind == "student" for latency in values]
    errors = sum(errors for kind, _, errors in collected if kind == "student")
    board_times = next(values for kind, values, _ in collected if kind == "board")
    return {
        "student_calls": _summary(calls),
        "student_calls_per_s": round(len(calls) / options.seconds, 1),
        "student_unexpected_errors": errors,
        "board_refresh": _summary(board_times),
        "beat_refresh": _summary(refreshes),
    }


def _refresh_until(ends_at: float, interval: float, refresh: Any) -> list[float]:
    durations: list[float] = []
    while time.time() < ends_at:
        started = time.perf_counter()
        refresh()
        durations.append(time.perf_counter() - started)
        time.sleep(max(0.0, min(interval - durations[-1], ends_at - time.time())))
    return durations


STUDENT_SCRIPT = (
    ("ListKeys", {}),
    ("DescribeKey", {"KeyId": PII_ALIAS}),
    ("Encrypt", {"KeyId": PII_ALIAS, "Plaintext": "A" * 8192}),  # 6 KB once decoded: KMS refuses it
    ("GenerateDataKey", {"KeyId": PII_ALIAS, "KeySpec": "AES_256"}),
    ("GenerateDataKey", {"KeyId": PII_ALIAS, "KeySpec": "AES_256"}),
    ("Decrypt", "last data key"),
    ("Decrypt", "last data key"),
)


def _play_students(endpoint: str, credentials: list[tuple[str, str]], ends_at: float, results: Any) -> None:
    """Each student calls, thinks 1–5 s, calls the next step; one process plays many."""
    rng = random.Random(os.getpid())
    connections = [KMSConnection(endpoint, Signer(key_id, secret)) for key_id, secret in credentials]
    due = [time.time() + rng.uniform(0, 5) for _ in connections]
    step = [0] * len(connections)
    last_blob: list[str] = [""] * len(connections)
    latencies: list[float] = []
    errors = 0
    while True:
        student = min(range(len(due)), key=due.__getitem__)
        if due[student] >= ends_at:
            break
        time.sleep(max(0.0, due[student] - time.time()))
        name, payload = STUDENT_SCRIPT[step[student] % len(STUDENT_SCRIPT)]
        if payload == "last data key":
            payload = {"CiphertextBlob": last_blob[student]}
        started = time.perf_counter()
        try:
            answer = connections[student].call(name, payload)
        except KMSCallFailed as failed:
            errors += failed.code != "ValidationException"
            answer = {}
        latencies.append(time.perf_counter() - started)
        if name == "GenerateDataKey":
            last_blob[student] = answer.get("CiphertextBlob", last_blob[student])
        step[student] += 1
        due[student] = time.time() + rng.uniform(1, 5)
    results.put(("student", latencies, errors))


def _poll_board(endpoint: str, username: str, classroom_id: int, ends_at: float, interval: float, results: Any) -> None:
    """The instructor's browser: sign in, then fetch the board fragment as htmx does."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{endpoint}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert token is not None
    form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token[1]})
    opener.open(urllib.request.Request(f"{endpoint}/login/", data=form.encode(), headers={"Referer": endpoint}))
    times: list[float] = []
    request = urllib.request.Request(f"{endpoint}/classes/{classroom_id}/board/", headers={"HX-Request": "true"})
    while time.time() < ends_at:
        started = time.perf_counter()
        body = opener.open(request).read()
        times.append(time.perf_counter() - started)
        assert b'id="board"' in body, body[:200]
        time.sleep(max(0.0, interval - times[-1]))
    results.put(("board", times, 0))


# ---------------------------------------------------------------- figures


def _summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p99_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
        "max_ms": round(1000 * ordered[-1], 1),
    }


def _print(figures: dict[str, Any]) -> None:
    settings = figures["settings"]
    print(f"Class of {settings['students']} students on {settings['database']}, {settings['seconds']:.0f} s of class")
    target = TARGETS["provisioning_s"]
    print(f"provisioning through one worker: {figures['provisioning_s']} s (target < {target:.0f} s)")
    for label, key, target in (
        ("students' KMS calls", "student_calls", TARGETS["student_p99_ms"]),
        ("board refresh", "board_refresh", TARGETS["board_p99_ms"]),
        ("beat refresh (checks + drills)", "beat_refresh", None),
    ):
        row = figures[key]
        goal = f" (target p99 < {target:.0f} ms)" if target else ""
        print(f"{label}: n={row['count']} p50 {row.get('p50_ms')} ms, p99 {row.get('p99_ms')} ms{goal}")
    errors = figures["student_unexpected_errors"]
    print(f"students' calls/s: {figures['student_calls_per_s']}; unexpected errors: {errors}")


if __name__ == "__main__":
    main()
