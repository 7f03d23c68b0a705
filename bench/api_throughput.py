"""API throughput of kmsconsole against moto_server, under the same load.

    python bench/api_throughput.py [--database postgres|sqlite] [--seconds 10] [--json out.json]
    python bench/api_throughput.py --key-policy default,twenty   # what a 20-statement policy costs

For each of Encrypt, Decrypt, GenerateDataKey and Sign (ECC_NIST_P256, ECDSA_SHA_256,
RAW) it runs phases that alternate between the two servers (kmsconsole, moto,
kmsconsole, moto, ...). In each phase, ``--clients`` processes each keep one HTTP/1.1
connection open and send signed requests back to back: first a warm-up, then a fixed
measured window. It prints throughput, p50/p99 latency, and the server's CPU time per
request, read from /proc for every process of the server (gunicorn's master and
workers; moto's one process) before and after the window. On PostgreSQL it also shows
the CPU of the database backends serving kmsconsole, which the server figure leaves out.

``--key-policy default,twenty`` gives kmsconsole a second set of keys whose policy has 20
statements with conditions, measures both sets in alternating phases on the same server,
and reports how far the larger policy lowers throughput and raises server CPU.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kms_client import KMSCallFailed, KMSConnection, Signer
from servers import Server, start_kmsconsole, start_moto

OPERATIONS = ("Encrypt", "Decrypt", "GenerateDataKey", "Sign")
KEY_POLICIES = ("default", "twenty")
TARGET_MOTO_RATIO = 3.0
TARGET_P99_MS = 15.0
TARGET_CPU_MS = 2.5
TARGET_POLICY_FALL_PERCENT = 30  # issue #4: a 20-statement policy costs at most 30% of throughput
PLAINTEXT = bytes(range(32))  # a data key's worth
MESSAGE = bytes(range(32, 64))


@dataclass(frozen=True)
class Phase:
    """What every client does in one phase; times are ``time.monotonic()`` values."""

    endpoint: str
    access_key_id: str
    secret_access_key: str
    operation: str
    body: bytes
    start_at: float
    measure_at: float
    end_at: float

    @classmethod
    def soon(cls, server: Server, operation: str, body: bytes, *, warmup_s: float, measured_s: float) -> Phase:
        """A phase that starts in 0.2 s, time enough for every client to receive it."""
        start_at = time.monotonic() + 0.2
        measure_at = start_at + warmup_s
        return cls(
            server.endpoint, server.access_key_id, server.secret_access_key, operation, body,
            start_at, measure_at, measure_at + measured_s,
        )  # fmt: skip


@dataclass
class ClientReport:
    latencies_s: array[float]
    errors: int
    first_error: str
    reconnects: int
    cpu_seconds: float


@dataclass
class Measurement:
    """The merged result of one server and operation over all its phases."""

    server: str
    operation: str
    seconds: float = 0.0
    latencies_s: list[float] = field(default_factory=list, repr=False)
    errors: int = 0
    first_error: str = ""
    reconnects: int = 0
    server_cpu_s: float = 0.0
    database_cpu_s: float | None = None
    client_cpu_s: float = 0.0
    phase_ops_per_s: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies_s)

    @property
    def ops_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies_s)
        if not ordered:
            return float("nan")
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def per_request_ms(self, cpu_seconds: float | None) -> float | None:
        if cpu_seconds is None or not self.requests:
            return None
        return 1000 * cpu_seconds / self.requests

    def summary(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "operation": self.operation,
            "requests": self.requests,
            "seconds": self.seconds,
            "ops_per_s": round(self.ops_per_s, 1),
            "p50_ms": round(self.percentile_ms(0.50), 2),
            "p99_ms": round(self.percentile_ms(0.99), 2),
            "server_cpu_ms_per_request": _rounded(self.per_request_ms(self.server_cpu_s)),
            "database_cpu_ms_per_request": _rounded(self.per_request_ms(self.database_cpu_s)),
            "client_cpu_ms_per_request": _rounded(self.per_request_ms(self.client_cpu_s)),
            "phase_ops_per_s": [round(rate, 1) for rate in self.phase_ops_per_s],
            "errors": self.errors,
            "first_error": self.first_error,
            "reconnects": self.reconnects,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# --- the client processes -------------------------------------------------------------


def _client_main(pipe: Connection) -> None:
    """Run phases sent by the parent until it sends ``None``."""
    while (phase := pipe.recv()) is not None:
        pipe.send(_run_phase(phase))


def _run_phase(phase: Phase) -> ClientReport:
    connection = KMSConnection(phase.endpoint, Signer(phase.access_key_id, phase.secret_access_key))
    latencies: array[float] = array("d")
    errors, first_error, cpu_at_measure = 0, "", None
    time.sleep(max(0.0, phase.start_at - time.monotonic()))
    while (started := time.monotonic()) < phase.end_at:
        if cpu_at_measure is None and started >= phase.measure_at:
            cpu_at_measure = time.process_time()
        status, body = connection.call_raw(phase.operation, phase.body)
        finished = time.monotonic()
        if started < phase.measure_at or finished > phase.end_at:
            continue
        if status == 200:
            latencies.append(finished - started)
        else:
            errors += 1
            first_error = first_error or f"HTTP {status}: {body[:200].decode(errors='replace')}"
    cpu_used = time.process_time() - (cpu_at_measure if cpu_at_measure is not None else time.process_time())
    connection.close()
    return ClientReport(latencies, errors, first_error, connection.reconnects, cpu_used)


class ClientPool:
    """``size`` client processes, started once and reused for every phase."""

    def __init__(self, size: int):
        context = multiprocessing.get_context("fork")
        self._pipes: list[Connection] = []
        self._processes = []
        for _ in range(size):
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_client_main, args=(child_end,), daemon=True)
            process.start()
            self._pipes.append(parent_end)
            self._processes.append(process)

    def run(self, phase: Phase, server: Server, into: Measurement) -> float:
        """Run one phase on every client; add it to ``into``; return its ops/s."""
        for pipe in self._pipes:
            pipe.send(phase)
        time.sleep(max(0.0, phase.measure_at - time.monotonic()))
        server_cpu_before, database_cpu_before = server.cpu_seconds(), server.database_cpu_seconds()
        time.sleep(max(0.0, phase.end_at - time.monotonic()))
        server_cpu = server.cpu_seconds() - server_cpu_before
        database_cpu = _delta(server.database_cpu_seconds(), database_cpu_before)
        reports: list[ClientReport] = [pipe.recv() for pipe in self._pipes]
        seconds = phase.end_at - phase.measure_at
        requests = sum(len(report.latencies_s) for report in reports)
        into.seconds += seconds
        into.server_cpu_s += server_cpu
        if database_cpu is not None:
            into.database_cpu_s = (into.database_cpu_s or 0.0) + database_cpu
        for report in reports:
            into.latencies_s.extend(report.latencies_s)
            into.errors += report.errors
            into.first_error = into.first_error or report.first_error
            into.reconnects += report.reconnects
            into.client_cpu_s += report.cpu_seconds
        into.phase_ops_per_s.append(requests / seconds)
        return requests / seconds

    def close(self) -> None:
        for pipe in self._pipes:
            pipe.send(None)
        for process in self._processes:
            process.join(timeout=10)


def _delta(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


# --- preparing each server --------------------------------------------------------------


def twenty_statement_policy(account_id: str) -> str:
    """A key policy of 20 statements with conditions, the one that lets the benchmark's
    admin in coming last, so that every request evaluates all of them."""
    statements: list[dict[str, Any]] = []
    for index in range(19):
        statements.append(
            {
                "Sid": f"AppRole{index}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:Sign"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {f"kms:EncryptionContext:tenant{index}": f"tenant-{index}"},
                    "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{account_id}:role/app-{index}-*"},
                    "IpAddress": {"aws:SourceIp": f"10.{index}.0.0/16"},
                },
            }
        )
    statements.append(
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def prepare_bodies(server: Server, key_policy: str = "default") -> tuple[dict[str, bytes], dict[str, str]]:
    """Create the keys on ``server`` (with the default key policy, or ``twenty``: a
    20-statement policy with conditions); return each operation's request body, and the
    operations it cannot run, with the error it answered."""
    client = KMSConnection(server.endpoint, Signer(server.access_key_id, server.secret_access_key))
    bodies: dict[str, bytes] = {}
    refused: dict[str, str] = {}
    try:
        extra: dict[str, Any] = {}
        if key_policy == "twenty":
            account_id = client.call("CreateKey", {})["KeyMetadata"]["AWSAccountId"]
            extra = {"Policy": twenty_statement_policy(account_id)}
        key_id = client.call("CreateKey", extra)["KeyMetadata"]["KeyId"]
        sign_key = client.call("CreateKey", {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", **extra})
        sign_key_id = sign_key["KeyMetadata"]["KeyId"]
        payloads = {
            "Encrypt": {"KeyId": key_id, "Plaintext": _b64(PLAINTEXT)},
            "GenerateDataKey": {"KeyId": key_id, "KeySpec": "AES_256"},
            "Sign": {
                "KeyId": sign_key_id,
                "Message": _b64(MESSAGE),
                "MessageType": "RAW",
                "SigningAlgorithm": "ECDSA_SHA_256",
            },
        }
        blob = client.call("Encrypt", payloads["Encrypt"])["CiphertextBlob"]
        payloads["Decrypt"] = {"CiphertextBlob": blob}
        for operation in OPERATIONS:
            body = json.dumps(payloads[operation]).encode()
            try:
                client.call(operation, payloads[operation])
                bodies[operation] = body
            except KMSCallFailed as failed:
                refused[operation] = failed.code or f"HTTP {failed.status}"
    except KMSCallFailed as failed:
        refused.update({operation: f"setup: {failed}" for operation in OPERATIONS if operation not in bodies})
    finally:
        client.close()
    return bodies, refused


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def check_signer(server: Server) -> None:
    """One signed ListKeys must succeed before any measurement means anything."""
    client = KMSConnection(server.endpoint, Signer(server.access_key_id, server.secret_access_key))
    try:
        client.call("ListKeys", {})
    except KMSCallFailed as failed:
        sys.exit(f"The benchmark's SigV4 signer was refused by {server.name}: {failed}")
    finally:
        client.close()


# --- the run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What one row of the report measures: a server, and the request bodies for keys
    with one key policy."""

    label: str
    server: Server
    bodies: dict[str, bytes]


