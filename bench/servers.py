"""Servers under test for the benchmark: kmsconsole under gunicorn, and moto_server.

Each server runs in its own session (process group) so that stopping it stops every
process it forked, and its CPU time is read from ``/proc`` for the whole process tree.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BENCH_DATABASE = "kmsbench"


@dataclass
class Server:
    """A running server: its URL, its root process and where it logs."""

    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    log_path: Path
    access_key_id: str = "testing"
    secret_access_key: str = field(default="testing", repr=False)
    postgres_admin_url: str | None = None  # set when kmsconsole runs on PostgreSQL

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's root process and all its descendants."""
        return sum(_process_cpu_seconds(pid) for pid in _process_tree(self.process.pid))

    def database_cpu_seconds(self) -> float | None:
        """CPU of the PostgreSQL backends connected to the benchmark database, if any."""
        if self.postgres_admin_url is None:
            return None
        with psycopg.connect(self.postgres_admin_url, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (BENCH_DATABASE,)
            ).fetchall()
        return sum(_process_cpu_seconds(pid) for (pid,) in rows)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _process_cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0  # exited between listing and reading
    fields = stat.rpartition(")")[2].split()  # the command name may contain spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLOCK_TICKS


def _process_tree(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log_path: Path, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log_tail = "".join(log_path.read_text(errors="replace").splitlines(keepends=True)[-20:])
            raise RuntimeError(f"the server exited with code {process.returncode}; its log ends:\n{log_tail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server did not listen on port {port} within {deadline_s} s")


def _start(command: list[str], env: dict[str, str], log_path: Path, port: int) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    _wait_until_listening(port, process, log_path)
    return process


def start_moto(work_dir: Path) -> Server:
    """moto_server on a free port; it accepts any credentials."""
    port = free_port()
    log_path = work_dir / "moto.log"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = _start(command, {**os.environ}, log_path, port)
    return Server("moto", f"http://127.0.0.1:{port}", process, log_path)


def recreate_postgres_database(server_url: str) -> tuple[str, str]:
    """Drop and create ``kmsbench``; return (its URL, the URL of the maintenance database)."""
    admin_url = _with_database(server_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return _with_database(server_url, BENCH_DATABASE), admin_url


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", "", ""))


def start_kmsconsole(
    work_dir: Path, *, database: str, postgres_url: str, workers: int, threads: int, gunicorn_args: tuple[str, ...] = ()
) -> Server:
    """A fresh database (PostgreSQL ``kmsbench`` or an SQLite file in ``work_dir``),
    migrated, with a workspace ``bench``, served by gunicorn; signs as account A's admin."""
    env = {**os.environ, "KMSCONSOLE_DATA_DIR": str(work_dir / "data"), "DJANGO_SETTINGS_MODULE": "kmsconsole.settings"}
    admin_url = None
    if database == "postgres":
        env["DATABASE_URL"], admin_url = recreate_postgres_database(postgres_url)
    else:
        env["DATABASE_URL"] = f"sqlite:///{work_dir / 'data' / 'bench.sqlite3'}"
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    created = subprocess.run(
        [*manage, "createworkspace", "bench", "--json"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    admin = next(a for a in json.loads(created.stdout)["accounts"] if a["label"] == "A")["admin"]
    port = free_port()
    log_path = work_dir / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "kmsconsole.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads), "--keep-alive", "30",
        *gunicorn_args,
    ]  # fmt: skip
    process = _start(command, env, log_path, port)
    return Server(
        "kmsconsole",
        f"http://127.0.0.1:{port}",
        process,
        log_path,
        access_key_id=admin["access_key_id"],
        secret_access_key=admin["secret_access_key"],
        postgres_admin_url=admin_url,
    )
