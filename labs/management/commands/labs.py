"""``manage.py labs``: the authors' and CI's tool.

labs list                      one lab slug per line
labs validate                  check every lab file; exit 1 on any problem
labs run-solution LAB_SLUG     run a lab's solution in a fresh workspace against a live
                               server (started here unless --endpoint is given) and print
                               every check's result; exit 1 if any check fails
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from labs.authoring import lab_problems
from labs.format import CONTENT_DIR, LabFormatError, load_all
from labs.provisioning import UnknownLab
from labs.solutions import LabRun, start_run

SERVER_START_SECONDS = 30.0


class Command(BaseCommand):
    help = "List, validate and test labs: labs list | labs validate | labs run-solution LAB_SLUG"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="Print one lab slug per line.")
        validate = actions.add_parser("validate", help="Check every lab file: schema, checks, solutions.")
        for subparser in (listing, validate):
            subparser.add_argument("--directory", type=Path, default=CONTENT_DIR, help="Where the lab files are.")
        run = actions.add_parser("run-solution", help="Run a lab's solution and print each check's result.")
        run.add_argument("slug", metavar="LAB_SLUG")
        run.add_argument("--endpoint", help="URL of a running kmsconsole; by default one is started on a free port.")
        run.add_argument("--keep", action="store_true", help="Keep the lab's workspace afterwards.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            self._list(options["directory"])
        elif action == "validate":
            self._validate(options["directory"])
        else:
            self._run_solution(options["slug"], options.get("endpoint"), keep=options["keep"])

    def _list(self, directory: Path) -> None:
        try:
            labs = load_all(directory)
        except LabFormatError as error:
            raise CommandError(str(error)) from None
        for slug in labs:
            self.stdout.write(slug)

    def _validate(self, directory: Path) -> None:
        labs, problems = lab_problems(directory)
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the lab files.")
        self.stdout.write(f"{len(labs)} labs are valid.")

    def _run_solution(self, slug: str, endpoint: str | None, *, keep: bool) -> None:
        with _live_server(endpoint) as url:
            try:
                run = start_run(slug, url)
            except UnknownLab as unknown:
                raise CommandError(str(unknown)) from None
            try:
                failures = self._solve_and_report(run)
            finally:
                if keep:
                    self.stdout.write(f"Workspace kept: {run.provisioned.workspace.name}")
                else:
                    run.provisioned.workspace.delete()
        if failures:
            raise CommandError(f"{failures} check(s) of {slug} did not pass.")

    def _solve_and_report(self, run: LabRun) -> int:
        """Run the solution, print every check's result; return how many failed."""
        self.stdout.write(f"{run.lab.slug}: {run.lab.title}")
        try:
            run.solve()
        except Exception:
            self.stderr.write("The solution raised an error:\n" + traceback.format_exc())
        failures = 0
        results = run.check_all()
        for step in run.lab.steps:
            self.stdout.write(f"  step {step.id}: {step.title}")
            for spec, result in zip(step.checks, results[step.id], strict=True):
                failures += not result.passed
                mark = self.style.SUCCESS("PASS") if result.passed else self.style.ERROR("FAIL")
                self.stdout.write(f"    {mark} {spec.check}: {result.reason}")
        if not failures:
            total = sum(len(step.checks) for step in run.lab.steps)
            self.stdout.write(self.style.SUCCESS(f"All {total} checks passed."))
        return failures


@contextmanager
def _live_server(endpoint: str | None) -> Iterator[str]:
    """``endpoint``, or a gunicorn serving this command's database on a free port."""
    if endpoint:
        yield endpoint.rstrip("/")
        return
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "KMSCONSOLE_DATA_DIR": str(settings.DATA_DIR),
        # The solution's expected errors would otherwise be logged as warnings.
        "LOG_LEVEL": "ERROR",
    }
    command = [
        sys.executable, "-m", "gunicorn", "kmsconsole.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--threads", "4", "--worker-class", "gthread", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=Path(settings.BASE_DIR), env=environment)
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _database_url() -> str:
    """The URL of the database this process uses, for the server it starts."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    user = database.get("USER") or ""
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{database['HOST']}:{database.get('PORT') or 5432}/{database['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"The server exited with code {process.returncode} before it listened.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise CommandError(f"The server did not listen on port {port} within {SERVER_START_SECONDS:.0f} s.")
