"""Monitoring on a real Celery worker process and a real Redis, driven by
``manage.py advanceclock`` as a lab would drive it.

Under CI=true these fail (not skip) when Redis is unreachable: see
``conftest.redis_url_for_tests``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time

import pytest
from receiver import start_receiver
from support import ROOT

from kmsconsole.monitoring import alarms, notifications
from kmsconsole.monitoring.models import AlarmState, NotificationKind


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=150)


def wait_until(condition, *, timeout: float = 60.0, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def test_advanceclock_deletes_the_key_and_the_guides_alarm_fires(
    kms, workspace, celery_worker, celery_worker_env, receiver
):
    ws = workspace.workspace
    alarm = alarms.create_alarm_from_template(ws, "schedule-key-deletion")
    secret = notifications.configure_webhook(ws, receiver.url)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    result = manage(celery_worker_env, "advanceclock", ws.name, "--days", "8", "--wait")

    assert result.returncode == 0, result.stderr
    assert "Keys deleted: 1" in result.stdout
    assert f"Alarms changed: 1 ({alarm.name})" in result.stdout
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId=key_id)
    history = [(h.old_state, h.new_state) for h in reversed(alarms.alarm_history(alarm))]
    assert history == [(AlarmState.INSUFFICIENT_DATA, AlarmState.ALARM), (AlarmState.ALARM, AlarmState.OK)]
    kinds = {n.kind for n in notifications.inbox(ws)}
    assert {NotificationKind.ALARM_STATE_CHANGE, NotificationKind.KEY_DELETED} <= kinds

    def alarm_delivered() -> bool:
        return any(json.loads(r.body)["detail"].get("NewStateValue") == "ALARM" for r in receiver.requests)

    wait_until(alarm_delivered, what="the worker to deliver the ALARM notification")
    for request in receiver.requests:
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request.headers["X-Kmsconsole-Signature"], expected)


def test_advanceclock_reports_no_alarm_change_when_nothing_happened(workspace, celery_worker, celery_worker_env):
    ws = workspace.workspace
    alarms.create_alarm_from_template(ws, "disable-key", treat_missing_data="missing")
    result = manage(celery_worker_env, "advanceclock", ws.name, "--days", "1", "--wait")
    assert result.returncode == 0, result.stderr
    assert "Alarms changed: 0" in result.stdout