def target_label(server: Server, key_policy: str) -> str:
    """``kmsconsole`` and ``moto`` for keys with the default policy, else ``kmsconsole/twenty``."""
    return server.name if key_policy == "default" else f"{server.name}/{key_policy}"


def run(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    ours = start_kmsconsole(
        work_dir, database=args.database, postgres_url=args.postgres_url, workers=args.workers, threads=args.threads
    )
    servers = [ours]
    try:
        check_signer(ours)
        moto = start_moto(work_dir)
        servers.append(moto)
        # kmsconsole once per key policy; moto evaluates no policy, so it runs once.
        plans = [(ours, policy) for policy in args.key_policy] + [(moto, args.key_policy[0])]
        targets: list[Target] = []
        refused: dict[str, str] = {}
        for server, policy in plans:
            bodies, refusals = prepare_bodies(server, policy)
            targets.append(Target(target_label(server, policy), server, bodies))
            refused.update(refusals)
        operations = [op for op in args.operations if op not in refused]
        measurements = {(t.label, op): Measurement(t.label, op) for op in operations for t in targets}
        pool = ClientPool(args.clients)
        try:
            for round_number in range(1, args.rounds + 1):
                # Every other round runs the targets in reverse, so none always follows another.
                ordered = targets if round_number % 2 else targets[::-1]
                for operation in operations:
                    for target in ordered:
                        body = target.bodies[operation]
                        phase = Phase.soon(
                            target.server, operation, body, warmup_s=args.warmup, measured_s=args.seconds
                        )
                        rate = pool.run(phase, target.server, measurements[(target.label, operation)])
                        progress = f"  round {round_number} {operation:<16} {target.label:<18} {rate:8.1f} ops/s"
                        print(progress, file=sys.stderr, flush=True)
        finally:
            pool.close()
    finally:
        for server in servers:
            server.stop()
    return {
        "settings": _settings(args),
        "results": [m.summary() for m in measurements.values()],
        "not_measured": refused,
    }


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": args.database,
        "key_policy": args.key_policy,
        "gunicorn": f"gthread, {args.workers} workers x {args.threads} threads",
        "clients": args.clients,
        "seconds_per_phase": args.seconds,
        "warmup_seconds": args.warmup,
        "rounds": args.rounds,
        "operations": args.operations,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


# --- the report -------------------------------------------------------------------------


def render(report: dict[str, Any]) -> str:
    settings = report["settings"]
    policies = settings.get("key_policy", ["default"])
    policies = [policies] if isinstance(policies, str) else policies
    lines = [
        f"kmsconsole vs moto_server, {settings['date']}, {settings['cpu_count']} cores, Python {settings['python']}",
        f"kmsconsole on {settings['database']}, key policy {', '.join(policies)}, "
        f"gunicorn {settings['gunicorn']}; {settings['clients']} keep-alive "
        f"clients; {settings['rounds']} rounds x {settings['seconds_per_phase']} s per server and operation "
        f"(after {settings['warmup_seconds']} s warm-up); load average at start {settings['load_average_at_start']}",
        "",
        f"{'operation':<16} {'server':<18} {'ops/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} "
        f"{'DB CPU ms/req':>13} {'client CPU ms/req':>17} {'errors':>6}",
    ]
    for row in report["results"]:
        lines.append(
            f"{row['operation']:<16} {row['server']:<18} {row['ops_per_s']:>8.1f} {row['p50_ms']:>7.2f} "
            f"{row['p99_ms']:>7.2f} {_cell(row['server_cpu_ms_per_request']):>10} "
            f"{_cell(row['database_cpu_ms_per_request']):>13} {_cell(row['client_cpu_ms_per_request']):>17} "
            f"{row['errors']:>6}"
        )
    lines += ["", *_targets_table(report, policies)]
    if "default" in policies and len(policies) > 1:
        lines += ["", *_policy_cost_table(report, [p for p in policies if p != "default"])]
    for operation, why in report["not_measured"].items():
        lines.append(f"{operation:<16} not measured: {why}")
    return "\n".join(lines)


def _targets_table(report: dict[str, Any], policies: list[str]) -> list[str]:
    """Each kmsconsole row against moto's, and against the absolute targets."""
    lines = [f"{'operation':<16} {'server':<18} {'ours/moto':>9}  {'>=3x moto':>9} {'p99<15ms':>9} {'CPU<=2.5ms':>10}"]
    by_key = {(row["server"], row["operation"]): row for row in report["results"]}
    for operation in report["settings"]["operations"]:
        moto = next(
            (row for (server, op), row in by_key.items() if op == operation and server.startswith("moto")), None
        )
        for policy in policies:
            label = "kmsconsole" if policy == "default" else f"kmsconsole/{policy}"
            ours = by_key.get((label, operation))
            if ours is None or moto is None:
                continue
            ratio = ours["ops_per_s"] / moto["ops_per_s"] if moto["ops_per_s"] else float("inf")
            cpu = ours["server_cpu_ms_per_request"]
            lines.append(
                f"{operation:<16} {label:<18} {ratio:>8.2f}x  {_verdict(ratio >= TARGET_MOTO_RATIO):>9} "
                f"{_verdict(ours['p99_ms'] < TARGET_P99_MS):>9} "
                f"{_verdict(cpu is not None and cpu <= TARGET_CPU_MS):>10}"
            )
    return lines


def _policy_cost_table(report: dict[str, Any], policies: list[str]) -> list[str]:
    """What a larger key policy costs: throughput and server CPU against the default
    policy's keys on the same server, measured in alternating phases."""
    lines = [
        f"{'operation':<16} {'key policy':<18} {'ops/s vs default':>16} {'CPU ms/req vs default':>21} "
        f"{'fall<=' + str(TARGET_POLICY_FALL_PERCENT) + '%':>9}"
    ]
    by_key = {(row["server"], row["operation"]): row for row in report["results"]}
    for operation in report["settings"]["operations"]:
        default = by_key.get(("kmsconsole", operation))
        for policy in policies:
            other = by_key.get((f"kmsconsole/{policy}", operation))
            if default is None or other is None or not default["ops_per_s"]:
                continue
            change = 100 * (other["ops_per_s"] / default["ops_per_s"] - 1)
            cpu_default, cpu_other = default["server_cpu_ms_per_request"], other["server_cpu_ms_per_request"]
            cpu = "-" if cpu_default is None or cpu_other is None else f"{cpu_other - cpu_default:+.2f}"
            lines.append(
                f"{operation:<16} {policy:<18} {change:>+15.1f}% {cpu:>21} "
                f"{_verdict(-change <= TARGET_POLICY_FALL_PERCENT):>9}"
            )
    return lines


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--database",
        choices=["postgres", "sqlite"],
        default="postgres",
        help="kmsconsole's database: a fresh PostgreSQL database 'kmsbench', or a fresh SQLite file",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server to create 'kmsbench' on (default postgres://postgres@127.0.0.1:5432)",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per phase (default 10)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each phase (default 1)")
    parser.add_argument("--rounds", type=int, default=2, help="phases per server and operation (default 2)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4)")
    parser.add_argument(
        "--operations",
        type=_operation_list,
        default=list(OPERATIONS),
        help=f"comma-separated subset of {','.join(OPERATIONS)} (default: all)",
    )
    parser.add_argument(
        "--key-policy",
        type=_policy_list,
        default=["default"],
        help="the keys' policy: default (AWS's), twenty (20 statements with conditions), or both\n"
        "as default,twenty: kmsconsole then runs each in turn and reports what the larger costs",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser.parse_args(argv)


def _policy_list(text: str) -> list[str]:
    chosen = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = sorted(set(chosen) - set(KEY_POLICIES))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"choose from {', '.join(KEY_POLICIES)}; not {', '.join(unknown) or 'nothing'}"
        )
    return chosen


def _operation_list(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(OPERATIONS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(OPERATIONS)}; not {', '.join(unknown) or 'nothing'}")
    return chosen


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kmsbench-") as work_dir:
        report = run(args, Path(work_dir))
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
