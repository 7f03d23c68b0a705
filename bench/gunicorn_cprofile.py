"""gunicorn settings that profile a sync worker with cProfile, for bench/profile_server.py.

Profiling starts at the first request after the file named by ``KMSBENCH_PROFILE_FLAG``
appears (so warm-up requests are left out) and ends when the worker exits, which writes
``worker-<pid>.prof`` into ``KMSBENCH_PROFILE_DIR``. cProfile sees only the thread that
enabled it, hence the sync worker class: it serves each request on its main thread.
``KMSBENCH_PROFILE_TIMER=cpu`` (the default) counts CPU time, so waiting for the
database or the next request is left out; ``wall`` counts elapsed time.
"""

import cProfile
import os
import time
from pathlib import Path

worker_class = "sync"
_TIMERS = {"cpu": time.process_time, "wall": time.perf_counter}
_profiler = cProfile.Profile(_TIMERS[os.environ.get("KMSBENCH_PROFILE_TIMER", "cpu")])
_started = False


def pre_request(worker, request):
    global _started
    if not _started and Path(os.environ["KMSBENCH_PROFILE_FLAG"]).exists():
        _started = True
        _profiler.enable()


def worker_exit(server, worker):
    if _started:
        _profiler.disable()
        _profiler.dump_stats(Path(os.environ["KMSBENCH_PROFILE_DIR"]) / f"worker-{os.getpid()}.prof")
