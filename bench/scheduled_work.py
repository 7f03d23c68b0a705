"""Benchmark of the scheduled work on one Celery worker, Redis and PostgreSQL.

    python bench/scheduled_work.py                       # 1,000 and 10,000 keys; 100,000 and 1,000,000 events
    python bench/scheduled_work.py --keys 1000 --events 100000 --json out.json

Scenarios, each timed on a freshly started worker (``--pool solo``, so the task runs in
the worker's main process and its peak RSS is that process's ``VmHWM``):

- rotation: N customer managed keys whose automatic rotation is due are rotated by one
  ``rotate_due_keys_task`` run;
- deletion: N keys whose deletion waiting period has ended are deleted by one
  ``expire_pending_deletions_task`` run (their compliance results exist beforehand, so
  the run also retires them, as it would in a workspace where the keys were created
  through the API);
- alarms: M audit events spread over the last 24 hours of a workspace clock, bulk-inserted
  with ``bulk_create``, and eight alarms (the guide's four and four custom ones, one of
  them hourly over the whole day) that were last evaluated 24 hours ago, so one
  ``evaluate_alarms_task`` run replays the whole day over all M events.

The wall time runs from sending the task to its result arriving. The database
``kmsbench_sched`` is dropped and created again, then migrated, at the start.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "kmsbench_sched"
TARGET_SECONDS = 60.0
FLAT_MEMORY_RATIO = 1.5
EVENT_BATCH = 10_000


@dataclass
class Measurement:
    scenario: str
    count: int
    wall_seconds: float
    ready_rss_mib: float  # the worker's peak before the task: Django, Celery and imports
    peak_rss_mib: float
    done: int


def main() -> None:
    options = _parse_arguments()
    data_dir = Path(tempfile.mkdtemp(prefix="kmsbench-sched-"))
    database_url = f"{options.postgres_url.rstrip('/')}/{DATABASE}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": options.redis_url,
        "KMSCONSOLE_DATA_DIR": str(data_dir),
    }
    _recreate_database(options.postgres_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    _setup_django()

    import redis

    redis.Redis.from_url(options.redis_url).flushdb()
    results = []
    for count in options.keys:
        results.append(_rotation(count, env, data_dir))
        results.append(_deletion(count, env, data_dir))
    for count in options.events:
        results.append(_alarms(count, env, data_dir))
    _print_table(results)
    if options.json:
        Path(options.json).write_text(json.dumps([asdict(r) for r in results], indent=2))


def _parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--keys", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args()


def _recreate_database(admin_url: str) -> None:
    with psycopg.connect(f"{admin_url.rstrip('/')}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")
    import django

    django.setup()


# Scenarios.


def _rotation(count: int, env: dict[str, str], data_dir: Path) -> Measurement:
    from kmsconsole.kms.models import Key, KeyMaterial
    from kmsconsole.kms.tasks import rotate_due_keys_task

    workspace = _workspace_with_keys(f"rotation-{count}", count)
    keys = Key.objects.filter(account__workspace=workspace, key_manager="CUSTOMER")
    keys.update(rotation_enabled=True, rotation_period_days=365, next_rotation_date=workspace.now() - timedelta(days=1))
    task = rotate_due_keys_task.s(workspace_id=workspace.pk, batch_size=count + 100)
    measurement = _run_on_fresh_worker("rotation", count, task, env, data_dir)
    measurement.done = KeyMaterial.objects.filter(key__in=keys, version=2).count()
    return measurement


def _deletion(count: int, env: dict[str, str], data_dir: Path) -> Measurement:
    from kmsconsole.kms.models import Key
    from kmsconsole.kms.tasks import expire_pending_deletions_task
    from kmsconsole.monitoring.compliance import evaluate_rules

    workspace = _workspace_with_keys(f"deletion-{count}", count)
    keys = Key.objects.filter(account__workspace=workspace, key_manager="CUSTOMER")
    past = workspace.now() - timedelta(days=1)
    keys.update(key_state="PendingDeletion", deletion_date=past, pending_window_days=7)
    evaluate_rules(workspace_id=workspace.pk)
    task = expire_pending_deletions_task.s(workspace_id=workspace.pk, batch_size=count + 100)
    measurement = _run_on_fresh_worker("deletion", count, task, env, data_dir)
    measurement.done = count - keys.count()
    return measurement


def _alarms(count: int, env: dict[str, str], data_dir: Path) -> Measurement:
    from kmsconsole.monitoring.models import Alarm, AlarmHistory
    from kmsconsole.monitoring.tasks import evaluate_alarms_task

    workspace = _workspace_with_keys(f"alarms-{count}", 0)
    _insert_events(workspace, count)
    _create_alarms(workspace)
    task = evaluate_alarms_task.s(workspace_id=workspace.pk)
    measurement = _run_on_fresh_worker("alarms", count, task, env, data_dir)
    alarms = Alarm.objects.filter(workspace=workspace)
    caught_up = alarms.filter(next_evaluation_at__gt=workspace.now()).count()
    measurement.done = caught_up
    changes = AlarmHistory.objects.filter(alarm__workspace=workspace).count()
    print(f"  alarms over {count:,} events: {alarms.count()} alarms caught up, {changes} state changes", flush=True)
    return measurement


# Data.


def _workspace_with_keys(name: str, count: int) -> Any:
    from django.db import transaction

    from kmsconsole.iam.provisioning import create_workspace
    from kmsconsole.kms.creation import create_key_row
    from kmsconsole.kms.policies import default_key_policy

    workspace = create_workspace(f"bench-{name}-{uuid.uuid4().hex[:6]}").workspace
    account = workspace.accounts.get(label="A")
    policy = default_key_policy(account.account_id)
    started = time.monotonic()
    for first in range(0, count, 500):
        with transaction.atomic():
            for _ in range(min(500, count - first)):
                create_key_row(account, "us-east-1", key_spec="SYMMETRIC_DEFAULT", key_usage="ENCRYPT_DECRYPT",
                               policy=policy, now=workspace.now())  # fmt: skip
    if count:
        print(f"  created {count:,} keys in {time.monotonic() - started:.1f} s", flush=True)
    return workspace


def _insert_events(workspace: Any, count: int) -> None:
    """``count`` events evenly over the last 24 hours: mostly Decrypt, Encrypt and
    GenerateDataKey over 100 keys and 10 principals, 1 % denied, a few DisableKey and
    ScheduleKeyDeletion calls."""
    from kmsconsole.audit.models import Event

    names = ["Decrypt"] * 12 + ["Encrypt"] * 5 + ["GenerateDataKey"] * 2 + ["DescribeKey"]
    account_id = workspace.accounts.get(label="A").account_id
    keys = [f"arn:aws:kms:us-east-1:{account_id}:key/{uuid.UUID(int=i)}" for i in range(100)]
    principals = [f"arn:aws:iam::{account_id}:user/app-{i}" for i in range(10)]
    start = workspace.now() - timedelta(days=1)
    step = timedelta(days=1) / count
    started = time.monotonic()
    for first in range(0, count, EVENT_BATCH):
        batch = []
        for i in range(first, min(first + EVENT_BATCH, count)):
            name = "DisableKey" if i % 50_000 == 7 else "ScheduleKeyDeletion" if i % 50_000 == 9 else names[i % 20]
            batch.append(
                Event(
                    workspace=workspace, event_id=str(uuid.uuid4()), event_time=start + step * i, event_name=name,
                    event_source="kms.amazonaws.com", region="us-east-1", account_id=account_id,
                    principal_arn=principals[i % 10], key_arn=keys[i % 100],
                    error_code="AccessDeniedException" if i % 100 == 3 else "", read_only=name != "DisableKey",
                    record={"eventName": name},
                )
            )  # fmt: skip
        Event.objects.bulk_create(batch)
    print(f"  inserted {count:,} events in {time.monotonic() - started:.1f} s", flush=True)


def _create_alarms(workspace: Any) -> None:
    from kmsconsole.monitoring.alarms import TEMPLATES, AlarmDefinition, create_alarm_from_template, put_alarm
    from kmsconsole.monitoring.metrics import period_start
    from kmsconsole.monitoring.models import Alarm

    for template in TEMPLATES:
        create_alarm_from_template(workspace, template)
    account_id = workspace.accounts.get(label="A").account_id
    key = f"arn:aws:kms:us-east-1:{account_id}:key/{uuid.UUID(int=0)}"
    custom = [
        AlarmDefinition(name="decrypts-per-hour", event_name="Decrypt", threshold=100_000, period_seconds=3600,
                        evaluation_periods=24, datapoints_to_alarm=1),
        AlarmDefinition(name="one-key-decrypts", event_name="Decrypt", key_arn=key, threshold=5, period_seconds=60,
                        evaluation_periods=5, datapoints_to_alarm=3, treat_missing_data="notBreaching"),
        AlarmDefinition(name="app-3-errors", principal_arn=f"arn:aws:iam::{account_id}:user/app-3", errors_only=True,
                        threshold=1, period_seconds=300, treat_missing_data="notBreaching"),
        AlarmDefinition(name="all-calls-drop", threshold=10, comparison_operator="LessThanThreshold",
                        period_seconds=60, treat_missing_data="breaching"),
    ]  # fmt: skip
    for definition in custom:
        put_alarm(workspace, definition)
    for alarm in Alarm.objects.filter(workspace=workspace):
        last = period_start(workspace.now() - timedelta(days=1), alarm.period_seconds)
        Alarm.objects.filter(pk=alarm.pk).update(
            evaluated_until=last, next_evaluation_at=last + timedelta(seconds=alarm.period_seconds)
        )


# The worker.


def _run_on_fresh_worker(scenario: str, count: int, task: Any, env: dict[str, str], data_dir: Path) -> Measurement:
    log = data_dir / f"worker-{scenario}-{count}.log"
    command = [
        sys.executable, "-m", "celery", "-A", "kmsconsole", "worker", "--pool", "solo", "--concurrency", "1",
        "--loglevel", "INFO", "--logfile", str(log), "--without-heartbeat", "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_ready(log, worker)
        ready = _peak_rss_mib(worker.pid)
        started = time.monotonic()
        outcome = task.apply_async().get(timeout=600)
        wall = time.monotonic() - started
        peak = _peak_rss_mib(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(
        f"  {scenario} x {count:,}: {wall:.2f} s, peak RSS {peak:.1f} MiB, task answered {_brief(outcome)}", flush=True
    )
    return Measurement(scenario, count, round(wall, 2), round(ready, 1), round(peak, 1), 0)


def _wait_for_ready(log: Path, worker: subprocess.Popen[bytes], deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with code {worker.returncode}; see {log}")
        if log.exists() and " ready." in log.read_text():
            return
        time.sleep(0.1)
    raise RuntimeError(f"the worker was not ready within {deadline_s} s; see {log}")


def _peak_rss_mib(pid: int) -> float:
    """The process's high-water mark of resident memory (``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def _brief(outcome: Any) -> str:
    if isinstance(outcome, dict):
        return ", ".join(f"{k}={v}" for k, v in outcome.items() if not isinstance(v, list))
    return repr(outcome)


def _print_table(results: list[Measurement]) -> None:
    print()
    print(
        f"{'scenario':<10} {'count':>10} {'wall s':>8} {'ready RSS MiB':>14} {'peak RSS MiB':>13} {'done':>8}  target"
    )
    for result in results:
        verdict = "ok" if result.wall_seconds < TARGET_SECONDS else f"OVER {TARGET_SECONDS:.0f} s"
        print(
            f"{result.scenario:<10} {result.count:>10,} {result.wall_seconds:>8.2f} {result.ready_rss_mib:>14.1f} "
            f"{result.peak_rss_mib:>13.1f} "
            f"{result.done:>8,}  {verdict}"
        )
    for scenario in ("rotation", "deletion", "alarms"):
        runs = sorted((r for r in results if r.scenario == scenario), key=lambda r: r.count)
        if len(runs) >= 2:
            ratio = runs[-1].peak_rss_mib / runs[0].peak_rss_mib
            verdict = "flat" if ratio <= FLAT_MEMORY_RATIO else f"NOT within {FLAT_MEMORY_RATIO}x"
            print(f"{scenario}: peak RSS {runs[-1].count:,} vs {runs[0].count:,} = {ratio:.2f}x ({verdict})")


if __name__ == "__main__":
    main()
