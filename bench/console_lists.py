"""Server time of the console's two big lists: the customer managed key list at 10,000
keys and the event history at 100,000 events, each on its first page and filtered.

    python bench/console_lists.py                          # SQLite, then PostgreSQL
    python bench/console_lists.py --database sqlite --requests 20 --json out.json

Each database runs in a child process of its own (Django reads its database settings
once): SQLite on a new file in a temporary directory, PostgreSQL on the database
``kmsbench_console``, dropped and created again. It is migrated, then filled:

- a workspace (accounts A and B) owned by a console user, and ten IAM users ``app-0``
  to ``app-9`` in account A with an administrator policy;
- a few real calls through the operations (Encrypt, Decrypt, GenerateDataKey,
  DescribeKey by each app user; an Encrypt by account B's admin that is denied), whose
  audit events, with their CloudTrail records and authorization traces, are the
  templates of the bulk events;
- ``--keys`` customer managed keys in account A, us-east-1, inserted with
  ``bulk_create`` (descriptions name one of ten teams; every fifth key has an alias).
  No material rows: the list never reads them;
- ``--events`` audit events over the last 30 days of the workspace clock, inserted with
  ``bulk_create``: copies of the templates naming the bulk keys, 1 % of them denied.

Then the console pages are requested through Django's test client, in process, signed
in as the owner: the time is the server's (middleware, view, queries, template), with
no HTTP or network. Each page gets 2 warm-up requests and ``--requests`` measured ones;
the figures are the median and the p95 (nearest rank: the 19th of 20). PostgreSQL's
statistics are gathered with ANALYZE after the fill, as autovacuum would soon do;
SQLite is left as the application leaves it (no ANALYZE).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "kmsbench_console"
TARGET_MS = 150.0
WARMUP_REQUESTS = 2
BATCH = 5_000
TEAMS = ("payments", "billing", "search", "orders", "ledger", "identity", "reports", "mail", "media", "audit")
# Of every 100 events: 60 Decrypt, 25 Encrypt, 10 GenerateDataKey, 4 DescribeKey, 1 denied Encrypt.
EVENT_MIX = ["Decrypt"] * 60 + ["Encrypt"] * 25 + ["GenerateDataKey"] * 10 + ["DescribeKey"] * 4 + ["denied"]


@dataclass
class Measurement:
    database: str
    page: str
    url: str
    rows: int
    median_ms: float
    p95_ms: float
    requests: int


def main() -> None:
    options = _parse_arguments()
    if options.child:
        _child(options)
        return
    results: list[Measurement] = []
    for database in options.databases:
        results += _run_child(database, options)
    _print_table(results, options)
    if options.json:
        Path(options.json).write_text(json.dumps([asdict(result) for result in results], indent=2))


def _parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", dest="databases", action="append", choices=("sqlite", "postgres"))
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", choices=("sqlite", "postgres"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    options = parser.parse_args()
    options.databases = options.databases or ["sqlite", "postgres"]
    return options


def _run_child(database: str, options: argparse.Namespace) -> list[Measurement]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"kmsbench-console-{database}-"))
    if database == "postgres":
        _recreate_database(options.postgres_url)
        url = f"{options.postgres_url.rstrip('/')}/{DATABASE}"
    else:
        url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    out = data_dir / "results.json"
    env = {**os.environ, "DATABASE_URL": url, "KMSCONSOLE_DATA_DIR": str(data_dir), "DEBUG": "false"}
    command = [
        sys.executable, __file__, "--child", database, "--out", str(out), "--keys", str(options.keys),
        "--events", str(options.events), "--requests", str(options.requests),
    ]  # fmt: skip
    print(f"{database}: {url}", flush=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return [Measurement(**row) for row in json.loads(out.read_text())]


def _recreate_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(f"{admin_url.rstrip('/')}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


# The child: one database.


def _child(options: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    scene = _fill(options.keys, options.events)
    if options.child == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    results = [
        _measure(options.child, scene, page, url, options.requests)
        for page, url in (
            ("keys, first page", "/keys/"),
            ("keys, filtered by text", "/keys/?q=billing"),
            ("keys, text matching nothing", "/keys/?q=no-such-team"),
            ("events, first page", "/events/"),
            ("events, filtered by name and principal", f"/events/?event_name=Decrypt&principal={scene.app_arn}"),
            ("events, errors only", "/events/?only_errors=on"),
        )
    ]
    Path(options.out).write_text(json.dumps([asdict(result) for result in results]))


@dataclass
class Scene:
    user: Any
    app_arn: str


def _fill(key_count: int, event_count: int) -> Scene:
    from django.contrib.auth.models import User

    from kmsconsole.iam.provisioning import create_workspace

    user = User.objects.create_user("bench", password=uuid.uuid4().hex)
    provisioned = create_workspace("bench-console", owner=user)
    started = time.monotonic()
    templates, apps = _template_events(provisioned)
    key_arns = _insert_keys(provisioned.workspace, key_count)
    print(f"  {key_count:,} keys in {time.monotonic() - started:.1f} s", flush=True)
    started = time.monotonic()
    _insert_events(provisioned.workspace, templates, apps, key_arns, event_count)
    print(f"  {event_count:,} events in {time.monotonic() - started:.1f} s", flush=True)
    return Scene(user, apps[3])


def _template_events(provisioned: Any) -> tuple[dict[tuple[str, str], Any], list[str]]:
    """Real calls whose events the bulk events copy, keyed by (principal ARN, name)."""
    from kmsconsole.audit.models import Event
    from kmsconsole.engine.errors import AWSError
    from kmsconsole.iam.callers import Caller
    from kmsconsole.iam.identity_policies import put_inline_policy
    from kmsconsole.iam.models import PrincipalType
    from kmsconsole.iam.provisioning import ADMIN_POLICY, create_principal
    from kmsconsole.kms.operations import find

    workspace = provisioned.workspace
    account_a, account_b = (item for item in provisioned.accounts)
    admin = Caller(principal=account_a.admin, region="us-east-1")
    key_arn = find("kms", "CreateKey")(admin, {"Description": "template"})["KeyMetadata"]["Arn"]
    apps = []
    for number in range(10):
        principal = create_principal(account_a.account, PrincipalType.USER, f"app-{number}", now=workspace.now())
        put_inline_policy(principal, "AdministratorAccess", ADMIN_POLICY)
        app = Caller(principal=principal, region="us-east-1")
        blob = find("kms", "Encrypt")(app, {"KeyId": key_arn, "Plaintext": b"secret"})["CiphertextBlob"]
        find("kms", "Decrypt")(app, {"CiphertextBlob": blob})
        find("kms", "GenerateDataKey")(app, {"KeyId": key_arn, "KeySpec": "AES_256"})
        find("kms", "DescribeKey")(app, {"KeyId": key_arn})
        apps.append(principal.arn)
    outsider = Caller(principal=account_b.admin, region="us-east-1")
    # The denial is the point: its event carries the trace the history explains.
    with contextlib.suppress(AWSError):
        find("kms", "Encrypt")(outsider, {"KeyId": key_arn, "Plaintext": b"secret"})
    templates = {}
    for event in Event.objects.filter(workspace=workspace).exclude(key_arn=""):
        name = "denied" if event.error_code else event.event_name
        templates[(event.principal_arn, name)] = event
    return templates, apps


def _insert_keys(workspace: Any, count: int) -> list[str]:
    from kmsconsole.engine.arns import key_arn
    from kmsconsole.kms.models import Alias, Key
    from kmsconsole.kms.policies import default_key_policy

    account = workspace.accounts.get(label="A")
    policy = default_key_policy(account.account_id)
    now = workspace.now()
    arns = []
    for first in range(0, count, BATCH):
        keys = []
        for number in range(first, min(first + BATCH, count)):
            key_id = str(uuid.uuid4())
            keys.append(
                Key(
                    account=account, region="us-east-1", key_id=key_id,
                    arn=key_arn("us-east-1", account.account_id, key_id),
                    description=f"{TEAMS[number % len(TEAMS)]} service key {number}", key_spec="SYMMETRIC_DEFAULT",
                    key_usage="ENCRYPT_DECRYPT", creation_date=now - timedelta(minutes=number), policy=policy,
                )
            )  # fmt: skip
        Key.objects.bulk_create(keys)
        aliases = [
            Alias(account=account, region="us-east-1", name=f"alias/{key.description.replace(' ', '-')}", key=key,
                  creation_date=now, last_updated_date=now)
            for index, key in enumerate(keys) if index % 5 == 0
        ]  # fmt: skip
        Alias.objects.bulk_create(aliases)
        arns += [key.arn for key in keys]
    return arns


def _insert_events(
    workspace: Any, templates: dict[tuple[str, str], Any], apps: list[str], key_arns: list[str], count: int
) -> None:
    from kmsconsole.audit.models import Event

    denied = next(event for (_, name), event in templates.items() if name == "denied")
    start = workspace.now() - timedelta(days=30)
    step = timedelta(days=30) / count
    for first in range(0, count, BATCH):
        batch = []
        for number in range(first, min(first + BATCH, count)):
            kind = EVENT_MIX[number % len(EVENT_MIX)]
            template = denied if kind == "denied" else templates[(apps[number % len(apps)], kind)]
            batch.append(_copy(template, start + step * number, key_arns[number % len(key_arns)]))
        Event.objects.bulk_create(batch)


def _copy(template: Any, event_time: Any, key_arn: str) -> Any:
    """The template event, made anew for ``event_time`` and ``key_arn``."""
    from kmsconsole.audit.models import Event

    event_id = str(uuid.uuid4())
    record = copy.deepcopy(template.record)
    record.update(eventID=event_id, eventTime=event_time.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for resource in record.get("resources") or []:
        resource["ARN"] = key_arn
    if isinstance(record.get("requestParameters"), dict) and "keyId" in record["requestParameters"]:
        record["requestParameters"]["keyId"] = key_arn
    return Event(
        workspace_id=template.workspace_id, event_id=event_id, event_time=event_time,
        event_name=template.event_name, event_source=template.event_source, region=template.region,
        account_id=template.account_id, username=template.username, principal_arn=template.principal_arn,
        access_key_id=template.access_key_id, key_arn=key_arn, error_code=template.error_code,
        read_only=template.read_only, record=record, trace=template.trace,
    )  # fmt: skip


def _measure(database: str, scene: Scene, page: str, url: str, requests: int) -> Measurement:
    from django.test import Client

    client = Client()
    client.force_login(scene.user)
    for _ in range(WARMUP_REQUESTS):
        _get(client, url)
    times = []
    rows = 0
    for _ in range(requests):
        started = time.perf_counter()
        response = _get(client, url)
        times.append((time.perf_counter() - started) * 1000)
        rows = _rows(response.content.decode())
    times.sort()
    p95 = times[math.ceil(0.95 * len(times)) - 1]
    result = Measurement(database, page, url, rows, round(statistics.median(times), 1), round(p95, 1), requests)
    print(f"  {page}: median {result.median_ms} ms, p95 {result.p95_ms} ms, {rows} rows", flush=True)
    return result


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return response


def _rows(page: str) -> int:
    """The rows of the page's table: event rows have an id; key rows link to a key."""
    if 'id="event-table"' in page:
        return page.count('<tr id="event-')
    return page.split('id="key-table"', 1)[1].count('<td><a href="/keys/')


def _print_table(results: list[Measurement], options: argparse.Namespace) -> None:
    print()
    print(
        f"{options.keys:,} keys, {options.events:,} events; {options.requests} requests per page (Django test client)"
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average at the end: {load} on {os.cpu_count()} CPUs (other work on the machine shows up here)")
    print(f"{'database':<9} {'page':<40} {'rows':>5} {'median ms':>10} {'p95 ms':>8}  target")
    for result in results:
        verdict = "ok" if result.p95_ms < TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
        print(
            f"{result.database:<9} {result.page:<40} {result.rows:>5} {result.median_ms:>10.1f} {result.p95_ms:>8.1f}"
            f"  {verdict}"
        )


if __name__ == "__main__":
    main()
