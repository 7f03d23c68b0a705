"""Where kmsconsole's server time goes during an Encrypt phase, by cProfile.

    python bench/profile_server.py [--database postgres|sqlite] [--operation Encrypt] [--seconds 10]

Runs kmsconsole under gunicorn with one sync worker profiled by cProfile (see
gunicorn_cprofile.py), drives it with the benchmark's keep-alive clients for a warm-up
and a measured window, then prints the top entries by cumulative time of kmsconsole and
Django code, and the top entries by own time of everything. Profiling slows the server
several times over: read the shares, not the absolute figures.
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from api_throughput import OPERATIONS, ClientPool, Measurement, Phase, prepare_bodies
from servers import start_kmsconsole

HERE = Path(__file__).resolve().parent
PATH_PREFIXES = (sysconfig.get_paths()["purelib"] + "/", str(HERE.parent) + "/")


def profile(args: argparse.Namespace, work_dir: Path) -> pstats.Stats:
    flag = work_dir / "profiling"
    os.environ["KMSBENCH_PROFILE_FLAG"] = str(flag)
    os.environ["KMSBENCH_PROFILE_DIR"] = str(work_dir)
    os.environ["KMSBENCH_PROFILE_TIMER"] = args.timer
    server = start_kmsconsole(
        work_dir,
        database=args.database,
        postgres_url=args.postgres_url,
        workers=1,
        threads=1,
        gunicorn_args=("--config", str(HERE / "gunicorn_cprofile.py")),
    )
    try:
        bodies, refused = prepare_bodies(server, args.key_policy)
        if args.operation in refused:
            sys.exit(f"{args.operation} cannot be profiled: {refused[args.operation]}")
        pool = ClientPool(args.clients)
        try:
            phase = Phase.soon(
                server, args.operation, bodies[args.operation], warmup_s=args.warmup, measured_s=args.seconds
            )
            time.sleep(max(0.0, phase.measure_at - time.monotonic()))
            flag.touch()
            measured = Measurement(server.name, args.operation)
            rate = pool.run(phase, server, measured)
        finally:
            pool.close()
    finally:
        server.stop()
    cpu_ms = measured.per_request_ms(measured.server_cpu_s) or 0.0
    print(
        f"{args.operation} on {args.database}, key policy {args.key_policy}, "
        f"under cProfile ({args.timer} time, one sync worker): "
        f"{measured.requests} requests, {rate:.1f} ops/s, server CPU {cpu_ms:.2f} ms/request\n"
    )
    return pstats.Stats(*[str(p) for p in work_dir.glob("worker-*.prof")], stream=io.StringIO())


def print_top(stats: pstats.Stats, sort: str, restriction: str | None, count: int, title: str) -> None:
    stream = io.StringIO()
    stats.stream = stream
    stats.sort_stats(sort)
    if restriction:
        stats.print_stats(restriction, count)
    else:
        stats.print_stats(count)
    body = stream.getvalue()
    for prefix in PATH_PREFIXES:
        body = body.replace(prefix, "")
    print(f"== {title} ==")
    print(body[body.find("   ncalls") :].rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--operation", choices=OPERATIONS, default="Encrypt")
    parser.add_argument(
        "--key-policy",
        choices=["default", "twenty"],
        default="default",
        help="the key's policy: AWS's default, or 20 statements with conditions (as in api_throughput.py)",
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--timer",
        choices=["cpu", "wall"],
        default="wall",
        help="elapsed time (default; includes waiting for the database) or CPU time (one clock call per event)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kmsprofile-") as work_dir:
        stats = profile(args, Path(work_dir))
        title = f"top {args.top} by cumulative time: kmsconsole and Django"
        print_top(stats, "cumulative", r"(kmsconsole|django)/", args.top, title)
        print_top(stats, "cumulative", r"kmsconsole/", args.top, f"top {args.top} by cumulative time: kmsconsole")
        print_top(stats, "tottime", None, args.top, f"top {args.top} by own time: everything")


if __name__ == "__main__":
    main()
