"""Shared fixtures: workspaces as ``createworkspace`` makes them, and real AWS clients
(boto3 and the aws CLI) pointed at a live server.

The live server is a real gunicorn process on the test database, started once per test
session. Tests do not flush the database between them: each gets a fresh workspace, and
workspaces are isolated by design (which the suite also tests), so that is enough.

Under ``CI=true`` the suite must run on PostgreSQL: a missing ``DATABASE_URL`` fails the
run instead of silently testing SQLite.

Helpers that are not fixtures live in ``support.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from support import (  # noqa: F401  (re-exported for fixtures below)
    ARTIFACTS,
    CHROMIUM,
    NO_RETRIES,
    REGION,
    ROOT,
    Identity,
    cli_json,
    free_port,
    identity_of,
    screenshot,
    wait_for_port,
)

from kmsconsole.iam.provisioning import ProvisionedWorkspace, create_workspace


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("CI") == "true" and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI=true but DATABASE_URL does not point at PostgreSQL")


def _database_url() -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    user = database.get("USER") or ""
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{database['HOST']}:{database.get('PORT') or 5432}/{database['NAME']}"


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment: None, django_db_blocker: Any, django_db_modify_db_settings: None
) -> Iterator[None]:
    """Create the test database for every test session, whether or not a test asks for
    pytest-django's ``db`` fixture: live-server tests reach it through another process."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    yield
    with django_db_blocker.unblock():
        _disconnect_other_sessions()
        teardown_databases(config, verbosity=0)


def _disconnect_other_sessions() -> None:
    """PostgreSQL refuses to drop a database another session still uses; a server or
    worker process that has not quite exited yet may still hold one."""
    from django.db import connection, connections

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    connections.close_all()


@pytest.fixture(scope="session")
def live_endpoint(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gunicorn process serving the test database; its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "KMSCONSOLE_DATA_DIR": str(settings.DATA_DIR)}
    # WhiteNoise serves what collectstatic gathered: without it the console has no htmx.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    command = [
        sys.executable, "-m", "gunicorn", "kmsconsole.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8",
        "--worker-class", "gthread", "--log-file", str(log),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def orm(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Direct database access whose writes commit at once, visible to the live server.
    Connections are closed afterwards: one opened while Playwright's event loop runs
    would otherwise outlive the test and keep PostgreSQL from dropping the database."""
    from django.db import connections

    with django_db_blocker.unblock():
        yield
        connections.close_all()


@pytest.fixture
def workspace(orm: None) -> ProvisionedWorkspace:
    return create_workspace(f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def alice(workspace: ProvisionedWorkspace) -> Identity:
    """The admin of account A."""
    return identity_of(workspace, "A")


@pytest.fixture
def bob(workspace: ProvisionedWorkspace) -> Identity:
    """The admin of account B, in the same workspace."""
    return identity_of(workspace, "B")


@pytest.fixture
def charlie(orm: None) -> Identity:
    """The admin of account A of a different workspace: a stranger."""
    return identity_of(create_workspace(f"other-{uuid.uuid4().hex[:12]}"), "A")


@pytest.fixture
def endpoint(live_endpoint: str) -> str:
    return live_endpoint


@pytest.fixture
def kms(endpoint: str, alice: Identity) -> Any:
    """boto3 KMS client of account A's admin against the live server."""
    return alice.client("kms", endpoint)


@pytest.fixture
def kms_b(endpoint: str, bob: Identity) -> Any:
    return bob.client("kms", endpoint)


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def aws_cli(endpoint: str, alice: Identity, tmp_path: Path) -> CliRunner:
    """Run the aws CLI as account A's admin (or ``identity=``) against the live server.

    ``aws_cli("kms", "list-keys")`` runs one command; ``aws_cli("a | pipeline", shell=True)``
    runs a shell line verbatim, with the endpoint set through ``AWS_ENDPOINT_URL`` so the
    guide's commands need no edits.
    """

    def run(
        *args: str, identity: Identity | None = None, input: str | None = None, shell: bool = False
    ) -> subprocess.CompletedProcess[str]:
        who = identity or alice
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": who.access_key_id,
            "AWS_SECRET_ACCESS_KEY": who.secret_access_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_PAGER": "",
        }
        env.pop("AWS_SESSION_TOKEN", None)
        if shell:
            return subprocess.run(
                args[0], shell=True, env=env, input=input, capture_output=True, text=True, cwd=tmp_path
            )
        command = [sys.executable, "-m", "awscli", *args]
        return subprocess.run(command, env=env, input=input, capture_output=True, text=True, cwd=tmp_path)

    return run


def redis_url_for_tests() -> str:
    """The Redis the worker tests use. Under CI=true a missing or unreachable Redis
    fails those tests instead of skipping them."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        message = f"Redis at {url} is unreachable: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def celery_worker_env(django_db_setup: None) -> dict[str, str]:
    """Environment for a real Celery worker process on Redis and the test database."""
    url = redis_url_for_tests()
    # A database number of our own (one per xdist worker), so a stale queue from another
    # run, or another worker's flush, cannot interfere.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    number = 9 + int(worker) if worker.isdigit() else 9
    isolated = url.rsplit("/", 1)[0] + f"/{number}" if url.count("/") >= 3 else url + f"/{number}"
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "KMSCONSOLE_DATA_DIR": str(settings.DATA_DIR),
        "REDIS_URL": isolated,
    }


@pytest.fixture
def celery_worker(celery_worker_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``celery worker`` process, started for one test and stopped after it."""
    import redis

    redis.Redis.from_url(celery_worker_env["REDIS_URL"]).flushdb()
    log = tmp_path / "worker.log"
    command = [
        sys.executable, "-m", "celery", "-A", "kmsconsole", "worker",
        "--concurrency", "1", "--pool", "solo", "--loglevel", "INFO", "--logfile", str(log),
        "--without-heartbeat", "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=celery_worker_env)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (browser downloads are impossible
    here, so Playwright is given the system browser's path)."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (scripts/test installs the Debian package)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread for the rest of the
    # session; the tests stay synchronous, so Django's async guard would only get in the
    # way of every later ORM call.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )  # fmt: skip
        yield chromium
        chromium.close()


@dataclass
class ConsoleUser:
    username: str
    password: str
    workspace: ProvisionedWorkspace


@pytest.fixture
def console_user(orm: None) -> ConsoleUser:
    """A console user who owns a fresh workspace."""
    from django.contrib.auth.models import User

    username = f"learner-{uuid.uuid4().hex[:8]}"
    password = "correct-horse-battery-staple"
    user = User.objects.create_user(username, password=password)
    return ConsoleUser(username, password, create_workspace(f"ws-{username}", owner=user))


@pytest.fixture(autouse=True)
def _close_connections_after_browser_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Connections opened while Playwright's loop runs are closed after each browser test:
    left open, they would keep PostgreSQL from dropping the test database."""
    yield
    if "browser" in request.fixturenames:
        from django.db import connections

        connections.close_all()


@pytest.fixture
def page(browser: Any, live_endpoint: str, console_user: ConsoleUser) -> Iterator[Any]:
    """A browser page signed in to the console as ``console_user``."""
    context = browser.new_context(base_url=live_endpoint, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.goto("/login/")
    tab.fill("input[name=username]", console_user.username)
    tab.fill("input[name=password]", console_user.password)
    tab.click("button[type=submit]")
    tab.wait_for_url("**/dashboard/")
    yield tab
    context.close()
