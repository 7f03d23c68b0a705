"""Scheduled work on a real Celery worker process and a real Redis.

Under CI=true these fail (not skip) when Redis is unreachable: see
``conftest.redis_url_for_tests``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection, transaction
from support import ROOT

from kmsconsole.audit.models import Event
from kmsconsole.iam.clock import move_clock
from kmsconsole.kms.creation import create_key_row
from kmsconsole.kms.models import Key, KeyMaterial
from kmsconsole.kms.policies import default_key_policy


def manage(env: dict[str, str], *args: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def wait_until(condition, *, timeout: float = 60.0, what: str = "condition", poll: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)


def test_advanceclock_wait_rotates_through_the_worker(kms, workspace, celery_worker, celery_worker_env):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]

    result = manage(celery_worker_env, "advanceclock", workspace.workspace.name, "--days", "366", "--wait")

    assert result.returncode == 0, result.stderr
    assert "Keys rotated: 29" in result.stdout  # our key and the 28 AWS managed keys
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"old"


def test_advanceclock_wait_deletes_a_key_past_its_window(kms, workspace, celery_worker, celery_worker_env):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    result = manage(celery_worker_env, "advanceclock", workspace.workspace.name, "--days", "8", "--wait")

    assert result.returncode == 0, result.stderr
    assert "Keys deleted: 1" in result.stdout
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId=key_id)


def test_advanceclock_wait_says_clearly_when_no_worker_runs(workspace, celery_worker_env, monkeypatch):
    env = {**celery_worker_env, "KMSCONSOLE_ADVANCECLOCK_WAIT_SECONDS": "3"}
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    result = manage(env, "advanceclock", workspace.workspace.name, "--days", "1", "--wait")
    assert result.returncode != 0
    assert "did not finish within 3 s" in result.stderr


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(kms, workspace, celery_worker_env, orm, tmp_path):
    ws = workspace.workspace
    account = ws.accounts.get(label="A")
    # Plenty of due keys in small chunks, so that the kill lands in the middle of the work.
    for _ in range(300):
        key = create_key_row(account, "us-east-1", key_spec="SYMMETRIC_DEFAULT", key_usage="ENCRYPT_DECRYPT",
                             policy=default_key_policy(account.account_id), now=ws.now())  # fmt: skip
        Key.objects.filter(pk=key.pk).update(rotation_enabled=True, next_rotation_date=ws.now() + timedelta(days=90))
    move_clock(ws, timedelta(days=91))
    due = Key.objects.filter(account__workspace=ws, rotation_enabled=True, key_manager="CUSTOMER").count()
    assert due == 300

    def rotated() -> int:
        return KeyMaterial.objects.filter(key__account__workspace=ws, key__key_manager="CUSTOMER", version=2).count()

    env = {**celery_worker_env, "KMSCONSOLE_SWEEP_CHUNK_SIZE": "5"}
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()  # no task left over from another test
    worker = _start_worker(env, tmp_path / "first.log")
    try:
        # Enqueue without waiting for the command to exit, so the watch starts at once.
        enqueue = subprocess.Popen(
            [sys.executable, "manage.py", "advanceclock", ws.name, "--days", "0"], cwd=ROOT, env=env
        )
        wait_until(lambda: rotated() >= 5, timeout=120, what="the first chunk to commit", poll=0.002)
        # Hold the material table so the worker cannot commit another chunk, then kill it
        # while it is in the middle of one.
        with transaction.atomic(), _writes_blocked():
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
        enqueue.wait(timeout=60)
    assert 0 < rotated() < due

    second = _start_worker(celery_worker_env, tmp_path / "second.log")
    try:
        result = manage(celery_worker_env, "advanceclock", ws.name, "--days", "0", "--wait")
        assert result.returncode == 0, result.stderr
    finally:
        second.terminate()
        second.wait(timeout=15)
    assert rotated() == due
    assert KeyMaterial.objects.filter(key__account__workspace=ws, version=3).count() == 0
    assert Event.objects.filter(workspace=ws, event_name="RotateKey", key_arn__in=_customer_arns(ws)).count() == due


@contextmanager
def _writes_blocked():
    """Block other connections' writes to key material until the transaction ends."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE kms_keymaterial IN SHARE ROW EXCLUSIVE MODE")
        else:  # SQLite: a write takes the database's single write lock
            cursor.execute("UPDATE kms_keymaterial SET version = version WHERE id = -1")
    yield


def _customer_arns(ws) -> list[str]:
    return list(Key.objects.filter(account__workspace=ws, key_manager="CUSTOMER").values_list("arn", flat=True))


def _start_worker(env: dict[str, str], log) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "celery", "-A", "kmsconsole", "worker", "--concurrency", "1", "--pool", "solo",
        "--logfile", str(log), "--without-heartbeat", "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env)


def test_the_api_keeps_serving_when_redis_is_unreachable(kms, alice, celery_worker_env, tmp_path):
    from support import free_port, wait_for_port

    port = free_port()
    env = {**celery_worker_env, "REDIS_URL": "redis://127.0.0.1:1/0"}
    command = [sys.executable, "-m", "gunicorn", "kmsconsole.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server)
        client = alice.client("kms", f"http://127.0.0.1:{port}")
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        blob = client.encrypt(KeyId=key_id, Plaintext=b"still here")["CiphertextBlob"]
        assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"still here"
    finally:
        server.terminate()
        server.wait(timeout=15)
